"""A chef assistant's context: first the recent window, then the semantically relevant turns.

Read it like a notebook. Each ``# %%`` cell prints ``In [n]`` and what it did; the editors that
know the percent format (VS Code, PyCharm, ``jupytext --to ipynb``) run it cell by cell.

1. Two users talk to one chain with the same session id; each sees only their own history.
2. Alice goes on about pancakes for 40 messages, then asks "Can you give me the avocado one again?".
3. The same question with two contexts, each printed exactly as the model gets it: the recent
   window (the avocado toast is gone) and the semantic history retriever (it is back).
4. Both in one chain: the retriever and the window driven by one config, as you would deploy it.

Run: ``make demo`` (starts Redis Stack by itself), or ``REDIS_URL=... python examples/chef_demo.py``.
Offline the model is a scripted stand-in that answers only from its prompt, and the embeddings are
lexical; both are labelled. With OPENAI_API_KEY or COHERE_API_KEY set, the real provider is used.
"""

from __future__ import annotations

import itertools
import os
import sys
from operator import itemgetter
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, messages_from_dict
from langchain_core.prompt_values import PromptValue
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableConfig, RunnableLambda, RunnablePassthrough

sys.path.insert(0, str(Path(__file__).parent))
from _provider import embeddings, prompt_reading_model  # noqa: E402

from langchain_sessionmem import ContextWindow, RedisSessionMemory, SessionMemConfig  # noqa: E402

RECIPES = [
    "Avocado toast: mash one ripe avocado with lemon and salt, pile it on sourdough, top with chili flakes.",
    "Buttermilk pancakes: 200 g flour, 2 eggs, 300 ml buttermilk, a spoon of sugar; cook on medium heat.",
    "Overnight oats: oats, milk and yoghurt 1:1:1, chia seeds, leave in the fridge overnight.",
    "Sure: for the pancakes, swap the buttermilk for oat milk with a spoon of lemon juice.",
]
PANCAKE_TALK = [
    ("How hot should the pan be?", "Medium: a drop of water should sizzle."),
    ("Can I freeze pancakes?", "Yes, with baking paper between them, for two months."),
    ("Which syrup?", "Maple syrup, or berries cooked down with a little sugar."),
    ("Why are mine flat?", "Too much stirring: mix until just combined and let the batter rest."),
]
QUESTION = "Can you give me the avocado one again?"
WINDOW = ContextWindow(k=6)  # the recent window: the last 6 stored messages
ALICE: RunnableConfig = {"configurable": {"user_id": "alice", "session_id": "breakfast"}}

CELLS = itertools.count(1)


def cell(title: str) -> None:
    print(f"\nIn [{next(CELLS)}]: {title}")


def show(messages: list[BaseMessage], label: str) -> None:
    print(f"  --- {label}: {len(messages)} messages ---")
    for m in messages:
        print(f"  {m.type:>6}: {m.text}")
    print("  --- end ---")


def as_messages(docs: list[Document]) -> list[BaseMessage]:
    """Retrieved documents back into the messages they were (metadata["message"] is message_to_dict)."""
    return messages_from_dict([d.metadata["message"] for d in docs])


def check(ok: bool, what: str) -> None:
    print(f"  {'ok' if ok else 'FAILED'}: {what}")
    if not ok:
        sys.exit(1)


# %%
cell("memory on Redis, an embedder, a model")
url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
print(f"redis: {url}")
# embed_template "{text}": the offline word-hashing stand-in would weigh the default's speaker and date words
# as much as the recipe's; a real embedding model reads them as context.
config = SessionMemConfig(key_prefix="sessionmem-demo:", index_name="sessionmem-demo", embed_template="{text}")
memory = RedisSessionMemory(url, config=config, embeddings=embeddings())
memory.setup()  # idempotent: creates the indexes on the first run, verifies them afterwards
for user in ("alice", "bob"):
    memory.delete_user(user)  # start clean
