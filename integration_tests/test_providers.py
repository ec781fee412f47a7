"""OpenAI and Cohere, for real: chat models through RunnableWithMessageHistory and embeddings
through the retriever. Each provider is skipped, with the reason, when its API key is absent."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig


def _openai() -> tuple[BaseChatModel, Embeddings]:
    from langchain_openai import ChatOpenAI, OpenAIEmbeddings

    return ChatOpenAI(model="gpt-4o-mini", temperature=0), OpenAIEmbeddings(model="text-embedding-3-small")


def _cohere() -> tuple[BaseChatModel, Embeddings]:
    from langchain_cohere import ChatCohere, CohereEmbeddings

    return ChatCohere(model="command-r", temperature=0), CohereEmbeddings(model="embed-english-v3.0")


PROVIDERS = [
    pytest.param(
        _openai,
        marks=pytest.mark.skipif(not os.environ.get("OPENAI_API_KEY"), reason="OPENAI_API_KEY is not set"),
        id="openai",
    ),
    pytest.param(
        _cohere,
        marks=pytest.mark.skipif(not os.environ.get("COHERE_API_KEY"), reason="COHERE_API_KEY is not set"),
        id="cohere",
    ),
]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_real_chat_model_remembers_per_user(
    provider: Callable[[], tuple[BaseChatModel, Embeddings]], redis_url: str, config: SessionMemConfig
) -> None:
    model, embeddings = provider()
    memory = RedisSessionMemory(redis_url, config=config, embeddings=embeddings)
    await memory.asetup()
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer in at most five words."), MessagesPlaceholder("history"), ("human", "{q}")]
    )
    chain = memory.with_message_history(prompt | model, input_messages_key="q", history_messages_key="history")
    alice = {"configurable": {"user_id": "alice", "session_id": "s"}}
    bob = {"configurable": {"user_id": "bob", "session_id": "s"}}
    await chain.ainvoke({"q": "My dog is called Biscuit. Just say ok."}, config=alice)
    await chain.ainvoke({"q": "My cat is called Pepper. Just say ok."}, config=bob)
    answer = await chain.ainvoke({"q": "What is my pet's name?"}, config=alice)
    assert "biscuit" in str(answer.content).lower()
    assert "biscuit" not in " ".join(str(m.content).lower() for m in await memory.history("bob", "s").aget_messages())
    memory.close()
    await memory.aclose()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_real_embeddings_find_a_paraphrase(
    provider: Callable[[], tuple[BaseChatModel, Embeddings]], redis_url: str, config: SessionMemConfig
) -> None:
    _, embeddings = provider()
    memory = RedisSessionMemory(redis_url, config=config, embeddings=embeddings)
    memory.setup()
    history = memory.history("u", "s")
    history.add_messages(
        [HumanMessage("I stopped eating meat and fish last year."), AIMessage("Noted, vegetarian recipes then.")]
        + [HumanMessage(f"What's the weather like on day {i}?") for i in range(10)]
    )
    docs = memory.as_retriever(user_id="u", k=2).invoke("What are my dietary restrictions?")
    assert any("meat" in d.page_content or "vegetarian" in d.page_content for d in docs)
    memory.close()


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_real_chat_model_summarizes_and_keeps_facts(
    provider: Callable[[], tuple[BaseChatModel, Embeddings]], redis_url: str, config: SessionMemConfig
) -> None:
    model, _ = provider()
    memory = RedisSessionMemory(redis_url, config=config)
    history = memory.history("alice", "kitchen")
    await history.aadd_messages(
        [
            HumanMessage("My name is Alice and I am allergic to peanuts."),
            AIMessage("Noted, Alice: no peanuts."),
            HumanMessage("I want a dessert for 6 people on Saturday."),
            AIMessage("How about a lemon tart?"),
            HumanMessage("Sounds good."),
            AIMessage("Great, lemon tart for 6 on Saturday."),
        ]
    )
    summary = await history.asummarize(model, keep_last=2)
    assert summary and "peanut" in summary.lower()
    context = await history.aget_context()
    assert context[0].content.endswith(summary) and len(context) == 3
    memory.close()
    await memory.aclose()
