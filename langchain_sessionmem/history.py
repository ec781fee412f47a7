"""RedisSessionHistory: the chat history of one (user_id, session_id) pair."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aredis
from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from langchain_sessionmem._backend import Backend
from langchain_sessionmem._cache import Cached, ReadCache, State, hint, state_of
from langchain_sessionmem._codec import (
    add_text_field,
    check_messages,
    content_text,
    decode_messages,
    encode_messages,
    mark_embedded,
    open_text,
    seal_text,
)
from langchain_sessionmem._keys import SessionKeys, check_id, message_id_digest
from langchain_sessionmem._ops.server import policy_plan
from langchain_sessionmem._ops.steps import Chat, EmbedDocuments, Plan, Script, adrive, call, drive
from langchain_sessionmem._search import context_text
from langchain_sessionmem._tokens import message_tokens, text_counter
from langchain_sessionmem._vectors import PENDING, fingerprint, message_times, pack, text_digest, to_embed
from langchain_sessionmem.config import SessionMemConfig
from langchain_sessionmem.encryption import ContentEncryption, UserCipher
from langchain_sessionmem.errors import ConfigError, SummarizationError

__all__ = ["ContextWindow", "RedisSessionHistory"]

logger = logging.getLogger(__name__)


INSTRUCTIONS_ID = "sessionmem-instructions"
SUMMARY_ID = "sessionmem-summary"
SUMMARY_PREFIX = "Summary of the earlier conversation:\n"
SUMMARY_PROMPT = (
    "You maintain the running summary of a conversation between a user and an assistant. Extend the "
    "existing summary with the new messages. Keep every fact, preference, decision, name, number and "
    "open question the assistant may need later; drop greetings and filler. Write in the third person, "
    "as plain prose. Reply with the updated summary only."
)
TITLE_CHARS = 80


def _check_count(name: str, value: object, *, optional: bool = False) -> int:
    """``value`` as an int >= 0 (``-1`` for None when ``optional``), else ConfigError."""
    if value is None and optional:
        return -1
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name} must be {'None or ' if optional else ''}an int >= 0, got {value!r}")
    return value


def _check_k(k: object) -> int:
    return _check_count("k", k)


def title_of(messages: Sequence[BaseMessage]) -> str:
    """The automatic session title: the first human message's text, on one line, shortened."""
    for m in messages:
        if m.type == "human":
            text = " ".join(content_text(m.content).split())
            return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"
    return ""


def summary_message(summary: str) -> SystemMessage:
    """How a running summary is shown to the model (and counted against budgets)."""
    return SystemMessage(SUMMARY_PREFIX + summary, id=SUMMARY_ID)


