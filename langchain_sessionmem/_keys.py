"""Key names and id checks. Pure: no I/O.

Layout (``P`` is ``SessionMemConfig.key_prefix``, ``U`` the user digest, ``S`` the session digest)::

    P m:{U}:S:<seq>   JSON  one message document (indexed by RediSearch under prefix ``P m:``)
    P s:{U}:S         HASH  session meta: raw ids, first/last sequence, created, last_active, epoch
    P z:{U}           ZSET  the user's session digests, scored by last activity (ms)
    P u:{U}           HASH  the user's raw id (checked on every write) and user-level settings
    P v:{U}:S:<seq>   HASH  the message's vector (FLOAT32/16 blob) and filter tags (vector index)
    P i:{U}:S         HASH  message id digest -> seq of the session's messages that have an id (an
                            append skips a message whose id the session already holds)

Raw ids never appear in a key or a query: only their SHA-256 digests do, as lowercase hex, so no
character of an id can reach RediSearch syntax or a Redis Cluster hash tag. ``{U}`` is the hash tag:
all keys of one user live in one cluster slot. The raw ids are stored in the session meta and the
user hash and compared on every operation, so a digest collision is refused, never merged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from langchain_sessionmem.errors import InvalidIdError

DIGEST_HEX = 32  # 128 bits of SHA-256


def check_id(name: str, value: object, max_length: int) -> str:
    """Return ``value`` if it is a usable id, else raise InvalidIdError saying why."""
    if not isinstance(value, str):
        raise InvalidIdError(f"{name} must be a non-empty str, got {type(value).__name__} {value!r}")
    if not value:
        raise InvalidIdError(f"{name} must be a non-empty str, got {value!r}; pass the id your app uses")
    if len(value) > max_length:
        raise InvalidIdError(
            f"{name} is {len(value)} characters long, above max_id_length={max_length}; "
            "use a shorter id or raise SessionMemConfig.max_id_length"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidIdError(f"{name} is not valid Unicode text (lone surrogate?): {value!r}") from exc
    return value


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        raw = part.encode("utf-8")
        h.update(len(raw).to_bytes(8, "big"))  # length-prefixed: no join collisions
        h.update(raw)
    return h.hexdigest()[:DIGEST_HEX]


def user_digest(user_id: str) -> str:
    return _digest("user", user_id)


def session_digest(user_id: str, session_id: str) -> str:
    """Digest of the (user, session) pair: unique per pair, not just per session id."""
    return _digest("session", user_id, session_id)


@dataclass(frozen=True, slots=True)
class UserKeys:
    """Key names of one user."""

    prefix: str
    user_id: str
    uh: str

    @classmethod
    def of(cls, prefix: str, user_id: str) -> UserKeys:
        return cls(prefix, user_id, user_digest(user_id))

    @property
    def sessions(self) -> str:
        return f"{self.prefix}z:{{{self.uh}}}"

    @property
    def user(self) -> str:
        return f"{self.prefix}u:{{{self.uh}}}"

    @property
    def meta_prefix(self) -> str:
        return f"{self.prefix}s:{{{self.uh}}}:"

    @property
    def message_prefix(self) -> str:
        return f"{self.prefix}m:{{{self.uh}}}:"

    @property
    def vector_prefix(self) -> str:
        return f"{self.prefix}v:{{{self.uh}}}:"

    @property
    def ids_prefix(self) -> str:
        return f"{self.prefix}i:{{{self.uh}}}:"

    def meta_of(self, sh: str) -> str:
        """Meta key of the user's session with digest ``sh``."""
        return self.meta_prefix + sh

    def messages_of(self, sh: str) -> str:
        """Prefix of the message keys of session ``sh``; the sequence number follows it."""
        return f"{self.message_prefix}{sh}:"

    def vectors_of(self, sh: str) -> str:
        """Prefix of the vector keys of session ``sh``; the sequence number follows it."""
        return f"{self.vector_prefix}{sh}:"


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """Key names of one (user, session) pair."""

    user: UserKeys
    session_id: str
    sh: str

    @classmethod
    def of(cls, prefix: str, user_id: str, session_id: str) -> SessionKeys:
        return cls(UserKeys.of(prefix, user_id), session_id, session_digest(user_id, session_id))

    @property
    def meta(self) -> str:
        return self.user.meta_of(self.sh)

    @property
    def message_prefix(self) -> str:
        """Prefix of this session's message keys; the sequence number follows it."""
        return self.user.messages_of(self.sh)

    @property
    def vector_prefix(self) -> str:
        """Prefix of this session's vector keys; the sequence number follows it."""
        return self.user.vectors_of(self.sh)

    @property
    def ids(self) -> str:
        """The session's message-id hash (see ``message_id_digest``)."""
        return self.user.ids_prefix + self.sh


def message_id_digest(message_id: str | None) -> str:
    """What the session's id hash holds for a message id ('' for a message without one, id None or
    ''): a digest, so the hash stays small whatever the ids look like and holds no raw text."""
    return _digest("message", str(message_id)) if message_id else ""


THREAD_MARK = "sessionmem:"


def thread_id_of(user_id: str, session_id: str) -> str:
    """A LangGraph thread id for ``(user_id, session_id)``, scoped to the user (its digest)."""
    return f"{THREAD_MARK}{user_digest(user_id)}:{session_id}"


def session_of_thread(user_id: str, thread: str) -> str:
    """The session id of a thread: read back from ``thread_id_of``'s form, else the thread id itself.

    Raises:
        InvalidIdError: The thread id was made for another user.
    """
    digest, sep, session = thread[len(THREAD_MARK) :].partition(":")
    if not thread.startswith(THREAD_MARK) or not sep or not session or len(digest) != DIGEST_HEX:
        return thread
    if digest != user_digest(user_id):
        raise InvalidIdError(
            f"thread_id {thread!r} was made by memory.thread_id() for another user than {user_id!r}; "
            "use memory.thread_id(user_id, session_id) of this user"
        )
    return session


def parse_message_key(key: str) -> tuple[str, str, int]:
    """(user digest, session digest, seq) of a message or vector key."""
    head, _, rest = key.rpartition("{")
    uh, _, tail = rest.partition("}:")
    sh, _, seq = tail.partition(":")
    return uh, sh, int(seq)


def glob_escape(text: str) -> str:
    """``text`` as a literal in a SCAN ``MATCH`` pattern (``* ? [ ] \\`` escaped)."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def message_index_prefix(prefix: str) -> str:
    """The key prefix the RediSearch index covers."""
    return f"{prefix}m:"


def vector_index_prefix(prefix: str) -> str:
    """The key prefix the vector index covers."""
    return f"{prefix}v:"
