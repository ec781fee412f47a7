"""A TCP proxy in front of a real Redis that can drop a connection at the worst moments: before a
chosen command reaches the server, or after the server ran it but before its reply gets back."""

from __future__ import annotations

import socket
import threading
from typing import Literal

Fault = Literal["before", "after"]


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0  # connections accepted (so connection attempts, retries included)
        self.faults_done = 0
        self.refuse = False  # close every new connection at once, as a server going away would
        self._armed: list[tuple[bytes, Fault]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def arm(self, marker: bytes, fault: Fault, times: int = 1) -> None:
        """Drop the connection of the next ``times`` requests containing ``marker``."""
        with self._lock:
            self._armed += [(marker, fault)] * times

    def close(self) -> None:
        self.listener.close()

    def _take(self, data: bytes) -> Fault | None:
        with self._lock:
            for i, (marker, fault) in enumerate(self._armed):
                if marker in data:
                    del self._armed[i]
                    self.faults_done += 1
                    return fault
        return None

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            if self.refuse:
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            lost = threading.Event()  # set: the next reply is swallowed and the connection dropped
            threading.Thread(target=self._requests, args=(client, server, lost), daemon=True).start()
            threading.Thread(target=self._replies, args=(client, server, lost), daemon=True).start()

    def _requests(self, client: socket.socket, server: socket.socket, lost: threading.Event) -> None:
        try:
            while data := client.recv(65536):
                fault = self._take(data)
                if fault == "before":
                    break
                if fault == "after":
                    lost.set()
                server.sendall(data)
        except OSError:
            pass
        if not lost.is_set():
            _close(client, server)

    @staticmethod
    def _replies(client: socket.socket, server: socket.socket, lost: threading.Event) -> None:
        try:
            while data := server.recv(65536):
                if lost.is_set():
                    break
                client.sendall(data)
        except OSError:
            pass
        _close(client, server)


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
