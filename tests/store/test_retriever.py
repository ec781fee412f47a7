"""RedisSessionHistoryRetriever against real Redis, sync and async, with deterministic embeddings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage, messages_from_dict
from langchain_core.runnables import RunnableConfig

from langchain_sessionmem import (
    ConfigError,
    IndexSchemaMismatchError,
    RedisSessionHistoryRetriever,
    RedisSessionMemory,
    SessionMemConfig,
)
from langchain_sessionmem._search import Scope, text_query, text_query_terms
from langchain_sessionmem.errors import MissingVectorsWarning
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.store.conftest import Api
from tests.store.test_isolation import TRICKY

FILLER = [
    ("How do I make fluffy pancakes?", "Whisk 200 g flour, 2 eggs and 300 ml milk; rest the batter 10 minutes."),
    ("Can I freeze pancakes?", "Yes, stack them with baking paper in between and freeze for two months."),
    ("What syrup goes with pancakes?", "Maple syrup, or warm berries cooked down with a little sugar."),
    ("How hot should the pan be for pancakes?", "Medium heat: a drop of water should sizzle, not vanish."),
    ("Buttermilk or regular milk for pancakes?", "Buttermilk gives taller pancakes; add a pinch of baking soda."),
]


def chef_session() -> list[BaseMessage]:
    """A breakfast chat: the avocado toast recipe first, then 40 turns about pancakes."""
    msgs: list[BaseMessage] = [
        HumanMessage("Give me a quick avocado toast recipe.", id="q-avocado"),
        AIMessage(
            "Avocado toast: mash a ripe avocado with lemon juice and salt, spread it on toasted sourdough, "
            "top with chili flakes.",
            id="a-avocado",
        ),  # fmt: skip
    ]
    for i in range(40):
        q, a = FILLER[i % len(FILLER)]
        msgs += [HumanMessage(f"{q} (#{i})"), AIMessage(a)]
    return msgs


class Counting(HashingEmbeddings):
    """Counts embedding calls and refuses sync calls made from the async path."""

    def __init__(self, dims: int = 256) -> None:
        super().__init__(dims)
        self.sync_calls = 0
        self.async_calls = 0
        self.in_async = False

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        assert not self.in_async, "the async path must call aembed_documents"
        self.sync_calls += 1
        return super().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        assert not self.in_async, "the async path must call aembed_query"
        self.sync_calls += 1
        return super().embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        self.async_calls += 1
        return HashingEmbeddings.embed_documents(self, texts)

    async def aembed_query(self, text: str) -> list[float]:
        self.async_calls += 1
        return HashingEmbeddings.embed_query(self, text)


class Failing(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise TimeoutError("provider timed out")

    def embed_query(self, text: str) -> list[float]:
        raise TimeoutError("provider timed out")


@pytest.fixture
async def smemory(make_memory: MakeMemory) -> RedisSessionMemory:
    memory = make_memory(embeddings=Counting())
    await memory.asetup()
    return memory


async def _search(api: Api, retriever: RedisSessionHistoryRetriever, query: str, **kwargs: object) -> list[Document]:
    if api.mode == "sync":
        return retriever.invoke(query, **kwargs)
    embedder = retriever.memory.embeddings
    if isinstance(embedder, Counting):
        embedder.in_async = True
    try:
        return await retriever.ainvoke(query, **kwargs)
    finally:
        if isinstance(embedder, Counting):
            embedder.in_async = False


async def _add(api: Api, memory: RedisSessionMemory, user: str, session: str, msgs: list[BaseMessage]) -> None:
    embedder = memory.embeddings
    if api.mode == "async" and isinstance(embedder, Counting):
        embedder.in_async = True
    try:
        await api(memory.history(user, session), "add_messages", msgs)
    finally:
        if isinstance(embedder, Counting):
            embedder.in_async = False


@pytest.mark.parametrize("search_type", ["similarity", "hybrid", "text"])
async def test_the_avocado_one_comes_back_when_the_window_lost_it(
    api: Api, smemory: RedisSessionMemory, search_type: str
) -> None:
    await _add(api, smemory, "alice", "breakfast", chef_session())
    window = await api(smemory.history("alice", "breakfast"), "get_recent", 10)
    assert not any("avocado" in str(m.content).lower() for m in window)

    retriever = smemory.as_retriever(user_id="alice", session_id="breakfast", k=2, search_type=search_type)
    docs = await _search(api, retriever, "can you give me the avocado one?")
    assert docs and "Avocado toast" in " ".join(d.page_content for d in docs)
    top = docs[0].metadata
    assert top["user_id"] == "alice" and top["session_id"] == "breakfast" and top["match"] == "seed"
    assert top["message_id"] in {"q-avocado", "a-avocado"}


async def test_documents_rebuild_the_exact_message(api: Api, smemory: RedisSessionMemory) -> None:
    msgs = chef_session()[:2]
    await _add(api, smemory, "alice", "s", msgs)
    docs = await _search(api, smemory.as_retriever(user_id="alice", k=2), "avocado toast")
    rebuilt = {d.metadata["seq"]: messages_from_dict([d.metadata["message"]])[0] for d in docs}
    assert rebuilt == {1: msgs[0], 2: msgs[1]}
    meta = docs[0].metadata
    assert set(meta) >= {"user_id", "session_id", "seq", "timestamp", "type", "role", "message_id", "score"}
    assert datetime.fromisoformat(meta["timestamp"]).tzinfo is not None
    assert 0 < meta["score"] <= 1 and 0 <= meta["distance"] < 1


async def test_one_embedding_call_per_batch_and_the_native_async_twin(api: Api, smemory: RedisSessionMemory) -> None:
    embedder = smemory.embeddings
    assert isinstance(embedder, Counting)
    sync_before, async_before = embedder.sync_calls, embedder.async_calls
    await _add(api, smemory, "u", "s", chef_session())  # 82 messages, 82 texts
    calls = (embedder.sync_calls - sync_before, embedder.async_calls - async_before)
    assert calls == ((1, 0) if api.mode == "sync" else (0, 1))


async def test_ids_come_from_the_chain_config(api: Api, smemory: RedisSessionMemory) -> None:
    await _add(api, smemory, "alice", "breakfast", chef_session()[:2])
    await _add(api, smemory, "bob", "breakfast", [HumanMessage("Bob's avocado smoothie idea")])
    retriever = smemory.as_retriever(k=5)
    config = {"configurable": {"user_id": "bob", "session_id": "breakfast"}}
    if api.mode == "sync":
        docs = retriever.invoke("avocado", config=config)
    else:
        docs = await retriever.ainvoke("avocado", config=config)
    assert [d.page_content for d in docs] == ["Bob's avocado smoothie idea"]
    with pytest.raises(ConfigError, match="needs a user_id"):
        await _search(api, retriever, "avocado")


async def test_session_scope(api: Api, smemory: RedisSessionMemory) -> None:
    await _add(api, smemory, "u", "last-week", [HumanMessage("I am vegetarian and allergic to peanuts")])
    await _add(api, smemory, "u", "today", [HumanMessage("Let us plan dinner"), AIMessage("Sure, what do you like?")])
    here = smemory.as_retriever(user_id="u", session_id="today", all_sessions=False, k=3)
    everywhere = smemory.as_retriever(user_id="u", session_id="today", k=3)
    no_session = smemory.as_retriever(user_id="u", k=3)
    q = "what are my dietary restrictions, am I allergic to peanuts?"
    assert {d.metadata["session_id"] for d in await _search(api, here, q)} == {"today"}
    assert (await _search(api, everywhere, q))[0].metadata["session_id"] == "last-week"
    assert (await _search(api, no_session, q))[0].metadata["session_id"] == "last-week"


async def test_filters_threshold_exclude_recent_neighbors_fallback(api: Api, smemory: RedisSessionMemory) -> None:
    await _add(api, smemory, "u", "s", chef_session())
    await _add(api, smemory, "u", "other", [HumanMessage("an avocado toast in another session")])
    r = smemory.as_retriever(user_id="u", session_id="s", all_sessions=False, k=3, search_type="similarity")
    q = "avocado toast"

    only_ai = await _search(api, r, q, message_types=("ai",))
    assert only_ai and {d.metadata["type"] for d in only_ai} == {"ai"}

    near = await _search(api, r, q, distance_threshold=0.5)
    assert near and all(d.metadata["distance"] <= 0.5 for d in near)
    assert await _search(api, r, "zzzz qqqq", distance_threshold=0.05) == []
    fallback = await _search(api, r, "zzzz qqqq", distance_threshold=0.05, fallback=True)
    assert [d.metadata["seq"] for d in fallback] == [80, 81, 82]
    assert {d.metadata["match"] for d in fallback} == {"recent"}

    assert all(d.metadata["seq"] <= 72 for d in await _search(api, r, "pancakes", exclude_recent=10, k=20))

    with_neighbors = await _search(api, r, "Give me a quick avocado toast recipe", k=1, neighbors=1)
    assert [(d.metadata["seq"], d.metadata["match"]) for d in with_neighbors][:2] == [(1, "seed"), (2, "neighbor")]

    future = datetime.now(timezone.utc) + timedelta(hours=1)
    assert await _search(api, r, q, since=future) == []
    assert len(await _search(api, r, q, until=future)) == 3

    chrono = await _search(api, r, "pancakes", k=5, order="chronological")
    stamps = [(d.metadata["timestamp_ms"], d.metadata["seq"]) for d in chrono]
    assert stamps == sorted(stamps)

    with pytest.raises(ConfigError, match="unknown retriever option"):
        await _search(api, r, q, kk=3)
    with pytest.raises(ConfigError, match="invalid retriever option"):
        await _search(api, r, q, k=0)


async def test_ids_in_the_config_override_the_retrievers_own_and_are_checked_as_its_fields(
    api: Api, smemory: RedisSessionMemory
) -> None:
    """invoke(q, config={"configurable": {...}}): the ids there win over the retriever's own, and
    one that is not a str is refused as the field would refuse it (a str subclass is checked too)."""

    class Name(str):
        pass

    await _add(api, smemory, "alice", "a", [HumanMessage("avocado toast for alice")])
    await _add(api, smemory, "bob", "b", [HumanMessage("avocado toast for bob")])
    r = smemory.as_retriever(user_id="bob", k=2, search_type="similarity")

    async def search(configurable: dict[str, object]) -> list[Document]:
        config: RunnableConfig = {"configurable": configurable}
        if api.mode == "sync":
            return r.invoke("avocado toast", config=config)
        return await r.ainvoke("avocado toast", config=config)

    assert [d.metadata["user_id"] for d in await search({})] == ["bob"]
    assert [(d.metadata["user_id"], d.metadata["session_id"]) for d in await search({"user_id": "alice"})] == [
        ("alice", "a")
    ]
    assert [d.metadata["user_id"] for d in await search({"user_id": Name("alice"), "session_id": "a"})] == ["alice"]
    for bad in ({"user_id": 5}, {"user_id": "alice", "session_id": b"a"}):
        with pytest.raises(ConfigError, match="invalid retriever option"):
            await search(bad)


@pytest.mark.parametrize("search_type", ["hybrid", "similarity"])
async def test_recency_weighting_prefers_newer_matches(api: Api, smemory: RedisSessionMemory, search_type: str) -> None:
    """(Similarity alone too: its search returns when each hit was written only when asked.)"""
    await _add(api, smemory, "u", "old", [HumanMessage("my favourite pasta is carbonara")])
    await asyncio.sleep(1.2)
    await _add(api, smemory, "u", "new", [HumanMessage("my favourite pasta is now cacio e pepe")])
    r = smemory.as_retriever(user_id="u", k=1, search_type=search_type)
    assert (await _search(api, r, "favourite pasta carbonara"))[0].metadata["session_id"] == "old"
    weighted = await _search(api, r, "favourite pasta carbonara", recency_half_life_seconds=0.3)
    assert weighted[0].metadata["session_id"] == "new"


async def test_tool_call_turns_are_stored_not_embedded(api: Api, smemory: RedisSessionMemory, raw: redis.Redis) -> None:
    turn = [
        HumanMessage("weather in Lisbon?"),
        AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Lisbon"}, "id": "c1"}]),
        ToolMessage("21 C, sunny", tool_call_id="c1"),
        AIMessage("It is 21 C and sunny in Lisbon."),
    ]
    await _add(api, smemory, "u", "s", turn)
    assert await api(smemory.history("u", "s"), "messages") == turn
    vectors = raw.keys(f"{smemory.config.key_prefix}v:*")
    assert len(vectors) == 2  # the human question and the AI answer; not the empty call, not the tool result


async def test_a_failed_embedding_stores_the_batch_and_reindex_fills_it_in(
    api: Api, make_memory: MakeMemory, caplog: pytest.LogCaptureFixture
) -> None:
    good = make_memory(embeddings=HashingEmbeddings())
    await api(good, "setup")
    broken = make_memory(embeddings=Failing())
    with caplog.at_level(logging.WARNING):
        await api(broken.history("u", "s"), "add_messages", chef_session()[:2])
    assert "marked pending" in caplog.text and "reindex" in caplog.text
    assert await api(good.history("u", "s"), "messages") == chef_session()[:2]
    r = good.as_retriever(user_id="u", k=2, search_type="similarity")
    assert await _search(api, r, "avocado toast") == []

    progress: list[tuple[int, int]] = []
    done = await api(good, "reindex", progress=lambda d, t: progress.append((d, t)))
    assert done == 2 and progress[-1] == (2, 2)
    assert len(await _search(api, r, "avocado toast")) == 2
    assert await api(good, "reindex") == 0


async def test_a_new_embedding_model_is_detected_and_never_mixed(api: Api, make_memory: MakeMemory) -> None:
    old = make_memory(embeddings=HashingEmbeddings(256))
    await api(old, "setup")
    await api(old.history("u", "s"), "add_messages", chef_session()[:4])
    new = make_memory(embeddings=HashingEmbeddings(128))
    with pytest.raises(IndexSchemaMismatchError, match="reindex"):
        await api(new, "setup")
    assert await api(new, "reindex") == 4
    await api(new, "setup")  # now consistent
    docs = await _search(api, new.as_retriever(user_id="u", k=4), "avocado toast")
    assert len(docs) == 4 and "avocado" in docs[0].page_content.lower()


async def test_vectors_follow_clear_delete_and_ttl(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    memory = make_memory(ttl_seconds=1.0, embeddings=HashingEmbeddings())
    await api(memory, "setup")
    await api(memory.history("u", "a"), "add_messages", chef_session()[:2])
    await api(memory.history("u", "b"), "add_messages", chef_session()[:2])
    prefix = config.key_prefix
    assert len({raw.pexpiretime(k) for k in raw.keys(f"{prefix}*")}) <= 2  # messages and vectors share deadlines
    await api(memory.history("u", "a"), "clear")
    assert len(raw.keys(f"{prefix}v:*")) == 2
    await api(memory, "delete_session", "u", "b")
    assert raw.keys(f"{prefix}v:*") == []
    await api(memory.history("u", "c"), "add_messages", chef_session()[:2])
    await asyncio.sleep(1.2)
    assert raw.keys(f"{prefix}*") == []
    assert await _search(api, memory.as_retriever(user_id="u"), "avocado") == []


async def test_retrieval_never_leaks_across_tricky_ids(api: Api, smemory: RedisSessionMemory) -> None:
    users = list(dict.fromkeys(TRICKY))[:20]
    for u in users:
        await _add(api, smemory, u, u, [HumanMessage(f"avocado secret of {u!r}")])
    for u in users:
        for search_type in ("similarity", "hybrid", "text"):
            r = smemory.as_retriever(user_id=u, k=10, search_type=search_type)
            docs = await _search(api, r, f"avocado secret {u} * | @user:{{x}} -")
            assert [d.page_content for d in docs] == [f"avocado secret of {u!r}"], (u, search_type)
            assert docs[0].metadata["user_id"] == u


QUESTIONS = [
    "What are the new shoes that Melanie got used for?",
    "the for melanie",
    "What is the name of the hotel in Lisbon?",
    "Is it the one for the trip?",
    "@text:(the|for|melanie)",
    "the|for|melanie",
    "a an the of",
    "* -@user:{x} ~(y) $param %fuzzy% \"quoted\" 'single' {curly}",
    "_",  # found by the fuzz test below: a lone underscore was a RediSearch syntax error
    "__init__ a_b _x x_",
    "x² ½ ǅ 数字 é",
]


async def test_questions_that_crash_redisearch_2_10_5_do_not(
    api: Api, smemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    await _add(api, smemory, "u", "s", [HumanMessage("Melanie got new shoes for running"), AIMessage("Nice shoes!")])
    for search_type in ("text", "hybrid"):
        r = smemory.as_retriever(user_id="u", k=3, search_type=search_type)
        for q in QUESTIONS:
            await _search(api, r, q)
            assert raw.ping(), f"server died on {q!r}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=st.text(max_size=60)
    | st.lists(
        st.sampled_from(
            ["the", "for", "a", "melanie", "|", "(", ")", "@text:", "-", "*", "{", "}", "$", "~", "%"]
            + ["The", "For", "May", "Will", "Can", "2023", ".", "?", "@ctx:", "Melanie"]  # kept-if-named words
        ),
        max_size=12,
    ).map(" ".join)
)
def test_fuzzed_query_text_keeps_the_server_alive(redis_url: str, make_memory: MakeMemory, q: str) -> None:
    memory = make_memory(setup=True, embeddings=HashingEmbeddings())
    memory.history("u", "s").add_messages([HumanMessage("the shoes Melanie got for running")])
    for search_type in ("text", "hybrid"):
        memory.as_retriever(user_id="u", k=2, search_type=search_type).invoke(q)
    with redis.Redis.from_url(redis_url) as client:
        assert client.ping()


def test_the_hazard_is_real_and_our_queries_avoid_it(start_server: Callable[..., str]) -> None:
    """On a throw-away server: an index with RediSearch's default stop-words, the raw union
    query crashes the server; the query this package builds from the same words does not."""
    ours = start_server()
    with redis.Redis.from_url(ours) as client:
        client.execute_command(
            "FT.CREATE", "idx", "ON", "JSON", "PREFIX", "1", "d:", "SCHEMA", "$.text", "AS", "text", "TEXT"
        )
        client.execute_command("JSON.SET", "d:1", "$", '{"text": "the shoes melanie got for running"}')
        built = text_query(Scope("0" * 32), text_query_terms("What are the new shoes that Melanie got used for?"))
        assert built is not None and "the" not in built.split("(")[1]
        client.execute_command("FT.SEARCH", "idx", built.replace("@user:{" + "0" * 32 + "} ", ""), "DIALECT", 2)
        assert client.ping()
        crashed = False
        try:
            client.execute_command("FT.SEARCH", "idx", "@text:(the|for|melanie)", "DIALECT", 2)
            client.ping()
        except redis.ConnectionError:
            crashed = True
    assert crashed, "RediSearch no longer crashes on this query: the STOPWORDS 0 / stop-word filtering can be revisited"


@pytest.mark.parametrize(
    ("dtype", "algorithm", "width"),
    [("FLOAT32", "FLAT", 4), ("FLOAT16", "FLAT", 2), ("FLOAT32", "HNSW", 4), ("FLOAT16", "HNSW", 2)],
)
async def test_vector_layouts(
    api: Api, make_memory: MakeMemory, raw: redis.Redis, dtype: str, algorithm: str, width: int
) -> None:
    memory = make_memory(
        vector_dtype=dtype, vector_algorithm=algorithm, vector_dims=64, embeddings=HashingEmbeddings(64)
    )
    await api(memory, "setup")
    await _add(api, memory, "u", "s", chef_session())
    docs = await _search(api, memory.as_retriever(user_id="u", k=2), "the avocado one")
    assert "avocado" in docs[0].page_content.lower()
    blob = raw.hget(raw.keys(f"{memory.config.key_prefix}v:*")[0], "v")
    assert blob is not None and len(blob) == 64 * width


async def test_vectors_of_another_model_never_answer_even_when_nearest(api: Api, make_memory: MakeMemory) -> None:
    """Two embedding setups with vectors of one size share the index (another template, the same
    dimensions): a search sees only its own model's vectors, even where the other's are nearer."""
    old = make_memory(embeddings=HashingEmbeddings(256))
    await api(old, "setup")
    await api(old.history("u", "old"), "add_messages", [HumanMessage(f"avocado toast {i}") for i in range(6)])
    new = make_memory(
        embed_template="remember this note about cooking please: {text}", embeddings=HashingEmbeddings(256)
    )
    with pytest.warns(MissingVectorsWarning, match="reindex"):  # the old vectors are not this model's
        await api(new, "setup")
    await api(new.history("u", "new"), "add_messages", [HumanMessage("avocado toast, the new one")])
    nearest = await _search(api, old.as_retriever(user_id="u", k=3), "avocado toast")
    assert {d.metadata["session_id"] for d in nearest} == {"old"}  # the old vectors are the nearest
    for search_type in ("similarity", "hybrid"):
        docs = await _search(api, new.as_retriever(user_id="u", k=3, search_type=search_type), "avocado toast")
        if search_type == "similarity":
            assert [d.page_content for d in docs] == ["avocado toast, the new one"]
        else:  # text search still finds every message; the vector half adds the new model's only
            assert "avocado toast, the new one" in [d.page_content for d in docs]
