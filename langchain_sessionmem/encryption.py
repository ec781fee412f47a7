"""Encryption at rest for message content (optional; ``pip install langchain-sessionmem[encryption]``).

With ``RedisSessionMemory(..., encryption=ContentEncryption(key_provider))`` every message is stored
with its content and fields sealed by AES-256-GCM under a key of its user; so are running summaries.
What stays readable to anyone with Redis access: user and session ids, message types, times,
token counts, session metadata, instructions, titles set explicitly or derived before encryption
was turned on (none is derived from an encrypted message), and the embedding vectors, which the
vector index needs (an embedding reveals something of its text). Full-text search cannot work on
sealed text: the retriever then only searches by similarity.

Keys come from your ``key_provider(user_id) -> KeyRing``: the id of the key new writes use, and
every key (by id) that older data may be sealed with. Rotation without downtime: add the new key
to every ring and make it current; new writes use it at once, reads open both; then
``memory.rotate_encryption(user_id)`` reseals the user's stored data with the current key, after
which the old key can leave the ring. Rings are cached ``cache_seconds`` per user, and fetched
again when data names a key the cached ring lacks.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_sessionmem.errors import ConfigError, EncryptionError

__all__ = ["ContentEncryption", "KeyRing"]

MARK = "sme1:"  # sealed values: MARK + key id + ":" + base64(nonce + ciphertext + tag)


@dataclass(frozen=True)
class KeyRing:
    """A user's keys: ``keys`` maps key ids to 32-byte AES keys; ``current`` names the one new
    writes use."""

    current: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.current, str) or not self.current or ":" in self.current:
            raise ConfigError(f"KeyRing.current must be a non-empty key id without ':', got {self.current!r}")
        if self.current not in self.keys:
            raise ConfigError(f"KeyRing.keys lacks the current key {self.current!r}")
        for kid, key in self.keys.items():
            if not isinstance(key, bytes) or len(key) != 32:
                raise ConfigError(f"key {kid!r} must be 32 bytes (AES-256), got {type(key).__name__}")


KeyProvider = Callable[[str], KeyRing]


class UserCipher:
    """Seals and opens the values of one user (the additional data binds them to that user)."""

    def __init__(self, owner: ContentEncryption, user_id: str, ring: KeyRing) -> None:
        self._owner, self._user_id, self._ring = owner, user_id, ring

    @property
    def current(self) -> str:
        return self._ring.current

    def seal(self, plain: bytes, aad: bytes) -> str:
        kid = self._ring.current
        nonce = os.urandom(12)
        sealed = self._owner.aead(self._ring.keys[kid]).encrypt(nonce, plain, aad)
        return f"{MARK}{kid}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def open(self, token: str, aad: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            kid, body = token[len(MARK) :].split(":", 1)
            raw = base64.b64decode(body, validate=True)
        except ValueError as exc:
            raise EncryptionError(f"a stored value of user {self._user_id!r} is not a sealed value: {exc}") from exc
        if kid not in self._ring.keys:
            self._ring = self._owner.ring(self._user_id, refresh=True)
            if kid not in self._ring.keys:
                raise EncryptionError(
                    f"data of user {self._user_id!r} is sealed with key {kid!r}, which the key provider no longer "
                    "returns: put it back in the KeyRing (and run rotate_encryption) before removing it"
                )
        try:
            return bytes(self._owner.aead(self._ring.keys[kid]).decrypt(raw[:12], raw[12:], aad))
        except InvalidTag as exc:
            raise EncryptionError(
                f"a stored value of user {self._user_id!r} failed authentication with key {kid!r}: it was altered, "
                "moved from another user or session, or the key is wrong"
            ) from exc


class ContentEncryption:
    """AES-256-GCM for stored message content, with per-user keys from ``key_provider``."""

    def __init__(self, key_provider: KeyProvider, *, cache_seconds: float = 300.0) -> None:
        try:
            import cryptography  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                "encryption needs the cryptography package: pip install 'langchain-sessionmem[encryption]'"
            ) from exc
        if not callable(key_provider):
            raise ConfigError("key_provider must be a callable user_id -> KeyRing")
        self._provider = key_provider
        self._ttl = cache_seconds
        self._rings: dict[str, tuple[float, KeyRing]] = {}
        self._aeads: dict[bytes, Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ContentEncryption({self._provider!r})"

    def ring(self, user_id: str, *, refresh: bool = False) -> KeyRing:
        now = time.monotonic()
        with self._lock:
            hit = self._rings.get(user_id)
        if hit is not None and not refresh and now - hit[0] < self._ttl:
            return hit[1]
        ring = self._provider(user_id)
        if not isinstance(ring, KeyRing):
            raise ConfigError(f"key_provider({user_id!r}) must return a KeyRing, got {type(ring).__name__}")
        with self._lock:
            self._rings[user_id] = (now, ring)
        return ring

    def for_user(self, user_id: str) -> UserCipher:
        return UserCipher(self, user_id, self.ring(user_id))

    def aead(self, key: bytes) -> Any:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        aead = self._aeads.get(key)
        if aead is None:
            aead = self._aeads[key] = AESGCM(key)
        return aead


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(MARK)
