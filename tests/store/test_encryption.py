"""Encryption at rest: message content and summaries sealed with per-user AES-GCM keys; nothing
of them readable in Redis; vectors still searchable; rotation online; tampering detected."""

from __future__ import annotations

import dataclasses
import io
import json
import os

import pytest
import redis
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_sessionmem import (
    ConfigError,
    ContentEncryption,
    EncryptionError,
    KeyRing,
    RedisSessionMemory,
    SessionMemConfig,
)
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory

from .conftest import Api

SECRETS = ["avocado", "sourdough", "Melchior", "pistachio", "Zanzibar"]


class Vault:
    """A key provider as an application would write one: per-user rings it can rotate."""

    def __init__(self) -> None:
        self.rings: dict[str, KeyRing] = {}
        self.calls = 0

    def __call__(self, user_id: str) -> KeyRing:
        self.calls += 1
        return self.rings.setdefault(user_id, KeyRing("k1", {"k1": os.urandom(32)}))

    def rotate(self, user_id: str, new: str, drop_old: bool = False) -> None:
        ring = self(user_id)
        keys = dict(ring.keys)
        keys.setdefault(new, os.urandom(32))
        if drop_old:
            keys = {new: keys[new]}
        self.rings[user_id] = KeyRing(new, keys)


def conversation() -> list[BaseMessage]:
    return [
        HumanMessage("Give me your avocado toast on sourdough, my name is Melchior"),
        AIMessage("", tool_calls=[{"name": "recipe", "args": {"dish": "pistachio cake"}, "id": "c1"}]),
        ToolMessage("pistachio cake: 200 g flour", tool_call_id="c1", artifact={"from": "Zanzibar"}),
        AIMessage("Avocado toast: mash it on sourdough", response_metadata={"model": "x"}),
    ]


@pytest.fixture
def vault() -> Vault:
    return Vault()


@pytest.fixture
def sealed(make_memory: MakeMemory, vault: Vault) -> RedisSessionMemory:
    return make_memory(setup=True, embeddings=HashingEmbeddings(), encryption=ContentEncryption(vault))


def everything_stored(raw: redis.Redis, prefix: str) -> bytes:
    """Every value under the prefix, as bytes, whatever the key type."""
    out = []
    for key in raw.scan_iter(match=f"{prefix}*", count=1000):
        kind = raw.type(key)
        if kind == b"ReJSON-RL":
            out.append(raw.execute_command("JSON.GET", key, "$"))
        elif kind == b"hash":
            out += [k + b"=" + v for k, v in raw.hgetall(key).items()]
        elif kind == b"zset":
            out += raw.zrange(key, 0, -1)
    return b"\n".join(out)


async def test_nothing_readable_is_stored_and_everything_reads_back(
    api: Api, sealed: RedisSessionMemory, raw: redis.Redis, config: SessionMemConfig
) -> None:
    h = sealed.history("user-42", "brunch")
    await api(h, "add_messages", conversation())
    model = FakeListChatModel(responses=["Melchior likes avocado on sourdough and pistachio cake"])
    await api(h, "summarize", model, keep_last=1)
    dump = everything_stored(raw, config.key_prefix)
    assert dump and b"sme1:k1:" in dump
    for word in SECRETS:
        assert word.lower().encode() not in dump.lower(), f"{word!r} is readable in Redis"
    assert await api(h, "messages") == conversation()
    context = await api(h, "get_context")
    assert "Melchior likes avocado" in str(context[0].content)  # the summary, opened
    assert raw.ft(config.index_name).search("@text:avocado").total == 0  # the index never saw the words
    assert raw.ft(config.index_name).search("*").total == 4  # though it holds the documents


async def test_vectors_stay_searchable_and_full_text_says_why_not(api: Api, sealed: RedisSessionMemory) -> None:
    await api(sealed.history("u", "s"), "add_messages", conversation())
    retriever = sealed.as_retriever(user_id="u", k=1)
    docs = await api(retriever, "invoke", "avocado toast sourdough")
    assert "Avocado toast" in docs[0].page_content
    with pytest.raises(ConfigError, match="full-text search.*encrypted"):
        await api(sealed.as_retriever(user_id="u", search_type="hybrid"), "invoke", "avocado")


