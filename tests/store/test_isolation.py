"""Exact, case-sensitive identity: no operation on one id ever touches another id's data."""

from __future__ import annotations

import unicodedata

import redis
import redis.asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from tests.conftest import MakeMemory, drop_prefix
from tests.store.conftest import Api

TRICKY = [
    "alice",
    "Alice",
    "ALICE",
    " alice",
    "alice ",
    "a,b",
    "a",
    "b",
    "a b",
    "a\tb",
    "a\nb",
    "a:b",
    "a_b",
    "b_c",
    "c",
    "alice@example.com",
    "550e8400-e29b-41d4-a716-446655440000",
    "*",
    "|",
    "{}",
    "{a}",
    "@user:{alice}",
    "-alice",
    '"quoted"',
    "'single'",
    "\\",
    "`tick`",
    "*|{}@-\\\"'",
    unicodedata.normalize("NFC", "café"),
    unicodedata.normalize("NFD", "café"),
    "用户",
    "🥑🍞",
    "x" * 512,
]
PAIRS = (
    [(u, s) for u in TRICKY[:12] for s in ("s", "S", "a,b", "*")]
    + [
        ("a_b", "c"),
        ("a", "b_c"),
        ("a:b", "c"),
        ("a", "b:c"),
    ]
    + [(u, u) for u in TRICKY]
)


def _label(user_id: str, session_id: str) -> str:
    return repr((user_id, session_id))


async def test_tricky_ids_are_exact_and_isolated(api: Api, amemory: RedisSessionMemory, raw: redis.Redis) -> None:
    pairs = list(dict.fromkeys(PAIRS))
    for u, s in pairs:
        await api(amemory.history(u, s), "add_messages", [HumanMessage(_label(u, s))])
    for u, s in pairs:
        assert await api(amemory.history(u, s), "messages") == [HumanMessage(_label(u, s))]
        assert await api(amemory.history(u, s), "get_recent", 5) == [HumanMessage(_label(u, s))]

    users = {u for u, _ in pairs}
    for u in users:
        listed = sorted(i.session_id for i in await api(amemory, "list_sessions", u))
        assert listed == sorted(s for uu, s in pairs if uu == u)
        assert all(i.user_id == u for i in await api(amemory, "list_sessions", u))

    # clear one session: every other pair is intact
    await api(amemory.history("alice", "s"), "clear")
    for u, s in pairs:
        want = [] if (u, s) == ("alice", "s") else [HumanMessage(_label(u, s))]
        assert await api(amemory.history(u, s), "messages") == want

    # delete one user: only that user's keys go
    keys_before = set(raw.keys(f"{amemory.config.key_prefix}*"))
    gone = amemory.history("Alice", "s")._keys.user.uh.encode()
    assert await api(amemory, "delete_user", "Alice") == sum(u == "Alice" for u, _ in pairs)
    assert set(raw.keys(f"{amemory.config.key_prefix}*")) == {k for k in keys_before if gone not in k}
    for u, s in pairs:
        want = [] if u == "Alice" or (u, s) == ("alice", "s") else [HumanMessage(_label(u, s))]
        assert await api(amemory.history(u, s), "messages") == want
    assert await api(amemory, "list_sessions", "Alice") == []

    # delete one session: the user's other sessions and same-named sessions of others survive
    assert await api(amemory, "delete_session", "a,b", "*") == 1
    assert await api(amemory.history("a,b", "*"), "messages") == []
    assert await api(amemory.history("a,b", "S"), "messages") == [HumanMessage(_label("a,b", "S"))]
    assert await api(amemory.history("a", "*"), "messages") == [HumanMessage(_label("a", "*"))]


ids = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12) | st.sampled_from(TRICKY)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(ids, ids), min_size=2, max_size=6, unique=True))
def test_property_every_pair_reads_back_only_its_own(
    redis_url: str, config: SessionMemConfig, make_memory: MakeMemory, pairs: list[tuple[str, str]]
) -> None:
    memory = make_memory()
    try:
        for i, (u, s) in enumerate(pairs):
            memory.history(u, s).add_messages([HumanMessage(str(i))])
        for i, (u, s) in enumerate(pairs):
            assert memory.history(u, s).messages == [HumanMessage(str(i))]
        victim_user = pairs[0][0]
        memory.delete_user(victim_user)
        for i, (u, s) in enumerate(pairs):
            want = [] if u == victim_user else [HumanMessage(str(i))]
            assert memory.history(u, s).messages == want
            assert sorted(x.session_id for x in memory.list_sessions(u)) == sorted(
                ss for uu, ss in pairs if uu == u and uu != victim_user
            )
    finally:
        drop_prefix(redis_url, config.key_prefix)


async def test_a_client_set_to_another_encoding_still_encodes_the_ids(
    api: Api, make_memory: MakeMemory, redis_url: str, raw: redis.Redis
) -> None:
    """The backend encodes ASCII script arguments itself (cheaper than redis-py); text beyond ASCII
    is still encoded by the client, with the encoding it was given: a latin-1 client stores
    "café" as latin-1, as it always did, and reads it back."""
    client = redis.Redis.from_url(redis_url, encoding="latin-1")
    aclient = redis.asyncio.Redis.from_url(redis_url, encoding="latin-1")
    memory = make_memory(client=client, async_client=aclient, setup=True)
    history = memory.history("café", "séance")
    await api(history, "add_messages", [HumanMessage("bonjour")])
    assert await api(history, "messages") == [HumanMessage("bonjour")]
    uid, sid = raw.hmget(history._keys.meta, "uid", "sid")
    assert (uid, sid) == ("café".encode("latin-1"), "séance".encode("latin-1"))
    await aclient.aclose()
    client.close()