model = prompt_reading_model(RECIPES)
prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "You are a concise chef."),
        MessagesPlaceholder("recalled", optional=True),  # semantically relevant turns (cell 5 on)
        MessagesPlaceholder("history"),  # the recent window
        ("human", "{question}"),
    ]
)
model_inputs: list[list[BaseMessage]] = []  # what the model got on each chain call


def record(value: PromptValue) -> PromptValue:
    model_inputs.append(value.to_messages())
    return value


chain = memory.with_message_history(
    prompt | RunnableLambda(record) | model,
    window=WINDOW,
    input_messages_key="question",
    history_messages_key="history",
)

# %%
cell("two users, one chain, the same session id 'breakfast'")


def ask(user_id: str, question: str) -> None:
    answer = chain.invoke(
        {"question": question}, config={"configurable": {"user_id": user_id, "session_id": "breakfast"}}
    )
    print(f"  [{user_id}] {question}\n      -> {answer.text}")


ask("alice", "Give me an avocado toast recipe.")
ask("bob", "How do I make pancakes?")
ask("alice", "And something I can prepare the night before?")
ask("bob", "Can I make them dairy-free?")
alice_text = " ".join(m.text for m in memory.history("alice", "breakfast").messages)
check("pancake" not in alice_text.lower(), "same session id, no message of bob's in alice's history")

# %%
cell("alice goes on about pancakes for 40 messages")
history = memory.history("alice", "breakfast")
for i in range(20):
    q, a = PANCAKE_TALK[i % len(PANCAKE_TALK)]
    history.add_messages([HumanMessage(q), AIMessage(a)])
print(f"  the session holds {len(history)} messages, {history.token_count()} tokens; the avocado toast is #1-#2")
print(f"  the question: {QUESTION!r}")

# %%
cell("context A: the recent window (ContextWindow(k=6)), as the model gets it")
window = history.get_context(k=WINDOW.k)  # what with_message_history(window=WINDOW) passes
context_a = prompt.invoke({"history": window, "question": QUESTION}).to_messages()
show(context_a, "context A, recent window")
print(f"  model -> {model.invoke(context_a).text}")
check(not any("avocado" in m.text.lower() for m in window), "the recent window has lost the avocado toast")

# %%
cell("context B: the semantic history retriever, as the model gets it")
retriever = memory.as_retriever(k=1, neighbors=1, exclude_recent=WINDOW.k, order="chronological")
docs = retriever.invoke(QUESTION, config=ALICE)  # scoped to alice by the same config as the chain
for d in docs:  # the seed matched the question; its neighbour is the reply next to it
    score = "" if d.metadata["score"] is None else f", score {d.metadata['score']:.2f}"
    print(f"  retrieved message #{d.metadata['seq']} of {d.metadata['session_id']!r} ({d.metadata['match']}{score})")
recalled = as_messages(docs)
context_b = prompt.invoke({"recalled": recalled, "history": [], "question": QUESTION}).to_messages()
show(context_b, "context B, semantic recall")
print(f"  model -> {model.invoke(context_b).text}")
check(any("avocado toast:" in m.text.lower() for m in recalled), "the retriever brought the avocado toast back")

# %%
cell("both in one chain: recalled turns first, then the recent window, one config")
recall_chain = memory.with_message_history(
    RunnablePassthrough.assign(recalled=itemgetter("question") | retriever | as_messages)
    | prompt
    | RunnableLambda(record)
    | model,
    window=WINDOW,
    input_messages_key="question",
    history_messages_key="history",
)
answer = recall_chain.invoke({"question": QUESTION}, config=ALICE)
show(model_inputs[-1], "the chain's model input")
print(f"  [alice] {QUESTION}\n      -> {answer.text}")
print(f"  stored: the session now holds {len(history)} messages")
check(any("avocado toast:" in m.text.lower() for m in model_inputs[-1]), "the chain passed the avocado toast")

# %%
cell("clean up")
print("  sessions of alice:", [(s.session_id, s.message_count) for s in memory.list_sessions("alice")])
for user in ("alice", "bob"):
    memory.delete_user(user)
memory.close()
print("demo finished: both users erased")
