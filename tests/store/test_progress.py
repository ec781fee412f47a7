"""Progress goes only to the callback a caller passes: by default the library writes nothing to
stderr, even on a terminal. A bool (the 0.1.0 API) still works, with a DeprecationWarning that
says what to pass instead. Both APIs, real server."""

from __future__ import annotations

import io
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from langchain_core.messages import AIMessage, HumanMessage

from langchain_sessionmem import ConfigError, RedisSessionMemory, SessionMemConfig
from langchain_sessionmem.progress import ProgressBar
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import drop_prefix
from tests.store.conftest import Api, wait_indexed

TURNS = 12  # 24 messages


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def as_terminal(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    """sys.stderr as a terminal: where a default bar would be drawn. Called in the test body, since
    pytest's capture sets sys.stderr again between a fixture's setup and the test."""
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


@pytest.fixture
def memories(redis_url: str, config: SessionMemConfig, raw: redis.Redis) -> Iterator[dict[str, RedisSessionMemory]]:
    """``plain`` holds a user's messages without vectors; ``embedded`` is the same data with
    embeddings (reindex has 24 messages to embed); ``copy`` is an empty memory to import into."""
    copy_config = SessionMemConfig(key_prefix=f"{config.key_prefix}copy:", index_name=f"{config.index_name}-copy")
    made = {
        "plain": RedisSessionMemory(redis_url, config=config),
        "embedded": RedisSessionMemory(redis_url, config=config, embeddings=HashingEmbeddings(32)),
        "copy": RedisSessionMemory(redis_url, config=copy_config),
    }
    made["plain"].setup()
    made["copy"].setup()
    for s in ("a", "b"):
        for i in range(TURNS // 2):
            made["plain"].history("alice", s).add_messages([HumanMessage(f"{s} asks {i}"), AIMessage(f"{s} says {i}")])
    wait_indexed(raw, config.index_name)
    yield made
    for memory in made.values():
        memory.close()
    drop_prefix(redis_url, copy_config.key_prefix)


def _dump(memory: RedisSessionMemory) -> io.StringIO:
    out = io.StringIO()
    memory.export_jsonl(out)
    out.seek(0)
    return out


async def _each_operation(api: Api, memories: dict[str, RedisSessionMemory], **progress: Any) -> list[str]:
    """Run every operation that reports progress, with ``progress`` (or the default); their names."""
    await api(memories["embedded"], "reindex", **progress)
    await api(memories["embedded"], "reindex", verify=True, **progress)
    await api(memories["plain"], "export_jsonl", io.StringIO(), **progress)
    copy = memories["copy"]
    await api(copy, "import_jsonl", _dump(memories["plain"]), if_exists="replace", **progress)
    records = (json.loads(line) for line in _dump(memories["plain"]))
    await api(copy, "import_records", records, if_exists="replace", **progress)
    return ["reindex", "reindex --verify", "export_jsonl", "import_jsonl", "import_records"]


async def test_by_default_nothing_is_written_to_stderr_even_on_a_terminal(
    api: Api,
    memories: dict[str, RedisSessionMemory],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    terminal = as_terminal(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and nothing is warned either
        await _each_operation(api, memories)
    assert terminal.getvalue() == ""
    assert capsys.readouterr() == ("", "")
    # The control: a bar passed in is drawn on that same terminal.
    await api(memories["embedded"], "reindex", verify=True, progress=ProgressBar("reindex"))
    assert terminal.getvalue().startswith("\rreindex [") and terminal.getvalue().endswith("24/24 messages")


async def test_a_callback_sees_done_grow_to_the_total(api: Api, memories: dict[str, RedisSessionMemory]) -> None:
    calls: list[tuple[int, int]] = []
    seen: dict[str, list[tuple[int, int]]] = {}

    def report(done: int, total: int) -> None:
        calls.append((done, total))

    async def run(name: str, memory: RedisSessionMemory, *args: Any, **kwargs: Any) -> None:
        calls.clear()
        await api(memory, name, *args, progress=report, batch_size=5, **kwargs)
        seen[f"{name}{' verify' if kwargs.get('verify') else ''}"] = list(calls)

    await run("reindex", memories["embedded"])
    await run("reindex", memories["embedded"], verify=True)
    calls.clear()
    await api(memories["plain"], "export_jsonl", io.StringIO(), progress=report)
    seen["export_jsonl"] = list(calls)
    await run("import_jsonl", memories["copy"], _dump(memories["plain"]), if_exists="replace")
    records = (json.loads(line) for line in _dump(memories["plain"]))
    await run("import_records", memories["copy"], records, if_exists="replace")

    for name, reports in seen.items():
        assert len(reports) >= 2, (name, reports)
        done = [d for d, _ in reports]
        assert done == sorted(done), (name, reports)  # monotone
        assert reports[-1] == (2 * TURNS, 2 * TURNS), (name, reports)  # ending at the total
        known = [t for _, t in reports if t]  # import_records cannot know its total before the end: 0
        assert known == sorted(known) and all(d <= t for d, t in reports if t), (name, reports)


@pytest.mark.parametrize("value", [True, False])
async def test_a_bool_still_works_and_warns_what_to_pass_instead(
    api: Api, memories: dict[str, RedisSessionMemory], monkeypatch: pytest.MonkeyPatch, value: bool
) -> None:
    terminal = as_terminal(monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = await _each_operation(api, memories, progress=value)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert len(deprecations) == len(names), [str(w.message) for w in caught]
    for w in deprecations:
        text = str(w.message)
        assert f"progress={value!r} is deprecated" in text, text
        if value:
            assert "ProgressBar(" in text and "from langchain_sessionmem.progress import ProgressBar" in text, text
            assert "(done, total) callable" in text, text
        else:
            assert "default, None" in text, text
        assert "langchain_sessionmem" not in Path(w.filename).parts, w.filename  # points at the caller
    drawn = terminal.getvalue()
    if value:  # True is the bar it always was
        for label in ("reindex", "export", "import"):
            assert f"\r{label} [" in drawn or f"\r{label} " in drawn, (label, drawn)
    else:
        assert drawn == ""


@pytest.mark.parametrize("value", ["yes", 1])
async def test_progress_that_is_not_a_callable_is_refused_before_any_work(
    api: Api, memories: dict[str, RedisSessionMemory], value: object, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"progress must be a \(done, total\) callable or None"):
        await api(memories["embedded"], "reindex", progress=value)
    with pytest.raises(ConfigError, match=r"progress must be"):
        await api(memories["plain"], "export_jsonl", tmp_path / "out.jsonl", progress=value)
    assert not (tmp_path / "out.jsonl").exists()  # refused before the file was opened
    with pytest.raises(ConfigError, match=r"progress must be"):
        await api(memories["copy"], "import_jsonl", _dump(memories["plain"]), progress=value)
    assert await api(memories["copy"], "list_users") == []


def test_the_cli_draws_its_own_bar(
    redis_url: str,
    config: SessionMemConfig,
    memories: dict[str, RedisSessionMemory],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The library draws nothing by default, so each long command passes a bar of its own (drawn
    here on a stand-in terminal: CliRunner's stderr is none)."""
    from tests.store.test_cli import _runner

    terminal = Terminal()
    monkeypatch.setattr(ProgressBar, "stream", property(lambda _: terminal))
    run, run_copy = _runner(redis_url, config), _runner(redis_url, memories["copy"].config)
    dump = tmp_path / "all.jsonl"
    for cli, args, label in (
        (run, ["reindex", "--embeddings", "langchain_sessionmem.testing:HashingEmbeddings"], "reindex"),
        (run, ["export", "-o", str(dump)], "export"),
        (run_copy, ["import", str(dump)], "import"),
    ):
        terminal.seek(0)
        terminal.truncate()
        cli(*args)
        assert terminal.getvalue().startswith(f"\r{label} [") and terminal.getvalue().endswith("\n"), (args, terminal)
