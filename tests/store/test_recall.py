"""Retrieval that reads a conversation as one: speakers and dates in what is searched, dates of
imported messages, neighbour order, the reranking hook, fusion depth and the index migration."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langchain_sessionmem import ConfigError, InvalidRecordError, SessionMemConfig, session_records
from langchain_sessionmem._search import SORTABLE_SCHEMA
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.store.conftest import Api, wait_indexed


class Recording(HashingEmbeddings):
    """Remembers every text it embedded, on both paths."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return super().embed_documents(texts)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return super().embed_documents(texts)


def _chat() -> list[BaseMessage]:
    return [
        HumanMessage("We finally brought home a beagle puppy.", name="Maya"),
        AIMessage("Congratulations! What is his name?", name="Jonas"),
        HumanMessage("Biscuit. He already chewed a shoe.", name="Maya"),
        AIMessage("I started pottery classes on Thursdays.", name="Jonas"),
    ]


MAY_8 = datetime(2023, 5, 8, 20, 0, tzinfo=timezone.utc)


async def test_import_embeds_each_message_with_its_own_date(api: Api, make_memory: MakeMemory) -> None:
    emb = Recording()
    memory = make_memory(embed_template="{date}|{day}", embeddings=emb)
    await api(memory, "setup")
    stamps = [MAY_8 + timedelta(days=i * 40) for i in range(4)]
    await api(memory, "import_records", session_records("u", "s", _chat(), timestamps=stamps))
    assert emb.texts == [
        "2023-05-08|Monday 8 May 2023",
        "2023-06-17|Saturday 17 June 2023",
        "2023-07-27|Thursday 27 July 2023",
        "2023-09-05|Tuesday 5 September 2023",
    ]
    emb.texts.clear()
    await api(memory, "reindex")  # the same texts: nothing to redo
    assert emb.texts == []


