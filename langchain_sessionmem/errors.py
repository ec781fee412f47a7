"""Exceptions raised by langchain-sessionmem, and the one place that translates redis errors.

::

    SessionMemError                       base of everything raised on purpose
    ├── InvalidIdError (ValueError)       user_id / session_id not a non-empty str of allowed length
    ├── InvalidMessageError (TypeError)   None or a non-BaseMessage where a message was expected
    ├── MessageSerializationError (ValueError)
    │   └── MessageTooLargeError          encoded message above SessionMemConfig.max_message_bytes
    ├── ConfigError (ValueError)          a SessionMemConfig value or argument that cannot work
    │   └── ClusterClientError            a plain client talks to a Redis Cluster node: use a cluster client
    ├── InvalidRecordError (ValueError)   a malformed line of an export/import stream
    ├── ConcurrentUpdateError (RuntimeError)      another writer changed what this call read first
    ├── RedisUnavailableError (ConnectionError)   server unreachable, timed out, or connection dropped
    │   └── SlotMigratingError            a cluster slot kept moving (resharding) past the retry wait
    ├── RedisAuthenticationError (PermissionError) the server refused the login: password missing or wrong
    ├── ModulesMissingError (RuntimeError)        server lacks RedisJSON or RediSearch
    ├── IndexSchemaMismatchError (RuntimeError)   an index of that name exists with another schema
    ├── SearchUnavailableError (RuntimeError)     a Redis Cluster whose RediSearch cannot search across shards
    ├── IdCollisionError (RuntimeError)           two different ids mapped to the same keys (refused)
    ├── SummarizationError (RuntimeError)         the chat model gave no usable summary (nothing stored)
    ├── EncryptionError (RuntimeError)            sealed data without its key, or that fails authentication
    └── RedisCommandError (RuntimeError)          any other error the server returned
        ├── RedisOutOfMemoryError                 the server is at maxmemory and refused a write
        ├── IndexMissingError                     a search (or FT.INFO) names an index that does not exist
        ├── IndexExistsError                      FT.CREATE of an index another process created first
        └── IndexFieldExistsError                 FT.ALTER adding a field another process added first

The three index errors are how ``setup()`` tells the states of a RediSearch index apart: it
catches them by type and verifies what another process created, so running ``setup()`` from
many processes at once is safe. Only this module reads the server's error text.

    TokenizerFallbackWarning (UserWarning)        no tiktoken encoding loaded: counts are approximate
    EvictionPolicyWarning (UserWarning)           the server may evict history keys under memory pressure
    MissingVectorsWarning (UserWarning)           stored messages lack vectors of the current model: reindex()

Each class also derives from the matching built-in, so ``except ValueError`` keeps working.
"""

from __future__ import annotations

import re
from types import TracebackType

import redis.exceptions as rex

__all__ = [
    "ClusterClientError",
    "ConcurrentUpdateError",
    "ConfigError",
    "EncryptionError",
    "EvictionPolicyWarning",
    "IdCollisionError",
    "IndexExistsError",
    "IndexFieldExistsError",
    "IndexMissingError",
    "IndexSchemaMismatchError",
    "InvalidIdError",
    "InvalidMessageError",
    "InvalidRecordError",
    "MessageSerializationError",
    "MessageTooLargeError",
    "MissingVectorsWarning",
    "ModulesMissingError",
    "RedisAuthenticationError",
    "RedisCommandError",
    "RedisOutOfMemoryError",
    "RedisUnavailableError",
    "SearchUnavailableError",
    "SessionMemError",
    "SlotMigratingError",
    "SummarizationError",
    "TokenizerFallbackWarning",
]


class SessionMemError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidIdError(SessionMemError, ValueError):
    """A user_id or session_id that is not a non-empty str within the configured length."""


class InvalidMessageError(SessionMemError, TypeError):
    """Something that is not a langchain_core BaseMessage was given as a message."""


class MessageSerializationError(SessionMemError, ValueError):
    """A message whose content or fields cannot be stored as JSON."""


