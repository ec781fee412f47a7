"""Export and import of users, sessions and messages as JSONL records (see _records.py).

Both are plans (see _ops/steps.py), so the sync and async APIs share them. Export pages through a
user's sessions and each session's messages (500 at a time), so memory use does not grow with
the data; import appends in batches through the same script as ``add_messages``, keeping the
original timestamps, titles, metadata, instructions and summaries.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from langchain_core.messages import BaseMessage, SystemMessage

from langchain_sessionmem import _records as rec
from langchain_sessionmem._cluster import scan_plan, search_plan
from langchain_sessionmem._codec import (
    decode_seq,
    decode_stored,
    embedded_text_digest,
    reply_text,
    reseal_doc,
    seal_text,
    sealed_with,
)
from langchain_sessionmem._keys import UserKeys, glob_escape, parse_message_key
from langchain_sessionmem._lua.clear import clear
from langchain_sessionmem._lua.put_vectors import Vector, put_vectors
from langchain_sessionmem._lua.read import read
from langchain_sessionmem._lua.reseal import reseal
from langchain_sessionmem._lua.set_summary import set_summary
from langchain_sessionmem._ops import history as history_ops
from langchain_sessionmem._ops import index as index_ops
from langchain_sessionmem._ops import sessions as sessions_ops
from langchain_sessionmem._ops.history import summary_message
from langchain_sessionmem._ops.steps import Command, EmbedDocuments, Pipeline, Plan
from langchain_sessionmem._ops.target import Session, Store
from langchain_sessionmem._search import parse_search
from langchain_sessionmem._tokens import message_tokens
from langchain_sessionmem._vectors import embed_text, fingerprint, pack, text_digest
from langchain_sessionmem.errors import ConcurrentUpdateError, ConfigError, InvalidRecordError
from langchain_sessionmem.progress import Progress
from langchain_sessionmem.types import SessionInfo, TransferStats

PAGE = 500
IfExists = Literal["error", "skip", "replace", "append"]


def users_plan(store: Store, page: int = 1000) -> Plan[list[str]]:
    """Every user id under the memory's key prefix (SCAN over the user hashes, of every primary
    on a Redis Cluster)."""
    match = glob_escape(f"{store.config.key_prefix}u:") + "{*}"
    users: set[str] = set()

    def found(keys: list[Any]) -> Plan[None]:
        for uid in (yield Pipeline([Command("HGET", k, "uid") for k in keys])):
            if uid is not None:
                users.add(reply_text(uid))

    yield from scan_plan(match, page, found)
    return sorted(users)


def export_plan(
    store: Store,
    sink: Callable[[dict[str, Any]], None],
    user_id: str | None,
    session_id: str | None,
    progress: Progress | None,
) -> Plan[TransferStats]:
    if session_id is not None and user_id is None:
        raise ConfigError("export of one session needs its user_id too")
    users = [user_id] if user_id is not None else (yield from users_plan(store))
    sink(rec.header())
    n_users = n_sessions = n_messages = total = 0
    for uid in users:
        instructions = yield from sessions_ops.instructions_plan(store, uid, None)
        if session_id is not None:
            one = yield from sessions_ops.get_plan(store, uid, session_id)
            sessions: list[SessionInfo] = [one] if one else []
            if not sessions:
                continue
        else:
            sessions = yield from sessions_ops.all_plan(store, uid)
            if not sessions and instructions is None:
                continue  # no such user
        sink(rec.user_record(uid, instructions))
        n_users += 1
        total += sum(s.message_count for s in sessions)
        for info in sessions:
            target = store.session(uid, info.session_id)
            state = yield from history_ops.state_plan(target, summary=True)
            sink(
                rec.session_record(
                    uid,
                    info.session_id,
                    created_at=int(info.created_at.timestamp() * 1000),
                    last_active=int(info.last_active.timestamp() * 1000),
                    title=info.title,
                    metadata=info.metadata,
                    instructions=info.instructions,
                    summary=(state.summary, state.summary_upto) if state.summary else None,
                )
            )
            n_sessions += 1
            after = 0
            while True:
                page = history_ops.snapshot(target, (yield read(target.keys, uid, after=after, limit=PAGE)))
                for raw in page.docs:
                    stored = decode_stored(raw, page.cipher)
                    sink(rec.message_record(uid, info.session_id, stored.seq, stored.timestamp_ms, stored.message))
                    after = stored.seq
                    n_messages += 1
                if progress is not None:
                    progress(n_messages, max(total, n_messages))
                if not page.docs or after >= page.last:
                    break
    return TransferStats(n_users, n_sessions, n_messages)


def rotate_plan(store: Store, user_id: str) -> Plan[int]:
    """Reseal every stored message and summary of ``user_id`` not sealed with its current key
    (plain ones included); returns how many. Messages never change once written, so resealing a
    page read before cannot lose anything; a summary is rewritten under summarize()'s generation
    check, so a newer one is never overwritten."""
    encryption = store.encryption
    if encryption is None:
        raise ConfigError("rotate_encryption() needs RedisSessionMemory(..., encryption=ContentEncryption(...))")
    encryption.ring(user_id, refresh=True)
    resealed = 0
    for info in (yield from sessions_ops.all_plan(store, user_id)):
        target = store.session(user_id, info.session_id)
        keys, cipher = target.keys, encryption.for_user(user_id)
        state = yield from history_ops.state_plan(target, summary=True)
        if state.summary is not None and not sealed_with((yield Command("HGET", keys.meta, "sum")), cipher):
            sealed = seal_text(state.summary, keys.user.uh, keys.sh, cipher)
            tokens = message_tokens(summary_message(state.summary), store.counter())
            step = set_summary(
                keys, user_id, generation=state.summary_gen, sealed=sealed, upto=state.summary_upto, tokens=tokens
            )
            try:
                yield step
                resealed += 1
            except ConcurrentUpdateError:
                pass  # summarize() or clear() wrote meanwhile, with the current key
        after = 0
        while True:
            page = history_ops.snapshot(target, (yield read(keys, user_id, after=after, limit=PAGE)))
            pairs: list[Any] = []
            for raw in page.docs:
                after = decode_seq(raw)
                pairs += reseal_doc(raw, cipher) or ()
            if pairs:
                resealed += yield reseal(keys, user_id, pairs)
            if not page.docs or after >= page.last:
                break
    return resealed


@dataclass
class _Session:
    target: Session
    record: dict[str, Any]
    skip: bool
    batch: list[tuple[int, int, BaseMessage]]
    upto: int = 0  # new seq of the last message the summary covers


def import_plan(
    store: Store,
    records: Iterable[dict[str, Any]],
    if_exists: IfExists,
    batch_size: int,
    progress: Progress | None,
    total: int = 0,
) -> Plan[TransferStats]:
    if if_exists not in ("error", "skip", "replace", "append"):
        raise ConfigError(f"if_exists must be 'error', 'skip', 'replace' or 'append', got {if_exists!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
    users: set[str] = set()
    n_sessions = n_skipped = n_messages = 0
    current: _Session | None = None
    for i, record in enumerate(records, 1):
        where = f"record {i}"
        kind = rec.check_record(record, where)["kind"]
        if kind in ("user", "session"):
            if current is not None:
                n_messages += yield from _finish(store, current)
                current = None
        if kind == "user":
            users.add(record["user_id"])
            if record.get("instructions"):  # an absent default does not erase one already stored
                yield sessions_ops.set_instructions(store, record["user_id"], record["instructions"], None)
        elif kind == "session":
            uid, sid = record["user_id"], record["session_id"]
            target = store.session(uid, sid)
            exists = (yield from sessions_ops.get_plan(store, uid, sid)) is not None
            if exists and if_exists == "error":
                raise _exists_error(where, uid, sid)
            skip = exists and if_exists == "skip"
            if exists and if_exists == "replace":
                yield clear(target.keys, uid, drop_session=True)
            current = _Session(target, record, skip, [])
            users.add(uid)
            n_skipped += skip
            n_sessions += not skip
            if not skip:
                yield from _settings(store, current, created=not exists or if_exists == "replace")
        elif kind == "message":
            if current is None or (record["user_id"], record["session_id"]) != (
                current.target.user_id,
                current.target.session_id,
            ):
                raise InvalidRecordError(f"{where}: a message record must follow its session's record")
            if current.skip:
                continue
            current.batch.append((record["seq"], record["ts"], rec.message_of(record, where)))
            if len(current.batch) >= batch_size:
                n_messages += yield from _flush(current)
                if progress is not None:
                    progress(n_messages, total)
    if current is not None:
        n_messages += yield from _finish(store, current)
    if progress is not None:
        progress(n_messages, total or n_messages)
    return TransferStats(len(users), n_sessions, n_messages, n_skipped)


def _exists_error(where: str, user_id: str, session_id: str) -> ConfigError:
    return ConfigError(
        f"{where}: session {session_id!r} of user {user_id!r} already exists; nothing of it was imported. "
        "Choose what to do with existing sessions: if_exists='skip', 'replace' or 'append' (CLI: --if-exists)"
    )


def refuse_existing_plan(store: Store, sessions: list[tuple[str, str]]) -> Plan[None]:
    """Raise before any write if one of ``sessions`` exists (an import with if_exists='error')."""
    for i in range(0, len(sessions), 1000):
        chunk = sessions[i : i + 1000]
        metas = [store.session(uid, sid).keys.meta for uid, sid in chunk]
        found = yield Pipeline([Command("EXISTS", key) for key in metas])
        for (uid, sid), n in zip(chunk, found, strict=True):
            if int(n):
                raise _exists_error("import refused", uid, sid)


def _settings(store: Store, s: _Session, created: bool) -> Plan[None]:
    r = s.record
    fields: dict[str, Any] = {
        "title": r.get("title") or "",
        "meta": sessions_ops.metadata_json(r.get("metadata") or None, store.config.max_message_bytes),
    }
    instructions = r.get("instructions")
    fields["instr"] = instructions or ""
    fields["itok"] = message_tokens(SystemMessage(instructions), store.counter()) if instructions else ""
    if created:
        fields["created"] = r["created_at"]
    yield sessions_ops.set_fields(s.target.store, s.target.user_id, s.target.session_id, fields)


def _flush(s: _Session) -> Plan[int]:
    if not s.batch:
        return 0
    batch, s.batch = s.batch, []
    reply = yield from history_ops.append_plan(s.target, [m for _, _, m in batch], [ts for _, ts, _ in batch])
    if reply is None:
        return 0
    lo, hi, kept = reply.first, reply.last, reply.kept
    # Messages whose id the session already holds are skipped (an append of an export into the
    # session it came from stores only what is missing): map the others to their new positions.
    stored = [old for i, (old, _, _) in enumerate(batch) if not kept or kept[i] == "1"]
    summary = s.record.get("summary")
    if summary is not None:
        s.upto = s.upto or lo - 1  # a summary also covers what came before the exported messages
        for offset, old in enumerate(stored):
            if old <= summary["upto"]:
                s.upto = lo + offset
    return hi - lo + 1


def _finish(store: Store, s: _Session) -> Plan[int]:
    if s.skip:
        return 0
    n = yield from _flush(s)
    fields: dict[str, Any] = {"last_active": s.record["last_active"]}
    summary = s.record.get("summary")
    if summary is not None:
        text, t = summary["text"], s.target
        sealed = seal_text(text, t.keys.user.uh, t.keys.sh, t.cipher)
        fields.update({"sum": sealed, "sup": s.upto, "stok": message_tokens(summary_message(text), store.counter())})
    yield sessions_ops.set_fields(s.target.store, s.target.user_id, s.target.session_id, fields)
    return n


# -- reindex -------------------------------------------------------------------------------------
# A vector belongs to the message whose text it embeds. Each batch is embedded in one call, and
# the vectors are handed back to the rows in the order their texts were sent (versions up to
# 0.1.0 regrouped the rows by session first, so a batch spanning sessions gave messages each
# other's vectors). Every vector is marked with the digest of its text (``eth``), which
# ``verify`` compares with the digest of the message's text now.


@dataclass(frozen=True, slots=True)
class _Row:
    key: str  # the message key
    type: str
    text: str  # what gets embedded; "" for a message without text (no vector)
    sealed: bool = False  # encrypted at rest: no text digest is stored (it would confirm a guess)


def reindex_plan(store: Store, batch_size: int, progress: Progress | None, verify: bool) -> Plan[int]:
    """Embed the messages without a vector of the current model; with ``verify``, then re-embed
    those whose vector was not made from their own text. Returns how many messages were embedded."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
    cfg = store.config
    emb = store.embedder()  # raises the ConfigError that explains, without embeddings
    yield from search_plan(store.facts)  # a cluster without a search coordinator: a typed refusal
    dims = yield from index_ops.dims_plan(store)
    fp = fingerprint(emb, dims, cfg)
    current = yield from index_ops.vector_index_plan(store)
    if current != (dims, cfg.vector_dtype, cfg.vector_algorithm):
        if current is not None:
            yield Command("FT.DROPINDEX", cfg.vector_index_name)  # vectors are overwritten below
        yield from index_ops.create_vector_index_plan(store, dims)
    if not cfg.embed_message_types:
        return 0
    done = yield from _embed_missing(store, fp, dims, batch_size, progress)
    if verify:
        done += yield from _embed_mismatched(store, fp, dims, batch_size, progress)
    return done


