"""Per-user, per-session LangChain chat memory on Redis (RedisJSON + RediSearch)."""

from langchain_sessionmem._codec import StoredMessage
from langchain_sessionmem._records import session_records
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption, KeyRing
from langchain_sessionmem.errors import (
    ClusterClientError,
    ConcurrentUpdateError,
    ConfigError,
    EncryptionError,
    EvictionPolicyWarning,
    IdCollisionError,
    IndexExistsError,
    IndexFieldExistsError,
    IndexMissingError,
    IndexSchemaMismatchError,
    InvalidIdError,
    InvalidMessageError,
    InvalidRecordError,
    MessageSerializationError,
    MessageTooLargeError,
    MissingVectorsWarning,
    ModulesMissingError,
    RedisAuthenticationError,
    RedisCommandError,
    RedisOutOfMemoryError,
    RedisUnavailableError,
    SearchUnavailableError,
    SessionMemError,
    SlotMigratingError,
    SummarizationError,
    TokenizerFallbackWarning,
)
from langchain_sessionmem.history import ContextWindow, RedisSessionHistory, SessionContext
from langchain_sessionmem.memory import RedisSessionMemory, SessionInfo, SessionPage, TransferStats
from langchain_sessionmem.retriever import RedisSessionHistoryRetriever
from langchain_sessionmem.types import IndexStats, ServerStats

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # SessionMemoryMiddleware needs langchain>=1.5 (the ``agents`` extra): imported on first use, so
    # the package imports without it.
    if name == "SessionMemoryMiddleware":
        from langchain_sessionmem.agents import SessionMemoryMiddleware

        return SessionMemoryMiddleware
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ClusterClientError",
    "ConcurrentUpdateError",
    "ConfigError",
    "ContentEncryption",
    "ContextWindow",
    "EncryptionError",
    "KeyRing",
    "IdCollisionError",
    "IndexExistsError",
    "IndexFieldExistsError",
    "IndexMissingError",
    "IndexSchemaMismatchError",
    "IndexStats",
    "InvalidIdError",
    "InvalidMessageError",
    "InvalidRecordError",
    "MessageSerializationError",
    "MessageTooLargeError",
    "MissingVectorsWarning",
    "ModulesMissingError",
    "RedisAuthenticationError",
    "RedisCommandError",
    "RedisSessionHistory",
    "RedisSessionHistoryRetriever",
    "RedisUnavailableError",
    "SearchUnavailableError",
    "ServerStats",
    "RedisSessionMemory",
    "SessionContext",
    "SessionInfo",
    "SessionMemoryMiddleware",
    "SessionPage",
    "TransferStats",
    "SessionMemConfig",
    "SessionMemError",
    "SlotMigratingError",
    "StoredMessage",
    "SummarizationError",
    "TokenizerFallbackWarning",
    "EvictionPolicyWarning",
    "RedisOutOfMemoryError",
    "session_records",
    "__version__",
]