class MessageTooLargeError(MessageSerializationError):
    """A message whose encoded size exceeds SessionMemConfig.max_message_bytes."""


class ConfigError(SessionMemError, ValueError):
    """A configuration value that cannot work."""


class InvalidRecordError(SessionMemError, ValueError):
    """A record of an export/import stream that is malformed; the message names its line."""


class ConcurrentUpdateError(SessionMemError, RuntimeError):
    """Another writer changed the data this call had read (e.g. two summarize() at once); retry."""


class SummarizationError(SessionMemError, RuntimeError):
    """The chat model asked to summarize returned nothing usable; nothing was stored."""


class EncryptionError(SessionMemError, RuntimeError):
    """Encrypted data that cannot be opened: no encryption configured, a key the provider no longer
    returns, or a value that fails authentication (altered or moved)."""


class TokenizerFallbackWarning(UserWarning):
    """No tiktoken encoding could be loaded; token counts are approximated (characters / 4)."""


class RedisUnavailableError(SessionMemError, ConnectionError):
    """The Redis server could not be reached, timed out, or dropped the connection."""


class RedisAuthenticationError(SessionMemError, PermissionError):
    """The server refused the login: it wants a password the URL lacks, or the password is wrong.
    Not retried: sending the same password again cannot help."""


class ModulesMissingError(SessionMemError, RuntimeError):
    """The Redis server lacks the RedisJSON or RediSearch module."""


class IndexSchemaMismatchError(SessionMemError, RuntimeError):
    """An index with the configured name exists but was created with another schema."""


class IdCollisionError(SessionMemError, RuntimeError):
    """Two different ids hashed to the same keys; the operation was refused, nothing was merged."""


class RedisCommandError(SessionMemError, RuntimeError):
    """The server answered with an error this package has no more specific class for."""


class RedisOutOfMemoryError(RedisCommandError):
    """The server reached ``maxmemory`` and refused a write (``noeviction``); nothing was stored."""


class IndexMissingError(RedisCommandError):
    """A search named an index that does not exist: ``setup()`` has not been run on this server,
    or ``drop_indexes()`` removed it."""


class IndexExistsError(RedisCommandError):
    """``FT.CREATE`` of an index that already exists (the server's "Index already exists"):
    another process created it first. ``setup()`` catches it and verifies that index instead."""


class IndexFieldExistsError(RedisCommandError):
    """``FT.ALTER`` adding a field the index already has (the server's "Duplicate field in
    schema"): another process migrated the index first. ``setup()`` catches it and verifies."""


class ClusterClientError(ConfigError):
    """A plain ``redis.Redis`` client (or ``redis://`` URL) talks to a Redis Cluster node, which
    answers only for its own slots: use a ``redis+cluster://`` URL or a ``RedisCluster`` client."""


class SlotMigratingError(RedisUnavailableError):
    """A Redis Cluster slot holding the user's keys was being moved (resharding) for longer than
    the retry wait, or moved while a whole-keyspace operation scanned it; call again."""


class SearchUnavailableError(SessionMemError, RuntimeError):
    """The server cannot search this memory's messages: a Redis Cluster whose RediSearch has no
    coordinator (Redis Stack 7.x) indexes each shard apart. The history works; search does not."""


class EvictionPolicyWarning(UserWarning):
    """The server's ``maxmemory-policy`` lets it delete history keys under memory pressure."""


class MissingVectorsWarning(UserWarning):
    """Stored messages have no vector from the current embedding model, so similarity search cannot
    find them until ``reindex()`` embeds them."""


_MODULE_HINT = (
    "the server at {url} lacks the {module} module; use Redis Stack 7.4+ or Redis 8, or a server "
    "that loads rejson.so and redisearch.so, and pass its URL (or set REDIS_URL)"
)
_PASSWORD_HINT = (
    "Put the password in the URL: redis://:PASSWORD@host:port/0, or redis://USER:PASSWORD@host:port/0 "
    "for an ACL user (rediss:// for TLS)"
)


