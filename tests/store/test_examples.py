"""Every example runs end to end against the real Redis, offline (scripted model, lexical embeddings),
and shows what it claims: the assertions read the output, not only the exit status."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "COHERE_API_KEY")}
    env["REDIS_URL"] = redis_url
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=120)


def run_example(redis_url: str, script: str) -> str:
    proc = run(redis_url, str(EXAMPLES / script))
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert "SCRIPTED stand-in" in proc.stdout  # offline, and it says so
    assert "FAILED" not in proc.stdout
    return proc.stdout


def block(out: str, label: str) -> list[str]:
    """The message lines the example printed between ``--- <label>`` and ``--- end ---``."""
    found = re.search(rf"--- {re.escape(label)}: (\d+) messages ---\n(.*?)\n\s*--- end ---", out, re.S)
    assert found, f"no block {label!r} in:\n{out}"
    lines = [line.strip() for line in found[2].splitlines()]
    assert len(lines) == int(found[1])
    return lines


def test_chef_demo_recent_window_loses_the_recipe_semantic_recall_brings_it_back(redis_url: str) -> None:
    out = run_example(redis_url, "chef_demo.py")
    assert "ok: same session id, no message of bob's in alice's history" in out
    assert "the session holds 44 messages" in out
    question = "human: Can you give me the avocado one again?"

    window = block(out, "context A, recent window")
    assert window[0] == "system: You are a concise chef." and window[-1] == question
    assert len(window) == 8  # system, the last 6 stored messages, the question
    assert not any("avocado" in line.lower() for line in window[:-1])
    assert "model -> I don't see anything about avocado in the messages I was given." in out

    recalled = block(out, "context B, semantic recall")
    assert recalled == [
        "system: You are a concise chef.",
        "human: Give me an avocado toast recipe.",
        "ai: Avocado toast: mash one ripe avocado with lemon and salt, pile it on sourdough, top with chili flakes.",
        question,
    ]
    assert "model -> Here it is again: Avocado toast: mash one ripe avocado" in out

    chain = block(out, "the chain's model input")  # recalled turns first, then the recent window
    assert chain[:3] == recalled[:3] and chain[3:] == window[1:]
    assert "-> Here it is again: Avocado toast" in out.split("the chain's model input")[1]
    assert "stored: the session now holds 46 messages" in out
    assert out.rstrip().endswith("demo finished: both users erased")


def test_multi_user_chain_keeps_users_apart_and_shows_sessions(redis_url: str) -> None:
    out = run_example(redis_url, "multi_user_chain.py")

    def exchange(user: str, session: str, question: str, answer: str) -> str:
        return f"[{user}@example.com / {session}] {question}\n      -> {answer}"

    # two users, one session id: each is remembered, neither sees the other
    assert exchange("alice", "s1", "What is my name?", "You told me your name is Alice.") in out
    assert exchange("bob", "s1", "What is my name?", "You told me your name is Bob.") in out
    got = re.search(r"the model got:\n((?: {8}.*\n)+)", out)
    assert got, out
    alice_input = got[1]  # what the model was given for alice's "What is my name?"
    assert "Hi, my name is Alice." in alice_input and "Bob" not in alice_input
    assert "ok: the retriever, asked for names by alice, returns 4 messages, all hers" in out
    assert "isolation proven" in out
    # one user, two sessions: history per session, recall across them
    assert exchange("alice", "s2", "What is my name?", "You haven't told me your name here.") in out
    assert "recalled from alice's sessions: \"Hi, my name is Alice. I'm allergic to peanuts.\" (session 's1')" in out
    # instructions: the user's default, a session's override, nothing for another user
    assert re.search(r"\[alice@example.com / s1\] Any idea for dessert\?\n +-> .* Bon appetit!\n", out)
    assert re.search(r"\[alice@example.com / s2\] Any idea for dessert\?\n +-> .* Buon appetito!\n", out)
    assert re.search(r"\[bob@example.com / s1\] Any idea for dessert\?\n +-> [^!\n]*\.\n", out)
    assert "ok: alice@example.com / s2: instructions 'End every answer with \"Buon appetito!\"'" in out
    assert "ok: bob@example.com / s1: instructions None" in out
    # sessions listed with counts and titles, tokens as counted on write
    assert re.search(r"alice@example.com +s2 +4 messages +\d+ tokens +'What is my name\?'", out)
    assert re.search(r"alice@example.com +s1 +6 messages +\d+ tokens +\"Hi, my name is Alice.", out)
    assert re.search(r"bob@example.com +s1 +6 messages +\d+ tokens +'Hi, my name is Bob.", out)
    assert re.search(r"ok: alice's 's1' holds \d+ tokens, as counted on write", out)
    # TTL and erasure
    assert "alice's sessions: ['scratch', 's2', 's1']" in out and "alice's sessions: ['s2', 's1']" in out
    assert "ok: 'scratch' expired, its message with it" in out
    assert "delete_user('bob@example.com') erased 6 messages" in out
    assert "ok: alice's sessions are untouched: [('s2', 4), ('s1', 6)]" in out
    assert out.rstrip().endswith("example finished: both users erased")


LEAK = """
import runpy, sys
from langchain_sessionmem import RedisSessionMemory

real, memories = RedisSessionMemory.history, []
def leaky(self, user_id, session_id, **kwargs):  # a broken memory: bob's sessions land in alice's
    memories.append(self)
    return real(self, "alice@example.com", session_id, **kwargs)
RedisSessionMemory.history = leaky
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
finally:
    memories[0].delete_user("alice@example.com")
"""


def test_multi_user_chain_exits_non_zero_when_isolation_breaks(redis_url: str) -> None:
    proc = run(redis_url, "-c", LEAK, str(EXAMPLES / "multi_user_chain.py"))
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "-> You told me your name is Bob." in proc.stdout.split("[alice@example.com / s1] What is my name?")[1]
    assert "FAILED: alice is told her own name, never bob's" in proc.stdout
    assert "isolation proven" not in proc.stdout
