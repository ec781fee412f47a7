"""Pure pieces of the Redis Cluster support: URLs, error translation, retry pauses, CLUSTER NODES
parsing, config. No server."""

from __future__ import annotations

import pytest
import redis.exceptions as rex

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._cluster import Topology, _myself_slots, is_cluster_url, migration_delays, node_url
from langchain_sessionmem.errors import (
    ClusterClientError,
    ConfigError,
    RedisUnavailableError,
    SlotMigratingError,
    translate_redis_errors,
)


def test_cluster_urls() -> None:
    assert is_cluster_url("redis+cluster://h:7000") and is_cluster_url("REDISS+CLUSTER://h:7000")
    assert not is_cluster_url("redis://h:6379/0") and not is_cluster_url(None)
    assert node_url("rediss+cluster://u:p@h:7000/0?ssl_ca_certs=x") == "rediss://u:p@h:7000/0?ssl_ca_certs=x"
    memory = RedisSessionMemory("redis+cluster://:secret@h:7000")  # no I/O
    assert memory._backend.is_cluster and "secret" not in repr(memory)
    assert not RedisSessionMemory("redis://h:6379/0")._backend.is_cluster


@pytest.mark.parametrize(
    "exc",
    [
        rex.ResponseError(
            "Unable to execute command 'exists' in script because undeclared keys were accessed "
            "during rehashing of the slot script: abc, on @user_script:1."
        ),  # fmt: skip
        rex.ResponseError("Script attempted to access a non local key in a cluster node"),
        rex.TryAgainError("Multiple keys request during rehashing of slot"),
        rex.ClusterError("TTL exhausted."),
    ],
)
def test_a_slot_in_motion_is_a_retryable_slot_migrating_error(exc: Exception) -> None:
    with pytest.raises(SlotMigratingError, match="reshard") as err, translate_redis_errors("redis+cluster://h:1"):
        raise exc
    assert isinstance(err.value, RedisUnavailableError)  # so retried, and caught as a connection problem


def test_a_redirect_seen_by_a_plain_client_says_to_use_a_cluster_client() -> None:
    with pytest.raises(ClusterClientError, match=r"redis\+cluster://") as err, translate_redis_errors("redis://h:1/0"):
        raise rex.MovedError("3999 127.0.0.1:7002")
    assert isinstance(err.value, ConfigError)


def test_migration_pauses_are_short_and_bounded() -> None:
    pauses = list(migration_delays(2.0))
    assert max(pauses) <= 0.25 and 2.0 <= sum(pauses) <= 2.3
    assert list(migration_delays(0)) == []


def test_cluster_nodes_shows_a_slot_in_motion() -> None:
    line = "abc 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460 [93->-def]\nxyz 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922\n"  # noqa: E501
    assert _myself_slots(line) == "0-5460 [93->-def]"
    assert Topology([object()], (_myself_slots(line),)).moving
    assert not Topology([object()], ("0-5460",)).moving


def test_slot_migration_wait_is_checked() -> None:
    with pytest.raises(ConfigError, match="slot_migration_wait_seconds"):
        SessionMemConfig(slot_migration_wait_seconds=-1)
    assert SessionMemConfig().slot_migration_wait_seconds == 30.0
