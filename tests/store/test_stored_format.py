"""The stored document: at most 8 members for the common messages (RedisJSON stores a larger
object in a table about 215 bytes bigger), and documents written by version 0.1.0, which hold the
token counts and the text digest as three members (``tok``, ``c0``, ``eth``), still read, trim,
count, append and reindex exactly as the current ones do."""

from __future__ import annotations

import json
import re
from typing import Any

import redis
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, trim_messages

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._codec import embedded_text_digest
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.store.conftest import Api


def _docs(raw: redis.Redis, config: SessionMemConfig) -> dict[bytes, dict[str, Any]]:
    keys = sorted(raw.scan_iter(match=f"{config.key_prefix}m:*", count=1000))
    return {k: json.loads(raw.execute_command("JSON.GET", k)) for k in keys}


def _to_0_1_0_layout(raw: redis.Redis, config: SessionMemConfig) -> int:
    """Rewrite every stored document the way version 0.1.0 stores it."""
    for key, doc in _docs(raw, config).items():
        c0, tok, *eth = doc.pop("x").split(" ")
        old = {"seq": doc.pop("seq"), "ts": doc.pop("ts"), "tok": int(tok), "c0": int(c0), **doc}
        if eth:
            old["eth"] = eth[0]
        raw.execute_command("JSON.SET", key, "$", json.dumps(old))
    return len(_docs(raw, config))


def _conversation(tag: str) -> list[BaseMessage]:
    out: list[BaseMessage] = [SystemMessage("You are terse.")]
    for i in range(6):
        out += [HumanMessage(f"{tag} question {i} " * (1 + i % 3)), AIMessage(f"{tag} answer {i}", id=f"{tag}-{i}")]
    return out


def _trim(memory: RedisSessionMemory, messages: list[BaseMessage], budget: int) -> list[BaseMessage]:
    return trim_messages(
        messages, max_tokens=budget, token_counter=memory.count_tokens, strategy="last", include_system=True,
        start_on="human",
    )  # fmt: skip


async def test_documents_keep_within_eight_members(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    memory = make_memory(setup=True, embeddings=HashingEmbeddings())
    history = memory.history("alice", "s")
    await api(history, "add_messages", [HumanMessage("soup recipes?"), AIMessage("Try a leek soup.")])
    assert await api(memory, "reindex", verify=True) == 0  # reindex finds each digest right
    plain = make_memory().history("bob", "s")  # no embeddings
    await api(plain, "add_messages", [AIMessage("with an id and usage", id="run-1", response_metadata={"m": 1})])
    docs = list(_docs(raw, config).values())
    assert len(docs) == 3
    for doc in docs:
        assert len(doc) <= 8, doc
        assert not {"tok", "c0", "eth"} & set(doc)
    embedded = sorted((d for d in docs if "emb" in d), key=lambda d: d["seq"])
    parts = [d["x"].split(" ") for d in embedded]
    assert all(re.fullmatch("[0-9a-f]{16}", p[2]) for p in parts)  # the embedded text's digest
    assert [int(p[0]) for p in parts] == [0, int(parts[0][1])]  # c0: the session's tokens before it
    assert sum(int(p[1]) for p in parts) == await api(history, "token_count")
    assert [embedded_text_digest(d) for d in embedded] == [p[2] for p in parts]
    (with_data,) = [d for d in docs if "data" in d]
    assert with_data["x"].count(" ") == 1  # no vector, no digest: "c0 tok"
    assert embedded_text_digest(with_data) is None


async def test_documents_stored_by_0_1_0_read_trim_and_append_the_same(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    memory = make_memory(setup=True, embeddings=HashingEmbeddings())
    history = memory.history("alice", "s")
    first = _conversation("old")
    await api(history, "add_messages", first)
    tokens = await api(history, "token_count")
    budgets = [0, 9, 30, 55, 120, 10_000]
    windows = [await api(history, "get_window", b) for b in budgets]
    assert _to_0_1_0_layout(raw, config) == len(first)

    assert await api(history, "token_count") == tokens
    reader = make_memory(embeddings=HashingEmbeddings()).history("alice", "s")  # nothing cached
    assert await api(reader, "messages") == first
    assert [await api(reader, "get_window", b) for b in budgets] == windows
    assert windows == [_trim(memory, first, b) for b in budgets]  # not two equal mistakes

    second = _conversation("new")[1:]
    await api(reader, "add_messages", second)  # new documents continue the old running total
    both = first + second
    reference = memory.history("alice", "current")  # the same messages, all stored as today
    await api(reference, "add_messages", both)
    assert await api(reader, "token_count") == await api(reference, "token_count")
    for b in budgets:
        window = await api(reader, "get_window", b)
        assert window == await api(reference, "get_window", b) == _trim(memory, both, b)


async def test_reindex_verify_checks_the_digest_of_documents_stored_by_0_1_0(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    memory = make_memory(setup=True, embeddings=HashingEmbeddings())
    await api(memory.history("alice", "s"), "add_messages", _conversation("t"))
    _to_0_1_0_layout(raw, config)
    assert await api(memory, "reindex", verify=True) == 0  # every old digest matches its text
    key = next(k for k, d in _docs(raw, config).items() if "eth" in d)
    raw.execute_command("JSON.SET", key, "$.eth", '"0000000000000000"')
    assert await api(memory, "reindex", verify=True) == 1
    repaired = _docs(raw, config)[key]
    assert "x" not in repaired and re.fullmatch("[0-9a-f]{16}", repaired["eth"]) and repaired["eth"] != "0" * 16
    # and on a current document: the digest is x's third part
    await api(memory.history("alice", "s2"), "add_messages", [HumanMessage("a new question")])
    (new_key,) = [k for k, d in _docs(raw, config).items() if "x" in d]
    x = _docs(raw, config)[new_key]["x"]
    c0, tok, _ = x.split(" ")
    raw.execute_command("JSON.SET", new_key, "$.x", f'"{c0} {tok} 0000000000000000"')
    assert await api(memory, "reindex", verify=True) == 1
    assert _docs(raw, config)[new_key]["x"] == x