def check_url(url: object) -> str:
    """``url`` if redis-py can connect with it (no I/O), else a ConfigError saying what is wrong."""
    from redis.connection import parse_url

    if not isinstance(url, str) or not url.strip():
        raise ConfigError(
            f"redis_url must be a redis://, rediss://, unix:// or redis+cluster:// URL, got {url!r}; pass one, or "
            "None to use $REDIS_URL (else redis://localhost:6379/0)"
        )
    scheme, sep, rest = url.partition("://")
    node = f"{scheme.lower().removesuffix('+cluster')}://{rest}" if sep else url  # redis+cluster: see _cluster.py
    try:
        parse_url(node)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        raise ConfigError(f"redis_url {redact_url(url)!r} cannot be used: {exc}") from None
    return url


def _login_error(msg: str, url: str) -> RedisAuthenticationError | None:
    low = msg.lower()
    if "without any password configured" in low or "no password is set" in low:
        return RedisAuthenticationError(
            f"Redis at {url} has no password set, but the URL gives one: remove it from the URL"
        )
    if "hello must be called" in low or "authentication required" in low or low.startswith("noauth"):
        return RedisAuthenticationError(f"Redis at {url} requires a password and the URL gives none. {_PASSWORD_HINT}")
    if "invalid username-password" in low or "invalid password" in low or low.startswith("wrongpass"):
        return RedisAuthenticationError(
            f"Redis at {url} refused the login: wrong password, or the ACL user is disabled. {_PASSWORD_HINT}"
        )
    return None


def _missing_index(msg: str, url: str) -> IndexMissingError:
    return IndexMissingError(
        f"the search index{_index_named(msg)} does not exist on {url}: call memory.setup() (or await memory.asetup()) "
        "once after creating the memory; it creates the indexes, and is safe to run from every process"
    )


def _index_named(msg: str) -> str:
    """`` 'name'`` of the index an error names (a search's "name: no such index", or a pipeline's
    "Command # 1 (FT.CREATE name ...)"), else ""."""
    named = re.search(r"(\S+): no such index", msg) or re.search(r"\(FT\.\w+ (\S+)", msg)
    return f" {named.group(1)!r}" if named else ""


def _index_exists(msg: str, url: str) -> IndexExistsError:
    return IndexExistsError(
        f"the search index{_index_named(msg)} already exists on {url}, so it was not created: another process "
        "created it first. Call memory.setup() (or await memory.asetup()): it verifies an existing index instead"
    )


def _field_exists(msg: str, url: str) -> IndexFieldExistsError:
    field = re.search(r"duplicate field in schema\s*-\s*(\S+)", msg, flags=re.IGNORECASE)
    named = f" {field.group(1)!r}" if field else ""
    return IndexFieldExistsError(
        f"the search index{_index_named(msg)} on {url} already has the field{named}, so it was not added: another "
        "process migrated the index first. Call memory.setup() (or await memory.asetup()): it verifies the index"
    )


def redact_url(url: str) -> str:
    """Hide the password of a redis URL so it can go into an error message."""
    url = re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)
    return re.sub(r"([?&](?:password|ssl_password)=)[^&#]*", r"\1***", url, flags=re.IGNORECASE)


