"""Search on a cluster. The real cluster here (Redis Stack 7.4: RediSearch without a coordinator)
refuses setup(), the retriever and reindex with SearchUnavailableError while the history keeps
working; a server that coordinates FT.* across shards (Redis 8) is played by a scripted executor:
setup() then creates each index once, and searches are plain FT.SEARCH commands."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from redis.cluster import RedisCluster

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._ops.index import setup_plan
from langchain_sessionmem._ops.steps import (
    Command,
    EmbedDocuments,
    EmbedQuery,
    OnNode,
    Pipeline,
    Primaries,
    Step,
    drive,
)
from langchain_sessionmem.errors import IndexMissingError, RedisCommandError, SearchUnavailableError
from langchain_sessionmem.testing import HashingEmbeddings
from tests.cluster.conftest import Api
from tests.conftest import MakeMemory


async def test_search_is_refused_without_a_coordinator_and_the_history_keeps_working(
    api: Api, make_memory: MakeMemory, rc: RedisCluster
) -> None:
    memory = make_memory(embeddings=HashingEmbeddings(64))
    with pytest.raises(SearchUnavailableError, match="Redis 8") as err:
        await api(memory, "setup")
    assert "history" in str(err.value) and "coordinator" in str(err.value)
    assert memory._backend.store.facts.search_coordinated is False
    assert [n for n in rc.get_primaries() if n.redis_connection.execute_command("FT._LIST")] == []  # nothing created
    h = memory.history("alice", "s")
    await api(h, "add_messages", [HumanMessage("my dog is called Rex"), AIMessage("nice")])
    assert [m.content for m in await api(h, "messages")] == ["my dog is called Rex", "nice"]
    fresh = make_memory(embeddings=HashingEmbeddings(64))  # asks the server itself
    retriever = fresh.as_retriever(user_id="alice", search_type="similarity")
    with pytest.raises(SearchUnavailableError):
        if api.mode == "sync":
            retriever.invoke("dog")
        else:
            await retriever.ainvoke("dog")
    with pytest.raises(SearchUnavailableError):
        await api(fresh, "reindex")


class _Node:
    def __init__(self, name: str) -> None:
        self.name = name


class ScriptedCoordinatedCluster:
    """Answers the plan steps as a 3-primary Redis 8 cluster would (SEARCH.CLUSTERINFO known,
    FT.* coordinated), and records what was sent. Embeddings run for real."""

    def __init__(self, memory: RedisSessionMemory) -> None:
        self.memory = memory
        self.nodes = [_Node(f"127.0.0.1:{p}") for p in (7001, 7002, 7003)]
        self.sent: list[Step] = []
        self.indexes: set[str] = set()

    def __call__(self, step: Step) -> Any:
        if isinstance(step, (EmbedQuery, EmbedDocuments)):
            return self.memory._backend.execute(step)
        self.sent.append(step)
        if isinstance(step, Primaries):
            return self.nodes
        if isinstance(step, OnNode):
            cmd = step.command
            if cmd.name == "CLUSTER":
                return f"id {step.node.name}@17001 myself,master - 0 0 1 connected 0-5460\n"
            if cmd == Command("INFO", "modules"):
                return {"modules": [{"name": "ReJSON", "ver": 80000}, {"name": "search", "ver": 80000}]}
            if cmd == Command("INFO", "memory"):
                return {"maxmemory_policy": "noeviction"}
            if cmd == Command("SEARCH.CLUSTERINFO"):
                return ["num_partitions", 3, "cluster_type", "redis_oss"]
        if isinstance(step, Pipeline):
            return [[0] for _ in step.steps]  # FT.SEARCH: no hits
        if isinstance(step, Command):
            if step.name == "FT.INFO":
                if step.args[1] not in self.indexes:
                    raise IndexMissingError(f"Unknown index name {step.args[1]}")
                return ["indexing", 0]  # created by this setup: asked whether its scan is done
            if step.name == "FT.SEARCH":  # setup()'s count of messages without vectors: none
                return [0]
            if step.name == "FT.CREATE":
                self.indexes.add(step.args[1])
                return "OK"
        raise AssertionError(f"unexpected step {step!r}")


def _on_node(server: ScriptedCoordinatedCluster, name: str) -> list[OnNode]:
    return [s for s in server.sent if isinstance(s, OnNode) and s.command.name == name]


def test_with_a_coordinator_setup_creates_each_index_once_and_searches_run() -> None:
    config = SessionMemConfig(key_prefix="co:", index_name="co:idx", vector_dims=64)
    memory = RedisSessionMemory("redis+cluster://127.0.0.1:7001", config=config, embeddings=HashingEmbeddings(64))
    server = ScriptedCoordinatedCluster(memory)
    drive(setup_plan(memory._backend.store), server)
    creates = [s.args[1] for s in server.sent if isinstance(s, Command) and s.name == "FT.CREATE"]
    assert creates == ["co:idx", "co:idx:vec"]  # once each, not once per primary
    assert memory._backend.store.facts.search_coordinated is True
    modules_asked = [s.node.name for s in _on_node(server, "INFO") if s.command == Command("INFO", "modules")]
    assert modules_asked == [n.name for n in server.nodes]  # every primary checked
    retriever = memory.as_retriever(user_id="alice", search_type="hybrid")
    assert drive(retriever._plan("dog"), server) == []
    (pipeline,) = [s for s in server.sent if isinstance(s, Pipeline)]
    assert [cmd.args[:2] for cmd in pipeline.steps] == [("FT.SEARCH", "co:idx:vec"), ("FT.SEARCH", "co:idx")]  # type: ignore[union-attr]
    probes = _on_node(server, "SEARCH.CLUSTERINFO")
    assert len(probes) == 1  # asked once per memory


def test_a_cluster_without_a_coordinator_is_told_apart_by_the_probe() -> None:
    memory = RedisSessionMemory("redis+cluster://127.0.0.1:7001", config=SessionMemConfig(key_prefix="co:"))
    server = ScriptedCoordinatedCluster(memory)
    real = server.__call__

    def without(step: Step) -> Any:
        if isinstance(step, OnNode) and step.command.name in ("SEARCH.CLUSTERINFO", "FT.CLUSTERINFO"):
            raise RedisCommandError(f"unknown command '{step.command.name}', with args beginning with:")
        return real(step)

    with pytest.raises(SearchUnavailableError):
        drive(setup_plan(memory._backend.store), without)
    assert not [s for s in server.sent if isinstance(s, Command) and s.name == "FT.CREATE"]


def test_with_a_coordinator_reindex_verify_scans_every_primary() -> None:
    """reindex(verify=True) reads every message by SCAN: on a cluster that must be each primary's
    SCAN (a plain SCAN is sent by redis-py to every primary and answers {node: reply})."""
    config = SessionMemConfig(key_prefix="co:", index_name="co:idx", vector_dims=64)
    memory = RedisSessionMemory("redis+cluster://127.0.0.1:7001", config=config, embeddings=HashingEmbeddings(64))
    server = ScriptedCoordinatedCluster(memory)

    def with_scan(step: Step) -> Any:
        if isinstance(step, OnNode) and step.command.name == "SCAN":
            server.sent.append(step)
            return [0, []]
        return server(step)

    from langchain_sessionmem._ops.transfer import reindex_plan

    assert drive(reindex_plan(memory._backend.store, 100, None, True), with_scan) == 0
    scanned = [s.node.name for s in _on_node(server, "SCAN")]
    assert scanned == [n.name for n in server.nodes]


async def test_the_agent_middleware_without_a_coordinator_is_told_to_turn_recall_off(
    make_memory: MakeMemory,
) -> None:
    """Recall is a search: refused on this cluster, with a message an agent's author can act on;
    recall=False keeps the agent's history working."""
    from langchain.agents import create_agent

    from langchain_sessionmem.testing import ScriptedChatModel

    memory = make_memory()
    ids = {"user_id": "alice", "session_id": "s"}
    agent = create_agent(ScriptedChatModel(responses=["Hi."]), [], middleware=[memory.middleware()])
    with pytest.raises(SearchUnavailableError, match=r"recall=False"):
        await agent.ainvoke({"messages": [HumanMessage("hello")]}, context=ids)
    agent = create_agent(ScriptedChatModel(responses=["Hi."]), [], middleware=[memory.middleware(recall=False)])
    await agent.ainvoke({"messages": [HumanMessage("again")]}, context=ids)
    assert [m.text for m in memory.history("alice", "s").messages] == ["hello", "again", "Hi."]