@pytest.fixture
def new_york() -> Iterator[None]:
    """The machine's local time zone is five hours behind UTC in May."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


async def test_naive_datetimes_are_utc_and_do_not_shift_dates(
    api: Api, make_memory: MakeMemory, new_york: None
) -> None:
    emb = Recording()
    memory = make_memory(embed_template="{date}", embeddings=emb, text_context=True)
    await api(memory, "setup")
    late = datetime(2023, 5, 8, 22, 30)  # naive; read as local time it would be 9 May, 02:30 UTC
    records = session_records("u", "s", _chat()[:2], timestamps=[late, late], created_at=late)
    assert records[0]["created_at"] == records[1]["ts"] == int(late.replace(tzinfo=timezone.utc).timestamp() * 1000)
    await api(memory, "import_records", records)
    assert emb.texts == ["2023-05-08", "2023-05-08"]
    docs = await api(
        memory.as_retriever(search_type="text", k=1, text_context=True), "invoke", "Monday 8 May 2023", user_id="u"
    )
    assert docs[0].metadata["timestamp"] == "2023-05-08T22:30:00+00:00"
    info = await api(memory, "get_session", "u", "s")
    assert info.created_at == late.replace(tzinfo=timezone.utc)


def test_session_records_refuses_what_it_cannot_place() -> None:
    with pytest.raises(InvalidRecordError, match="2 timestamps for 1 messages"):
        session_records("u", "s", [HumanMessage("x")], timestamps=[MAY_8, MAY_8])
    with pytest.raises(InvalidRecordError, match=r"timestamps\[0\] must be a datetime"):
        session_records("u", "s", [HumanMessage("x")], timestamps=["2023-05-08"])  # type: ignore[list-item]
    with pytest.raises(InvalidRecordError, match="not a langchain_core BaseMessage"):
        session_records("u", "s", ["hello"])  # type: ignore[list-item]
    plain = session_records("u", "s", [HumanMessage("x")], created_at=1000)
    assert [r["kind"] for r in plain] == ["session", "message"] and plain[1]["ts"] == 1000


async def test_full_text_finds_the_speakers_own_turns_and_their_dates(api: Api, make_memory: MakeMemory) -> None:
    memory = make_memory(embeddings=HashingEmbeddings(), text_context=True)
    await api(memory, "setup")
    early = [MAY_8 + timedelta(minutes=i) for i in range(2)]
    late = [MAY_8 + timedelta(days=60, minutes=i) for i in range(2)]
    records = session_records("u", "a", _chat()[:2], timestamps=early)
    records += session_records("u", "b", _chat()[2:], timestamps=late)
    await api(memory, "import_records", records)
    text = memory.as_retriever(search_type="text", k=10, text_context=True)
    # Neither name is in any text: the speaker's own turns match, not the turns spoken to them.
    jonas = await api(text, "invoke", "what did Jonas say", user_id="u")
    assert {d.page_content for d in jonas} == {_chat()[1].content, _chat()[3].content}
    may = await api(text, "invoke", "what happened in May 2023?", user_id="u")
    assert [d.metadata["session_id"] for d in may] == ["a", "a", "b", "b"]  # "2023" alone matches July too
    july = await api(text, "invoke", "pottery in July", user_id="u")
    assert july[0].page_content == _chat()[3].content
    bare = memory.as_retriever(search_type="text", k=10, text_context=False)  # the text alone
    assert await api(bare, "invoke", "what did Jonas say", user_id="u") == []


async def test_live_writes_index_the_speaker_and_todays_date(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    memory = make_memory(text_context=True)
    await api(memory, "setup")
    await api(memory.history("u", "s"), "add_messages", _chat()[:1])
    key = next(raw.scan_iter(match=f"{config.key_prefix}m:*"))
    today = datetime.now(timezone.utc)
    assert raw.json().get(key, "$.ctx")[0].startswith("Maya ")
    assert f"{today.day} " in raw.json().get(key, "$.ctx")[0]


async def test_neighbours_follow_their_hit(api: Api, make_memory: MakeMemory) -> None:
    memory = make_memory(embeddings=HashingEmbeddings())
    await api(memory, "setup")
    await api(memory, "import_records", session_records("u", "s", _chat(), created_at=MAY_8))
    r = memory.as_retriever(search_type="text", k=1, neighbors=1)
    docs = await api(r, "invoke", "biscuit chewed shoe", user_id="u")
    assert [d.metadata["seq"] for d in docs] == [3, 2, 4]
    assert [d.metadata["match"] for d in docs] == ["seed", "neighbor", "neighbor"]
    docs = await api(r, "invoke", "biscuit chewed shoe", user_id="u", order="chronological")
    assert [d.metadata["seq"] for d in docs] == [2, 3, 4]


class Alphabetical(BaseDocumentCompressor):
    """A deterministic reranker: the candidates sorted by their text; records what it was given."""

    seen: list[int] = []

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Any = None
    ) -> Sequence[Document]:
        self.seen.append(len(documents))
        return sorted(documents, key=lambda d: d.page_content)

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Any = None
    ) -> Sequence[Document]:
        self.seen.append(-len(documents))  # negative: the async twin was called
        return sorted(documents, key=lambda d: d.page_content)


async def test_a_reranker_reorders_the_fused_candidates(api: Api, make_memory: MakeMemory) -> None:
    memory = make_memory(embeddings=HashingEmbeddings())
    await api(memory, "setup")
    await api(memory, "import_records", session_records("u", "s", _chat(), created_at=MAY_8))
    reranker = Alphabetical(seen=[])
    r = memory.as_retriever(search_type="hybrid", k=2, fusion_depth=4, reranker=reranker, neighbors=1)
    docs = await api(r, "invoke", "beagle puppy pottery biscuit name", user_id="u")
    assert reranker.seen == [4 if api.mode == "sync" else -4]  # every candidate, loaded as Documents
    seeds = [d for d in docs if d.metadata["match"] == "seed"]
    assert [d.page_content for d in seeds] == sorted(m.content for m in _chat())[:2]  # type: ignore[type-var]
    assert docs[0].metadata["match"] == "seed" and "_sh" not in docs[0].metadata
    assert len(docs) == 2 + len({d.metadata["seq"] for d in docs} - {d.metadata["seq"] for d in seeds})


async def test_a_reranker_without_neighbors_returns_only_the_documented_metadata(
    api: Api, make_memory: MakeMemory
) -> None:
    memory = make_memory(embeddings=HashingEmbeddings())
    await api(memory, "setup")
    await api(memory, "import_records", session_records("u", "s", _chat(), created_at=MAY_8))
    r = memory.as_retriever(search_type="hybrid", k=2, reranker=Alphabetical(seen=[]))
    docs = await api(r, "invoke", "beagle puppy pottery biscuit name", user_id="u")
    assert len(docs) == 2
    documented = {"user_id", "session_id", "seq", "timestamp", "timestamp_ms", "type", "role", "message_id"}
    documented |= {"score", "distance", "match", "message"}
    assert [set(d.metadata) for d in docs] == [documented, documented]  # no internal marker left behind


async def test_fusion_depth_sets_how_many_candidates_each_ranking_gives(api: Api, make_memory: MakeMemory) -> None:
    memory = make_memory(embeddings=HashingEmbeddings())
    await api(memory, "setup")
    await api(memory, "import_records", session_records("u", "s", _chat(), created_at=MAY_8))
    for depth, expected in ((1, 1), (3, 3), (0, 4)):  # 0: 4 * k, capped by what there is
        reranker = Alphabetical(seen=[])
        r = memory.as_retriever(search_type="text", k=1, fusion_depth=depth, reranker=reranker)
        await api(r, "invoke", "beagle puppy pottery biscuit name congratulations", user_id="u")
        assert [abs(n) for n in reranker.seen] == [expected]


async def test_setup_migrates_an_index_of_the_previous_schema(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    old = ["FT.CREATE", config.index_name, "ON", "JSON", "PREFIX", "1", f"{config.key_prefix}m:", "STOPWORDS", "0"]
    old += ["SCHEMA"]
    for path, name, kind, flags in SORTABLE_SCHEMA[:-1]:  # 0.1.0 before ``ctx``
        old += [path, "AS", name, kind, *flags]
    raw.execute_command(*old)
    make_memory().history("u", "s").add_message(HumanMessage("the old avocado toast", name="Maya"))  # no ctx
    memory = make_memory(text_context=True)
    await api(memory, "setup")
    await api(memory, "setup")  # idempotent
    wait_indexed(raw, config.index_name)
    await api(memory.history("u", "s"), "add_messages", [AIMessage("new pancakes", name="Jonas")])
    r = memory.as_retriever(search_type="text", k=5, text_context=True)
    assert [d.page_content for d in await api(r, "invoke", "avocado", user_id="u")] == ["the old avocado toast"]
    assert [d.page_content for d in await api(r, "invoke", "Jonas", user_id="u")] == ["new pancakes"]
    assert [m.content for m in await api(memory.history("u", "s"), "messages")] == [
        "the old avocado toast",
        "new pancakes",
    ]


async def test_sealing_plain_messages_drops_their_indexed_speaker(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    from langchain_sessionmem import ContentEncryption
    from tests.store.test_encryption import Vault

    before = make_memory(text_context=True)
    await api(before, "setup")
    await api(before.history("u", "s"), "add_messages", [HumanMessage("hello", name="Melchior")])
    key = next(raw.scan_iter(match=f"{config.key_prefix}m:*"))
    assert "Melchior" in raw.json().get(key, "$.ctx")[0]
    after = make_memory(encryption=ContentEncryption(Vault()))
    assert await api(after, "rotate_encryption", "u") == 1
    assert b"Melchior" not in raw.execute_command("JSON.GET", key, "$")
    assert [m.name for m in await api(after.history("u", "s"), "messages")] == ["Melchior"]


async def test_the_speaker_and_date_are_stored_only_when_configured(
    api: Api, make_memory: MakeMemory, config: SessionMemConfig, raw: redis.Redis
) -> None:
    plain = make_memory()
    await api(plain, "setup")
    await api(plain.history("u", "a"), "add_messages", [HumanMessage("the avocado toast", name="Maya")])
    with_context = make_memory(text_context=True)
    await api(with_context.history("u", "b"), "add_messages", [HumanMessage("the pancakes", name="Maya")])
    docs = {d["text"]: d for key in raw.scan_iter(match=f"{config.key_prefix}m:*") for d in raw.json().get(key, "$")}
    assert "ctx" not in docs["the avocado toast"]
    assert docs["the pancakes"]["ctx"].startswith("Maya ")
    wait_indexed(raw, config.index_name)
    r = with_context.as_retriever(search_type="text", k=5, text_context=True)
    assert [d.page_content for d in await api(r, "invoke", "Maya", user_id="u")] == ["the pancakes"]
    # Without the option, asking to search the speaker and date is refused, not silently unmatched.
    with pytest.raises(ConfigError, match=r"^text_context=True searches .* SessionMemConfig\(text_context=True\)"):
        plain.as_retriever(search_type="text", text_context=True)
    with pytest.raises(ConfigError, match=r"SessionMemConfig\(text_context=True\)"):
        await api(plain.as_retriever(search_type="text"), "invoke", "Maya", user_id="u", text_context=True)
