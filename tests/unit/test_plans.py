"""The history and session plans without a server: each is driven by a scripted executor, so what
they send (scripts, their keys and arguments) and how they read the replies is checked in
milliseconds. The Lua side is tested against a real server in tests/store."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from langchain_sessionmem._codec import encode_messages
from langchain_sessionmem._keys import SessionKeys, message_id_digest
from langchain_sessionmem._lua.append import Appended
from langchain_sessionmem._ops import history as ops
from langchain_sessionmem._ops import sessions
from langchain_sessionmem._ops.steps import Chat, Command, EmbedDocuments, Pipeline, Script
from langchain_sessionmem.errors import ConfigError, IdCollisionError, SummarizationError
from langchain_sessionmem.testing import HashingEmbeddings

from .scripted import Scripted, store


def header(exists: int = 1, first: int = 1, last: int = 0, tokens: int = 0, **kw: Any) -> list[Any]:
    """A read script reply's 4 header fields (see read.lua), then no documents."""
    f = {"epoch": "e1", "instr": "", "summ": "", "sup": 0, "sgen": 0, "lo": first, "hi": last, "nsys": 0, "nbefore": 0}
    f.update({"slo": 1, "shi": 0, **kw})
    numbers = [exists, first, last, tokens, 0, f["sup"], 0, f["sgen"], f["lo"], f["hi"], f["nsys"], f["nbefore"]]
    numbers += [f["slo"], f["shi"]]
    return [" ".join(map(str, numbers)).encode(), f["epoch"], f["instr"], f["summ"]]


def docs(messages: list[Any], first_seq: int = 1) -> list[bytes]:
    """The read script's last reply element: the documents, one per line."""
    raws = encode_messages(messages, "ab" * 16, "cd" * 16, 1 << 20)
    return [
        b"\n".join(
            b'{"seq":%d,"ts":%d,"x":"0 3",' % (first_seq + i, 1_700_000_000_000 + i) + r[1:] for i, r in enumerate(raws)
        )
    ]


def test_append_sends_one_script_with_the_documented_layout() -> None:
    s = store().session("alice", "s1")
    messages = [HumanMessage("hi", id="m1"), AIMessage("hello")]
    script = Scripted([[4, 5, 1_700_000_000_123, ""]])
    result = script.run(ops.append_plan(s, messages))
    assert result == Appended(4, 5, 1_700_000_000_123, "")
    (step,) = script.sent
    keys = SessionKeys.of("u:", "alice", "s1")
    assert isinstance(step, Script) and step.name == "append"
    assert list(step.keys) == [keys.meta, keys.user.sessions, keys.user.user, keys.ids]
    head, rows = list(step.args[:12]), list(step.args[12:])
    assert head[:4] == ["alice", "s1", keys.message_prefix, keys.sh]
    assert head[9:11] == ["hi", 2]  # the title candidate, the number of messages
    assert len(rows) == 2 * 6 and rows[1] == "human" and rows[7] == "ai"
    assert rows[5] == message_id_digest("m1") and rows[11] == ""  # id digests ('' : no id)
    assert rows[4] == rows[10] == ""  # no original times: the server stamps them


def test_append_of_nothing_sends_nothing() -> None:
    assert Scripted([]).run(ops.append_plan(store().session("a", "s"), [])) is None


def test_append_embeds_in_one_call_and_a_failed_call_stores_the_batch_as_pending(
    caplog: pytest.LogCaptureFixture,
) -> None:
    s = store(embeddings=HashingEmbeddings(8)).session("a", "s")
    messages = [HumanMessage("avocado toast"), AIMessage("mash it")]
    ok = Scripted([[[0.5] * 8, [0.25] * 8], [1, 2, 0, ""]])
    ok.run(ops.append_plan(s, messages))
    embed, append = ok.sent
    assert isinstance(embed, EmbedDocuments) and len(embed.texts) == 2
    assert isinstance(append, Script) and all(isinstance(v, bytes) and len(v) == 32 for v in append.args[14::6])
    failing = Scripted([RuntimeError("provider down"), [1, 2, 0, ""]])
    with caplog.at_level(logging.WARNING):
        failing.run(ops.append_plan(s, messages))
    stored = failing.sent[1]
    assert isinstance(stored, Script) and list(stored.args[14::6]) == ["", ""]  # no vectors
    assert all(json.loads(d)["emb"] == "pending" for d in stored.args[12::6])
    assert "reindex()" in caplog.text


