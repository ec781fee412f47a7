"""What an operation works on: a memory's settings and shared state, never its clients.

``Store`` is one per memory (and every history and retriever it hands out); ``Session`` adds one
user's session to it. Both are frozen: the only things an operation changes are the read cache and
the facts learned about the server, each an object of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from langchain_core.embeddings import Embeddings

from langchain_sessionmem._cache import ReadCache
from langchain_sessionmem._keys import SessionKeys, check_id
from langchain_sessionmem._tokens import Counter, text_counter
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption, UserCipher
from langchain_sessionmem.errors import ConfigError


@dataclass(eq=False, slots=True)
class ServerFacts:
    """What a memory has learned about its server, each asked at most once."""

    url: str
    """The server's URL with any password redacted, for messages."""
    is_cluster: bool
    """A Redis Cluster reached through cluster clients (known without I/O)."""
    may_evict: bool | None = None
    """Its maxmemory policy may evict keys; None: not asked yet."""
    search_coordinated: bool | None = None
    """On a cluster: FT.* spans the shards; None: not asked yet."""
    index_checked: bool = False
    """The message index matches this config: setup() or the first search checked it."""


@dataclass(frozen=True, slots=True)
class Store:
    config: SessionMemConfig
    facts: ServerFacts
    embeddings: Embeddings | None = None
    encryption: ContentEncryption | None = None
    cache: ReadCache = field(default_factory=lambda: ReadCache(0))

    def counter(self) -> Counter:
        """The token counter of ``config.tokenizer`` (loaded on first use, then cached)."""
        return text_counter(self.config.tokenizer)

    def cipher(self, user_id: str) -> UserCipher | None:
        return None if self.encryption is None else self.encryption.for_user(user_id)

    def embedder(self) -> Embeddings:
        if self.embeddings is None:
            raise ConfigError(
                "this operation needs embeddings: pass RedisSessionMemory(..., embeddings=YourEmbeddings())"
            )
        return self.embeddings

    def session(self, user_id: str, session_id: str) -> Session:
        return Session.of(self, user_id, session_id)


@dataclass(frozen=True, slots=True)
class Session:
    """One user's session of a store: checked ids and key names."""

    store: Store
    user_id: str
    session_id: str
    keys: SessionKeys

    @classmethod
    def of(cls, store: Store, user_id: str, session_id: str) -> Session:
        """Raises InvalidIdError when an id is not a non-empty str within the length limit."""
        cfg = store.config
        uid = check_id("user_id", user_id, cfg.max_id_length)
        sid = check_id("session_id", session_id, cfg.max_id_length)
        return cls(store, uid, sid, SessionKeys.of(cfg.key_prefix, uid, sid))

    @property
    def cipher(self) -> UserCipher | None:
        """The user's cipher now (asked each time: a rotated key is used at once)."""
        return self.store.cipher(self.user_id)

    @property
    def config(self) -> SessionMemConfig:
        return self.store.config
