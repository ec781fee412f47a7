"""The history path on a real 3-primary Redis Cluster, through both APIs: every operation works
for users spread over every primary, and (captured with MONITOR on each primary) no command, nor
any command a script runs, names keys of two users or a slot its node does not own."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._keys import UserKeys
from langchain_sessionmem.errors import ClusterClientError
from tests.cluster.conftest import TAG, Api, Monitor, slot_of_tag, users_on_every_primary
from tests.conftest import MakeMemory


def _memory(make_memory: MakeMemory, cluster_url: str, form: str) -> RedisSessionMemory:
    if form == "url":
        return make_memory()
    node = cluster_url.replace("redis+cluster", "redis", 1)
    return make_memory(client=RedisCluster.from_url(node), async_client=AsyncRedisCluster.from_url(node))


async def _every_operation(api: Api, memory: RedisSessionMemory, users: list[str]) -> None:
    for user in users:
        h = memory.history(user, "chat")
        turn = [HumanMessage(f"hello from {user}"), AIMessage(f"hi {user}", id="a1")]
        await api(h, "add_messages", turn)
        await api(h, "add_messages", [HumanMessage("second"), AIMessage("reply")])
        assert [m.content for m in await api(h, "messages")] == [f"hello from {user}", f"hi {user}", "second", "reply"]
        assert [m.content for m in await api(h, "get_recent", 1)] == ["reply"]
        assert await api(h, "__len__") == 4
        assert await api(h, "token_count") > 0
        assert [m.content for m in await api(h, "get_window", 1000, k=2)] == ["second", "reply"]
        await api(memory, "set_instructions", user, f"Be brief, {user}.")
        assert await api(memory, "get_instructions", user) == f"Be brief, {user}."
        summary = await api(h, "summarize", FakeListChatModel(responses=[f"{user} said hello"]), keep_last=2)
        assert summary == f"{user} said hello"
        context = await api(h, "get_context")
        assert isinstance(context[0], SystemMessage) and context[0].content == f"Be brief, {user}."
        assert [m.content for m in context[-2:]] == ["second", "reply"]
        await api(memory, "update_session", user, "chat", title="Greetings", metadata={"n": 1})
        info = await api(memory, "get_session", user, "chat")
        assert (info.title, info.metadata, info.message_count) == ("Greetings", {"n": 1}, 4)
        await api(memory.history(user, "other"), "add_messages", [HumanMessage("x")])
        assert {s.session_id for s in await api(memory, "list_sessions", user)} == {"chat", "other"}
        assert await api(memory, "delete_session", user, "other") == 1
        buf = io.StringIO()
        stats = await api(memory, "export_jsonl", buf, user_id=user)
        assert (stats.users, stats.sessions, stats.messages) == (1, 1, 4)
        await api(h, "clear")
        assert await api(h, "messages") == []
        buf.seek(0)
        await api(memory, "import_jsonl", buf, if_exists="replace")
        assert [m.content for m in await api(h, "messages")][-1] == "reply"
    assert await api(memory, "list_users") == sorted(users)
    whole = io.StringIO()
    stats = await api(memory, "export_jsonl", whole)
    assert (stats.users, stats.messages) == (len(users), 4 * len(users))
    for user in users:
        assert await api(memory, "delete_user", user) == 4
    assert await api(memory, "list_users") == []
    whole.seek(0)  # a whole-keyspace import: first checked for existing sessions over every slot
    assert (await api(memory, "import_jsonl", whole)).messages == 4 * len(users)
    assert await api(memory, "list_users") == sorted(users)
    for user in users:
        assert await api(memory, "delete_user", user) == 4


@pytest.mark.parametrize("form", ["url", "clients"])
async def test_every_history_operation_on_the_cluster_stays_in_one_slot_per_user(
    api: Api,
    cluster_url: str,
    config: SessionMemConfig,
    make_memory: MakeMemory,
    rc: RedisCluster,
    monitor: Callable[[], Monitor],
    form: str,
) -> None:
    users = users_on_every_primary(rc, config.key_prefix, 6)
    memory = _memory(make_memory, cluster_url, form)
    mon = monitor()
    try:
        await _every_operation(api, memory, users)
    finally:
        lines = mon.stop()
        if form == "clients":  # the caller's to close
            memory._backend.client.close()
            await memory._backend.async_client.aclose()
    owned = {n.name: set() for n in rc.get_primaries()}
    for slot, node in ((s, rc.nodes_manager.slots_cache[s][0].name) for s in range(16384)):
        owned[node].add(slot)
    wanted = {UserKeys.of(config.key_prefix, u).uh.encode() for u in users}
    seen: set[bytes] = set()
    script_lines = 0
    for node, log in lines.items():
        for line in log:
            tags = set(TAG.findall(line)) if config.key_prefix.encode() in line else set()
            if not tags:
                continue
            assert len(tags) == 1, f"a command on {node} names keys of two users: {line[:300]!r}"
            (tag,) = tags
            assert slot_of_tag(tag) in owned[node], f"{node} ran a command for a slot it does not own: {line[:300]!r}"
            seen |= tags
            script_lines += b"lua]" in line
    assert seen == wanted  # MONITOR saw every user's commands
    assert script_lines > 0  # and the commands the scripts ran


async def test_the_ttl_is_kept_on_the_cluster(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, rc: RedisCluster
) -> None:
    memory = make_memory(ttl_seconds=600)
    for user in users_on_every_primary(rc, config.key_prefix, 6):
        h = memory.history(user, "s")
        await api(h, "add_messages", [HumanMessage("hi"), AIMessage("yo")])
        keys = [h._keys.meta, f"{h._keys.message_prefix}1", f"{h._keys.message_prefix}2", h._keys.user.sessions]
        ttls = [rc.pttl(k) for k in keys]
        assert all(500_000 < t <= 600_000 for t in ttls), ttls


async def test_a_plain_client_at_a_cluster_node_is_told_to_use_a_cluster_client(
    api: Api, cluster_url: str, config: SessionMemConfig, make_memory: MakeMemory, rc: RedisCluster
) -> None:
    node_url = cluster_url.replace("redis+cluster", "redis", 1) + "/0"
    memory = make_memory(node_url)
    with pytest.raises(ClusterClientError, match=r"redis\+cluster://"):
        await api(memory, "setup")
    with pytest.raises(ClusterClientError, match=r"redis\+cluster://"):
        await api(memory, "list_users")  # would otherwise list only that node's users
    with pytest.raises(ClusterClientError, match="cluster client"):
        for user in users_on_every_primary(rc, config.key_prefix, 6):  # some user's slot is elsewhere
            await api(memory.history(user, "s"), "messages")
    client = redis.Redis.from_url(node_url)
    with pytest.raises(ClusterClientError):
        make_memory(client=client).setup()
    client.close()


async def test_a_primary_that_may_evict_makes_reads_check_their_cache(
    api: Api, make_memory: MakeMemory, rc: RedisCluster
) -> None:
    default = rc.get_default_node().name
    node = next(n for n in rc.get_primaries() if n.name != default)  # not the node a keyless INFO reaches
    client = redis.Redis(host=node.host, port=node.port)
    client.config_set("maxmemory-policy", "allkeys-lru")
    memory = make_memory()
    try:
        h = memory.history("u", "s")
        await api(h, "add_messages", [HumanMessage("a")])
        await api(h, "messages")
        await api(h, "messages")  # with messages held, the read first asks every primary's policy
        assert memory._backend.store.facts.may_evict is True
    finally:
        client.config_set("maxmemory-policy", "noeviction")
        client.close()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_cluster_is_a_typed_error_sync_and_async() -> None:
    """redis-py's sync RedisCluster connects while it is built: that must be translated too (the
    sync API raised a bare redis RedisClusterUnreachableError, the async one RedisUnavailableError)."""
    import asyncio

    from langchain_sessionmem import RedisUnavailableError

    memory = RedisSessionMemory(f"redis+cluster://127.0.0.1:{_closed_port()}")
    with pytest.raises(RedisUnavailableError, match=r"redis\+cluster://127\.0\.0\.1"):
        memory.history("u", "s").messages  # noqa: B018
    with pytest.raises(RedisUnavailableError, match=r"redis\+cluster://127\.0\.0\.1"):
        asyncio.run(memory.history("u", "s").aget_messages())


def test_the_documented_acl_rules_work_on_a_cluster(
    cluster_url: str, make_memory: MakeMemory, rc: RedisCluster
) -> None:
    """docs/acl.txt plus its '#cluster' line: every history operation and the fan-out run as that
    user with no ACL denial on any primary (without the cluster line the client could not even
    map the slots)."""
    from langchain_sessionmem import SessionMemConfig as Config
    from tests.store.test_tls_acl import acl_rules

    lines = (Path(__file__).resolve().parents[2] / "docs" / "acl.txt").read_text(encoding="utf-8").splitlines()
    (extra,) = [line.split()[1:] for line in lines if line.startswith("#cluster ")]
    nodes = [redis.Redis(host=n.host, port=n.port) for n in rc.get_primaries()]
    for node in nodes:
        node.execute_command("ACL", "SETUSER", "sm-acl", "reset", "on", ">pw", *acl_rules(), *extra)
        node.execute_command("ACL", "LOG", "RESET")
    url = cluster_url.replace("://", "://sm-acl:pw@", 1)
    memory = make_memory(url, config=Config(ttl_seconds=3600, message_max_age_seconds=7200))
    try:
        users = users_on_every_primary(rc, "sessionmem:", 6)
        for user in users:
            h = memory.history(user, "s")
            h.add_messages([HumanMessage("hello", id="m1"), AIMessage("hi")])
            h.add_messages([HumanMessage("hello", id="m1")])  # known id: skipped
            assert [m.text for m in h.messages] == ["hello", "hi"]
        assert set(users) <= set(memory.list_users())
        out = io.StringIO()
        memory.export_jsonl(out)
        for user in users:
            memory.delete_user(user)
    finally:
        for node in nodes:
            denials = [(e["reason"], e["object"]) for e in node.acl_log()]
            node.execute_command("ACL", "DELUSER", "sm-acl")
            node.close()
            assert denials == []
