"""The ``sessionmem`` command-line tool, against the real Redis.

Most tests call the click group in-process with ``CliRunner`` (which also shows that no expected
error escapes as an exception: ``run`` fails on any exception other than SystemExit); a few run the
real console script and ``python -m langchain_sessionmem.cli`` as subprocesses.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner, Result
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    message_to_dict,
)

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem.cli import cli, format_table
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import ROOT, MakeMemory
from tests.store.conftest import wait_indexed
from tests.store.test_reindex import message_key, set_text_digest

UNREACHABLE = "redis://127.0.0.1:1/0"


# --- helpers ------------------------------------------------------------------------------------


def _args(url: str, config: SessionMemConfig) -> list[str]:
    return ["--url", url, "--prefix", config.key_prefix, "--index", config.index_name]


Run = Callable[..., Result]


def _runner(url: str, config: SessionMemConfig) -> Run:
    def run(*args: str, input: str | None = None, code: int | None = 0, env: dict[str, str] | None = None) -> Result:
        result = CliRunner().invoke(cli, [*_args(url, config), *args], input=input, env=env)
        # An expected failure exits through click (SystemExit); anything else is a crash.
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{args} raised {result.exception!r}\n{result.output}"
        )
        if code is not None:
            assert result.exit_code == code, f"{args} exited {result.exit_code}\n{result.output}"
        return result

    return run


@pytest.fixture
def run(redis_url: str, config: SessionMemConfig) -> Run:
    """Invoke ``sessionmem`` on this test's prefix and index; checks the exit code (0 by default)."""
    return _runner(redis_url, config)


@pytest.fixture
def copy_config(config: SessionMemConfig) -> SessionMemConfig:
    """A second prefix and index, under the test's prefix (so the config fixture cleans it up)."""
    return SessionMemConfig(key_prefix=f"{config.key_prefix}copy:", index_name=f"{config.key_prefix}copy:idx")


@pytest.fixture
def copy(make_memory: MakeMemory, copy_config: SessionMemConfig) -> RedisSessionMemory:
    return make_memory(config=copy_config)


