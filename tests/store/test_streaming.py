"""A streamed reply (``.stream()`` / ``.astream()`` through ``with_message_history``, which
stores the summed ``AIMessageChunk``) is stored, embedded, counted, filtered and shown exactly
like the same reply invoked."""

from __future__ import annotations

import re

import pytest
import redis
from click.testing import CliRunner
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, HumanMessageChunk
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem.cli import cli
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory

from .conftest import wait_indexed

REPLY = "Avocado toast: mash a ripe avocado with lime and salt, then pile it on sourdough."


def model() -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(REPLY)] * 4))


@pytest.fixture
def memory(make_memory: MakeMemory) -> RedisSessionMemory:
    return make_memory(setup=True, embeddings=HashingEmbeddings())


def chain(memory: RedisSessionMemory):  # type: ignore[no-untyped-def]
    prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("history"), ("human", "{question}")])
    return memory.with_message_history(
        prompt | model(), input_messages_key="question", history_messages_key="history", window=None
    )


def conf(session: str) -> dict[str, object]:
    return {"configurable": {"user_id": "alice", "session_id": session}}


async def test_a_streamed_reply_is_stored_like_the_invoked_one(
    memory: RedisSessionMemory, redis_url: str, config: SessionMemConfig, raw: redis.Redis
) -> None:
    question = {"question": "Give me an avocado toast recipe."}
    invoked = chain(memory).invoke(question, config=conf("invoked"))
    streamed = list(chain(memory).stream(question, config=conf("streamed")))
    assert all(isinstance(c, AIMessageChunk) for c in streamed) and len(streamed) > 3
    astreamed = [c async for c in chain(memory).astream(question, config=conf("astreamed"))]
    assert len(astreamed) > 3
    await chain(memory).ainvoke(question, config=conf("ainvoked"))

    sessions = ("invoked", "streamed", "astreamed", "ainvoked")
    for session in sessions:
        stored = memory.history("alice", session).messages
        assert [type(m) for m in stored] == [HumanMessage, AIMessage], session
        assert stored[1].content == invoked.content == REPLY
        assert stored == await memory.history("alice", session).aget_messages()
        # embedded: its vector is there, tagged as an AI message
        keys = memory.history("alice", session)._keys
        assert raw.hget(f"{keys.vector_prefix}2", "type") == b"ai", session
        assert raw.execute_command("JSON.GET", f"{keys.message_prefix}2", "$.type") == b'["ai"]'

    # the retriever's type filter finds all four replies, and every stored message counts once
    wait_indexed(raw, config.vector_index_name)
    hits = memory.as_retriever(k=10, message_types=("ai",)).invoke("avocado toast", user_id="alice")
    assert sorted(d.metadata["session_id"] for d in hits) == sorted(sessions)
    assert await memory.areindex() == 0  # nothing left without a vector

    args = ["--url", redis_url, "--prefix", config.key_prefix, "--index", config.index_name]
    stats = CliRunner().invoke(cli, [*args, "stats"]).output
    assert re.search(r"messages:\s+8\b", stats) and re.search(
        rf"vector index {config.vector_index_name}:\s+8 docs", stats
    )
    shown = CliRunner().invoke(cli, [*args, "show", "alice", "streamed"]).output
    assert "AIMessageChunk" not in shown and re.search(r"\bai\b", shown), shown


async def test_chunks_added_directly_are_stored_as_the_message_they_add_up_to(memory: RedisSessionMemory) -> None:
    history = memory.history("bob", "s")
    chunks = [AIMessageChunk("Rest the ", id="r1"), AIMessageChunk("dough.", response_metadata={"model": "m"})]
    summed = chunks[0] + chunks[1]
    await history.aadd_messages([HumanMessageChunk("How long?"), summed])
    stored = history.messages
    assert stored == [
        HumanMessage("How long?"),
        AIMessage("Rest the dough.", id="r1", response_metadata={"model": "m"}),
    ]
    assert memory.count_tokens([summed]) == memory.count_tokens([stored[1]])