def test_a_window_read_asks_the_eviction_policy_once_when_the_cache_holds_the_session() -> None:
    st = store(cache=100)
    s = st.session("a", "s")
    messages = [HumanMessage("q"), AIMessage("a")]
    first = Scripted([[*header(last=2, lo=1, hi=2), *docs(messages)]])
    assert first.run(ops.view_plan(s)) == messages  # nothing held: no policy question
    again = Scripted([{"maxmemory_policy": "noeviction"}, header(last=2, lo=1, hi=2, slo=1, shi=2)])
    assert again.run(ops.view_plan(s)) == messages  # the two messages come from the cache
    policy, read = again.sent
    assert policy == Command("INFO", "memory") and st.facts.may_evict is False
    assert isinstance(read, Script) and list(read.args[8:]) == ["e1", 1, 2, 0]  # held, no key checks
    third = Scripted([header(last=2, lo=1, hi=2, slo=1, shi=2)])
    assert third.run(ops.view_plan(s)) == messages  # asked once per memory


def test_a_context_starts_with_instructions_and_summary_and_reads_with_its_flags() -> None:
    s = store().session("a", "s")
    reply = [*header(last=3, lo=3, hi=3, instr="Be brief.", summ="They met.", sup=2), *docs([HumanMessage("q")], 3)]
    script = Scripted([reply])
    seen = script.run(ops.view_plan(s, ops.View(5, 100, window=True, instructions=True, summary=True)))
    assert [m.type for m in seen] == ["system", "system", "human"]
    assert seen[0].content == "Be brief." and seen[1].content.endswith("They met.")
    (read,) = script.sent
    assert isinstance(read, Script) and list(read.args[3:8]) == [5, 0, -1, 100, "wis"]