def _assert_error(result: Result, *words: str) -> None:
    """Exit status 1, ``error: ...`` as the last line of stderr, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, result.stderr


def _all_kinds() -> list[BaseMessage]:
    return [
        SystemMessage("You are a travel agent."),
        HumanMessage("Trip to 日本 👋\nin April?", name="al", id="h-1"),
        AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Tokyo"}, "id": "call_1"}]),
        ToolMessage("18°C", tool_call_id="call_1", artifact={"raw": 18}),
        ToolMessage("boom", tool_call_id="call_2", status="error"),
        AIMessage("April is fine.", additional_kwargs={"n": [1, 2.5, True, None]}, response_metadata={"x": 1}),
        HumanMessage([{"type": "text", "text": "and this?"}, {"type": "image_url", "image_url": {"url": "data:x"}}]),
        ChatMessage(content="noted", role="critic"),
    ]


def _seed(memory: RedisSessionMemory) -> None:
    """alice: trip (every kind of message, metadata, a title, instructions), chat; bob: b1."""
    memory.history("alice", "trip").add_messages(_all_kinds())
    memory.update_session("alice", "trip", title="Japan trip", metadata={"tags": ["travel"], "n": 1})
    memory.set_instructions("alice", "Answer in French.")
    memory.set_instructions("alice", "Be brief.", session_id="trip")
    memory.history("alice", "chat").add_messages([HumanMessage("hi"), AIMessage("hello")])
    memory.history("bob", "b1").add_messages([HumanMessage("bob's question"), AIMessage("bob's answer")])


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _kv(text: str) -> dict[str, str]:
    """``key: value`` lines; keys may hold ':' (index names), never followed by a space."""
    out = {}
    for line in _lines(text):
        match = re.fullmatch(r"(.+?):\s+(.*)", line)
        assert match, line
        out[match[1]] = match[2]
    return out


def _snapshot(memory: RedisSessionMemory) -> dict[str, Any]:
    """Everything the public API shows of a prefix, for comparing two prefixes."""
    out: dict[str, Any] = {}
    for uid in memory.list_users():
        sessions = {}
        for info in memory.list_sessions(uid):
            sessions[info.session_id] = {
                "info": (info.created_at, info.last_active, info.message_count, info.token_count, info.title),
                "metadata": info.metadata,
                "instructions": info.instructions,
                "messages": memory.history(uid, info.session_id).messages,
            }
        out[uid] = {"instructions": memory.get_instructions(uid), "sessions": sessions}
    return out


# --- the table formatter --------------------------------------------------------------------------


def test_format_table_aligns_truncates_and_escapes() -> None:
    lines = format_table(
        ("ID", "TITLE", "N"),
        [("a", "short", 1), ("日本語", "x" * 30, 12345), ("line\nbreak", None, 0)],
        max_widths={1: 10},
        right=(2,),
    )
    assert lines == [
        "ID           TITLE           N",
        "a            short           1",
        "日本語       xxxxxxxxx…  12345",
        "line\\nbreak                  0",
    ]
    # a wide character is not split: the cut stays within the limit
    assert format_table(("T",), [("日本語日本語",)], max_widths={0: 6}) == ["T", "日本…"]


# --- users / sessions / show ----------------------------------------------------------------------


def test_users_one_row_per_user_sorted_with_totals(run: Run, memory: RedisSessionMemory) -> None:
    _seed(memory)
    memory.history("Carol Z", "c").add_messages([HumanMessage("x")])
    result = run("users")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["USER", "SESSIONS", "MESSAGES", "TOKENS"]
    expected = []
    for uid in ["Carol Z", "alice", "bob"]:
        sessions = memory.list_sessions(uid)
        tokens = sum(memory.history(uid, s.session_id).token_count() for s in sessions)
        messages = sum(len(memory.history(uid, s.session_id)) for s in sessions)
        expected.append([uid, str(len(sessions)), str(messages), str(tokens)])
    got = [line.rsplit(None, 3) for line in lines[1:]]
    assert [[cell.strip() for cell in row] for row in got] == expected
    assert expected[1][1:3] == ["2", "10"] and expected[2][1:3] == ["1", "2"]
    assert len({len(line) for line in lines}) == 1  # right-aligned numbers: every line as wide


def test_users_on_an_empty_prefix(run: Run) -> None:
    result = run("users")
    assert result.stdout == "" and "no users" in result.stderr


def test_sessions_newest_first_with_times(run: Run, memory: RedisSessionMemory) -> None:
    _seed(memory)
    time.sleep(0.005)
    memory.history("alice", "trip").add_messages([HumanMessage("one more")])  # trip is now the newest
    result = run("sessions", "alice")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SESSION", "TITLE", "MESSAGES", "TOKENS", "CREATED", "LAST", "ACTIVE"]
    infos = memory.list_sessions("alice")
    assert [s.session_id for s in infos] == ["trip", "chat"]
    for line, info in zip(lines[1:], infos, strict=True):
        cells = line.split()
        assert cells[0] == info.session_id
        assert cells[-4:] == [
            str(info.message_count),
            str(info.token_count),
            info.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
            info.last_active.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
        ]
    assert "Japan trip" in lines[1] and "hi" in lines[2]  # set title, automatic title
    assert result.stderr == ""  # no cursor: everything fit


def test_sessions_pagination_prints_the_cursor(run: Run, memory: RedisSessionMemory) -> None:
    for i in range(5):
        memory.history("u", f"s{i}").add_messages([HumanMessage(f"message {i}")])
    seen: list[str] = []
    cursor: list[str] = []
    cursors = 0
    for _ in range(5):
        result = run("sessions", "u", "--limit", "2", *cursor)
        seen += [line.split()[0] for line in result.stdout.splitlines()[1:]]
        if not result.stderr:
            break
        assert result.stderr.startswith("more sessions: --cursor ")
        cursor = ["--cursor", result.stderr.split("--cursor ", 1)[1].strip()]
        cursors += 1
    assert cursors == 2  # pages of 2, 2, 1
    assert seen == [s.session_id for s in memory.list_sessions("u")]
    assert sorted(seen) == [f"s{i}" for i in range(5)]
    _assert_error(run("sessions", "u", "--cursor", "not-a-cursor", code=1), "cursor")
    assert run("sessions", "u", "--limit", "0", code=2).exit_code == 2  # click's own usage error


def test_show_text_has_roles_times_and_tool_calls(run: Run, memory: RedisSessionMemory) -> None:
    _seed(memory)
    out = run("show", "alice", "trip").stdout
    info = memory.get_session("alice", "trip")
    assert info is not None
    first = info.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert out.startswith(f"[{first}] system:\n    You are a travel agent.\n")
    for part in (
        "] human (al):\n    Trip to 日本 👋\n    in April?\n",
        '] ai:\n    -> tool call weather({"city": "Tokyo"}) [call_1]\n',
        "] tool [call_1]:\n    18°C\n",
        "] tool [call_2] error:\n    boom\n",
        "] ai:\n    April is fine.\n",
        "] human:\n    and this?\n    [image_url]\n",
        "] critic:\n    noted\n",
    ):
        assert part in out, part
    assert out.count("\n[") == len(_all_kinds()) - 1  # one block per message


def test_show_json_is_message_to_dict_lines(run: Run, memory: RedisSessionMemory) -> None:
    _seed(memory)
    out = run("show", "alice", "trip", "--json").stdout
    expected = [message_to_dict(m) for m in memory.history("alice", "trip").messages]
    assert [json.loads(line) for line in out.splitlines()] == expected
    assert len(expected) == len(_all_kinds())


def test_show_context_is_what_the_model_sees(run: Run, memory: RedisSessionMemory) -> None:
    _seed(memory)
    history = memory.history("alice", "trip")
    full = [json.loads(line) for line in run("show", "alice", "trip", "--context", "--json").stdout.splitlines()]
    assert full == [message_to_dict(m) for m in history.get_context()]
    assert full[0]["data"]["content"] == "Be brief."  # the session's instructions come first
    small = [
        json.loads(line)
        for line in run("show", "alice", "trip", "--context", "--max-tokens", "60", "--json").stdout.splitlines()
    ]
    assert small == [message_to_dict(m) for m in history.get_context(60)]
    assert 1 < len(small) < len(full)
    text = run("show", "alice", "trip", "--context").stdout
    assert text.startswith("system (instructions):\n    Be brief.\n")
    assert "[20" not in text  # the context has no times
    assert run("show", "alice", "trip", "--max-tokens", "60", code=2).exit_code == 2


def test_show_missing_session_and_bad_ids(run: Run, memory: RedisSessionMemory) -> None:
    _seed(memory)
    _assert_error(run("show", "alice", "nope", code=1), "'nope'")
    _assert_error(run("show", "alice", "", code=1), "session_id")
    _assert_error(run("sessions", "", code=1), "user_id")
    _assert_error(run("show", "x" * 5000, "s", code=1), "max_id_length")
    _assert_error(run("delete-user", "", "--yes", code=1), "user_id")


# --- export / import --------------------------------------------------------------------------------


def test_export_then_import_into_another_prefix_round_trips(
    run: Run,
    memory: RedisSessionMemory,
    copy: RedisSessionMemory,
    redis_url: str,
    copy_config: SessionMemConfig,
    tmp_path: Path,
) -> None:
    _seed(memory)
    path = tmp_path / "dump.jsonl"
    exported = run("export", "-o", str(path))
    assert exported.stdout == ""
    assert "\r" not in exported.stderr  # a progress bar only on a terminal (CliRunner's stderr is not)
    assert exported.stderr.rstrip().endswith("exported 2 users, 3 sessions, 12 messages")
    to_copy = _runner(redis_url, copy_config)
    imported = to_copy("import", str(path))
    assert imported.stdout == "imported 2 users, 3 sessions, 12 messages, 0 skipped\n"

    original, copied = _snapshot(memory), _snapshot(copy)
    assert copied == original
    assert copied["alice"]["sessions"]["trip"]["messages"] == _all_kinds()
    assert copied["alice"]["instructions"] == "Answer in French."
    # byte for byte: exporting the copy gives the same stream
    again = to_copy("export").stdout
    assert again == path.read_text(encoding="utf-8")


def test_export_to_stdout_filters_and_has_no_progress(run: Run, memory: RedisSessionMemory) -> None:
    _seed(memory)
    result = run("export", "--user", "alice", "--session", "chat")
    assert result.stderr == "exported 1 user, 1 session, 2 messages\n"
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["kind"] for r in records] == ["header", "user", "session", "message", "message"]
    assert {r.get("session_id") for r in records[2:]} == {"chat"}
    assert run("export", "--session", "chat", code=2).exit_code == 2  # --session needs --user
    assert len(run("export", "--user", "bob").stdout.splitlines()) == 1 + 1 + 1 + 2


def test_import_malformed_file_stores_nothing(
    run: Run,
    memory: RedisSessionMemory,
    copy: RedisSessionMemory,
    redis_url: str,
    copy_config: SessionMemConfig,
    tmp_path: Path,
) -> None:
    _seed(memory)
    good = run("export").stdout.splitlines()
    to_copy = _runner(redis_url, copy_config)
    cases = {
        "notjson": [*good[:6], "{not json", *good[6:]],
        "badrecord": [*good, json.dumps({"kind": "message", "user_id": "bob", "session_id": "b1", "seq": "x"})],
        "badmessage": [*good, good[-1].replace('"type":"ai"', '"type":"martian"')],
    }
    for name, lines in cases.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = to_copy("import", str(path), code=1)
        _assert_error(result, "line" if name != "badmessage" else "record")
        assert copy.list_users() == [], name
    (tmp_path / "binary.jsonl").write_bytes(b'{"kind": "header"}\n\xff\xfe\x00garbage\n')
    _assert_error(to_copy("import", str(tmp_path / "binary.jsonl"), code=1), "UTF-8")
    assert copy.list_users() == []
    missing = to_copy("import", str(tmp_path / "missing.jsonl"), code=2)
    assert "does not exist" in missing.stderr
    assert to_copy("import", code=2).exit_code == 2  # FILE is required for --from sessionmem


def test_import_if_exists(run: Run, memory: RedisSessionMemory, tmp_path: Path) -> None:
    _seed(memory)
    path = tmp_path / "alice.jsonl"
    run("export", "--user", "alice", "--session", "trip", "-o", str(path))
    history = memory.history("alice", "trip")
    before = history.messages

    _assert_error(run("import", str(path), code=1), "already exists", "'trip'")
    assert history.messages == before
    assert run("import", str(path), "--if-exists", "skip").stdout == (
        "imported 1 user, 0 sessions, 0 messages, 1 skipped\n"
    )
    assert history.messages == before
    # Appending the export to the session it came from stores only what the session lacks: the
    # messages without an id (those with one are already there).
    missing = [m for m in before if m.id is None]
    out = run("import", str(path), "--if-exists", "append").stdout
    assert out.startswith(f"imported 1 user, 1 session, {len(missing)} messages")
    assert 0 < len(missing) < len(before)
    assert history.messages == before + missing
    assert run("import", str(path), "--if-exists", "replace").stdout == (
        "imported 1 user, 1 session, 8 messages, 0 skipped\n"
    )
    assert history.messages == before
    assert run("import", str(path), "--if-exists", "merge", code=2).exit_code == 2


def test_import_from_stdin(
    run: Run, memory: RedisSessionMemory, copy: RedisSessionMemory, redis_url: str, copy_config: SessionMemConfig
) -> None:
    _seed(memory)
    dump = run("export", "--user", "bob").stdout
    result = _runner(redis_url, copy_config)("import", "-", input=dump)
    assert result.stdout == "imported 1 user, 1 session, 2 messages, 0 skipped\n"
    assert copy.history("bob", "b1").messages == memory.history("bob", "b1").messages


@pytest.mark.filterwarnings("ignore:The class `RedisChatMessageHistory` was deprecated:DeprecationWarning")
def test_import_from_langchain_redis(
    run: Run, memory: RedisSessionMemory, raw: redis.Redis, config: SessionMemConfig
) -> None:
    from langchain_redis import RedisChatMessageHistory

    lc_prefix, lc_index = f"{config.key_prefix}lc:", f"{config.key_prefix}lc:idx"  # cleaned with the test's prefix

    def source(session_id: str) -> RedisChatMessageHistory:
        # langchain-redis 0.2.6 with redisvl 0.28 crashes building a second history on an existing
        # index unless overwrite_index=True; the index is recreated, so wait for it to re-scan.
        history = RedisChatMessageHistory(
            session_id, redis_client=raw, key_prefix=lc_prefix, index_name=lc_index, overwrite_index=True
        )
        wait_indexed(raw, lc_index)
        return history

    one = source("conv-1")
    one.add_messages([SystemMessage("Be terse."), HumanMessage("héllo 👋"), AIMessage("hi")])
    two = source("conv-2")
    two.add_messages([HumanMessage("second"), AIMessage("ok", additional_kwargs={"k": [1, 2]})])
    expected = {"conv-1": one.messages, "conv-2": two.messages}
    assert len(expected["conv-1"]) == 3 and len(expected["conv-2"]) == 2

    args = ["import", "--from", "langchain-redis", "--source-prefix", lc_prefix]
    assert run(*args, code=2).exit_code == 2  # --user-id is required
    result = run(*args, "--user-id", "carol")
    assert result.stdout == "imported 1 user, 2 sessions, 5 messages, 0 skipped\n"
    assert [s.session_id for s in memory.list_sessions("carol")] != []
    for session_id, messages in expected.items():
        assert memory.history("carol", session_id).messages == messages
    # again: the sessions exist now
    _assert_error(run(*args, "--user-id", "carol", code=1), "already exists")
    assert run(*args, "--user-id", "carol", "--if-exists", "skip").stdout.endswith("2 skipped\n")
    assert memory.list_users() == ["carol"]


def test_import_from_redisvl(run: Run, memory: RedisSessionMemory, raw: redis.Redis, config: SessionMemConfig) -> None:
    from redisvl.extensions.message_history import MessageHistory

    name = f"{config.key_prefix}vl"
    history = MessageHistory(name, session_tag="tag-1", redis_client=raw)
    history.add_messages([{"role": "user", "content": "Wetter in Köln?"}, {"role": "assistant", "content": "7 °C."}])
    assert run("import", "--from", "redisvl", "--user-id", "dora", code=2).exit_code == 2  # --name is required
    result = run("import", "--from", "redisvl", "--name", name, "--user-id", "dora")
    assert result.stdout == "imported 1 user, 1 session, 2 messages, 0 skipped\n"
    assert memory.history("dora", "tag-1").messages == [HumanMessage("Wetter in Köln?"), AIMessage("7 °C.")]
    _assert_error(
        run("import", "--from", "redisvl", "--name", name, "--user-id", "dora", "--source-url", UNREACHABLE, code=1),
        "cannot talk to Redis",
    )


# --- delete-user / stats / reindex ----------------------------------------------------------------


def test_delete_user_asks_first(run: Run, memory: RedisSessionMemory) -> None:
    _seed(memory)
    declined = run("delete-user", "alice", input="n\n", code=1)
    assert "Delete user 'alice' (2 sessions, 10 messages)" in declined.stderr
    _assert_error(declined, "nothing was deleted")
    assert memory.list_users() == ["alice", "bob"]
    assert len(memory.history("alice", "trip")) == len(_all_kinds())

    run("delete-user", "alice", input="\n", code=1)  # just Enter: the default is no
    run("delete-user", "alice", code=1)  # no answer at all (end of input): nothing either
    assert memory.list_users() == ["alice", "bob"]

    assert run("delete-user", "alice", "--yes").stdout == "deleted 10 messages of user 'alice'\n"
    assert memory.list_users() == ["bob"]
    assert memory.get_instructions("alice") is None
    assert len(memory.history("bob", "b1")) == 2
    assert run("delete-user", "bob", input="y\n").stdout == "deleted 2 messages of user 'bob'\n"
    assert memory.list_users() == []


def test_stats(run: Run, memory: RedisSessionMemory, config: SessionMemConfig, raw: redis.Redis) -> None:
    _seed(memory)
    wait_indexed(raw, config.index_name)  # a new index scans the keyspace once; stats would say so
    stats = _kv(run("stats").stdout)
    tokens = sum(
        memory.history(uid, s.session_id).token_count() for uid in ("alice", "bob") for s in memory.list_sessions(uid)
    )
    assert stats["prefix"] == config.key_prefix
    assert (stats["users"], stats["sessions"], stats["messages"]) == ("2", "3", "12")
    assert stats["tokens"] == str(tokens)
    assert stats[f"index {config.index_name}"] == "12 docs"
    assert stats[f"vector index {config.vector_index_name}"] == "missing"
    assert stats["server used_memory"][-1] in "BKMG"

    memory.drop_indexes()
    stats = _kv(run("stats").stdout)
    assert stats[f"index {config.index_name}"] == "missing" and stats["messages"] == "12"


def test_reindex_with_hashing_embeddings(
    run: Run, memory: RedisSessionMemory, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    memory.history("alice", "food").add_messages(
        [HumanMessage("I love avocado toast"), AIMessage("Noted: avocado toast."), SystemMessage("not embedded")]
    )
    memory.history("bob", "b").add_messages([HumanMessage("the weather in Oslo")])
    spec = "langchain_sessionmem.testing:HashingEmbeddings"
    result = run("reindex", "--embeddings", spec, "--batch-size", "2")
    assert result.stdout == "embedded 3 messages\n"
    assert "\r" not in result.stderr and "reindex [" not in result.stderr  # stderr is no terminal here
    wait_indexed(raw, config.vector_index_name)
    assert _kv(run("stats").stdout)[f"vector index {config.vector_index_name}"] == "3 docs"
    assert run("reindex", "--embeddings", spec).stdout == "embedded 0 messages\n"
    # A vector whose text digest is gone (as 0.1.0 left them): only --verify re-embeds it.
    vkey = sorted(raw.scan_iter(match=f"{config.key_prefix}v:*"))[0]
    set_text_digest(raw, message_key(config, vkey), "")
    assert run("reindex", "--embeddings", spec).stdout == "embedded 0 messages\n"
    assert run("reindex", "--embeddings", spec, "--verify").stdout == "embedded 1 message\n"

    docs = make_memory(embeddings=HashingEmbeddings()).as_retriever(user_id="alice", k=1).invoke("avocado")
    assert docs and "avocado" in docs[0].page_content

    for bad in ("no-colon", "no_such_module_xyz:E", "langchain_sessionmem.testing:Nope", "builtins:object"):
        assert "--embeddings" in run("reindex", "--embeddings", bad, code=2).stderr, bad


# --- errors, settings, the real console script ------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["users"],
        ["sessions", "alice"],
        ["show", "alice", "s"],
        ["export"],
        ["delete-user", "alice", "--yes"],
        ["stats"],
        ["reindex", "--embeddings", "langchain_sessionmem.testing:HashingEmbeddings"],
    ],
    ids=lambda a: a[0],
)
def test_unreachable_server_is_an_error_not_a_traceback(args: list[str], config: SessionMemConfig) -> None:
    result = _runner(UNREACHABLE, config)(*args, code=1)
    _assert_error(result, "cannot talk to Redis at redis://127.0.0.1:1/0")


def test_unreachable_server_on_import(config: SessionMemConfig, tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"kind":"header","format":"langchain-sessionmem","version":1}\n', encoding="utf-8")
    _assert_error(_runner(UNREACHABLE, config)("import", str(path), code=1), "cannot talk to Redis")


def test_bad_settings(redis_url: str, config: SessionMemConfig) -> None:
    bad_url = _runner("http://example.com", config)("users", code=2)
    assert "--url" in bad_url.stderr and "scheme" in bad_url.stderr
    bad_prefix = _runner(redis_url, SessionMemConfig(key_prefix="ok:"))
    result = CliRunner().invoke(cli, ["--url", redis_url, "--prefix", "a{b}", "users"])
    assert result.exit_code == 1 and result.stderr.startswith("error: key_prefix"), result.output
    assert bad_prefix("--index", "has space", "users", code=1).stderr.startswith("error: index_name")


def test_settings_from_the_environment(
    redis_url: str, config: SessionMemConfig, memory: RedisSessionMemory, raw: redis.Redis
) -> None:
    _seed(memory)
    env = {"REDIS_URL": redis_url, "SESSIONMEM_PREFIX": config.key_prefix, "SESSIONMEM_INDEX": config.index_name}
    result = CliRunner().invoke(cli, ["users"], env=env)
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["alice", "bob"]
    wait_indexed(raw, config.index_name)
    result = CliRunner().invoke(cli, ["stats"], env=env)
    assert f"index {config.index_name}:" in result.stdout and "12 docs" in result.stdout


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("users", "sessions", "show", "export", "import", "delete-user", "stats", "reindex"):
        assert f"\n  {command} " in result.stdout, command
    assert "SESSIONMEM_PREFIX" in result.stdout and "REDIS_URL" in result.stdout


def _script() -> str:
    path = shutil.which("sessionmem", path=os.path.dirname(sys.executable))
    assert path is not None, "the sessionmem console script is not installed next to the interpreter"
    return path


def _proc(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONMEM_")}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, **kwargs)


def test_python_dash_m_runs_the_cli(redis_url: str, config: SessionMemConfig, memory: RedisSessionMemory) -> None:
    _seed(memory)
    proc = _proc([sys.executable, "-m", "langchain_sessionmem.cli", *_args(redis_url, config), "users"])
    assert proc.returncode == 0, proc.stderr
    assert [line.split()[:3] for line in proc.stdout.splitlines()] == [
        ["USER", "SESSIONS", "MESSAGES"],
        ["alice", "2", "10"],
        ["bob", "1", "2"],
    ]
    bad = _proc([sys.executable, "-m", "langchain_sessionmem.cli", "--url", UNREACHABLE, "users"])
    assert bad.returncode == 1 and bad.stderr.startswith("error: cannot talk to Redis"), bad.stderr
    assert "Traceback" not in bad.stderr


def test_console_script_pipes_export_into_import(
    redis_url: str,
    config: SessionMemConfig,
    memory: RedisSessionMemory,
    copy: RedisSessionMemory,
    copy_config: SessionMemConfig,
) -> None:
    _seed(memory)
    script = _script()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONMEM_")}
    exporter = subprocess.Popen(
        [script, *_args(redis_url, config), "export"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert exporter.stdout is not None
    try:
        importer = _proc([script, *_args(redis_url, copy_config), "import", "-"], stdin=exporter.stdout)
    finally:
        exporter.stdout.close()
        _, err = exporter.communicate(timeout=120)
    assert exporter.returncode == 0, err
    assert err.decode() == "exported 2 users, 3 sessions, 12 messages\n"  # no progress bar on stdout export
    assert importer.returncode == 0, importer.stderr
    assert importer.stdout == "imported 2 users, 3 sessions, 12 messages, 0 skipped\n"
    assert _snapshot(copy) == _snapshot(memory)

    again = _proc(
        [script, *_args(redis_url, copy_config), "import", "-"],
        input=_proc([script, *_args(redis_url, config), "export", "--user", "bob"]).stdout,
    )
    assert again.returncode == 1 and again.stderr.startswith("error: ") and "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    version = _proc([script, "--version"])
    assert version.returncode == 0 and version.stdout.startswith("sessionmem, version ")


# --- issue 13: unknown users, progress off a terminal, --prefix alone, encrypted data ----------------


def test_an_unknown_user_is_an_error(run: Run, memory: RedisSessionMemory) -> None:
    _seed(memory)
    _assert_error(run("sessions", "nobody", code=1), "'nobody'", "no sessions")
    result = run("export", "--user", "nobody", code=1)
    _assert_error(result, "'nobody'")
    assert result.stdout == ""  # not even a header
    _assert_error(run("export", "--user", "alice", "--session", "nope", code=1), "'nope'")
    assert run("sessions", "alice").exit_code == 0


def test_progress_bars_draw_only_on_a_terminal(
    run: Run, memory: RedisSessionMemory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from langchain_sessionmem.progress import ProgressBar

    _seed(memory)
    path = tmp_path / "all.jsonl"
    for args in (
        ("export", "-o", str(path)),
        ("reindex", "--embeddings", "langchain_sessionmem.testing:HashingEmbeddings"),
    ):
        assert "\r" not in run(*args).stderr, args
    memory.export_jsonl(tmp_path / "lib.jsonl", progress=ProgressBar("export"))  # the library's own bar
    assert "\r" not in capsys.readouterr().err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, drawn in ((Terminal(), True), (io.StringIO(), False)):
        bar = ProgressBar("export", stream=stream)
        bar(1, 4)
        bar(4, 4)
        bar.end()
        expected = "\rexport [#######.......................] 1/4 messages"
        expected += "\rexport [##############################] 4/4 messages\n"
        assert stream.getvalue() == (expected if drawn else "")


def test_the_prefix_alone_selects_its_own_index(
    redis_url: str, memory: RedisSessionMemory, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    prefix = f"{config.key_prefix}own:"  # under the test's prefix: cleaned up with it
    own = make_memory(config=SessionMemConfig(key_prefix=prefix), setup=True)
    own.history("alice", "s").add_messages([HumanMessage("hi"), AIMessage("hello")])
    wait_indexed(raw, f"{prefix}idx")
    for args, env in (
        (["--url", redis_url, "--prefix", prefix], None),
        ([], {"REDIS_URL": redis_url, "SESSIONMEM_PREFIX": prefix}),
    ):
        stats = CliRunner().invoke(cli, [*args, "stats"], env=env)
        assert stats.exit_code == 0, stats.output
        assert _kv(stats.stdout)[f"index {prefix}idx"] == "2 docs"
        sessions = CliRunner().invoke(cli, [*args, "sessions", "alice"], env=env)
        assert sessions.exit_code == 0 and sessions.stdout.splitlines()[1].split()[0] == "s", sessions.output


def test_a_key_provider_lets_the_cli_read_encrypted_data(
    redis_url: str, config: SessionMemConfig, make_memory: MakeMemory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_sessionmem import ContentEncryption, KeyRing

    key = os.urandom(32)
    (tmp_path / "my_vault.py").write_text(
        "from langchain_sessionmem import KeyRing\n"
        f"KEY = {key!r}\n"
        "def keys(user_id):\n"
        "    return KeyRing(current='k1', keys={'k1': KEY})\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    sealed = make_memory(setup=True, encryption=ContentEncryption(lambda _: KeyRing(current="k1", keys={"k1": key})))
    sealed.history("alice", "trip").add_messages([HumanMessage("secret pistachio plan"), AIMessage("noted")])

    _assert_error(_runner(redis_url, config)("show", "alice", "trip", code=1), "encrypt")
    base = _args(redis_url, config)
    shown = CliRunner().invoke(cli, [*base, "--key-provider", "my_vault:keys", "show", "alice", "trip"])
    assert shown.exit_code == 0 and "secret pistachio plan" in shown.stdout, shown.output
    exported = CliRunner().invoke(cli, [*base, "--key-provider", "my_vault:keys", "export", "--user", "alice"])
    assert exported.exit_code == 0 and "pistachio" in exported.stdout, exported.output
    env = {"SESSIONMEM_KEY_PROVIDER": "my_vault:keys"}
    assert "pistachio" in CliRunner().invoke(cli, [*base, "show", "alice", "trip"], env=env).stdout
    for bad in ("my_vault", "my_vault:nope", "no_such_vault_xyz:keys", "my_vault:KEY"):
        result = CliRunner().invoke(cli, [*base, "--key-provider", bad, "users"])
        assert result.exit_code == 2 and "--key-provider" in result.stderr, (bad, result.output)