async def test_without_the_key_nothing_opens(
    api: Api, sealed: RedisSessionMemory, make_memory: MakeMemory, raw: redis.Redis
) -> None:
    h = sealed.history("u", "s")
    await api(h, "add_messages", conversation())
    plain = make_memory()
    with pytest.raises(EncryptionError, match="stored encrypted"):
        await api(plain.history("u", "s"), "messages")
    other = make_memory(encryption=ContentEncryption(Vault()))
    with pytest.raises(EncryptionError, match="failed authentication"):
        await api(other.history("u", "s"), "messages")
    # Tampering: the doc of message 1 relabelled as another session's fails authentication too.
    key = f"{h._keys.message_prefix}1"
    raw.execute_command("JSON.SET", key, "$.sh", json.dumps("0" * 16))
    fresh = make_memory(encryption=sealed._backend.store.encryption)
    with pytest.raises(EncryptionError, match="failed authentication"):
        await api(fresh.history("u", "s"), "messages")


async def test_rotation_online_then_the_old_key_can_go(
    api: Api,
    sealed: RedisSessionMemory,
    vault: Vault,
    raw: redis.Redis,
    config: SessionMemConfig,
    make_memory: MakeMemory,
) -> None:
    h = sealed.history("u", "s")
    await api(h, "add_messages", conversation()[:2])
    await api(h, "summarize", FakeListChatModel(responses=["a summary about avocado"]), keep_last=1)
    vault.rotate("u", "k2")
    sealed._backend.store.encryption.ring("u", refresh=True)  # type: ignore[union-attr]  # as after cache_seconds
    await api(h, "add_messages", conversation()[2:])  # new writes use k2 at once, old ones still open
    assert await api(h, "messages") == conversation()
    dump = everything_stored(raw, config.key_prefix)
    assert b"sme1:k1:" in dump and b"sme1:k2:" in dump
    assert await api(sealed, "rotate_encryption", "u") == 3  # 2 messages + the summary
    assert await api(sealed, "rotate_encryption", "u") == 0  # nothing left to do
    assert b"sme1:k1:" not in everything_stored(raw, config.key_prefix)
    vault.rotate("u", "k2", drop_old=True)
    fresh = make_memory(encryption=ContentEncryption(vault))
    assert await api(fresh.history("u", "s"), "messages") == conversation()
    assert "avocado" in str((await api(fresh.history("u", "s"), "get_context"))[0].content)


async def test_a_removed_key_is_named(
    api: Api, sealed: RedisSessionMemory, vault: Vault, make_memory: MakeMemory
) -> None:
    await api(sealed.history("u", "s"), "add_messages", conversation())
    vault.rotate("u", "k2", drop_old=True)
    fresh = make_memory(encryption=ContentEncryption(vault))
    with pytest.raises(EncryptionError, match="key 'k1', which the key provider no longer returns"):
        await api(fresh.history("u", "s"), "messages")


async def test_encryption_can_be_turned_on_for_existing_data(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis, vault: Vault
) -> None:
    before = make_memory(setup=True)
    await api(before.history("u", "s"), "add_messages", conversation())
    after = make_memory(encryption=ContentEncryption(vault))
    assert await api(after.history("u", "s"), "messages") == conversation()  # plain ones still read
    assert await api(after, "rotate_encryption", "u") == 4
    dump = everything_stored(raw, config.key_prefix)
    for word in ("pistachio", "Zanzibar", "Avocado toast: mash"):  # not in the title
        assert word.encode() not in dump
    # A title derived before encryption was on stays as it was (documented): it is session metadata.
    assert (await api(after, "get_session", "u", "s")).title.startswith("Give me your avocado")
    assert await api(after.history("u", "s"), "messages") == conversation()


def test_bad_key_rings_are_refused() -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        KeyRing("k1", {"k1": b"short"})
    with pytest.raises(ConfigError, match="lacks the current key"):
        KeyRing("k2", {"k1": os.urandom(32)})
    with pytest.raises(ConfigError, match="must return a KeyRing"):
        ContentEncryption(lambda u: "nope").for_user("u")  # type: ignore[arg-type, return-value]


def test_export_is_plain_and_import_seals(
    sealed: RedisSessionMemory, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis, vault: Vault
) -> None:
    sealed.history("u", "s").add_messages(conversation())
    out = io.StringIO()
    sealed.export_jsonl(out, user_id="u")
    assert "pistachio" in out.getvalue()  # an export is the owner's plain copy
    other = dataclasses.replace(config, key_prefix=config.key_prefix + "b:", index_name=config.index_name + "b")
    target = make_memory(config=other, setup=True, encryption=ContentEncryption(vault))
    target.import_jsonl(io.StringIO(out.getvalue()))
    assert target.history("u", "s").messages == conversation()
    assert b"pistachio" not in everything_stored(raw, other.key_prefix)
    target.drop_indexes()
