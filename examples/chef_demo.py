"""A chef assistant with per-user, per-session memory in Redis.

Two users talk to the same chain with the same session id; each sees only their own history.

Run: ``make demo`` (starts Redis Stack by itself), or ``REDIS_URL=... python examples/chef_demo.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

sys.path.insert(0, str(Path(__file__).parent))
from _provider import chat_model  # noqa: E402

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig  # noqa: E402

ANSWERS = [
    "Avocado toast: mash one ripe avocado with lemon and salt, pile it on sourdough, top with chili flakes.",
    "Buttermilk pancakes: 200 g flour, 2 eggs, 300 ml buttermilk, a spoon of sugar; cook on medium heat.",
    "Overnight oats: oats, milk and yoghurt 1:1:1, chia seeds, leave in the fridge overnight.",
    "Sure: for the pancakes, swap the buttermilk for oat milk with a spoon of lemon juice.",
]


def main() -> None:
    url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    memory = RedisSessionMemory(
        url, config=SessionMemConfig(key_prefix="sessionmem-demo:", index_name="sessionmem-demo")
    )
    memory.setup()  # idempotent: creates the index on the first run, verifies it afterwards
    for user in ("alice", "bob"):
        memory.delete_user(user)  # start clean
    print(f"redis: {url}")

    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a concise chef."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    chain = memory.with_message_history(
        prompt | chat_model(ANSWERS), input_messages_key="question", history_messages_key="history"
    )

    def ask(user_id: str, question: str) -> None:
        config = {"configurable": {"user_id": user_id, "session_id": "breakfast"}}
        answer = chain.invoke({"question": question}, config=config)
        print(f"[{user_id}] {question}\n    -> {answer.content}")

    ask("alice", "Give me an avocado toast recipe.")
    ask("bob", "How do I make pancakes?")
    ask("alice", "And something I can prepare the night before?")
    ask("bob", "Can I make them dairy-free?")

    for user in ("alice", "bob"):
        history = memory.history(user, "breakfast")
        print(f"\n{user}'s session 'breakfast' holds {len(history)} messages:")
        for m in history.messages:
            print(f"  {m.type:>5}: {str(m.content)[:70]}")
    alice_text = " ".join(str(m.content) for m in memory.history("alice", "breakfast").messages)
    assert "pancake" not in alice_text.lower(), "bob's conversation leaked into alice's"
    print("\nisolation: same session id, no message of bob in alice's history")
    print("sessions of alice:", [(s.session_id, s.message_count) for s in memory.list_sessions("alice")])

    for user in ("alice", "bob"):
        memory.delete_user(user)
    memory.close()
    print("demo finished: both users erased")


if __name__ == "__main__":
    main()