def _row(store: Store, key: str, raw: bytes | str, ciphers: dict[str, Any]) -> Plan[_Row | None]:
    """The row of a stored message; an encrypted one is opened with its user's key (the raw user id
    is read from the user hash once per user). None: its user was deleted meanwhile."""
    doc = json.loads(raw)
    cipher = None
    if "enc" in doc and store.encryption is not None:
        uh = parse_message_key(key)[0]
        if uh not in ciphers:
            uid = yield Command("HGET", UserKeys(store.config.key_prefix, "", uh).user, "uid")
            ciphers[uh] = None if uid is None else store.encryption.for_user(reply_text(uid))
        cipher = ciphers[uh]
        if cipher is None:
            return None
    stored = decode_stored(raw, cipher)
    when = datetime.fromtimestamp(stored.timestamp_ms / 1000, tz=timezone.utc)
    text = embed_text(stored.message, store.config.embed_template, when)
    return _Row(key, stored.message.type, text, cipher is not None)


def _embed_missing(store: Store, fp: str, dims: int, batch: int, progress: Progress | None) -> Plan[int]:
    cfg = store.config
    query = f"@type:{{{'|'.join(sorted(cfg.embed_message_types))}}} -@emb:{{{fp}}}"
    done, total, idle = 0, 0, 0
    ciphers: dict[str, Any] = {}
    while idle < 3:  # each batch leaves the result set, so the query always reads its first page
        reply = yield Command("FT.SEARCH", cfg.index_name, query, "LIMIT", 0, batch, "RETURN", 1, "$", "DIALECT", 2)
        found, hits = parse_search(reply)
        if not hits:
            break
        total = max(total, done + found)
        rows = []
        for h in hits:
            row = yield from _row(store, h.key, h.fields["$"], ciphers)
            if row is not None:
                rows.append(row)
        stored_now = yield from _put_vectors(store, fp, dims, rows)
        done += stored_now
        idle = idle + 1 if stored_now == 0 else 0
        if progress is not None:
            progress(done, total)
    return done


