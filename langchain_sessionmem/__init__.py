"""Per-user, per-session LangChain chat memory on Redis (RedisJSON + RediSearch)."""

from langchain_sessionmem._records import session_records
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption, KeyRing
from langchain_sessionmem.errors import (
    ConcurrentUpdateError,
    ConfigError,
    EncryptionError,
    EvictionPolicyWarning,
    IdCollisionError,
    IndexSchemaMismatchError,
    InvalidIdError,
    InvalidMessageError,
    InvalidRecordError,
    MessageSerializationError,
    MessageTooLargeError,
    ModulesMissingError,
    RedisCommandError,
    RedisOutOfMemoryError,
    RedisUnavailableError,
    SessionMemError,
    SummarizationError,
    TokenizerFallbackWarning,
)
from langchain_sessionmem.history import ContextWindow, RedisSessionHistory
from langchain_sessionmem.memory import RedisSessionMemory, SessionInfo, SessionPage, TransferStats
from langchain_sessionmem.retriever import RedisSessionHistoryRetriever

__version__ = "0.1.0"

__all__ = [
    "ConcurrentUpdateError",
    "ConfigError",
    "ContentEncryption",
    "ContextWindow",
    "EncryptionError",
    "KeyRing",
    "IdCollisionError",
    "IndexSchemaMismatchError",
    "InvalidIdError",
    "InvalidMessageError",
    "InvalidRecordError",
    "MessageSerializationError",
    "MessageTooLargeError",
    "ModulesMissingError",
    "RedisCommandError",
    "RedisSessionHistory",
    "RedisSessionHistoryRetriever",
    "RedisUnavailableError",
    "RedisSessionMemory",
    "SessionInfo",
    "SessionPage",
    "TransferStats",
    "SessionMemConfig",
    "SessionMemError",
    "SummarizationError",
    "TokenizerFallbackWarning",
    "EvictionPolicyWarning",
    "RedisOutOfMemoryError",
    "session_records",
    "__version__",
]
