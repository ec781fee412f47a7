"""Adversarial suite (issue 6, items 1 and 2).

Item 1, queries that crash the server. RediSearch 2.10.5 segfaults the whole Redis server on a
full-text union whose first two terms are stop-words of the index (``@text:(the|for|melanie)``).
Two independent layers keep user text away from that: ``setup()`` creates the index with
``STOPWORDS 0``, and ``text_query_terms`` drops stop-words (and every non-word character). The
fuzz below runs on a throw-away server (a crash would otherwise take the shared test server down)
against two indexes: the one ``setup()`` makes, and one created with RediSearch's default
stop-words, where the query building is the only protection. After every query it PINGs the
server. ``test_the_fuzz_notices_a_killed_server`` proves the check is real: with the stop-word
filter patched out, the same harness kills the second server and reports the question.
(test_retriever.py's ``test_the_hazard_is_real_and_our_queries_avoid_it`` already proves the raw
query kills a server with default stop-words; this file does not repeat that.)

Item 2, isolation under hostile ids. A fixed population (test_isolation.TRICKY plus case,
normalisation, whitespace, NUL, separator, query-syntax, glob, digest-shaped and maximal-length
ids) and hypothesis-generated families of near-identical ids each get distinct marker messages;
every read (messages, recent window, token window, context, session info, listings, instructions,
retriever in all three modes with hostile query text, export, list_users) must return exactly the
caller's markers, and every clear/delete must leave every other key byte-identical (full dumps of
the key space compared before and after). Ids the library refuses must raise its typed error and
write nothing.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import redis
import redis.asyncio as aredis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

import langchain_sessionmem._ops.search as search_ops
from langchain_sessionmem import RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._keys import SessionKeys, UserKeys, glob_escape, session_digest, user_digest
from langchain_sessionmem._search import STOPWORDS, create_index_args, create_vector_index_args, text_query_terms
from langchain_sessionmem.errors import ConfigError, InvalidIdError, RedisUnavailableError, SessionMemError
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory
from tests.store.conftest import Api
from tests.store.test_isolation import TRICKY
from tests.store.test_retriever import QUESTIONS

# ---------------------------------------------------------------------------------------------
# Shared: a full dump of the key space, and what may differ between two dumps
# ---------------------------------------------------------------------------------------------


_DUMP = """
local out = {}
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  local t = redis.call('TYPE', k)['ok']
  local v
  if t == 'zset' then
    v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
  elseif t == 'hash' then
    local flat, fields = redis.call('HGETALL', k), {}
    for i = 1, #flat, 2 do fields[#fields + 1] = string.len(flat[i]) .. ':' .. flat[i] .. '=' .. flat[i + 1] end
    table.sort(fields)
    v = redis.sha1hex(table.concat(fields, ';'))
  elseif t == 'ReJSON-RL' then
    v = redis.sha1hex(redis.call('JSON.GET', k, '.'))
  else
    v = redis.sha1hex(redis.call('DUMP', k))
  end
  out[#out + 1] = k
  out[#out + 1] = t
  out[#out + 1] = redis.call('PEXPIRETIME', k)
  out[#out + 1] = v
end
return out
"""


def dump(client: redis.Redis, prefix: str) -> dict[bytes, tuple[str, int, Any]]:
    """Every key under ``prefix``: (type, PEXPIRETIME, value), in one script call. The value is the
    SHA-1 of the whole JSON document, of the sorted hash fields and values, of DUMP for anything
    else, and for sorted sets {member: score}. Two equal dumps mean nothing under the prefix changed."""
    flat = client.eval(_DUMP, 0, glob_escape(prefix) + "*")
    out: dict[bytes, tuple[str, int, Any]] = {}
    for i in range(0, len(flat), 4):
        key, kind, deadline, value = flat[i : i + 4]
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        if kind == "zset":
            value = {value[j]: value[j + 1] for j in range(0, len(value), 2)}
        out[key] = (kind, int(deadline), value)
    return out


def _without(
    state: dict[bytes, tuple[str, int, Any]],
    drop: Callable[[bytes], bool],
    members: dict[bytes, bytes] | None = None,
) -> dict[bytes, tuple[str, int, Any]]:
    out = {}
    for key, (kind, ttl, value) in state.items():
        if drop(key):
            continue
        if members and key in members:
            value = {m: s for m, s in value.items() if m != members[key]}
            if not value:
                continue
        out[key] = (kind, ttl, value)
    return out


def assert_only(
    before: dict[bytes, tuple[str, int, Any]],
    after: dict[bytes, tuple[str, int, Any]],
    *,
    gone: Callable[[bytes], bool],
    changed: Iterable[bytes] = (),
    members: dict[bytes, bytes] | None = None,
) -> None:
    """Keys matching ``gone`` are absent afterwards; apart from them, the ``changed`` keys and the
    zset ``members`` named, both dumps are identical."""
    assert [k for k in after if gone(k)] == []
    skip = set(changed)
    untouched_before = _without(before, lambda k: gone(k) or k in skip, members)
    untouched_after = _without(after, lambda k: gone(k) or k in skip, members)
    lost = sorted(set(untouched_before) - set(untouched_after))
    added = sorted(set(untouched_after) - set(untouched_before))
    altered = sorted(
        k for k in untouched_before.keys() & untouched_after.keys() if untouched_before[k] != untouched_after[k]
    )
    assert (lost, added, altered) == ([], [], []), "another id's data changed"


def _session_keys(prefix: str, user_id: str, session_id: str) -> tuple[bytes, bytes, tuple[bytes, bytes], bytes]:
    """Meta, message prefix, (vector prefix, message-id hash): what a clear removes, sessions zset."""
    k = SessionKeys.of(prefix, user_id, session_id)
    return (
        k.meta.encode(),
        k.message_prefix.encode(),
        (k.vector_prefix.encode(), k.ids.encode()),
        k.user.sessions.encode(),
    )


# ---------------------------------------------------------------------------------------------
# Item 1: user text never becomes a query that kills the server
# ---------------------------------------------------------------------------------------------

# RediSearch's default stop-word list (https://redis.io/docs/latest/develop/interact/search-and-query/
# advanced-concepts/stopwords/): the words an index created without STOPWORDS treats as stop-words.
REDISEARCH_DEFAULT_STOPWORDS = (
    "a is the an and are as at be but by for if in into it no not of on or such that their then there these "
    "they this to was will with"
).split()


def test_the_query_terms_drop_every_default_stopword_in_any_case() -> None:
    assert set(REDISEARCH_DEFAULT_STOPWORDS) <= STOPWORDS
    for i, word in enumerate(REDISEARCH_DEFAULT_STOPWORDS):
        nxt = REDISEARCH_DEFAULT_STOPWORDS[(i + 1) % len(REDISEARCH_DEFAULT_STOPWORDS)]
        for a, b in ((word, nxt), (word.upper(), nxt.title()), (word.title(), nxt.upper())):
            assert text_query_terms(f"{a} {b} melanie?") == ["melanie"]
            assert text_query_terms(f"{a}|{b}|(melanie)") == ["melanie"]


class ServerDied(AssertionError):
    """The throw-away server stopped answering PING after a query."""


def _alive(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _index_with_default_stopwords(client: redis.Redis, memory: RedisSessionMemory, dims: int) -> None:
    """The package's schema, minus ``STOPWORDS 0``: an index where only the query building protects."""
    args = create_index_args(memory.config)
    i = args.index("STOPWORDS")
    client.execute_command(*args[:i], *args[i + 2 :])
    client.execute_command(*create_vector_index_args(memory.config, dims))


def _seed(memory: RedisSessionMemory) -> None:
    for user in ("u", "v"):
        history = memory.history(user, "s")
        history.add_messages(
            [
                HumanMessage(f"{user}: the shoes Melanie got for running, is it the one for the trip?"),
                AIMessage(f"{user}: a hotel in Lisbon; x² ½ 数字 é a_b __init__"),
            ]
            * 3
        )


def _check_docs(docs: list[Document], question: str) -> None:
    assert all(d.metadata["user_id"] == "u" for d in docs), f"another user's message came back for {question!r}"


def ask(client: redis.Redis, memories: Iterable[RedisSessionMemory], question: str, options: dict[str, Any]) -> None:
    """Run ``question`` through text and hybrid retrieval of each memory; PING after each query."""
    if not _alive(client):
        raise ServerDied(f"the server was already down before {question!r}")
    for memory in memories:
        for search_type in ("text", "hybrid"):
            retriever = memory.as_retriever(user_id="u", session_id="s", search_type=search_type, **options)
            try:
                docs = retriever.invoke(question)
            except RedisUnavailableError as exc:
                raise ServerDied(f"{search_type} query {question!r} {options} killed the server") from exc
            if not _alive(client):
                raise ServerDied(f"{search_type} query {question!r} {options} killed the server")
            _check_docs(docs, question)


def _on(make_memory: MakeMemory, url: str, prefix: str, setup: bool = False) -> RedisSessionMemory:
    """A memory with the hashing embeddings under ``prefix`` (index ``<prefix>idx``) on ``url``."""
    config = SessionMemConfig(key_prefix=prefix, index_name=f"{prefix}idx")
    return make_memory(url, config=config, embeddings=_EMB, setup=setup)


async def aask(make_memory: MakeMemory, url: str, prefixes: list[str], asked: list[tuple[str, dict[str, Any]]]) -> int:
    """The same questions through the native async path (``ainvoke``), PING after each query; the
    memories' clients of this loop close with it."""
    client = aredis.Redis.from_url(url)
    memories = [_on(make_memory, url, p) for p in prefixes]
    n = 0
    try:
        for question, options in asked:
            for memory in memories:
                for search_type in ("text", "hybrid"):
                    retriever = memory.as_retriever(user_id="u", session_id="s", search_type=search_type, **options)
                    try:
                        docs = await retriever.ainvoke(question)
                        await client.ping()
                    except (RedisUnavailableError, redis.ConnectionError) as exc:
                        raise ServerDied(f"async {search_type} query {question!r} {options} killed the server") from exc
                    _check_docs(docs, question)
                    n += 1
    finally:
        await client.aclose()
    return n


_EMB = HashingEmbeddings(64)
STOP_LIST = sorted(STOPWORDS)
WORDS = ["melanie", "shoes", "running", "hotel", "lisbon", "trip", "x2", "数字", "x²", "½", "ǅ", "a_b", "_", "__init__"]
# Variants that Python's lower() and RediSearch's own folding might treat differently.
ODD_WORDS = [
    "ｔｈｅ", "ＦＯＲ", "iſ", "aſ", "thiſ", "İs", "ﬁ", "ǆ", "ß", "K", "Å", "the\u0301", "t\u200bhe", "th\u00ade",
]  # fmt: skip
SYNTAX = [
    "|", "(", ")", "@text:", "@user:{", "@session:{*}", "}", "{", "-", "*", "$vec", "~", "%", "%%", '"', "'",
    "=>", "[KNN 5 @v $vec]", "@ts:[0 +inf]", "ismissing(@text)", "\\", ":", ";", ",", ".", "?", "!", "&", "+",
    "\x00", "\n", "\t", "@", "=>[KNN 1 @v $vec AS dist]", "-@user:{x}", "@text:(the|for|melanie)", "*=>",
]  # fmt: skip
TEMPLATES = [
    "What {} the {} that {} got {}?",
    "{} {} {}",
    "Is it {} {} for the {}?",
    "@text:({}|{}|{})",
    "({}|{}) {}",
    "{}|{}|{}|{}",
]

questions = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(STOP_LIST + WORDS + ODD_WORDS + SYNTAX), max_size=24).map(" ".join),
    st.lists(st.sampled_from(STOP_LIST + WORDS + ODD_WORDS + SYNTAX), max_size=12).map("".join),
    st.tuples(
        st.sampled_from(TEMPLATES),
        st.lists(
            st.sampled_from(STOP_LIST + WORDS + ODD_WORDS)
            | st.sampled_from(STOP_LIST).map(str.upper)
            | st.sampled_from(STOP_LIST).map(str.title),
            min_size=4,
            max_size=4,
        ),
    ).map(lambda t: t[0].format(*t[1])),
    st.lists(st.sampled_from(STOP_LIST), min_size=2, max_size=40).map(" ".join),  # all stop-words, many terms
    st.lists(st.text(st.characters(categories=["L", "N", "Pc"]), min_size=2, max_size=6), max_size=40).map(" ".join),
)
retriever_options = st.fixed_dictionaries(
    {},
    optional={
        "k": st.integers(1, 12),
        "all_sessions": st.booleans(),
        "exclude_recent": st.integers(0, 4),
        "neighbors": st.integers(0, 2),
        # control characters and a lone "_" are left to test_odd_message_types_match_nothing (a known bug)
        "message_types": st.lists(
            st.sampled_from(["human", "ai", "tool", "__", "a_b"] + [x for x in SYNTAX if x.isprintable()])
            | st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=6).filter(
                lambda t: t != "_"
            ),
            min_size=1,
            max_size=3,
        ).map(tuple),
    },
)
# Every stop-word of the default list followed by another, as typed and in capitals: the hazard's shape.
HAZARDS = [
    f"{a} {b} melanie"
    for i, w in enumerate(REDISEARCH_DEFAULT_STOPWORDS)
    for a, b in [
        (w, REDISEARCH_DEFAULT_STOPWORDS[(i + 1) % len(REDISEARCH_DEFAULT_STOPWORDS)]),
        (w.upper(), REDISEARCH_DEFAULT_STOPWORDS[(i + 5) % len(REDISEARCH_DEFAULT_STOPWORDS)].title()),
    ]
]
FUZZ_EXAMPLES = 150


def _two_indexes(make_memory: MakeMemory, url: str) -> tuple[redis.Redis, RedisSessionMemory, RedisSessionMemory]:
    client = redis.Redis.from_url(url)
    safe = _on(make_memory, url, "safe:", setup=True)
    bare = _on(make_memory, url, "bare:")
    _index_with_default_stopwords(client, bare, 64)
    _seed(safe)
    _seed(bare)
    return client, safe, bare


def test_fuzzed_questions_never_kill_the_server(start_server: Callable[..., str], make_memory: MakeMemory) -> None:
    url = start_server()
    client, safe, bare = _two_indexes(make_memory, url)
    try:
        # The index layer alone: the raw hazard, on the index setup() made, leaves the server up.
        uh = UserKeys.of("safe:", "u").uh
        for raw_query in ("@text:(the|for|melanie)", f"@user:{{{uh}}} @text:(the|for|melanie)", "the|for|melanie"):
            client.execute_command("FT.SEARCH", "safe:idx", raw_query, "DIALECT", 2)
            assert _alive(client), f"STOPWORDS 0 no longer protects: {raw_query!r} killed the server"

        asked: list[tuple[str, dict[str, Any]]] = []

        def run(question: str, options: dict[str, Any]) -> None:
            asked.append((question, options))
            ask(client, (bare, safe), question, options)

        for question in [*QUESTIONS, *HAZARDS, *ODD_WORDS]:
            run(question, {})

        # No shrinking: once the server is dead every later query fails too, so a shrunk example would
        # name the wrong question. The first killer is in the ServerDied message.
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            phases=(Phase.explicit, Phase.reuse, Phase.generate),
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(question=questions, options=retriever_options)
        def fuzz(question: str, options: dict[str, Any]) -> None:
            run(question, options)

        fuzz()
        replayed = asyncio.run(aask(make_memory, url, ["bare:", "safe:"], asked))
        assert replayed == 4 * len(asked) >= 4 * (len(QUESTIONS) + len(HAZARDS) + FUZZ_EXAMPLES)
        assert _alive(client)
    finally:
        client.close()


@pytest.mark.parametrize("message_type", ["_", "\x01", "\x7f", "\x1f\x1f"])
async def test_odd_message_types_match_nothing(api: Api, hmemory: RedisSessionMemory, message_type: str) -> None:
    await api(hmemory.history("u", "s"), "add_messages", [HumanMessage("avocado toast")])
    for search_type in ("text", "similarity"):
        docs = await _retrieve(
            api, hmemory, "avocado", user_id="u", search_type=search_type, message_types=(message_type,)
        )
        assert docs == []


def _keep_stopwords(text: str, limit: int = 32) -> list[str]:
    """``text_query_terms`` without its stop-word filter: the protection broken on purpose."""
    return list(dict.fromkeys(t for t in re.findall(r"\w+", text.lower()) if len(t) > 1))[:limit]


def test_the_fuzz_notices_a_killed_server(
    start_server: Callable[..., str], make_memory: MakeMemory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = start_server()
    client, safe, bare = _two_indexes(make_memory, url)
    monkeypatch.setattr(search_ops, "text_query_terms", _keep_stopwords)
    try:
        ask(client, [safe], "What are the new shoes that Melanie got used for?", {})  # STOPWORDS 0 alone holds
        with pytest.raises(ServerDied, match="for melanie"):
            ask(client, [bare], "the for melanie", {})
        assert not _alive(client)
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------
# Item 2: hostile ids, fixed population
# ---------------------------------------------------------------------------------------------


def _nf(form: str, text: str) -> str:
    return unicodedata.normalize(form, text)  # type: ignore[arg-type]


HOSTILE = [
    # case and case folding: all different ids
    "ALICE@EXAMPLE.COM", "Alice@example.com", "straße", "STRASSE", "strasse", "ǅ", "ǆ", "Ǆ", "İstanbul", "istanbul",
    "ıstanbul", "\u212a", "K", "k", "ΣΑΣ", "σας", "σαΣ",
    # Unicode normalisation variants: NFC, NFD, NFKC-equivalent and compatibility forms
    _nf("NFC", "Å"), "\u212b", _nf("NFD", "Å"), _nf("NFC", "한국"), _nf("NFD", "한국"), "ﬁ", "fi", "①", "1", "ｆｕｌｌ",
    "full", _nf("NFC", "e\u0301\u0323"), _nf("NFD", "e\u0301\u0323"), "e\u0323\u0301",
    # whitespace and invisible characters
    " ", "  ", "\t", "\n", "\r\n", "alice\u00a0", "\u200balice", "alice\u200d", "\ufeffalice", "alice\u2028", "\u3000",
    # NUL and control characters
    "\x00", "alice\x00", "\x00alice", "a\x00b", "\x7f", "\x1b[31mred",
    # separators and key syntax
    ":", "::", "a:b:c", "{", "}", "}{", "{alice}", "a}:{b", "alice:s:1", "m:", "u:{x}", "sessionmem:", "\\\\",
    # RediSearch query syntax
    "@user:{*}", "@session:{*}", "-@user:{alice}", "(alice|bob)", "alice|bob", "~alice", "%alice%", "ali*", "$vec",
    "=>[KNN 10 @v $vec AS dist]", "@text:(the|for|melanie)", "@ts:[-inf +inf]", "ismissing(@user)", "*=>[KNN 5 @v $v]",
    # SCAN glob syntax, Lua/printf/JSON look-alikes
    "?", "[a-z]", "[^a]", "a*b?", "%s%d%%", "nil", "false", "0", "-1", "1e3", "nan", "null", "[]", '{"uid":"alice"}',
    # length: the limit itself, in 1-byte, 2-byte and 4-byte characters, and one character off
    "x" * 511 + "y", "é" * 512, "🥑" * 512, _nf("NFD", "é") * 256,
]  # fmt: skip
# Ids shaped like this package's own key material: another user's digest, a session digest.
DIGEST_IDS = [
    user_digest("alice"),
    session_digest("alice", "s"),
    f"{user_digest('alice')}:{session_digest('alice', 's')}",
]
POPULATION = list(dict.fromkeys([*TRICKY, *HOSTILE, *DIGEST_IDS]))
EXTRA_PAIRS = [
    ("alice", "s"), ("alice", "S"), ("alice", "s "), ("alice", " s"), ("alice", "s\x00"),
    (_nf("NFC", "café"), _nf("NFC", "café")), (_nf("NFC", "café"), _nf("NFD", "café")),
    (_nf("NFD", "café"), _nf("NFC", "café")), ("a\x00b", "c"), ("a", "b\x00c"), ("a:b", "c"), ("a", "b:c"),
    ("a}:{b", "c"), ("a", "b}:{c"), ("a", "b"), ("b", "a"),
]  # fmt: skip


def _pairs() -> list[tuple[str, str]]:
    n = len(POPULATION)
    pairs = [(u, POPULATION[(i + 1) % n]) for i, u in enumerate(POPULATION)]
    pairs += [(u, POPULATION[(7 * i + 3) % n]) for i, u in enumerate(POPULATION)]
    return list(dict.fromkeys(pairs + EXTRA_PAIRS))


PAIRS = _pairs()


def markers(i: int, user_id: str, session_id: str) -> list[BaseMessage]:
    """The distinct messages of pair ``i``: the question carries both raw ids, to be compared back."""
    return [
        HumanMessage(f"avocado marker {i}", id=f"q{i}", additional_kwargs={"owner": [user_id, session_id]}),
        AIMessage(f"avocado reply {i}", id=f"a{i}"),
    ]


def test_the_population_is_what_it_claims() -> None:
    assert len(POPULATION) >= 120 and len(PAIRS) >= 250
    assert all(isinstance(x, str) and 1 <= len(x) <= 512 for x in POPULATION)
    assert _nf("NFC", "café") != _nf("NFD", "café") and "\u212b" != _nf("NFC", "Å") != _nf("NFD", "Å")
    assert len({user_digest(u) for u in POPULATION}) == len(POPULATION)
    assert len({session_digest(u, s) for u, s in PAIRS}) == len(PAIRS)


async def _retrieve(api: Api, memory: RedisSessionMemory, query: str, **kwargs: Any) -> list[Document]:
    """Search with per-call options (``invoke(query, **kwargs)``), sync or native async."""
    retriever = memory.as_retriever()
    return retriever.invoke(query, **kwargs) if api.mode == "sync" else await retriever.ainvoke(query, **kwargs)


def _found(docs: list[Document]) -> set[tuple[str, str, str]]:
    return {(d.metadata["user_id"], d.metadata["session_id"], d.metadata["message_id"]) for d in docs}


@pytest.fixture
async def hmemory(make_memory: MakeMemory) -> RedisSessionMemory:
    memory = make_memory(embeddings=HashingEmbeddings(64))
    await memory.asetup()
    return memory


async def test_hostile_ids_are_isolated_in_every_operation(
    api: Api, hmemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    memory, prefix = hmemory, hmemory.config.key_prefix
    index = {pair: i for i, pair in enumerate(PAIRS)}
    sessions: dict[str, list[str]] = {}
    for u, s in PAIRS:
        sessions.setdefault(u, []).append(s)
    user_instr = {u: f"user instructions {i}" for i, u in enumerate(sessions) if i % 3 == 0}
    session_instr = {p: f"session instructions {index[p]}" for p in PAIRS if index[p] % 5 == 0}

    for (u, s), i in index.items():
        await api(memory.history(u, s), "add_messages", markers(i, u, s))
    for u, text in user_instr.items():
        await api(memory, "set_instructions", u, text)
    for (u, s), text in session_instr.items():
        await api(memory, "set_instructions", u, text, session_id=s)

    async def check_pair(u: str, s: str) -> None:
        i, h = index[(u, s)], memory.history(u, s)
        want = markers(i, u, s)
        assert await api(h, "messages") == want, (u, s)
        assert await api(h, "get_recent", 1) == want[1:]
        assert await api(h, "get_window", 10_000) == want
        assert await api(h, "__len__") == 2
        assert await api(h, "token_count") == memory.count_tokens(want)
        instructions = session_instr.get((u, s)) or user_instr.get(u)
        assert await api(memory, "get_instructions", u, s) == instructions
        head = [SystemMessage(instructions, id="sessionmem-instructions")] if instructions else []
        assert await api(h, "get_context") == head + want
        info = await api(memory, "get_session", u, s)
        assert (info.user_id, info.session_id, info.title, info.message_count) == (u, s, f"avocado marker {i}", 2)

    live = dict(index)  # pairs whose messages are stored
    listed = dict(index)  # pairs whose session exists (a cleared session stays, empty)

    async def check_user(u: str, j: int) -> None:
        alive = [s for s in sessions[u] if (u, s) in live]
        mine = {(u, s, f"{kind}{index[(u, s)]}") for s in alive for kind in "qa"}
        listed_now = await api(memory, "list_sessions", u)
        assert sorted((x.user_id, x.session_id, x.title, x.message_count) for x in listed_now) == sorted(
            (u, s, f"avocado marker {index[(u, s)]}", 2 if (u, s) in live else 0)
            for s in sessions[u]
            if (u, s) in listed
        )
        paged, cursor = [], None
        while True:
            page = await api(memory, "list_sessions", u, limit=1, cursor=cursor)
            paged += [x.session_id for x in page]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(paged) == sorted(x.session_id for x in listed_now)
        assert await api(memory, "get_instructions", u) == user_instr.get(u)

        # Hybrid runs both query builders (KNN and BM25) and returns the union of their hits (k is
        # above the user's message count): a leak in either shows. The query text is hostile.
        other = POPULATION[(j + 1) % len(POPULATION)]
        hostile = f"avocado marker reply {other} @user:{{*}} | * -@session:{{{other}}} the for melanie {u}"
        if not alive:
            assert _found(await _retrieve(api, memory, hostile, user_id=u, k=50, search_type="hybrid")) == mine
        else:
            s, i = alive[0], index[(u, alive[0])]
            every = await _retrieve(api, memory, hostile, user_id=u, session_id=s, k=50, exclude_recent=1)
            assert _found(every) == mine - {(u, s, f"a{i}")}, u
            only = await _retrieve(api, memory, hostile, user_id=u, session_id=s, all_sessions=False, k=50)
            assert _found(only) == {(u, s, f"q{i}"), (u, s, f"a{i}")}, u

        out = io.StringIO()
        await api(memory, "export_jsonl", out, user_id=u)
        records = [json.loads(line) for line in out.getvalue().split("\n")[1:] if line]  # not splitlines: U+2028
        assert {r["user_id"] for r in records} == {u}
        assert sorted(r["session_id"] for r in records if r["kind"] == "session") == sorted(paged)
        assert len([r for r in records if r["kind"] == "message"]) == 2 * len(alive)

    for u, s in PAIRS:
        await check_pair(u, s)
    for j, u in enumerate(sessions):
        await check_user(u, j)
    assert await api(memory, "list_users") == sorted(sessions)

    # --- mutations: each changes its own id's keys and nothing else, byte for byte -----------
    def index_matches_the_keys() -> None:
        reply = raw.execute_command("FT.SEARCH", memory.config.index_name, "*", "LIMIT", 0, 0)
        total = reply.get(b"total_results", reply.get("total_results")) if isinstance(reply, dict) else reply[0]
        assert total == 2 * len(live) == len(raw.keys(glob_escape(prefix) + "m:*"))

    async def check_neighbour(near: str) -> None:
        for s in sessions[near]:
            if (near, s) in live:
                await check_pair(near, s)
        await check_user(near, POPULATION.index(near))

    state = [dump(raw, prefix)]  # reads write nothing, so each mutation's "after" is the next one's "before"

    async def clear(u: str, s: str, *, drop: bool) -> None:
        meta, messages, vectors, zset = _session_keys(prefix, u, s)
        before = state[0]
        if drop:
            assert await api(memory, "delete_session", u, s) == 2
        else:
            await api(memory.history(u, s), "clear")
        after = state[0] = dump(raw, prefix)
        if drop:
            assert_only(
                before, after, gone=lambda k: k.startswith((messages, *vectors)) or k == meta,
                members={zset: meta.rsplit(b":", 1)[1]},
            )  # fmt: skip
            del listed[(u, s)]
        else:
            assert_only(
                before, after, gone=lambda k: k.startswith((messages, *vectors)), changed=[meta],
                members={zset: meta.rsplit(b":", 1)[1]},
            )  # fmt: skip
        assert await api(memory.history(u, s), "messages") == []
        del live[(u, s)]
        index_matches_the_keys()

    await clear(_nf("NFC", "café"), _nf("NFC", "café"), drop=False)
    await check_neighbour(_nf("NFC", "café"))
    await check_neighbour(_nf("NFD", "café"))
    await clear("alice", "s", drop=True)
    await check_neighbour("alice")

    neighbours = {
        "*": ["a*b?", "*|{}@-\\\"'", "ali*"],
        "alice": ["Alice", "ALICE", " alice", "alice ", "alice\x00", "\u200balice", "alice\u00a0", "~alice"],
        _nf("NFD", "café"): [_nf("NFC", "café")],
        "x" * 512: ["x" * 511 + "y"],
        user_digest("alice"): [DIGEST_IDS[2]],
        "a": ["a_b", "a:b", "a,b", "a b", "a\x00b", "b"],
        "\x00": ["\x00alice", "alice\x00", "a\x00b"],
        " ": ["  ", "\t", "\u3000"],
        "@user:{*}": ["@session:{*}", "-@user:{alice}"],
    }
    for victim, near_ids in neighbours.items():
        before = state[0]
        uh = f"{{{user_digest(victim)}}}".encode()
        assert await api(memory, "delete_user", victim) == 2 * sum(1 for u, _ in live if u == victim)
        state[0] = dump(raw, prefix)
        assert_only(before, state[0], gone=lambda k, uh=uh: uh in k)
        for table in (live, listed):
            for pair in [p for p in table if p[0] == victim]:
                del table[pair]
        assert await api(memory, "list_sessions", victim) == []
        assert await api(memory, "get_instructions", victim) is None
        assert await _retrieve(api, memory, "avocado marker reply", user_id=victim, k=50, search_type="hybrid") == []
        for near in near_ids:
            await check_neighbour(near)
        index_matches_the_keys()
    assert await api(memory, "list_users") == sorted({u for u, _ in listed})


BAD_IDS: list[object] = ["", "x" * 4097, "🥑" * 4097, "\ud800", "a\udfffb", None, b"alice", 5, ("alice",)]


async def test_refused_ids_raise_the_typed_error_and_write_nothing(
    api: Api, hmemory: RedisSessionMemory, raw: redis.Redis
) -> None:
    memory = hmemory
    for i, (u, s) in enumerate(PAIRS[:20]):
        await api(memory.history(u, s), "add_messages", markers(i, u, s))
    await api(memory, "set_instructions", "alice", "be brief")
    before = dump(raw, memory.config.key_prefix)

    refused = 0
    for bad in BAD_IDS:
        calls: list[tuple[Any, str, tuple[Any, ...], dict[str, Any]]] = [
            (memory, "list_sessions", (bad,), {}),
            (memory, "delete_user", (bad,), {}),
            (memory, "get_session", (bad, "s"), {}),
            (memory, "get_session", ("alice", bad), {}),
            (memory, "update_session", (bad, "s"), {"title": "t"}),
            (memory, "update_session", ("alice", bad), {"metadata": {"a": 1}}),
            (memory, "delete_session", (bad, "s"), {}),
            (memory, "delete_session", ("alice", bad), {}),
            (memory, "set_instructions", (bad, "x"), {}),
            (memory, "get_instructions", (bad,), {}),
        ]
        if bad is not None:  # there None means "the user's default", "every user", "the whole user"
            calls += [
                (memory, "set_instructions", ("alice", "x"), {"session_id": bad}),
                (memory, "get_instructions", ("alice", bad), {}),
                (memory, "export_jsonl", (io.StringIO(),), {"user_id": bad, "session_id": "s"}),
                (memory, "export_jsonl", (io.StringIO(),), {"user_id": "alice", "session_id": bad}),
            ]
        for obj, name, args, kwargs in calls:
            with pytest.raises(InvalidIdError):
                await api(obj, name, *args, **kwargs)
            refused += 1
        for args in ((bad, "s"), ("alice", bad)):
            with pytest.raises(InvalidIdError):
                memory.history(*args)
            refused += 1
        if not isinstance(bad, (bytes, bytearray, type(None))):  # bytes: see the xfail test below
            for ids in ({"user_id": bad}, {"user_id": "alice", "session_id": bad}):
                # a per-call id is validated by the retriever's own fields, then by check_id
                with pytest.raises((InvalidIdError, ConfigError)):
                    await _retrieve(api, memory, "avocado", **ids)
                # on the constructor pydantic may refuse it first (a ValueError); if not, invoke must
                try:
                    retriever = memory.as_retriever(**ids)
                except ValueError:
                    pass
                else:
                    with pytest.raises(InvalidIdError):
                        retriever.invoke("avocado") if api.mode == "sync" else await retriever.ainvoke("avocado")
                refused += 2
    assert refused >= 150
    assert dump(raw, memory.config.key_prefix) == before


@pytest.mark.parametrize("bad", [b"alice", bytearray(b"alice")])
async def test_the_retriever_refuses_non_str_ids_like_everything_else(
    api: Api, hmemory: RedisSessionMemory, bad: object
) -> None:
    await api(hmemory.history("alice", "s"), "add_messages", markers(0, "alice", "s"))
    with pytest.raises(InvalidIdError):
        hmemory.history(bad, "s")  # type: ignore[arg-type]
    with pytest.raises(SessionMemError):
        await _retrieve(api, hmemory, "avocado", user_id=bad)


# ---------------------------------------------------------------------------------------------
# Item 2: hypothesis-generated families of near-identical ids
# ---------------------------------------------------------------------------------------------

FRAGMENTS = [
    "*", "|", "@user:{", "@session:{", "}", "{", "-", ":", ",", " ", "\t", "\n", "\x00", "\\", '"', "'", "(", ")",
    "~", "%", "$", "=>", "[KNN 3 @v $vec]", "@text:(the|for)", "_", "a", "A", "é", "e\u0301", "ß", "SS", "İ", "ı",
    "ﬁ", "\u212b", "Å", "\u200b", "\ufeff", "\u00a0", "🥑", "用户", "m:", "s:", "u:", "z:", "v:", "?", "[", "]",
]  # fmt: skip
_base_ids = (
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=10)
    | st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join)
    | st.builds(lambda piece, n: (piece * n)[:512], st.sampled_from(FRAGMENTS), st.integers(400, 512))
)


def _family(base: str) -> list[str]:
    """``base`` and the ids a careless implementation would merge with it."""
    forms = [base, base.upper(), base.lower(), base.swapcase(), base.casefold(), base.title()]
    forms += [_nf(f, base) for f in ("NFC", "NFD", "NFKC", "NFKD")]
    forms += [f" {base}", f"{base} ", f"{base}\x00", f"\u200b{base}", base.strip(), f"{base}*", f"{base}|x"]
    return [f for f in forms if 1 <= len(f) <= 512]


id_families = st.lists(_base_ids, min_size=1, max_size=3).map(
    lambda bases: list(dict.fromkeys(f for b in bases for f in _family(b)))
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=id_families)
def test_generated_id_families_stay_isolated(
    redis_url: str, config: SessionMemConfig, make_memory: MakeMemory, ids: list[str]
) -> None:
    memory = make_memory(setup=True)
    client = redis.Redis.from_url(redis_url)
    prefix = config.key_prefix
    n = len(ids)
    pairs = list(dict.fromkeys([(u, ids[(i + 1) % n]) for i, u in enumerate(ids)] + [(u, u) for u in ids]))
    try:
        for i, (u, s) in enumerate(pairs):
            memory.history(u, s).add_messages(markers(i, u, s))
        for i, (u, s) in enumerate(pairs):
            assert memory.history(u, s).messages == markers(i, u, s)
            assert memory.history(u, s).get_recent(1) == markers(i, u, s)[1:]
        for j, u in enumerate(ids):
            mine = {(u, s, f"{kind}{i}") for i, (uu, s) in enumerate(pairs) if uu == u for kind in "qa"}
            assert {(x.user_id, x.session_id) for x in memory.list_sessions(u)} == {
                (uu, s) for uu, s in pairs if uu == u
            }
            other = ids[(j + 1) % n]
            docs = memory.as_retriever(user_id=u, k=50, search_type="text").invoke(f"avocado reply {other} * | {u}")
            assert _found(docs) == mine

        u, s = pairs[0]
        meta, messages, vectors, zset = _session_keys(prefix, u, s)
        before = dump(client, prefix)
        memory.history(u, s).clear()
        after = dump(client, prefix)
        assert_only(
            before, after, gone=lambda k: k.startswith((messages, *vectors)), changed=[meta],
            members={zset: meta.rsplit(b":", 1)[1]},
        )  # fmt: skip

        victim = ids[-1]
        uh = f"{{{user_digest(victim)}}}".encode()
        memory.delete_user(victim)
        assert_only(after, dump(client, prefix), gone=lambda k: uh in k)
        for i, (uu, ss) in enumerate(pairs):
            want = [] if uu == victim or (uu, ss) == (u, s) else markers(i, uu, ss)
            assert memory.history(uu, ss).messages == want
    finally:
        keys = list(client.scan_iter(match=glob_escape(prefix) + "*", count=1000))
        if keys:
            client.unlink(*keys)
        client.close()
