"""Export to JSONL and import back, against a real Redis, through the sync and async APIs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from langchain_sessionmem import (
    ConfigError,
    InvalidRecordError,
    RedisSessionMemory,
    SessionMemConfig,
    TransferStats,
)
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.messages import every_kind
from tests.store.conftest import Api


@pytest.fixture
async def target(make_memory: MakeMemory, config: SessionMemConfig) -> RedisSessionMemory:
    """A second memory, under a prefix of its own within the test's (removed with it), to import into."""
    mem = make_memory(key_prefix=config.key_prefix + "dst:", index_name=config.index_name + "-dst")
    await mem.asetup()
    return mem


def _turns(n: int, tag: str) -> list[BaseMessage]:
    return [HumanMessage(f"{tag} q{i}") if i % 2 == 0 else AIMessage(f"{tag} a{i}") for i in range(n)]


class Model:
    def __init__(self, text: str) -> None:
        self.text = text

    def invoke(self, messages: Any) -> AIMessage:
        return AIMessage(self.text)

    async def ainvoke(self, messages: Any) -> AIMessage:
        return AIMessage(self.text)


async def _populate(api: Api, memory: RedisSessionMemory) -> None:
    await api(memory.history("alice", "breakfast"), "add_messages", [SystemMessage("chef"), *every_kind()])
    await api(memory.history("alice", "dinner"), "add_messages", _turns(1203, "dinner"))  # > 2 pages
    await api(memory.history("bob 🥑", "s"), "add_messages", _turns(4, "bob"))
    await api(memory, "set_instructions", "alice", "Answer in French.")
    await api(memory, "set_instructions", "alice", "Be brief.", session_id="dinner")
    await api(memory, "update_session", "alice", "dinner", title="Dinner plans", metadata={"guests": 4})
    await api(memory.history("alice", "dinner"), "summarize", Model("They planned dinner."), keep_last=10)
    await api(memory, "update_session", "bob 🥑", "empty", metadata={"x": 1})  # a session with no messages


async def _assert_same(api: Api, a: RedisSessionMemory, b: RedisSessionMemory, users: list[str]) -> None:
    for user in users:
        assert await api(a, "get_instructions", user) == await api(b, "get_instructions", user)
        sessions_a = await api(a, "list_sessions", user)
        sessions_b = await api(b, "list_sessions", user)
        assert sessions_b == sessions_a  # ids, titles, metadata, counts, tokens, created, last active
        for info in sessions_a:
            ha, hb = a.history(user, info.session_id), b.history(user, info.session_id)
            assert await api(hb, "messages") == await api(ha, "messages")
            assert await api(hb, "get_context") == await api(ha, "get_context")


async def test_export_import_round_trips_everything(
    api: Api, amemory: RedisSessionMemory, target: RedisSessionMemory, tmp_path: Path
) -> None:
    await _populate(api, amemory)
    path = tmp_path / "all.jsonl"
    stats = await api(amemory, "export_jsonl", path)
    assert stats == TransferStats(users=2, sessions=4, messages=1203 + 4 + 1 + len(every_kind()))
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert lines[0] == {"kind": "header", "format": "langchain-sessionmem", "version": 1}
    assert [r["kind"] for r in lines].count("message") == stats.messages
    assert await api(amemory, "list_users") == ["alice", "bob 🥑"]

    imported = await api(target, "import_jsonl", path)
    assert imported == stats
    await _assert_same(api, amemory, target, ["alice", "bob 🥑"])
    # timestamps survive: the per-message ts of the copy equals the original's
    original = [json.loads(x) for x in path.read_text("utf-8").splitlines() if '"kind":"message"' in x]
    again = io.StringIO()
    await api(target, "export_jsonl", again)
    copy = [json.loads(x) for x in again.getvalue().splitlines() if '"kind":"message"' in x]
    assert [(r["ts"], r["message"]) for r in copy] == [(r["ts"], r["message"]) for r in original]


async def test_export_of_one_user_or_session(api: Api, amemory: RedisSessionMemory) -> None:
    await _populate(api, amemory)
    out = io.StringIO()
    stats = await api(amemory, "export_jsonl", out, user_id="bob 🥑")
    assert (stats.users, stats.sessions, stats.messages) == (1, 2, 4)
    assert "alice" not in out.getvalue()
    out = io.StringIO()
    stats = await api(amemory, "export_jsonl", out, user_id="alice", session_id="breakfast")
    assert (stats.users, stats.sessions, stats.messages) == (1, 1, 1 + len(every_kind()))
    assert "dinner" not in out.getvalue()
    assert (await api(amemory, "export_jsonl", io.StringIO(), user_id="nobody")).users == 0
    with pytest.raises(ConfigError, match="user_id"):
        await api(amemory, "export_jsonl", io.StringIO(), session_id="breakfast")