@pytest.mark.parametrize("bad", [{"k": -1}, {"max_tokens": 1.5}, {"k": True}])
def test_bad_window_arguments_send_nothing(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Scripted([]).run(ops.view_plan(store().session("a", "s"), ops.View(**bad)))


def test_summarize_reads_state_window_and_older_messages_then_writes_under_the_generation() -> None:
    s = store().session("a", "s")
    older = [HumanMessage("my dog is Rex"), AIMessage("noted")]
    script = Scripted([
        header(first=1, last=6, sgen=4, summ="", sup=0),  # state
        header(first=1, last=6, lo=5, hi=6),  # the kept window: 5..6
        [*header(first=1, last=6, lo=1, hi=2), *docs(older)],  # older: 1..4, answered 1..2 here
        AIMessage("The user has a dog, Rex."),  # the model's summary
        5,  # set_summary: the new generation
    ])  # fmt: skip
    text = script.run(ops.summarize_plan(s, FakeListChatModel(responses=["unused"]), None, 2, ops.SUMMARY_PROMPT))
    assert text == "The user has a dog, Rex."
    state, kept, old, chat, write = script.sent
    assert isinstance(kept, Script) and list(kept.args[3:8]) == [2, 0, -1, -1, "w"]
    assert isinstance(old, Script) and list(old.args[3:6]) == [-1, 0, 4]  # after 0, the 4 before the window
    assert isinstance(chat, Chat) and "my dog is Rex" in chat.messages[1].content
    assert isinstance(write, Script) and write.name == "set_summary"
    assert list(write.args[2:3]) == [4] and write.args[4] == 4  # the generation read, covering up to seq 4


def test_summarize_refuses_an_empty_summary_and_missing_arguments() -> None:
    s = store().session("a", "s")
    with pytest.raises(ConfigError, match="keep_tokens or keep_last"):
        Scripted([]).run(ops.summarize_plan(s, FakeListChatModel(responses=["x"]), None, None, ""))
    script = Scripted(
        [
            header(last=4),
            header(last=4, lo=4, hi=4),
            [*header(last=4, lo=1, hi=1), *docs([HumanMessage("q")])],
            AIMessage(" "),
        ]
    )
    with pytest.raises(SummarizationError, match="empty summary"):
        script.run(ops.summarize_plan(s, FakeListChatModel(responses=["x"]), None, 1, ""))
    assert not [st for st in script.sent if isinstance(st, Script) and st.name == "set_summary"]


def test_a_session_that_does_not_exist_is_not_summarized() -> None:
    script = Scripted([header(exists=0)])
    assert (
        script.run(ops.summarize_plan(store().session("a", "s"), FakeListChatModel(responses=["x"]), 10, None, ""))
        is None
    )


def test_list_sessions_parses_rows_and_the_cursor_and_refuses_foreign_cursors() -> None:
    st = store()
    row = ["s1", 1_700_000_000_000, 1_700_000_100_000, 3, 42, "Trip", '{"k": 1}', ""]
    script = Scripted([["1700000100000", "ab" * 16, *row]])
    page = script.run(sessions.list_plan(st, "alice", 1, None))
    assert [(i.session_id, i.message_count, i.token_count, i.title, i.metadata) for i in page] == [
        ("s1", 3, 42, "Trip", {"k": 1})
    ]
    assert page.next_cursor == f"1700000100000.{'ab' * 16}"
    (step,) = script.sent
    assert isinstance(step, Script) and list(step.args[3:]) == ["", "", 1]
    for bad in ("nope", "12.zz", f"x.{'ab' * 16}"):
        with pytest.raises(ConfigError, match="next_cursor"):
            Scripted([]).run(sessions.list_plan(st, "alice", 1, bad))
    with pytest.raises(ConfigError, match="limit"):
        Scripted([]).run(sessions.list_plan(st, "alice", 0, None))


def test_updates_send_only_what_was_given_and_check_it_first() -> None:
    st = store()
    assert Scripted([]).run(sessions.update_plan(st, "a", "s", sessions.UNSET, sessions.UNSET)) is None
    script = Scripted(["OK"])
    script.run(sessions.update_plan(st, "a", "s", None, {"plan": "pasta"}))
    (step,) = script.sent
    assert isinstance(step, Script) and list(step.args[4:]) == ["title", "", "meta", '{"plan":"pasta"}']
    for title, meta in (("  ", sessions.UNSET), (sessions.UNSET, {1: 2}), (sessions.UNSET, {"x": float("nan")})):
        with pytest.raises(ConfigError):
            Scripted([]).run(sessions.update_plan(st, "a", "s", title, meta))


def test_instructions_are_checked_counted_and_read_back_with_the_owner_checked() -> None:
    st = store()
    step = sessions.set_instructions(st, "a", "Be brief.", None)
    assert step.name == "set_user" and step.args[1] == "Be brief." and int(step.args[2]) > 3
    assert sessions.set_instructions(st, "a", None, "s").args[4:] == ["instr", "", "itok", ""]
    for bad in ("", "   ", 5, "x" * (st.config.max_message_bytes + 1)):
        with pytest.raises(ConfigError):
            sessions.set_instructions(st, "a", bad, None)  # type: ignore[arg-type]
    assert Scripted([[b"a", b"Be brief."]]).run(sessions.instructions_plan(st, "a", None)) == "Be brief."
    assert Scripted([[None, None]]).run(sessions.instructions_plan(st, "a", None)) is None
    with pytest.raises(IdCollisionError):
        Scripted([[b"someone else", b"x"]]).run(sessions.instructions_plan(st, "a", None))


def test_delete_user_returns_the_messages_deleted() -> None:
    script = Scripted([[2, 17]])
    assert script.run(sessions.delete_user_plan(store(), "a")) == 17
    (step,) = script.sent
    assert isinstance(step, Script) and step.name == "delete_user" and step.args[0] == "a"


def test_system_messages_of_a_summary_request_carry_the_prompt() -> None:
    assert ops.transcript([HumanMessage("hi"), SystemMessage("rules")]) == "User: hi\nSystem: rules"


def test_an_agent_turn_appends_and_reads_in_one_pipeline() -> None:
    s = store().session("a", "s")
    view = ops.View(10, 500, window=True, instructions=True, summary=True)
    run = [HumanMessage("hi")]
    stored = [HumanMessage("earlier"), AIMessage("yes"), *run]
    script = Scripted([[[1, 3, 0, ""], [*header(last=3, lo=1, hi=3), *docs(stored)]]])
    appended, snap, messages = script.run(ops.append_then_read_plan(s, run, view))
    (step,) = script.sent
    assert isinstance(step, Pipeline) and [x.name for x in step.steps] == ["append", "read"]  # type: ignore[union-attr]
    assert appended == Appended(1, 3, 0, "") and snap.last == 3 and messages == stored
    nothing = Scripted([[*header(last=2, lo=1, hi=2), *docs(stored[:2])]])
    appended, _, messages = nothing.run(ops.append_then_read_plan(s, [], view))
    assert appended is None and messages == stored[:2] and isinstance(nothing.sent[0], Script)  # the read alone