def _translate(exc: rex.RedisError | rex.RedisClusterException, url: str) -> SessionMemError:
    msg = str(exc).rstrip(".")
    if isinstance(exc, rex.ClusterError) and "ttl exhausted" in msg.lower():  # redirected back and forth
        return SlotMigratingError(
            f"the Redis Cluster at {url} kept redirecting the call ({msg}): a slot is being moved; nothing was "
            "changed. Call again once the reshard is done"
        )
    login = _login_error(msg, url) if isinstance(exc, (rex.ConnectionError, rex.ResponseError)) else None
    if login is not None:
        return login
    # A cluster that is down, or whose nodes cannot be reached, is unavailable like a single server.
    if isinstance(exc, (rex.ConnectionError, rex.TimeoutError, rex.ClusterError, rex.RedisClusterException)):
        low = msg.lower()
        if "ssl" in low or "certificate" in low or "tls" in low:
            hint = (
                "A TLS problem: check the URL's ssl_ca_certs (the CA that signed the server's certificate) "
                "and, if the server wants client certificates, ssl_certfile and ssl_keyfile"
            )
        elif url.startswith("redis://") and ("reset by peer" in low or "closed by server" in low):
            hint = "The server closed the connection at once: if it only speaks TLS, use a rediss:// URL"
        else:
            hint = "Check that the server is running and that the URL (or REDIS_URL) is right"
        return RedisUnavailableError(f"cannot talk to Redis at {url}: {msg}. {hint}")
    if isinstance(exc, (rex.MovedError, rex.AskError)):  # only a plain client sees these: cluster clients follow
        return ClusterClientError(
            f"Redis at {url} is a Redis Cluster node and the key is served by another node ({msg}). Use a "
            "cluster client: a redis+cluster:// URL, or client=redis.cluster.RedisCluster(...) and "
            "async_client=redis.asyncio.cluster.RedisCluster(...)"
        )
    if isinstance(exc, rex.ResponseError):
        low = msg.lower()
        if (
            isinstance(exc, rex.TryAgainError)
            or "during rehashing of the slot" in low  # Redis 7.4: a script touched a key of a slot in motion
            or "non local key in a cluster node" in low  # Redis 7.0-7.2, same cause
        ):
            return SlotMigratingError(
                f"a Redis Cluster slot at {url} is being migrated (resharding) and the operation could not run "
                f"while it moves ({msg}); nothing was changed. Call again once the reshard is done"
            )
        if "sessionmem_id_collision" in low:
            return IdCollisionError(
                "two different ids map to the same Redis keys (a SHA-256 prefix collision); "
                "the operation was refused and nothing was changed. Use a different key_prefix"
            )
        if "sessionmem_conflict" in low:
            return ConcurrentUpdateError(
                f"{msg.split('SESSIONMEM_CONFLICT', 1)[-1].strip()}: another writer changed the session "
                "after this call read it; nothing was written. Call again"
            )
        if "no such index" in low or "unknown index name" in low:
            return _missing_index(msg, url)
        if "index already exists" in low:
            return _index_exists(msg, url)
        if "duplicate field in schema" in low:
            return _field_exists(msg, url)
        if "unknown command" in low and "'json." in low:
            return ModulesMissingError(_MODULE_HINT.format(url=url, module="RedisJSON"))
        if "unknown command" in low and "'ft." in low:
            return ModulesMissingError(_MODULE_HINT.format(url=url, module="RediSearch"))
        if "unknown redis command called from script" in low:  # Redis does not say which command
            return ModulesMissingError(
                _MODULE_HINT.format(url=url, module="RedisJSON or RediSearch")
                + ". A server older than Redis 7.4 (Redis Stack 7.2) fails the same way: the scripts use "
                "HPEXPIREAT, new in Redis 7.4"
            )
        # redis-py drops the "OOM" error code: for scripts only "... used memory > 'maxmemory'" is left.
        if low.startswith("oom") or "oom command not allowed" in low or "> 'maxmemory'" in low:
            return RedisOutOfMemoryError(
                f"Redis at {url} is out of memory and refused the write ({msg}); nothing was stored. "
                "Raise maxmemory, expire old sessions (ttl_seconds) or delete users"
            )
    return RedisCommandError(f"Redis at {url} returned an error: {msg}")


class translate_redis_errors:  # noqa: N801 - used as a function: ``with translate_redis_errors(url):``
    """Re-raise redis-py errors as this package's errors, with the cause kept.

    Used by the sync and the async paths alike: an awaited call inside the ``with``
    block raises through it the same way. A plain class, not ``@contextmanager``: it is entered
    around every command, and one object can be entered again and again (no generator per use).
    """

    __slots__ = ("url",)

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if isinstance(exc, (rex.RedisError, rex.RedisClusterException)):
            raise _translate(exc, self.url) from exc