async def test_if_exists_decides_what_happens_to_existing_sessions(
    api: Api, amemory: RedisSessionMemory, target: RedisSessionMemory
) -> None:
    await api(amemory.history("u", "s"), "add_messages", _turns(4, "src"))
    dump = io.StringIO()
    await api(amemory, "export_jsonl", dump)
    existing = target.history("u", "s")
    await api(existing, "add_messages", _turns(2, "dst"))

    with pytest.raises(ConfigError, match="already exists"):
        await api(target, "import_jsonl", io.StringIO(dump.getvalue()))
    assert await api(existing, "messages") == _turns(2, "dst")

    stats = await api(target, "import_jsonl", io.StringIO(dump.getvalue()), if_exists="skip")
    assert (stats.sessions, stats.messages, stats.skipped_sessions) == (0, 0, 1)
    assert await api(existing, "messages") == _turns(2, "dst")

    await api(target, "import_jsonl", io.StringIO(dump.getvalue()), if_exists="append")
    assert await api(existing, "messages") == _turns(2, "dst") + _turns(4, "src")

    await api(target, "import_jsonl", io.StringIO(dump.getvalue()), if_exists="replace")
    assert await api(existing, "messages") == _turns(4, "src")

    with pytest.raises(ConfigError, match="if_exists"):
        await api(target, "import_jsonl", io.StringIO(dump.getvalue()), if_exists="merge")


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("not json", "line 4: not JSON"),
        ('{"kind": "mystery"}', "unknown record kind"),
        (
            '{"kind": "message", "user_id": "u", "session_id": "s", "seq": 9, "ts": 1, "message": {"type": "nope"}}',
            "rebuild",
        ),
        ('{"kind": "message", "user_id": "u", "session_id": "OTHER", "seq": 9, "ts": 1, "message": {}}', "follow"),
        ('{"kind": "session", "user_id": "u", "session_id": "s2", "created_at": "x", "last_active": 1}', "created_at"),
        ('{"kind": "header", "format": "langchain-sessionmem", "version": 99}', "version 99"),
    ],
)
async def test_a_bad_file_imports_nothing(
    api: Api, amemory: RedisSessionMemory, target: RedisSessionMemory, tmp_path: Path, line: str, match: str
) -> None:
    await api(amemory.history("u", "s"), "add_messages", _turns(3, "x"))
    dump = io.StringIO()
    await api(amemory, "export_jsonl", dump)
    lines = dump.getvalue().splitlines()
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([*lines[:3], line, *lines[3:]]) + "\n", "utf-8")  # after the session record
    with pytest.raises(InvalidRecordError, match=match):
        await api(target, "import_jsonl", path)
    assert await api(target, "list_users") == []


async def test_import_embeds_on_the_way_in_and_reports_progress(
    api: Api, amemory: RedisSessionMemory, make_memory: MakeMemory, config: SessionMemConfig
) -> None:
    await api(amemory.history("u", "s"), "add_messages", _turns(30, "avocado toast"))
    dump = io.StringIO()
    await api(amemory, "export_jsonl", dump)
    memory = make_memory(
        key_prefix=config.key_prefix + "emb:", index_name=config.index_name + "-emb", embeddings=HashingEmbeddings()
    )
    await api(memory, "setup")
    seen: list[tuple[int, int]] = []
    dump.seek(0)
    await api(memory, "import_jsonl", dump, batch_size=7, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (30, 30) and [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 4
    docs = await api(memory.as_retriever(user_id="u", k=3), "invoke", "avocado toast q12")
    assert docs and docs[0].page_content == "avocado toast q12"


def test_export_streams_a_pipe_and_import_reads_one(memory: RedisSessionMemory, target: RedisSessionMemory) -> None:
    memory.history("u", "s").add_messages(_turns(5, "p"))

    class Pipe(io.StringIO):
        def seekable(self) -> bool:
            return False

    out = Pipe()
    memory.export_jsonl(out)
    stats = target.import_jsonl(Pipe(out.getvalue()))
    assert stats.messages == 5
    assert target.history("u", "s").messages == _turns(5, "p")


def test_importers_feed_import_records(memory: RedisSessionMemory, redis_url: str) -> None:
    import redis as redis_py
    from redisvl.extensions.message_history import MessageHistory

    from langchain_sessionmem.importers import from_redisvl

    name = memory.config.key_prefix + "vl"
    source = MessageHistory(name=name, redis_url=redis_url)
    try:
        source.add_messages(
            [
                {"role": "user", "content": "avocado toast?"},
                {"role": "assistant", "content": "Mash it on bread."},
            ],
            session_tag="old-1",
        )
        client = redis_py.Redis.from_url(redis_url)
        stats = memory.import_records(from_redisvl(client, user_id="alice", name=name))
        assert (stats.sessions, stats.messages) == (1, 2)
        assert memory.history("alice", "old-1").messages == [
            HumanMessage("avocado toast?"),
            AIMessage("Mash it on bread."),
        ]
        client.close()
    finally:
        source.delete()


async def test_a_conflict_late_in_a_file_imports_nothing(
    api: Api, amemory: RedisSessionMemory, target: RedisSessionMemory, tmp_path: Path
) -> None:
    await api(amemory.history("a-user", "first"), "add_messages", _turns(3, "a"))
    await api(amemory.history("z-user", "last"), "add_messages", _turns(3, "z"))
    path = tmp_path / "two.jsonl"
    await api(amemory, "export_jsonl", path)
    await api(target.history("z-user", "last"), "add_messages", _turns(1, "mine"))
    with pytest.raises(ConfigError, match="'last' of user 'z-user' already exists"):
        await api(target, "import_jsonl", path)
    assert await api(target, "list_users") == ["z-user"]
    assert await api(target.history("z-user", "last"), "messages") == _turns(1, "mine")


def test_list_users_treats_glob_characters_in_the_prefix_literally(
    make_memory: MakeMemory, config: SessionMemConfig
) -> None:
    star = make_memory(key_prefix=config.key_prefix + "a*[x]:")
    plain = make_memory(key_prefix=config.key_prefix + "abx:")
    star.history("mine", "s").add_messages(_turns(1, "m"))
    plain.history("theirs", "s").add_messages(_turns(1, "t"))
    assert star.list_users() == ["mine"]
    assert plain.list_users() == ["theirs"]
