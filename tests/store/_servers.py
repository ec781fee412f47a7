"""Throw-away redis-servers a test controls whole (TLS, ACL users, AOF, kill -9 and restart), and
the certificates for them, made on the spot with ``cryptography``.

``tests/conftest.py``'s ``start_server`` fixture covers the simple case (a plaintext server that
lives as long as the test); these helpers also restart a server on the same port and directory,
serve TLS only, and kill a server the way a crash would.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import free_port

# -- certificates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certs:
    """PEM files: a CA, a server certificate for localhost / 127.0.0.1 and a client certificate,
    both signed by the CA, and a second CA that signed nothing here (a client trusting only it
    must refuse the server)."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _write_cert(cert: x509.Certificate, path: Path) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _ca(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, common_name: str, usage: x509.ObjectIdentifier
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if usage == ExtendedKeyUsageOID.SERVER_AUTH:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256()), key


def make_certs(folder: Path) -> Certs:
    """Generate the CA, server and client certificates into ``folder`` (EC P-256, valid one day)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = _ca("sessionmem test CA")
    server, server_key = _leaf(ca, ca_key, "localhost", ExtendedKeyUsageOID.SERVER_AUTH)
    client, client_key = _leaf(ca, ca_key, "sessionmem-client", ExtendedKeyUsageOID.CLIENT_AUTH)
    other, _ = _ca("some other CA")
    certs = Certs(
        ca=folder / "ca.crt",
        server_cert=folder / "server.crt",
        server_key=folder / "server.key",
        client_cert=folder / "client.crt",
        client_key=folder / "client.key",
        other_ca=folder / "other-ca.crt",
    )
    _write_cert(ca, certs.ca)
    _write_cert(server, certs.server_cert)
    _write_key(server_key, certs.server_key)
    _write_cert(client, certs.client_cert)
    _write_key(client_key, certs.client_key)
    _write_cert(other, certs.other_ca)
    return certs


# -- servers --------------------------------------------------------------------------------------


class RedisProcess:
    """One redis-server (with RedisJSON and RediSearch unless ``modules=False``) on a fixed port
    and data folder, so it can be killed and started again on the same data.

    With ``certs`` it serves TLS only (``--port 0 --tls-port N``); ``url`` is then the
    ``rediss://`` URL of a client that trusts the CA and presents the client certificate.
    """

    def __init__(
        self,
        paths: dict[str, str],
        folder: Path,
        *args: str,
        modules: bool = True,
        certs: Certs | None = None,
    ) -> None:
        self.paths = paths
        self.folder = folder
        self.args = args
        self.modules = modules
        self.certs = certs
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    # URLs and clients -------------------------------------------------------------------------

    def url(self, user: str | None = None, password: str | None = None, **query: str) -> str:
        """A URL of this server; TLS servers get the CA and client certificate in the query."""
        auth = f"{user}:{password}@" if user else ""
        scheme = "redis"
        if self.certs is not None:
            scheme = "rediss"
            query = {
                "ssl_cert_reqs": "required",
                "ssl_ca_certs": str(self.certs.ca),
                "ssl_certfile": str(self.certs.client_cert),
                "ssl_keyfile": str(self.certs.client_key),
                **query,
            }
        qs = "&".join(f"{k}={v}" for k, v in query.items() if v != "")
        return f"{scheme}://{auth}127.0.0.1:{self.port}/0" + (f"?{qs}" if qs else "")

    def admin(self) -> redis.Redis:
        """A client with every right (the ``default`` user), for setting up and inspecting."""
        return redis.Redis.from_url(self.url())

    # life cycle -------------------------------------------------------------------------------

    def command_line(self) -> list[str]:
        cmd = [self.paths["REDIS_SERVER"], "--bind", "127.0.0.1", "--save", "", "--dir", str(self.folder)]
        cmd += ["--logfile", str(self.folder / "redis.log")]
        if self.certs is None:
            cmd += ["--port", str(self.port)]
        else:
            c = self.certs
            cmd += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(c.server_cert)]
            cmd += ["--tls-key-file", str(c.server_key), "--tls-ca-cert-file", str(c.ca), "--tls-auth-clients", "yes"]
        if self.modules:
            cmd += ["--loadmodule", self.paths["MOD_JSON"], "--loadmodule", self.paths["MOD_SEARCH"]]
        return [*cmd, *self.args]

    def start(self, timeout: float = 15.0) -> RedisProcess:
        """Start (or start again, on the same port and data) and wait until it answers PING and
        has finished loading its data."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        env = {**os.environ, "LD_LIBRARY_PATH": self.paths["LD_LIBRARY_PATH"]}
        self.proc = subprocess.Popen(self.command_line(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        client = self.admin()
        try:
            while True:
                try:
                    if client.ping() and int(client.info("persistence")["loading"]) == 0:
                        return self
                except (redis.ConnectionError, redis.BusyLoadingError):
                    pass
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "redis.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"redis-server {' '.join(self.command_line())} did not start:\n{log}")
                time.sleep(0.02)
        finally:
            client.close()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Stop the process the hard way (default: kill -9, as a crash) and reap it."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> RedisProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
