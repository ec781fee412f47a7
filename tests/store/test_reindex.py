"""reindex(): every vector it stores is the embedding of its own message, whatever the batches
span; ``verify=True`` finds and repairs vectors that are not (as versions before 0.1.1 stored
when a batch spanned sessions)."""

from __future__ import annotations

import json

import pytest
import redis
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._codec import decode_stored, embedded_text_digest
from langchain_sessionmem._vectors import embed_text, pack
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory

from .conftest import Api

USERS, SESSIONS, TURNS = 3, 4, 5


def conversation(user: int, session: int) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for t in range(TURNS):
        out += [
            HumanMessage(f"user {user} session {session} question {t} about {['bread', 'soup', 'tea'][t % 3]}"),
            AIMessage(f"answer {t} for user {user} in session {session}: {'knead' if t % 2 else 'simmer'} it"),
        ]
    out.append(ToolMessage("42", tool_call_id="c1"))  # not embedded: a type outside embed_message_types
    return out


def message_key(config: SessionMemConfig, vector_key: bytes) -> bytes:
    return vector_key.replace(f"{config.key_prefix}v:".encode(), f"{config.key_prefix}m:".encode(), 1)


def set_text_digest(raw: redis.Redis, key: bytes, digest: str) -> None:
    """Replace the text digest stored in a document's ``x`` ("c0 tok eth"); '': none."""
    c0, tok = json.loads(raw.execute_command("JSON.GET", key, ".x")).split(" ")[:2]
    raw.execute_command("JSON.SET", key, "$.x", json.dumps(f"{c0} {tok} {digest}".strip()))


def vectors_by_message(raw: redis.Redis, config: SessionMemConfig) -> dict[bytes, tuple[bytes, BaseMessage, int]]:
    """Every stored vector: message key -> (vector blob, its message, the message's timestamp)."""
    out = {}
    for vkey in raw.scan_iter(match=f"{config.key_prefix}v:*", count=1000):
        mkey = message_key(config, vkey)
        stored = decode_stored(raw.execute_command("JSON.GET", mkey, "$").decode()[1:-1])
        out[mkey] = (raw.hget(vkey, "v"), stored.message, stored.timestamp_ms)
    return out


def assert_each_vector_is_its_own(raw: redis.Redis, memory: RedisSessionMemory) -> int:
    from datetime import datetime, timezone

    cfg, emb = memory.config, memory.embeddings
    assert emb is not None
    wrong = []
    found = vectors_by_message(raw, cfg)
    for key, (blob, message, ts) in found.items():
        text = embed_text(message, cfg.embed_template, datetime.fromtimestamp(ts / 1000, tz=timezone.utc))
        want = pack(emb.embed_documents([text])[0], cfg.vector_dtype, 256)
        if blob != want:
            wrong.append(key)
    assert not wrong, f"{len(wrong)} of {len(found)} vectors are not their message's embedding: {wrong[:3]}"
    return len(found)


@pytest.mark.parametrize("batch_size", [7, 256])
async def test_reindex_gives_every_message_its_own_vector(
    api: Api, make_memory: MakeMemory, raw: redis.Redis, batch_size: int
) -> None:
    plain = make_memory(setup=True)
    talks = {(u, s): conversation(u, s) for u in range(USERS) for s in range(SESSIONS)}
    for i in range(0, 2 * TURNS + 1, 2):  # a turn of every session in turn, as live traffic interleaves them
        for (u, s), msgs in talks.items():
            await api(plain.history(f"user-{u}", f"s{s}"), "add_messages", msgs[i : i + 2])
    embedded = make_memory(embeddings=HashingEmbeddings())
    # every batch holds messages of several sessions (7: split within sessions too)
    done = await api(embedded, "reindex", batch_size=batch_size)
    assert done == USERS * SESSIONS * 2 * TURNS
    assert assert_each_vector_is_its_own(raw, embedded) == done
    assert await api(embedded, "reindex") == 0


async def test_verify_repairs_vectors_an_earlier_version_misassigned(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    memory = make_memory(setup=True, embeddings=HashingEmbeddings())
    for s in range(3):
        await api(memory.history("alice", f"s{s}"), "add_messages", conversation(0, s))
    total = assert_each_vector_is_its_own(raw, memory)
    # Plant what reindex() of earlier versions left: vectors swapped between messages of two
    # sessions, and documents without the text digest this version records beside each vector.
    keys = sorted(raw.scan_iter(match=f"{config.key_prefix}v:*", count=1000))
    a, b = keys[0], keys[-1]
    va, vb = raw.hget(a, "v"), raw.hget(b, "v")
    raw.hset(a, "v", vb)
    raw.hset(b, "v", va)
    for vkey in (a, b):
        set_text_digest(raw, message_key(config, vkey), "")
    # ... and one whose digest is there but belongs to another text
    raw.hset(keys[1], "v", va)
    set_text_digest(raw, message_key(config, keys[1]), "0000000000000000")

    assert await api(memory, "reindex") == 0  # the plain pass trusts what is there
    progress: list[tuple[int, int]] = []
    repaired = await api(memory, "reindex", verify=True, progress=lambda d, t: progress.append((d, t)))
    assert repaired == 3
    assert progress and progress[-1][0] == total
    assert assert_each_vector_is_its_own(raw, memory) == total
    assert await api(memory, "reindex", verify=True) == 0  # nothing left to repair


async def test_verify_after_a_template_change_reembeds_under_the_new_fingerprint(
    api: Api, make_memory: MakeMemory, raw: redis.Redis
) -> None:
    memory = make_memory(setup=True, embeddings=HashingEmbeddings())
    await api(memory.history("bob", "s"), "add_messages", conversation(1, 1))
    changed = make_memory(embed_template="{role}: {text}", embeddings=HashingEmbeddings())
    assert await api(changed, "reindex", verify=True) == 2 * TURNS
    assert_each_vector_is_its_own(raw, changed)


async def test_reindex_and_verify_open_encrypted_messages_and_store_no_digest(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    """reindex() (needed after the new default embed template) read stored messages without their
    user's key: on an encrypted memory it raised EncryptionError saying to pass encryption=, which
    was passed. It opens them now, and stores no text digest for them (that would confirm guesses);
    verify re-embeds sealed messages, having no digest to check them by."""
    from langchain_sessionmem import ContentEncryption
    from tests.store.test_encryption import Vault

    vault = Vault()
    plain = make_memory(encryption=ContentEncryption(vault))
    await api(plain.history("alice", "s"), "add_messages", [HumanMessage("my dog is Rex"), AIMessage("noted")])
    memory = make_memory(encryption=ContentEncryption(vault), embeddings=HashingEmbeddings(64))
    with pytest.warns(UserWarning):  # MissingVectorsWarning: two messages to embed
        await api(memory, "setup")
    assert await api(memory, "reindex") == 2
    assert await api(memory, "reindex", verify=True) == 2
    for key in raw.scan_iter(match=f"{config.key_prefix}m:*"):
        assert embedded_text_digest(json.loads(raw.execute_command("JSON.GET", key))) is None
    retriever = memory.as_retriever(user_id="alice", search_type="similarity", k=1)
    docs = await api(retriever, "invoke", "my dog is Rex")
    assert [d.page_content for d in docs] == ["my dog is Rex"]