def _embed_mismatched(store: Store, fp: str, dims: int, batch: int, progress: Progress | None) -> Plan[int]:
    """SCAN every message (a search could skip documents, since rewriting one re-indexes it) and
    re-embed those marked with this model whose text digest is missing or is another text's."""
    cfg = store.config
    total, _ = parse_search((yield Command("FT.SEARCH", cfg.index_name, f"@emb:{{{fp}}}", "LIMIT", 0, 0, "DIALECT", 2)))
    match = glob_escape(cfg.key_prefix) + "m:*"
    checked = repaired = 0
    ciphers: dict[str, Any] = {}

    def page(raw_keys: list[Any]) -> Plan[None]:
        nonlocal checked, repaired
        keys = [k.decode() if isinstance(k, bytes) else str(k) for k in raw_keys]
        docs = yield Pipeline([Command("JSON.GET", k) for k in keys])
        rows = []
        for key, raw in zip(keys, docs, strict=True):
            doc = json.loads(raw) if raw is not None else {}
            if doc.get("emb") != fp or doc.get("type") not in cfg.embed_message_types:
                continue
            row = yield from _row(store, key, raw, ciphers)
            if row is not None and row.text:
                checked += 1
                if row.sealed or embedded_text_digest(doc) != text_digest(row.text):  # sealed: no digest to check
                    rows.append(row)
        if rows:
            repaired += yield from _put_vectors(store, fp, dims, rows)
        if progress is not None:
            progress(checked, max(int(total), checked))

    yield from scan_plan(match, batch, page)  # every primary of a cluster
    return repaired


def _put_vectors(store: Store, fp: str, dims: int, rows: list[_Row]) -> Plan[int]:
    """Embed the rows' texts in one call and store each vector with the row it was made for."""
    cfg = store.config
    texts = [r.text for r in rows if r.text]
    vectors = (yield EmbedDocuments(texts)) if texts else []
    if len(vectors) != len(texts):
        raise ConfigError(f"the embeddings returned {len(vectors)} vectors for {len(texts)} texts; nothing was stored")
    own = iter(vectors)
    sessions: dict[tuple[str, str], list[Vector]] = defaultdict(list)
    for r in rows:  # in the order the texts were sent: each row takes the vector of its own text
        uh, sh, seq = parse_message_key(r.key)
        blob = pack(next(own), cfg.vector_dtype, dims) if r.text else ""
        sessions[(uh, sh)].append(Vector(seq, r.type, blob, text_digest(r.text) if r.text and not r.sealed else ""))
    # only key names: the raw user id is not needed
    cmds = [put_vectors(UserKeys(cfg.key_prefix, "", uh), sh, fp, v) for (uh, sh), v in sessions.items()]
    return sum(int(n) for n in (yield Pipeline(cmds)))
