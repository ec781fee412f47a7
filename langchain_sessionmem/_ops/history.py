"""The operations of one session's history: append, read, summarize. Plans over a ``Session``
target (see target.py), shared by ``RedisSessionHistory``, ``SessionContext``, the agent
middleware and import/export."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from langchain_sessionmem._cache import Cached
from langchain_sessionmem._codec import (
    StoredMessage,
    add_text_field,
    check_messages,
    content_text,
    decode_stored,
    encode_message,
    mark_embedded,
    seal_text,
)
from langchain_sessionmem._keys import message_id_digest
from langchain_sessionmem._lua.append import Appended, Row, append, appended
from langchain_sessionmem._lua.read import Snapshot, read
from langchain_sessionmem._lua.set_summary import set_summary
from langchain_sessionmem._ops.server import policy_plan
from langchain_sessionmem._ops.steps import Chat, EmbedDocuments, Pipeline, Plan, Script
from langchain_sessionmem._ops.target import Session
from langchain_sessionmem._search import context_text
from langchain_sessionmem._tokens import message_tokens
from langchain_sessionmem._vectors import PENDING, fingerprint, message_times, pack, text_digest, to_embed
from langchain_sessionmem.errors import ConfigError, SummarizationError

logger = logging.getLogger("langchain_sessionmem.history")

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
_ROLES = {"human": "User", "ai": "Assistant", "tool": "Tool result", "system": "System"}


def check_count(name: str, value: object, *, optional: bool = False) -> int:
    """``value`` as an int >= 0 (``-1`` for None when ``optional``), else ConfigError."""
    if value is None and optional:
        return -1
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name} must be {'None or ' if optional else ''}an int >= 0, got {value!r}")
    return value


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


def context_head(snap: Snapshot) -> list[BaseMessage]:
    """Instructions and summary as system messages (what a context starts with)."""
    head: list[BaseMessage] = []
    if snap.instructions:
        head.append(SystemMessage(snap.instructions, id=INSTRUCTIONS_ID))
    if snap.summary:
        head.append(summary_message(snap.summary))
    return head


def transcript(messages: Sequence[BaseMessage]) -> str:
    lines = []
    for m in messages:
        text = content_text(m.content).strip()
        calls = getattr(m, "tool_calls", None) or []
        if calls:
            text += "".join(f" [called {c['name']}({c['args']})]" for c in calls)
        lines.append(f"{_ROLES.get(m.type, m.type)}: {text}")
    return "\n".join(lines)


def snapshot(s: Session, reply: list[Any]) -> Snapshot:
    return Snapshot.of(reply, s.cipher, s.keys.user.uh, s.keys.sh)


# -- append ----------------------------------------------------------------------------------------


def append_plan(
    s: Session, messages: Sequence[BaseMessage], stamps: Sequence[int] | None = None
) -> Plan[Appended | None]:
    """Validate and encode, embed what is embeddable (one call), then append in one script; None
    when there was nothing to store.

    A failed embedding call does not lose the batch: its messages are stored marked ``pending``
    and ``RedisSessionMemory.reindex()`` embeds them later. ``stamps`` (ms) keep the original times
    of imported messages; otherwise the server's clock stamps them.
    """
    cfg, keys, cipher, embeddings = s.config, s.keys, s.cipher, s.store.embeddings
    msgs = check_messages(messages)
    docs = [encode_message(m, keys.user.uh, keys.sh, cfg.max_message_bytes, cipher) for m in msgs]  # (checked)
    if not docs:
        return None
    times = message_times(len(docs), stamps)
    if cfg.text_context and cipher is None:  # speaker and date for full-text search (not of encrypted text)
        docs = [add_text_field(d, "ctx", context_text(m, t)) for d, m, t in zip(docs, msgs, times, strict=True)]
    plain, fp = list(docs), ""
    blobs: list[bytes | str] = [""] * len(docs)
    digests = [""] * len(docs)
    positions, texts = to_embed(msgs, cfg, times) if embeddings is not None else ([], [])
    if positions:
        try:
            vectors = yield EmbedDocuments(texts)
            if len(vectors) != len(texts):
                raise ValueError(f"{len(texts)} texts were sent, {len(vectors)} vectors came back")
            dims = len(vectors[0])
            fp = fingerprint(embeddings, dims, cfg)  # type: ignore[arg-type]
            for i, text, vector in zip(positions, texts, vectors, strict=True):
                blobs[i] = pack(vector, cfg.vector_dtype, dims)
                docs[i] = mark_embedded(plain[i], fp)
                digests[i] = "" if cipher else text_digest(text)
        except Exception as exc:  # the provider's failure must not lose the conversation
            logger.warning(
                "embedding %d message(s) of session %r failed (%r); they are stored and marked "
                "pending: run memory.reindex() to embed them",
                len(positions),
                s.session_id,
                exc,
            )
            for i in positions:
                blobs[i] = digests[i] = ""
                docs[i] = mark_embedded(plain[i], PENDING)
    count = s.store.counter()
    rows = [
        Row(
            doc,
            m.type,
            blob,
            message_tokens(m, count),
            "" if stamps is None else int(stamps[i]),
            message_id_digest(m.id),
            digest,
        )
        for i, (m, doc, blob, digest) in enumerate(zip(msgs, docs, blobs, digests, strict=True))
    ]
    title = "" if cipher else title_of(msgs)
    step = append(
        keys, s.user_id, ttl_ms=cfg.ttl_ms, max_age_ms=cfg.max_age_ms, fingerprint=fp, title=title,
        batch_id=os.urandom(8).hex(), rows=rows,
    )  # fmt: skip
    return appended((yield step))


# -- read ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class View:
    """What a read returns: the last ``k`` messages within ``max_tokens`` (None: no limit), cut as
    a ``window`` (see _lua/read.py), after the ``instructions`` and the ``summary``."""

    k: int | None = None
    max_tokens: int | None = None
    window: bool = False
    instructions: bool = False
    summary: bool = False


def read_call_plan(s: Session, view: View) -> Plan[tuple[Script, Cached | None]]:
    """The read script call of ``view`` and the cache entry it hints at."""
    k, budget = check_count("k", view.k, optional=True), check_count("max_tokens", view.max_tokens, optional=True)
    facts = s.store.facts
    held = s.store.cache.get(s.keys.meta)
    if held is not None and facts.may_evict is None:
        yield from policy_plan(facts)
    step = read(
        s.keys, s.user_id, k=k, max_tokens=budget, window=view.window, instructions=view.instructions,
        summary=view.summary, held=held, check=facts.may_evict is not False,
    )  # fmt: skip
    return step, held


def decoded(s: Session, reply: list[Any], held: Cached | None) -> tuple[Snapshot, list[BaseMessage]]:
    """The snapshot of a reply to ``read_call_plan``'s read, and its stored messages (through the cache)."""
    snap = snapshot(s, reply)
    return snap, snap.messages(s.store.cache, s.keys.meta, held)


