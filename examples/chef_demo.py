"""A chef assistant with per-user, per-session memory in Redis.

1. Two users talk to one chain with the same session id; each sees only their own history.
2. A long breakfast chat: the recent window has lost the avocado toast from 40 turns ago, the
   semantic history retriever brings it back. Both contexts are printed as the model gets them.

Run: ``make demo`` (starts Redis Stack by itself), or ``REDIS_URL=... python examples/chef_demo.py``.
Offline it uses a scripted chat model and lexical embeddings, labelled as such; with
OPENAI_API_KEY or COHERE_API_KEY set it uses the real provider.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

sys.path.insert(0, str(Path(__file__).parent))
from _provider import chat_model, embeddings  # noqa: E402

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig  # noqa: E402

ANSWERS = [
    "Avocado toast: mash one ripe avocado with lemon and salt, pile it on sourdough, top with chili flakes.",
    "Buttermilk pancakes: 200 g flour, 2 eggs, 300 ml buttermilk, a spoon of sugar; cook on medium heat.",
    "Overnight oats: oats, milk and yoghurt 1:1:1, chia seeds, leave in the fridge overnight.",
    "Sure: for the pancakes, swap the buttermilk for oat milk with a spoon of lemon juice.",
    "Here it is again: mash a ripe avocado with lemon juice and salt, spread it on toasted sourdough, "
    "finish with chili flakes.",
]
PANCAKE_TALK = [
    ("How hot should the pan be?", "Medium: a drop of water should sizzle."),
    ("Can I freeze pancakes?", "Yes, with baking paper between them, for two months."),
    ("Which syrup?", "Maple syrup, or berries cooked down with a little sugar."),
    ("Why are mine flat?", "Too much stirring: mix until just combined and let the batter rest."),
]


def part_one(memory: RedisSessionMemory) -> None:
    print("\n== 1. two users, one chain, the same session id ==")
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a concise chef."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    chain = memory.with_message_history(
        prompt | chat_model(ANSWERS[:4]), input_messages_key="question", history_messages_key="history"
    )

    def ask(user_id: str, question: str) -> None:
        config = {"configurable": {"user_id": user_id, "session_id": "breakfast"}}
        answer = chain.invoke({"question": question}, config=config)
        print(f"[{user_id}] {question}\n    -> {answer.content}")

    ask("alice", "Give me an avocado toast recipe.")
    ask("bob", "How do I make pancakes?")
    ask("alice", "And something I can prepare the night before?")
    ask("bob", "Can I make them dairy-free?")
    alice_text = " ".join(str(m.content) for m in memory.history("alice", "breakfast").messages)
    assert "pancake" not in alice_text.lower(), "bob's conversation leaked into alice's"
    print("isolation: same session id, no message of bob's in alice's history")


def part_two(memory: RedisSessionMemory) -> None:
    print("\n== 2. recent window vs semantic recall, 40 turns later ==")
    history = memory.history("alice", "breakfast")
    for i in range(20):  # alice goes on about pancakes for a while
        q, a = PANCAKE_TALK[i % len(PANCAKE_TALK)]
        history.add_messages([HumanMessage(q), AIMessage(a)])
    question = "Can you give me the avocado one again?"
    window = history.get_recent(6)
    recalled = memory.as_retriever(k=2, exclude_recent=6).invoke(
        question, config={"configurable": {"user_id": "alice", "session_id": "breakfast"}}
    )
    print(f"the session holds {len(history)} messages; the question: {question!r}")
    print("recent window (last 6) passed to the model:")
    for m in window:
        print(f"  {m.type:>5}: {str(m.content)[:80]}")
    print("semantic recall (k=2, outside the window) passed to the model:")
    for d in recalled:
        print(f"  {d.metadata['type']:>5} #{d.metadata['seq']}: {d.page_content[:80]}")
    assert not any("avocado" in str(m.content).lower() for m in window)
    assert any("avocado" in d.page_content.lower() for d in recalled), "the retriever missed the avocado toast"

    memories = "\n".join(f"- {d.metadata['type']}: {d.page_content}" for d in recalled)
    context = [SystemMessage(f"You are a concise chef. Relevant earlier messages:\n{memories}"), *window]
    answer = chat_model(ANSWERS[4:], say=lambda _: None).invoke([*context, HumanMessage(question)])
    history.add_messages([HumanMessage(question), answer])
    print(f"[alice] {question}\n    -> {answer.content}")


def main() -> None:
    url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    print(f"redis: {url}")
    config = SessionMemConfig(key_prefix="sessionmem-demo:", index_name="sessionmem-demo")
    memory = RedisSessionMemory(url, config=config, embeddings=embeddings())
    memory.setup()  # idempotent: creates the indexes on the first run, verifies them afterwards
    for user in ("alice", "bob"):
        memory.delete_user(user)  # start clean
    part_one(memory)
    part_two(memory)
    print("\nsessions of alice:", [(s.session_id, s.message_count) for s in memory.list_sessions("alice")])
    for user in ("alice", "bob"):
        memory.delete_user(user)
    memory.close()
    print("demo finished: both users erased")


if __name__ == "__main__":
    main()
