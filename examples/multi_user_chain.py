"""Many users, many sessions, one chain: RunnableWithMessageHistory built by the package's factory.

1. Two users with the same session id: each is remembered, neither ever sees the other. The
   script checks this (answers, what the model was given, the stored histories, the retriever) and
   exits with status 1 if isolation fails.
2. One user with two sessions: history is per session; the retriever can search all of the user's.
3. Instructions: a default per user, an override per session, stored beside the history.
4. Sessions listed with their titles, message and token counts.
5. TTL: an idle session expires as a whole.
6. Erasing a user removes everything of theirs and nothing of anyone else's.

Run: ``REDIS_URL=... python examples/multi_user_chain.py`` (``make redis-up`` prints a URL).
Offline the model is a scripted stand-in that answers only from its prompt, labelled as such; with
OPENAI_API_KEY or COHERE_API_KEY set, the real provider is used.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableConfig, RunnableLambda

sys.path.insert(0, str(Path(__file__).parent))
from _provider import embeddings, prompt_reading_model  # noqa: E402

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig  # noqa: E402

ALICE, BOB = "alice@example.com", "bob@example.com"
DESSERTS = [
    "Poached pears in red wine, with a spoon of mascarpone.",
    "Lemon posset: cream, sugar, lemon; set overnight.",
]


def check(ok: bool, what: str) -> None:
    """Print the check; stop with status 1 if it failed."""
    print(f"  {'ok' if ok else 'FAILED'}: {what}")
    if not ok:
        sys.exit(1)


def texts(messages: list[BaseMessage]) -> str:
    return "\n".join(m.text for m in messages)


def show(messages: list[BaseMessage]) -> None:
    for m in messages:
        print(f"        {m.type:>6}: {m.text}")


def main() -> None:
    url = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    print(f"redis: {url}")
    config = SessionMemConfig(
        key_prefix="sessionmem-multi:", index_name="sessionmem-multi", ttl_seconds=7 * 86400
    )  # idle sessions live a week
    memory = RedisSessionMemory(url, config=config, embeddings=embeddings())
    memory.setup()
    for user in (ALICE, BOB):
        memory.delete_user(user)  # start clean

    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a helpful cooking assistant."), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    model_inputs: list[list[BaseMessage]] = []  # what the model got, call by call

    def record(value: PromptValue) -> PromptValue:
        model_inputs.append(value.to_messages())
        return value

    chain = memory.with_message_history(
        prompt | RunnableLambda(record) | prompt_reading_model(DESSERTS),
        input_messages_key="question",
        history_messages_key="history",
    )

    def ask(user_id: str, session_id: str, question: str) -> str:
        run_config: RunnableConfig = {"configurable": {"user_id": user_id, "session_id": session_id}}
        answer = str(chain.invoke({"question": question}, config=run_config).text)
        print(f"  [{user_id} / {session_id}] {question}\n      -> {answer}")
        return answer

    print("\n== 1. two users, the same session id 's1' ==")
    ask(ALICE, "s1", "Hi, my name is Alice. I'm allergic to peanuts.")
    ask(BOB, "s1", "Hi, my name is Bob. I cook for ten people on Saturdays.")
    alice_answer = ask(ALICE, "s1", "What is my name?")
    alice_input = texts(model_inputs[-1])
    print("      the model got:")
    show(model_inputs[-1])
    bob_answer = ask(BOB, "s1", "What is my name?")
    bob_input = texts(model_inputs[-1])
    check("Alice" in alice_answer and "Bob" not in alice_answer, "alice is told her own name, never bob's")
    check("Bob" in bob_answer and "Alice" not in bob_answer, "bob is told his own name, never alice's")
    check("Bob" not in alice_input and "Alice" not in bob_input, "neither model input holds a word of the other user")
    alice_s1, bob_s1 = texts(memory.history(ALICE, "s1").messages), texts(memory.history(BOB, "s1").messages)
    check("Bob" not in alice_s1 and "Alice" not in bob_s1, "neither stored history holds a word of the other user")
    hits = memory.as_retriever(k=10).invoke("what is my name", config={"configurable": {"user_id": ALICE}})
    check(
        bool(hits) and all(d.metadata["user_id"] == ALICE and "Bob" not in d.page_content for d in hits),
        f"the retriever, asked for names by alice, returns {len(hits)} messages, all hers",
    )
    print("isolation proven: same session id, two users, nothing shared")

    print("\n== 2. one user, two sessions ==")
    answer = ask(ALICE, "s2", "What is my name?")
    check("Alice" not in answer, "a new session of alice's starts without the history of 's1'")
    recall = memory.as_retriever(k=2, message_types=("human",), exclude_recent=2)  # her turns, not this one
    docs = recall.invoke("what is my name", config={"configurable": {"user_id": ALICE, "session_id": "s2"}})
    for d in docs:
        print(f"  recalled from alice's sessions: {d.page_content!r} (session {d.metadata['session_id']!r})")
    found = any(d.metadata["session_id"] == "s1" and "my name is Alice" in d.page_content for d in docs)
    check(found, "the retriever, searching all of alice's sessions, finds her name in 's1'")

    print("\n== 3. instructions: a default per user, an override per session ==")
    memory.set_instructions(ALICE, 'End every answer with "Bon appetit!"')
    memory.set_instructions(ALICE, 'End every answer with "Buon appetito!"', session_id="s2")
    for user_id, session_id in ((ALICE, "s1"), (ALICE, "s2"), (BOB, "s1")):
        ask(user_id, session_id, "Any idea for dessert?")
        system = [m.text for m in model_inputs[-1] if m.type == "system"]
        print(f"      the model got the system messages {system}")
        expected = memory.get_instructions(user_id, session_id)  # the session's own, else the user's default
        check(system[1:] == ([expected] if expected else []), f"{user_id} / {session_id}: instructions {expected!r}")

    print("\n== 4. sessions, titles, message and token counts ==")
    for user in (ALICE, BOB):
        for s in memory.list_sessions(user):  # most recently active first
            print(
                f"  {user:<18} {s.session_id:<4} {s.message_count:>2} messages {s.token_count:>3} tokens  {s.title!r}"
            )
    history = memory.history(ALICE, "s1")
    stored = history.token_count()  # kept on write: no message is read
    check(stored == memory.count_tokens(history.messages), f"alice's 's1' holds {stored} tokens, as counted on write")

    print("\n== 5. TTL: an idle session expires as a whole ==")
    # the same data through a memory whose writes set a 1-second TTL (the one above keeps a week)
    short = RedisSessionMemory(url, config=dataclasses.replace(config, ttl_seconds=1), embeddings=memory.embeddings)
    short.history(ALICE, "scratch").add_messages([HumanMessage("Note to self: buy saffron.")])
    print(f"  alice's sessions: {[s.session_id for s in memory.list_sessions(ALICE)]}; 'scratch' idles for 1.5 s")
    time.sleep(1.5)
    print(f"  alice's sessions: {[s.session_id for s in memory.list_sessions(ALICE)]}")
    gone = memory.get_session(ALICE, "scratch") is None and len(memory.history(ALICE, "scratch")) == 0
    check(gone, "'scratch' expired, its message with it")
    check(memory.get_instructions(ALICE) is not None, "alice's default instructions outlive her sessions' TTL")
    short.close()

    print("\n== 6. erasing a user ==")
    before = [(s.session_id, s.message_count) for s in memory.list_sessions(ALICE)]
    print(f"  delete_user({BOB!r}) erased {memory.delete_user(BOB)} messages")
    bob_hits = memory.as_retriever(k=10).invoke("name", config={"configurable": {"user_id": BOB}})
    check(not memory.list_sessions(BOB) and not bob_hits, "bob has no session and nothing to retrieve")
    after = [(s.session_id, s.message_count) for s in memory.list_sessions(ALICE)]
    check(after == before, f"alice's sessions are untouched: {after}")

    for user in (ALICE, BOB):
        memory.delete_user(user)
    memory.close()
    print("\nexample finished: both users erased")


if __name__ == "__main__":
    main()