def view_plan(s: Session, view: View = View()) -> Plan[list[BaseMessage]]:
    """The messages of ``view``, decoding only those this memory has not decoded before (see
    _cache.py); after the instructions and summary when it asks for them."""
    step, held = yield from read_call_plan(s, view)
    snap, messages = decoded(s, (yield step), held)
    return context_head(snap) + messages if view.instructions or view.summary else messages


def append_then_read_plan(
    s: Session, messages: Sequence[BaseMessage], view: View
) -> Plan[tuple[Appended | None, Snapshot, list[BaseMessage]]]:
    """Append ``messages`` and read ``view`` in one pipeline: one round trip for both (after the
    embedding call, if any). Returns what the append stored (None: nothing to store), and the read."""
    read_step, held = yield from read_call_plan(s, view)
    append = append_plan(s, messages)
    try:
        step = next(append)
        while not isinstance(step, Script):  # the embedding call, if any
            step = append.send((yield step))
    except StopIteration:  # nothing to store
        return (None, *decoded(s, (yield read_step), held))
    replies = yield Pipeline([step, read_step])
    try:
        append.send(replies[0])
    except StopIteration as done:
        return (done.value, *decoded(s, replies[1], held))
    raise RuntimeError("the append plan asked for more than its script")


def state_plan(s: Session, *, instructions: bool = False, summary: bool = False) -> Plan[Snapshot]:
    """The session's counters (count, tokens, sequence range), reading no message."""
    return snapshot(s, (yield read(s.keys, s.user_id, k=0, instructions=instructions, summary=summary)))


def stored_plan(s: Session, after: int = 0, limit: int = -1, k: int = -1) -> Plan[list[StoredMessage]]:
    """The stored messages with seq > ``after`` (the first ``limit`` of them, or the last ``k``;
    -1: all), each with its sequence number and time."""
    snap = snapshot(s, (yield read(s.keys, s.user_id, after=after, limit=limit, k=k)))
    return [decode_stored(raw, s.cipher) for raw in snap.docs]


# -- summaries -------------------------------------------------------------------------------------


def summarize_plan(
    s: Session, model: BaseChatModel, keep_tokens: int | None, keep_last: int | None, prompt: str
) -> Plan[str | None]:
    if keep_tokens is None and keep_last is None:
        raise ConfigError("summarize() needs keep_tokens or keep_last: how much recent history stays verbatim")
    budget = check_count("keep_tokens", keep_tokens, optional=True)
    k = check_count("keep_last", keep_last, optional=True)
    state = yield from state_plan(s, summary=True)
    if not state.exists:
        return None
    kept = snapshot(s, (yield read(s.keys, s.user_id, k=k, after=state.summary_upto, max_tokens=budget, window=True)))
    start = max(state.first, state.summary_upto + 1)
    older = snapshot(s, (yield read(s.keys, s.user_id, after=start - 1, limit=max(0, kept.lo - start)))).messages()
    if older and start == state.first and older[0].type == "system":
        older = older[1:]  # the leading system message stays in every window: nothing to condense
    if not older:
        return state.summary
    request = [
        SystemMessage(prompt),
        HumanMessage(f"Existing summary:\n{state.summary or '(none yet)'}\n\nNew messages:\n{transcript(older)}"),
    ]
    reply = yield Chat(model, request)
    text = content_text(getattr(reply, "content", "")).strip()
    if not text:
        raise SummarizationError(f"{model!r:.80} returned an empty summary; nothing was stored")
    tokens = message_tokens(summary_message(text), s.store.counter())
    sealed = seal_text(text, s.keys.user.uh, s.keys.sh, s.cipher)
    yield set_summary(s.keys, s.user_id, generation=state.summary_gen, sealed=sealed, upto=kept.lo - 1, tokens=tokens)
    return text
