"""SessionMemConfig: the settings shared by the memory, its histories and its retrievers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from langchain_sessionmem.errors import ConfigError

__all__ = ["SessionMemConfig"]


@dataclass(frozen=True)
class SessionMemConfig:
    """Settings shared by RedisSessionMemory, RedisSessionHistory and the retriever.

    Two processes that share sessions must use the same ``key_prefix`` and ``index_name``.
    Memories with different key prefixes never share an index: each prefix gets its own by default.
    """

    key_prefix: str = "sessionmem:"
    """Prefix of every key this package writes. Must not contain ``{`` or ``}``."""

    index_name: str = ""
    """Name of the RediSearch index over the message documents. Empty (the default, or None):
    ``f"{key_prefix}idx"``, so ``sessionmem:idx`` for the default prefix and one index per prefix."""

    ttl_seconds: float | None = None
    """Idle time after which a whole session expires; every write slides it. None: never."""

    message_max_age_seconds: float | None = None
    """Age after which a single message expires, whatever the session's activity. None: never."""

    max_id_length: int = 4096
    """Longest accepted user_id / session_id, in characters. Keys hold digests of the ids, so a
    long id (a URL, a token subject, a composite key) costs nothing in key names."""

    max_message_bytes: int = 4 * 1024 * 1024
    """Largest accepted message, measured as its stored UTF-8 JSON document."""

    embed_message_types: frozenset[str] = field(default_factory=lambda: frozenset({"human", "ai"}))
    """Message types embedded on write (``message.type``: human, ai, system, tool, chat, ...)."""

    embed_template: str = "{role} on {day}: {text}"
    """Text that is embedded; fields ``{text}``, ``{role}`` (name, else type), ``{type}``, ``{date}``
    (``2023-05-08``) and ``{day}`` (``Monday 8 May 2023``), both the message's own time in UTC."""

    text_context: bool = False
    """Store each message's speaker name and date with it (its ``ctx`` field) for full-text search,
    so retrievers with ``text_context=True`` match "what did Maya say in May 2023". Off by default:
    it adds about 260 bytes per message (stored words and their index entries), and with the speaker
    and date in the embedded text (the default ``embed_template``) it measured lower on the hard eval.
    Messages written while it was off are matched by their text alone."""

    tokenizer: str = "cl100k_base"
    """tiktoken encoding (``cl100k_base``, ``o200k_base``) or model name (``gpt-4o``) token counts use.
    Counts are stored on write, so every process sharing the data should use the same one."""

    vector_dims: int | None = None
    """Embedding size; None: measured once by ``setup()`` with one ``embed_query`` call."""

    vector_dtype: Literal["FLOAT32", "FLOAT16"] = "FLOAT32"
    """Stored vector type: 4 or 2 bytes per dimension."""

    vector_algorithm: Literal["FLAT", "HNSW"] = "FLAT"
    """Vector index: FLAT (exact) or HNSW (approximate, faster on very large indexes)."""

    retries: int = 2
    """Times a call is sent again after the connection dropped or timed out (every call is safe
    to replay: an append carries a batch id the server remembers). 0: never."""

    retry_backoff_seconds: float = 0.05
    """Pause before the first retry; it doubles for each next one (with jitter, at most 2 s)."""

    read_cache_messages: int = 20_000
    """Decoded messages a memory object keeps between reads, all sessions together (least recently
    read sessions go first; 0 disables). A read then decodes only the messages added since, after the
    server confirmed the held ones still exist. Messages returned by reads are shared with this cache:
    treat them as read-only."""

    slot_migration_wait_seconds: float = 30.0
    """Redis Cluster: how long a call refused while its user's slot is being migrated (resharding)
    is sent again, in short steps, before ``SlotMigratingError``."""

    def __post_init__(self) -> None:
        if not isinstance(self.key_prefix, str) or "{" in self.key_prefix or "}" in self.key_prefix:
            raise ConfigError(
                f"key_prefix must be a str without '{{' or '}}' (they mark Redis Cluster hash tags), "
                f"got {self.key_prefix!r}"
            )
        if self.index_name is None or self.index_name == "":
            object.__setattr__(self, "index_name", f"{self.key_prefix}idx")
        if not isinstance(self.index_name, str) or not self.index_name or " " in self.index_name:
            raise ConfigError(f"index_name must be a non-empty str without spaces, got {self.index_name!r}")
        for name in ("ttl_seconds", "message_max_age_seconds"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0.01
            ):
                raise ConfigError(f"{name} must be None or a number of seconds >= 0.01, got {value!r}")
        for name in ("max_id_length", "max_message_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive int, got {value!r}")
        wait = self.slot_migration_wait_seconds
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not wait >= 0:
            raise ConfigError(f"slot_migration_wait_seconds must be a number of seconds >= 0, got {wait!r}")
        if (
            isinstance(self.read_cache_messages, bool)
            or not isinstance(self.read_cache_messages, int)
            or (self.read_cache_messages < 0)
        ):
            raise ConfigError(f"read_cache_messages must be an int >= 0, got {self.read_cache_messages!r}")

        if not isinstance(self.embed_message_types, frozenset) or not all(
            isinstance(t, str) for t in self.embed_message_types
        ):
            raise ConfigError(f"embed_message_types must be a frozenset of str, got {self.embed_message_types!r}")
        try:
            self.embed_template.format(text="", role="", type="", date="", day="")
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"embed_template {self.embed_template!r} is not a template over {{text}}, {{role}}, {{type}}, "
                f"{{date}}, {{day}}: {exc!r}"
            ) from exc
        if not isinstance(self.text_context, bool):
            raise ConfigError(f"text_context must be True or False, got {self.text_context!r}")
        if not isinstance(self.tokenizer, str) or not self.tokenizer:
            raise ConfigError(f"tokenizer must be a tiktoken encoding or model name, got {self.tokenizer!r}")
        if self.vector_dims is not None and (
            isinstance(self.vector_dims, bool) or not isinstance(self.vector_dims, int) or self.vector_dims < 1
        ):
            raise ConfigError(f"vector_dims must be None or a positive int, got {self.vector_dims!r}")
        if self.vector_dtype not in ("FLOAT32", "FLOAT16"):
            raise ConfigError(f"vector_dtype must be 'FLOAT32' or 'FLOAT16', got {self.vector_dtype!r}")
        if self.vector_algorithm not in ("FLAT", "HNSW"):
            raise ConfigError(f"vector_algorithm must be 'FLAT' or 'HNSW', got {self.vector_algorithm!r}")

    @property
    def vector_index_name(self) -> str:
        """Name of the RediSearch index over the message vectors."""
        return f"{self.index_name}:vec"

    @property
    def ttl_ms(self) -> int:
        """Session idle TTL in milliseconds, 0 when disabled."""
        return 0 if self.ttl_seconds is None else max(1, round(self.ttl_seconds * 1000))

    @property
    def max_age_ms(self) -> int:
        """Per-message age limit in milliseconds, 0 when disabled."""
        return 0 if self.message_max_age_seconds is None else max(1, round(self.message_max_age_seconds * 1000))