def _transcript(messages: Sequence[BaseMessage]) -> str:
    lines = []
    for m in messages:
        role = {"human": "User", "ai": "Assistant", "tool": "Tool result", "system": "System"}.get(m.type, m.type)
        text = content_text(m.content).strip()
        calls = getattr(m, "tool_calls", None) or []
        if calls:
            text += "".join(f" [called {c['name']}({c['args']})]" for c in calls)
        lines.append(f"{role}: {text}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ContextWindow:
    """What a chain sees of a session: see ``RedisSessionHistory.get_context``.

    A history made with one (``memory.history(..., window=...)``, ``memory.with_message_history``)
    returns this context from ``messages``; ``add_messages`` still appends to the full history.
    """

    max_tokens: int | None = None
    """Token budget of the whole context (instructions and summary included); None: no limit."""
    k: int | None = None
    """At most this many stored messages; None: no limit."""
    instructions: bool = True
    """Prepend the effective system instructions (the session's, else the user's), if any."""
    summary: bool = True
    """Prepend the running summary, if any, and show only the messages after it."""

    def __post_init__(self) -> None:
        _check_count("max_tokens", self.max_tokens, optional=True)
        _check_count("k", self.k, optional=True)

    @property
    def flags(self) -> str:
        return "w" + ("i" if self.instructions else "") + ("s" if self.summary else "")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A decoded reply of the read script."""

    exists: bool
    epoch: str
    first: int
    last: int
    tokens: int
    instructions: str | None
    summary: str | None
    summary_upto: int
    summary_gen: int
    lo: int
    hi: int
    nsys: int
    nbefore: int
    skip_lo: int
    skip_hi: int
    docs: list[Any]
    cipher: UserCipher | None = None

    @classmethod
    def of(cls, reply: list[Any], cipher: UserCipher | None = None, uh: str = "", sh: str = "") -> Snapshot:
        def text(v: Any) -> str:
            return v.decode("utf-8") if isinstance(v, bytes) else str(v)

        exists, epoch, first, last, tokens, instr, _itok, summ, sup, _stok, sgen, *nums = reply[:17]
        lo, hi, nsys, nbefore, slo, shi = map(int, nums)
        return cls(
            bool(int(exists)),
            text(epoch),
            int(first),
            int(last),
            int(tokens),
            text(instr) or None,
            open_text(text(summ), uh, sh, cipher) or None,
            int(sup),
            int(sgen),
            lo,
            hi,
            nsys,
            nbefore,
            slo,
            shi,
            reply[17:],
            cipher,
        )

    @property
    def count(self) -> int:
        return max(0, self.last - self.first + 1)

    def messages(self, cache: ReadCache | None = None, key: str = "", held: Cached | None = None) -> list[BaseMessage]:
        """The stored messages of the reply, taking the range the script skipped from ``held`` (the
        cache entry whose hint was sent) and storing what was read back into ``cache``."""
        cut = self.nsys + self.nbefore
        head, tail = decode_messages(self.docs[:cut], self.cipher), decode_messages(self.docs[cut:], self.cipher)
        middle: list[BaseMessage] = []
        states: list[State] = []
        if self.skip_lo <= self.skip_hi:
            if held is None or cache is None:
                raise RuntimeError("the read script skipped messages that no cache entry holds")
            middle = cache.lend(held, self.skip_lo, self.skip_hi)  # objects no one else holds
            states = held.states[self.skip_lo - held.lo : self.skip_hi - held.lo + 1]
        stored = head[self.nsys :] + middle + tail
        if cache is not None and cache.capacity and self.exists:  # (no state copies for a disabled cache)
            if len(stored) != self.hi - self.lo + 1:  # a key vanished mid-range: positions are unknown
                cache.put(key, None, self.first)
            elif stored:
                states = [*map(state_of, head[self.nsys :]), *states, *map(state_of, tail)]
                cache.put(key, Cached(self.epoch, self.lo, stored, states), self.first)
        return head[: self.nsys] + stored

    def head(self) -> list[BaseMessage]:
        """Instructions and summary as system messages (what a context starts with)."""
        head: list[BaseMessage] = []
        if self.instructions:
            head.append(SystemMessage(self.instructions, id=INSTRUCTIONS_ID))
        if self.summary:
            head.append(summary_message(self.summary))
        return head


class RedisSessionHistory(BaseChatMessageHistory):
    """Chat history of one user's session, one RedisJSON document per message.

    Setup:
        Install ``langchain-sessionmem`` and run a Redis with RedisJSON and RediSearch
        (Redis Stack 7.4+ or Redis 8); pass its URL or set ``REDIS_URL``.

    Instantiate:
        .. code-block:: python

            from langchain_sessionmem import RedisSessionMemory

            memory = RedisSessionMemory("redis://localhost:6379/0")
            history = memory.history("alice@example.com", "trip-planning")

        Creating a history does no I/O; it is cheap enough to do on every request.

    Usage:
        .. code-block:: python

            history.add_messages([HumanMessage("hi"), AIMessage("hello")])
            history.messages          # every message, oldest first
            history.get_recent(10)    # the last 10, read in O(10)
            len(history)              # message count, one round trip
            await history.aget_messages()   # native async twins on redis.asyncio

    Order is the order the server accepted the writes in; a batch is stored atomically (all or
    nothing) and its messages stay contiguous. ``clear()`` removes the messages but keeps the
    session's settings; ``RedisSessionMemory.delete_session`` removes everything.
    """

    def __init__(
        self,
        user_id: str,
        session_id: str,
        *,
        redis_url: str | None = None,
        client: redis.Redis | RedisCluster | None = None,
        async_client: aredis.Redis | AsyncRedisCluster | None = None,
        config: SessionMemConfig | None = None,
        embeddings: Embeddings | None = None,
        window: ContextWindow | None = None,
        encryption: ContentEncryption | None = None,
        backend: Backend | None = None,
    ) -> None:
        """Create a history handle; no I/O happens here.

        Args:
            user_id: The user's id: any non-empty str up to ``config.max_id_length`` characters,
                compared exactly (case, whitespace and Unicode form matter).
            session_id: The conversation's id, same rules; scoped to the user.
            redis_url: Server URL (``redis+cluster://host:port`` for a Redis Cluster); defaults to
                ``$REDIS_URL``, then ``redis://localhost:6379/0``.
            client: A ``redis.Redis`` (or ``redis.cluster.RedisCluster``) to use instead of one
                built from the URL.
            async_client: A ``redis.asyncio.Redis`` (or its ``RedisCluster``) for the async methods.
            config: Shared settings; must match the other processes using the same data.
            embeddings: When set, messages are embedded on write (one ``embed_documents`` call
                per batch) so the retriever can find them.
            window: When set, ``messages`` returns this context (instructions, summary, trimmed
                window) instead of every message; what a chain wrapped by
                ``RunnableWithMessageHistory`` then sees.
            encryption: Seal message content and summaries at rest (see ``encryption.py``).
            backend: Internal: the memory's shared clients. Prefer ``RedisSessionMemory.history``.

        Raises:
            InvalidIdError: An id is not a non-empty str within the length limit.
        """
        self._backend = backend or Backend(redis_url, client, async_client, config, embeddings, encryption)
        cfg = self._backend.config
        self.user_id = check_id("user_id", user_id, cfg.max_id_length)
        self.session_id = check_id("session_id", session_id, cfg.max_id_length)
        self._keys = SessionKeys.of(cfg.key_prefix, user_id, session_id)
        if window is not None and not isinstance(window, ContextWindow):
            raise ConfigError(f"window must be a ContextWindow, got {type(window).__name__}")
        self.window = window

    def __repr__(self) -> str:
        return f"RedisSessionHistory(user_id={self.user_id!r}, session_id={self.session_id!r})"

    # -- planning: pure, shared by the sync and async twins ------------------------------------

    def _ids(self) -> list[Any]:
        return [self.user_id, self.session_id, self._keys.message_prefix]

    @property
    def _cipher(self) -> UserCipher | None:
        enc = self._backend.store.encryption
        return None if enc is None else enc.for_user(self.user_id)

    def _snap(self, reply: list[Any]) -> Snapshot:
        return Snapshot.of(reply, self._cipher, self._keys.user.uh, self._keys.sh)

    def _count(self) -> Any:
        return text_counter(self._backend.config.tokenizer)

    def _append_plan(self, messages: Sequence[BaseMessage], stamps: Sequence[int] | None = None) -> Plan[Any]:
        """Validate and encode, embed what is embeddable (one call), then append in one script.

        A failed embedding call does not lose the batch: its messages are stored marked
        ``pending`` and ``RedisSessionMemory.reindex()`` embeds them later. ``stamps`` (ms) keep
        the original times of imported messages; otherwise the server's clock stamps them.
        """
        cfg, backend, keys = self._backend.config, self._backend, self._keys
        msgs = check_messages(messages)
        cipher = self._cipher
        docs = encode_messages(msgs, keys.user.uh, keys.sh, cfg.max_message_bytes, cipher)
        if not docs:
            return None
        times = message_times(len(docs), stamps)
        if cipher is None:  # speaker and date for full-text search (encrypted text is not searchable)
            docs = [add_text_field(d, "ctx", context_text(m, t)) for d, m, t in zip(docs, msgs, times, strict=True)]
        plain, fp = list(docs), ""
        blobs: list[bytes | str] = [""] * len(docs)
        positions, texts = to_embed(msgs, cfg, times) if backend.store.embeddings is not None else ([], [])
        if positions:
            try:
                vectors = yield EmbedDocuments(texts)
                if len(vectors) != len(texts):
                    raise ValueError(f"{len(texts)} texts were sent, {len(vectors)} vectors came back")
                dims = len(vectors[0])
                fp = fingerprint(backend.store.embeddings, dims, cfg)  # type: ignore[arg-type]
                for i, text, vector in zip(positions, texts, vectors, strict=True):
                    blobs[i] = pack(vector, cfg.vector_dtype, dims)
                    docs[i] = mark_embedded(plain[i], fp, "" if cipher else text_digest(text))
            except Exception as exc:  # the provider's failure must not lose the conversation
                logger.warning(
                    "embedding %d message(s) of session %r failed (%r); they are stored and marked "
                    "pending: run memory.reindex() to embed them",
                    len(positions),
                    self.session_id,
                    exc,
                )
                for i in positions:
                    blobs[i] = ""
                    docs[i] = mark_embedded(plain[i], PENDING)
        count = self._count()
        script_keys = [keys.meta, keys.user.sessions, keys.user.user, keys.ids]
        args = [*self._ids(), keys.sh, cfg.ttl_ms, cfg.max_age_ms, keys.vector_prefix, keys.user.uh, fp]
        args += ["" if cipher else title_of(msgs), len(docs), os.urandom(8).hex()]
        for i, (m, doc, blob) in enumerate(zip(msgs, docs, blobs, strict=True)):
            ts = "" if stamps is None else int(stamps[i])
            args += [doc, m.type, blob, message_tokens(m, count), ts, message_id_digest(m.id)]
        return (yield Script("append", script_keys, args))  # {first seq, last seq, server ms}

    def _read_call(
        self,
        k: int = -1,
        *,
        after: int = 0,
        limit: int = -1,
        max_tokens: int = -1,
        flags: str = "",
        held: Cached | None = None,
    ) -> Script:
        args = [
            *self._ids(),
            k,
            after,
            limit,
            max_tokens,
            flags,
            *hint(held, self._backend.store.facts.may_evict is not False),
        ]
        return Script("read", [self._keys.meta, self._keys.user.user], args)

    def _view_plan(
        self, k: int | None = None, max_tokens: int | None = None, flags: str = "", context: bool = False
    ) -> Plan[list[BaseMessage]]:
        """Read stored messages (all, the last ``k``, or a token window), decoding only those this
        memory has not decoded before (see _cache.py); ``context`` prepends instructions and summary."""
        snap, messages = yield from self._snapshot_plan(k, max_tokens, flags)
        return snap.head() + messages if context else messages

    def _snapshot_plan(
        self, k: int | None = None, max_tokens: int | None = None, flags: str = ""
    ) -> Plan[tuple[Snapshot, list[BaseMessage]]]:
        """``_view_plan``'s read, with the decoded reply (its ``lo`` is the first sequence read)."""
        read, held = yield from self._snapshot_call_plan(k, max_tokens, flags)
        return self._snapshot_of((yield read), held)

    def _snapshot_call_plan(
        self, k: int | None = None, max_tokens: int | None = None, flags: str = ""
    ) -> Plan[tuple[Script, Cached | None]]:
        """The read script call of ``_snapshot_plan`` and the cache entry it hints at."""
        k_, budget = _check_count("k", k, optional=True), _check_count("max_tokens", max_tokens, optional=True)
        backend = self._backend
        held = backend.store.cache.get(self._keys.meta)
        if held is not None and backend.store.facts.may_evict is None:
            yield from policy_plan(backend.store.facts)
        return self._read_call(k_, max_tokens=budget, flags=flags, held=held), held

    def _snapshot_of(self, reply: list[Any], held: Cached | None) -> tuple[Snapshot, list[BaseMessage]]:
        snap = self._snap(reply)
        return snap, snap.messages(self._backend.store.cache, self._keys.meta, held)

    def _messages_plan(self) -> Plan[list[BaseMessage]]:
        w = self.window
        return self._view_plan() if w is None else self._view_plan(w.k, w.max_tokens, w.flags, context=True)

    def _clear_call(self, drop_session: bool) -> Script:
        keys = [self._keys.meta, self._keys.user.sessions, self._keys.ids]
        return Script("clear", keys, [*self._ids(), self._keys.sh, int(drop_session), self._keys.vector_prefix])

    def _summarize_plan(
        self, model: BaseChatModel, keep_tokens: int | None, keep_last: int | None, prompt: str
    ) -> Plan[str | None]:
        if keep_tokens is None and keep_last is None:
            raise ConfigError("summarize() needs keep_tokens or keep_last: how much recent history stays verbatim")
        budget = _check_count("keep_tokens", keep_tokens, optional=True)
        k = _check_count("keep_last", keep_last, optional=True)
        state = self._snap((yield self._read_call(0, flags="s")))
        if not state.exists:
            return None
        kept = self._snap((yield self._read_call(k, after=state.summary_upto, max_tokens=budget, flags="w")))
        start = max(state.first, state.summary_upto + 1)
        older = self._snap((yield self._read_call(after=start - 1, limit=max(0, kept.lo - start)))).messages()
        if older and start == state.first and older[0].type == "system":
            older = older[1:]  # the leading system message stays in every window: nothing to condense
        if not older:
            return state.summary
        request = [
            SystemMessage(prompt),
            HumanMessage(f"Existing summary:\n{state.summary or '(none yet)'}\n\nNew messages:\n{_transcript(older)}"),
        ]
        reply = yield Chat(model, request)
        text = content_text(getattr(reply, "content", "")).strip()
        if not text:
            raise SummarizationError(f"{model!r:.80} returned an empty summary; nothing was stored")
        tokens = message_tokens(summary_message(text), self._count())
        sealed = seal_text(text, self._keys.user.uh, self._keys.sh, self._cipher)
        args = [self.user_id, self.session_id, state.summary_gen, sealed, kept.lo - 1, tokens]
        yield Script("set_summary", [self._keys.meta], args)
        return text

    # -- sync ----------------------------------------------------------------------------------

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        """Every stored message of the session, oldest first, in one round trip; with a ``window``,
        the context it describes (see ``get_context``)."""
        return drive(self._messages_plan(), self._backend.execute)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append a batch atomically, in one round trip.

        Raises:
            InvalidMessageError: An item is not a BaseMessage (nothing is stored).
            MessageSerializationError: A message cannot be stored as JSON (nothing is stored).
        """
        drive(self._append_plan(messages), self._backend.execute)

    def clear(self) -> None:
        """Delete the session's messages and summary (its instructions, title and metadata stay)."""
        self._backend.run(call(self._clear_call(drop_session=False)))

    def get_recent(self, k: int) -> list[BaseMessage]:
        """The last ``k`` messages, oldest first; reads only those ``k``."""
        return drive(self._view_plan(_check_k(k)), self._backend.execute)

    def get_window(self, max_tokens: int | None = None, *, k: int | None = None) -> list[BaseMessage]:
        """The most recent messages that fit ``max_tokens`` (and ``k``), as ``trim_messages`` cuts.

        Same result as ``trim_messages(history.messages, max_tokens=..., strategy="last",
        include_system=True, start_on="human", token_counter=<this package's counter>)``: a leading
        system message is kept and counted, the window starts on a human message (so a tool result
        never loses the AI tool call it answers), nothing is split. Reads only the window, in one
        round trip: the cut is found by binary search over stored running token totals.
        """
        return drive(self._view_plan(k, max_tokens, "w"), self._backend.execute)

    def get_context(self, max_tokens: int | None = None, *, k: int | None = None) -> list[BaseMessage]:
        """What to send the model: the effective instructions and the running summary as system
        messages, then the ``get_window`` of the messages after the summary, all within
        ``max_tokens``. One round trip."""
        return drive(self._view_plan(k, max_tokens, "wis", context=True), self._backend.execute)

    def token_count(self) -> int:
        """Tokens of the stored messages (``config.tokenizer``), kept up to date on write: O(1)."""
        return self._snap(self._backend.run(call(self._read_call(0)))).tokens

    def summarize(
        self,
        model: BaseChatModel,
        *,
        keep_tokens: int | None = None,
        keep_last: int | None = None,
        prompt: str = SUMMARY_PROMPT,
    ) -> str | None:
        """Fold the messages older than the recent window into the stored running summary.

        The recent window is what ``get_window(keep_tokens, k=keep_last)`` keeps of the messages
        after the current summary; everything between the summary and that window is sent to
        ``model`` with the current summary, and the reply becomes the new summary. The messages
        themselves stay stored (``messages``, the retriever), only the context shrinks.

        Returns:
            The summary now stored (unchanged when nothing was old enough), or None.

        Raises:
            ConcurrentUpdateError: Another summarize() or a clear() changed the session meanwhile.
            SummarizationError: The model returned an empty reply.
        """
        return drive(self._summarize_plan(model, keep_tokens, keep_last, prompt), self._backend.execute)

    def __len__(self) -> int:
        """Number of stored messages. One round trip, no message is read."""
        return self._snap(self._backend.run(call(self._read_call(0)))).count

    # -- async ---------------------------------------------------------------------------------

    async def aget_messages(self) -> list[BaseMessage]:
        """Async twin of ``messages``."""
        return await adrive(self._messages_plan(), self._backend.aexecute)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Async twin of ``add_messages``."""
        await adrive(self._append_plan(messages), self._backend.aexecute)

    async def aclear(self) -> None:
        """Async twin of ``clear``."""
        await self._backend.arun(call(self._clear_call(drop_session=False)))

    async def aget_recent(self, k: int) -> list[BaseMessage]:
        """Async twin of ``get_recent``."""
        return await adrive(self._view_plan(_check_k(k)), self._backend.aexecute)

    async def aget_window(self, max_tokens: int | None = None, *, k: int | None = None) -> list[BaseMessage]:
        """Async twin of ``get_window``."""
        return await adrive(self._view_plan(k, max_tokens, "w"), self._backend.aexecute)

    async def aget_context(self, max_tokens: int | None = None, *, k: int | None = None) -> list[BaseMessage]:
        """Async twin of ``get_context``."""
        return await adrive(self._view_plan(k, max_tokens, "wis", context=True), self._backend.aexecute)

    async def atoken_count(self) -> int:
        """Async twin of ``token_count``."""
        return self._snap(await self._backend.arun(call(self._read_call(0)))).tokens

    async def asummarize(
        self,
        model: BaseChatModel,
        *,
        keep_tokens: int | None = None,
        keep_last: int | None = None,
        prompt: str = SUMMARY_PROMPT,
    ) -> str | None:
        """Async twin of ``summarize`` (calls ``model.ainvoke``)."""
        return await adrive(self._summarize_plan(model, keep_tokens, keep_last, prompt), self._backend.aexecute)

    async def alen(self) -> int:
        """Async twin of ``len(history)``."""
        return self._snap(await self._backend.arun(call(self._read_call(0)))).count
