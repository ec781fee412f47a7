"""Facts about the server that operations ask for once per memory."""

from __future__ import annotations

from langchain_sessionmem import _cluster
from langchain_sessionmem._ops.steps import Command, Plan
from langchain_sessionmem._ops.target import ServerFacts


def policy_plan(facts: ServerFacts) -> Plan[str | None]:
    """Ask the server's ``maxmemory-policy`` (None when INFO is refused) and note in ``facts``
    whether it may evict keys: anything but ``noeviction``, or unknown."""
    try:
        if facts.is_cluster:  # every primary's
            policy: str | None = yield from _cluster.policy_plan()
        else:
            info = yield Command("INFO", "memory")
            policy = str(info.get("maxmemory_policy", "noeviction"))
    except Exception:  # a refused probe only makes reads check more
        policy = None
    facts.may_evict = policy != "noeviction"
    return policy
