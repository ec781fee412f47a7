"""The retriever's search plan (_ops/search.py) against a scripted server: no Redis, no sockets.

The scripted server answers each step as Redis Stack would (replies in RESP2 form) from the hits
and messages a test gives it, and records every step, so the tests check what is sent as well as
what comes back. Its search script (single server) runs the searches it is given and reads every
hit with its neighbours (search.lua reads fewer: tests/store check which); on a cluster the plan
sends the searches and the loads itself. Ranking, fusion and recency decay are pure and tested directly.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from langchain_core.documents import Document

from langchain_sessionmem import RedisSessionHistoryRetriever, RedisSessionMemory, SessionMemConfig
from langchain_sessionmem._keys import SessionKeys, parse_message_key
from langchain_sessionmem._lua.search import KnnSearch, TextSearch
from langchain_sessionmem._ops.search import (
    RRF_K,
    SearchOptions,
    Seed,
    candidates,
    decay,
    fuse,
    rank_candidates,
    search_plan,
    wanted,
)
from langchain_sessionmem._ops.steps import Command, EmbedQuery, Pipeline, Rerank, Script, Step, drive
from langchain_sessionmem._ops.target import ServerFacts, Store
from langchain_sessionmem._search import MESSAGE_SCHEMA, Hit, message_index_prefix
from langchain_sessionmem._vectors import fingerprint
from langchain_sessionmem.encryption import ContentEncryption, KeyRing
from langchain_sessionmem.errors import ConfigError, IndexSchemaMismatchError
from langchain_sessionmem.testing import HashingEmbeddings
from tests.unit.scripted import Scripted

CONFIG = SessionMemConfig(key_prefix="p:", index_name="p:idx", vector_dims=4)
EMBEDDINGS = HashingEmbeddings(4)
FP = fingerprint(EMBEDDINGS, 4, CONFIG)
S1 = SessionKeys.of("p:", "alice", "s1")
S2 = SessionKeys.of("p:", "alice", "s2")
T0 = 1_700_000_000_000  # ms


def rank(searches: Any, o: SearchOptions, n: int, now_ms: float, *, fused: bool) -> list[Seed]:
    """The seeds of parsed FT.SEARCH hits ((kind, hits)), ranked as the cluster path ranks them."""
    found = [(kind, candidates(kind, hits, o.distance_threshold)) for kind, hits in searches]
    return rank_candidates(found, o, n, now_ms, fused=fused)


def index_info(prefix: str = "p:") -> dict[str, Any]:
    """FT.INFO of the message index (RESP3 form), as setup() creates it for key prefix ``prefix``."""
    return {
        "index_definition": {"key_type": "JSON", "prefixes": [message_index_prefix(prefix)]},
        "attributes": [
            {"identifier": path, "attribute": name, "type": kind, "flags": list(flags)}
            for path, name, kind, flags in MESSAGE_SCHEMA
        ],
    }


@dataclass
class Server:
    """Redis Stack as the search sees it. ``knn``: (session, seq, distance, model) nearest first;
    ``bm25``: (session, seq, score) best first; ``messages``: (session, seq) -> (text, ts)."""

    knn: list[tuple[SessionKeys, int, float, str]] = field(default_factory=list)
    bm25: list[tuple[SessionKeys, int, float]] = field(default_factory=list)
    messages: dict[tuple[SessionKeys, int], tuple[str, int]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=index_info)
    reranked: list[str] | None = None  # page_content order the reranker returns
    reads: bool = True  # the search script reads documents (False: it reads none)
    owner: str = "alice"  # the user_id every session meta holds
    sent: list[Step] = field(default_factory=list)
    ran: dict[int, list[Command]] = field(default_factory=dict)  # id of a script step -> what it ran

    def __call__(self, step: Step) -> Any:
        self.sent.append(step)
        if isinstance(step, EmbedQuery):
            return [1.0, 0.0, 0.0, 0.0]
        if isinstance(step, Pipeline):
            return [self.answer(s) for s in step.steps]
        if isinstance(step, Rerank):
            assert self.reranked is not None
            by_text = {d.page_content: d for d in step.documents}
            return [by_text[t] for t in self.reranked]
        if isinstance(step, (Command, Script)):
            return self.answer(step)
        raise AssertionError(f"unexpected step {step!r}")

    def answer(self, step: Command | Script) -> Any:
        if isinstance(step, Script) and step.name == "search":
            return self.search_script(step)
        if isinstance(step, Script):
            assert step.name == "read"
            (keys,) = [k for k in (S1, S2) if k.meta == step.keys[0]]
            k = step.args[3]
            docs = [self.doc(keys, seq) for (s, seq) in sorted(self.messages, key=lambda m: m[1]) if s == keys]
            return [f"1 1 {len(docs)} 0 0 0 0 0 1 {len(docs)} 0 0 1 0".encode(), "e", "", "", "\n".join(docs[-k:])]
        name, args = step.name, step.args
        if name == "FT.INFO":
            return self.info
        if name == "FT.SEARCH" and args[1] == CONFIG.vector_index_name:
            query, limit = str(args[2]), int(args[args.index("LIMIT") + 2])
            rows = [r for r in self.knn if "@m:{" not in query or f"@m:{{{r[3]}}}" in query][:limit]
            out: list[Any] = [len(rows)]
            for keys, seq, dist, model in rows:
                out += [f"{keys.vector_prefix}{seq}", ["dist", str(dist), "ts", str(self.ts(keys, seq)), "m", model]]
            return out
        if name == "FT.SEARCH":
            out = [len(self.bm25)]
            for keys, seq, score in self.bm25[: int(args[args.index("LIMIT") + 2])]:
                out += [f"{keys.message_prefix}{seq}", str(score), ["ts", str(self.ts(keys, seq))]]
            return out
        if name == "JSON.GET":
            found = [(keys, seq) for keys, seq in self.messages if f"{keys.message_prefix}{seq}" == args[1]]
            return self.doc(*found[0]) if found else None
        if name == "HMGET":
            (keys,) = [k for k in (S1, S2) if k.meta == args[1]]
            return [self.owner, keys.session_id]
        if name == "HGET":
            return str(max(seq for _, seq in self.messages))
        raise AssertionError(f"unexpected command {step!r}")

    def search_script(self, step: Script) -> Any:
        _n, _mode, _w, thr, nb, fp, mp, metap, *parts = step.args
        index, query, model_query, blob, fetch, times, text_index, text_query, text_fetch = parts
        search = KnnSearch(index, query, model_query, blob, fetch, times == "1")
        knn = search.command() if index else None
        text = TextSearch(text_index, text_query, text_fetch).command() if text_index else None
        ran = self.ran[id(step)] = []
        rows: list[Any] = [None, None]
        keys: list[str] = []
        if knn is not None:
            ran.append(knn)
            reply = self.answer(knn)
            if any(f[5] != fp for f in reply[2::2]):
                ran.append(knn := search.command(model=True))
                reply = self.answer(knn)
            hits = [
                (k, f[1], f[3] if times else 0)
                for k, f in zip(reply[1::2], reply[2::2], strict=True)
                if thr == "" or float(f[1]) <= float(thr)
            ]
            rows[0] = " ".join(":".join(map(str, (*parse_message_key(k)[1:], d, ts))) for k, d, ts in hits)
            keys += [k for k, _, _ in hits]
        if text is not None:
            ran.append(text)
            reply = self.answer(text)
            rows[1] = " ".join(
                ":".join(map(str, (*parse_message_key(k)[1:], sc, f[1])))
                for k, sc, f in zip(reply[1::3], reply[2::3], reply[3::3], strict=True)
            )
            keys += reply[1::3]
        docs: list[str] = []
        owners: dict[str, list[Any]] = {}
        for key in keys if self.reads else []:
            _, sh, seq = parse_message_key(key)
            for s in range(max(1, seq - int(nb)), seq + int(nb) + 1):
                (session,) = [k for k in (S1, S2) if k.sh == sh]
                docs.append(f"{sh}:{s}:" + (self.doc(session, s) if (session, s) in self.messages else ""))
                owners[sh] = [sh, self.owner, session.session_id]
        assert mp == S1.user.message_prefix and metap == S1.user.meta_prefix
        return [*rows, "\n".join(docs), [x for row in owners.values() for x in row]]

    def ts(self, keys: SessionKeys, seq: int) -> int:
        return self.messages.get((keys, seq), ("", T0))[1]

    def doc(self, keys: SessionKeys, seq: int) -> str:
        text, ts = self.messages[(keys, seq)]
        return json.dumps({"seq": seq, "ts": ts, "uh": keys.user.uh, "sh": keys.sh, "type": "human", "text": text})

    def commands(self, name: str) -> list[Command]:
        """Every command ``name`` sent, alone or in a pipeline, in order."""
        steps = [s for p in self.sent for s in (p.steps if isinstance(p, Pipeline) else [p])]
        steps = [c for s in steps for c in (self.ran.get(id(s), []) if isinstance(s, Script) else [s])]
        return [s for s in steps if isinstance(s, Command) and s.name == name]


def new_store(encryption: ContentEncryption | None = None, *, cluster: bool = False) -> Store:
    """A store of a single server, or of a cluster whose search is coordinated (the two-trip path)."""
    return Store(
        CONFIG, ServerFacts("redis://scripted", cluster, search_coordinated=cluster or None), EMBEDDINGS, encryption
    )


def search(server: Server, store: Store | None = None, query: str = "avocado toast", **options: Any) -> list[Document]:
    o = SearchOptions(**{"user_id": "alice", **options})
    return drive(search_plan(store or new_store(), o, query), server)


def texts(docs: list[Document]) -> list[str]:
    return [d.page_content for d in docs]


def conversation(n: int = 8) -> dict[tuple[SessionKeys, int], tuple[str, int]]:
    return {(S1, seq): (f"m{seq}", T0 + seq * 1000) for seq in range(1, n + 1)}


# -- what is sent -----------------------------------------------------------------------------------


def test_on_a_cluster_hybrid_sends_knn_and_bm25_in_one_pipeline_and_checks_the_index_only_the_first_time() -> None:
    server = Server(knn=[(S1, 2, 0.1, FP)], bm25=[(S1, 3, 2.0)], messages=conversation())
    store = new_store(cluster=True)
    assert texts(search(server, store, search_type="hybrid", k=2)) == ["m2", "m3"]
    embed, first, load = server.sent
    assert embed == EmbedQuery("avocado toast")
    assert isinstance(first, Pipeline) and [(c.name, c.args[1]) for c in first.steps] == [  # type: ignore[union-attr]
        ("FT.INFO", "p:idx"),
        ("FT.SEARCH", "p:idx:vec"),
        ("FT.SEARCH", "p:idx"),
    ]
    knn, bm25 = first.steps[1].args, first.steps[2].args  # type: ignore[union-attr]
    assert knn[2] == f"(@user:{{{S1.user.uh}}})=>[KNN 20 @v $vec AS dist]"  # fusion_depth candidates
    assert bm25[2] == f"@user:{{{S1.user.uh}}} @text:(avocado|toast)"  # words only, never raw text
    assert isinstance(load, Pipeline) and {c.name for c in load.steps} == {"JSON.GET", "HMGET"}  # type: ignore[union-attr]
    assert store.facts.index_checked
    server.sent.clear()
    search(server, store, search_type="hybrid", k=2)
    assert [c.name for c in server.sent[1].steps] == ["FT.SEARCH", "FT.SEARCH"]  # type: ignore[union-attr]


def test_on_a_single_server_a_search_is_one_script_call_with_the_index_check_in_the_same_round_trip() -> None:
    server = Server(knn=[(S1, 2, 0.1, FP)], bm25=[(S1, 3, 2.0)], messages=conversation())
    store = new_store()
    docs = search(server, store, search_type="hybrid", k=2)
    assert texts(docs) == ["m2", "m3"] and [d.metadata["session_id"] for d in docs] == ["s1", "s1"]
    embed, first = server.sent
    assert isinstance(first, Pipeline) and [type(s).__name__ for s in first.steps] == ["Command", "Script"]
    script = first.steps[1]
    assert isinstance(script, Script) and script.name == "search" and list(script.keys) == [S1.user.user]
    assert store.facts.index_checked
    server.sent.clear()
    search(server, store, search_type="hybrid", k=2)
    assert [type(s).__name__ for s in server.sent] == ["EmbedQuery", "Script"]  # one round trip
    on_cluster = Server(knn=[(S1, 2, 0.1, FP)], bm25=[(S1, 3, 2.0)], messages=conversation())
    assert texts(search(on_cluster, new_store(cluster=True), search_type="hybrid", k=2)) == texts(docs)
    assert on_cluster.commands("FT.SEARCH") == server.commands("FT.SEARCH")  # the same (escaped) queries


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"search_type": "similarity", "k": 3}, [3, "score", "0.5", "", 0]),
        ({"search_type": "hybrid", "k": 3, "neighbors": 1, "hybrid_text_weight": 0.3}, [3, "fused", "0.3", "", 1]),
        ({"search_type": "text", "k": 2, "distance_threshold": 0.25}, [2, "score", "0.5", "0.25", 0]),
        (
            {"search_type": "similarity", "k": 3, "recency_half_life_seconds": 60, "neighbors": 2},
            [3, "all", "0.5", "", 2],
        ),
        ({"search_type": "hybrid", "k": 3, "reranker": object(), "neighbors": 2}, [20, "fused", "0.5", "", 0]),
    ],
)
def test_the_script_reads_what_the_plan_will_rank_first(options: dict[str, Any], expected: list[Any]) -> None:
    server = Server(messages=conversation(), reranked=[])
    search(server, **options)
    (script,) = [s for p in server.sent for s in (p.steps if isinstance(p, Pipeline) else [p]) if isinstance(s, Script)]
    assert list(script.args[:5]) == expected  # n, mode, text weight, distance threshold, neighbours


def test_what_the_script_did_not_read_is_read_in_one_more_round_trip() -> None:
    server = Server(knn=[(S1, 2, 0.1, FP), (S1, 9, 0.2, FP)], messages=conversation(8), reads=False)
    assert texts(search(server, search_type="similarity", k=2)) == ["m2"]  # seq 9 is gone
    embed, first, load = server.sent
    assert isinstance(load, Pipeline) and [c.name for c in load.steps] == ["JSON.GET", "JSON.GET", "HMGET"]  # type: ignore[union-attr]
    read = Server(knn=[(S1, 2, 0.1, FP), (S1, 9, 0.2, FP)], messages=conversation(8))
    assert texts(search(read, search_type="similarity", k=2)) == ["m2"]  # the script found 9 gone: no more trips
    assert len(read.sent) == 2


@pytest.mark.parametrize("reads", [True, False], ids=["read-by-the-script", "read-by-the-plan"])
def test_a_session_of_another_user_is_left_out(reads: bool) -> None:
    server = Server(knn=[(S1, 2, 0.1, FP)], messages=conversation(), owner="mallory", reads=reads)
    assert search(server, search_type="similarity", k=2) == []


def test_an_index_of_another_schema_is_refused_and_checked_again_next_time() -> None:
    server = Server(info=index_info("other:"))
    store = new_store()
    with pytest.raises(IndexSchemaMismatchError):
        search(server, store, search_type="similarity")
    assert not store.facts.index_checked


def test_plain_similarity_fetches_k_and_ranking_options_fetch_the_fusion_depth() -> None:
    server = Server(messages=conversation())
    search(server, search_type="similarity", k=3)
    search(server, search_type="similarity", k=3, recency_half_life_seconds=60)
    search(server, search_type="similarity", k=3, fusion_depth=0, distance_threshold=0.5)
    limits = [c.args[c.args.index("LIMIT") + 2] for c in server.commands("FT.SEARCH")]
    assert limits == [3, 20, 3]  # the threshold cuts, it does not rank: k is enough


@pytest.mark.parametrize("cluster", [False, True], ids=["single", "cluster"])
def test_another_models_vectors_among_the_nearest_trigger_one_search_among_this_models(cluster: bool) -> None:
    server = Server(knn=[(S1, 1, 0.05, "old-model"), (S1, 2, 0.2, FP)], messages=conversation())
    docs = search(server, new_store(cluster=cluster), search_type="similarity", k=2)
    assert texts(docs) == ["m2"]  # never the other model's vector, however near
    first, again = server.commands("FT.SEARCH")
    assert "@m:{" not in first.args[2] and f"@m:{{{FP}}}" in again.args[2]
    if cluster:
        assert server.sent[2] == again  # a lone command after the pipeline
    else:
        assert len(server.sent) == 2  # the embedding, then the script (which searched again itself)
    only_ours = Server(knn=[(S1, 2, 0.2, FP)], messages=conversation())
    search(only_ours, new_store(cluster=cluster), search_type="similarity", k=2)
    assert len(only_ours.commands("FT.SEARCH")) == 1


def test_since_and_until_filter_both_searches_and_a_naive_time_is_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")  # a naive time is UTC, not the machine's local time
    time.tzset()
    try:
        server = Server(messages=conversation())
        since = datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2)))
        search(server, search_type="hybrid", since=since, until=datetime(2024, 1, 2))
        search(server, search_type="text", until=datetime(2024, 1, 2))
    finally:
        monkeypatch.undo()
        time.tzset()
    lo, hi = 1704060000000, 1704153600000  # 2023-12-31T22:00Z, 2024-01-02T00:00Z
    knn, bm25, text_only = server.commands("FT.SEARCH")
    assert f"@ts:[{lo} {hi}]" in knn.args[2] and f"@ts:[{lo} {hi}]" in bm25.args[2]
    assert f"@ts:[-inf {hi}]" in text_only.args[2]


def test_all_sessions_false_searches_the_current_session_only() -> None:
    server = Server(messages=conversation())
    search(server, search_type="hybrid", session_id="s1", all_sessions=False)
    search(server, search_type="hybrid", session_id="s1")
    narrow, narrow_text, wide, wide_text = server.commands("FT.SEARCH")
    assert all(f"@session:{{{S1.sh}}}" in c.args[2] for c in (narrow, narrow_text))
    assert not any("@session:" in c.args[2] for c in (wide, wide_text))


def test_exclude_recent_reads_the_last_seq_and_leaves_the_tail_of_the_session_out() -> None:
    server = Server(messages=conversation(8))
    search(server, search_type="similarity", session_id="s1", exclude_recent=3, exclude_from_seq=7)
    assert server.sent[0] == Command("HGET", S1.meta, "seq")
    assert f"-(@session:{{{S1.sh}}} @seq:[6 +inf])" in server.commands("FT.SEARCH")[0].args[2]


def test_message_types_nothing_stored_can_have_send_nothing() -> None:
    server = Server()
    assert search(server, message_types=("not-a-type",)) == []
    assert server.sent == []
    search(server, search_type="similarity", message_types=("human", "odd type"))
    assert "@type:{human}" in server.commands("FT.SEARCH")[0].args[2]


def test_a_query_without_words_searches_nothing_and_falls_back_to_the_recent_messages() -> None:
    server = Server(messages=conversation(8))
    assert search(server, query="the of a", search_type="text", session_id="s1") == []
    docs = search(server, query="the of a", search_type="text", session_id="s1", fallback=True, k=3)
    assert texts(docs) == ["m6", "m7", "m8"] and {d.metadata["match"] for d in docs} == {"recent"}
    read = [s for s in server.sent if isinstance(s, Script)]
    assert [(r.name, list(r.keys), r.args[:4]) for r in read] == [
        ("read", [S1.meta, S1.user.user], ["alice", "s1", S1.message_prefix, 3])
    ]
    assert search(Server(), query="the of a", search_type="text", fallback=True) == []  # no session: nothing


def test_encrypted_content_searches_by_similarity_and_refuses_full_text() -> None:
    enc = ContentEncryption(lambda user: KeyRing("k", {"k": bytes(32)}))
    server = Server(messages=conversation())
    search(server, new_store(enc))
    assert [c.args[1] for c in server.commands("FT.SEARCH")] == ["p:idx:vec"]
    with pytest.raises(ConfigError, match="search_type='similarity'"):
        search(server, new_store(enc), search_type="hybrid")


def test_no_user_id_says_how_to_pass_one() -> None:
    with pytest.raises(ConfigError, match="configurable"):
        search(Server(), user_id=None)


# -- ranking ----------------------------------------------------------------------------------------


def knn_hits(*rows: tuple[int, float]) -> list[Hit]:
    return [Hit(f"p:v:{{u}}:s:{seq}", None, {"dist": str(d), "ts": "0"}) for seq, d in rows]


def bm25_hits(*rows: tuple[int, float]) -> list[Hit]:
    return [Hit(f"p:m:{{u}}:s:{seq}", score, {"ts": "0"}) for seq, score in rows]


def test_fuse_is_weighted_reciprocal_rank_fusion() -> None:
    scores = fuse([(0.25, [("s", 1), ("s", 2)]), (0.75, [("s", 2)])])
    assert scores == {("s", 1): 0.25 / (RRF_K + 1), ("s", 2): 0.25 / (RRF_K + 2) + 0.75 / (RRF_K + 1)}


def test_a_hit_in_both_rankings_ranks_above_the_first_of_either() -> None:
    searches = [("similarity", knn_hits((1, 0.1), (3, 0.2))), ("text", bm25_hits((2, 9.0), (3, 1.0)))]
    seeds = rank(searches, SearchOptions(), 3, 0, fused=True)
    assert [s.key for s in seeds] == [("s", 3), ("s", 1), ("s", 2)]
    assert seeds[1].distance == 0.1 and seeds[2].distance is None


def test_equal_fused_scores_keep_the_vector_ranking_first_and_the_weight_breaks_the_tie() -> None:
    searches = [("similarity", knn_hits((1, 0.1))), ("text", bm25_hits((2, 9.0)))]
    assert [s.key for s in rank(searches, SearchOptions(), 2, 0, fused=True)] == [("s", 1), ("s", 2)]
    text_heavy = SearchOptions(hybrid_text_weight=0.8)
    assert [s.key for s in rank(searches, text_heavy, 2, 0, fused=True)] == [("s", 2), ("s", 1)]
    assert [s.key for s in rank(searches, text_heavy, 1, 0, fused=True)] == [("s", 2)]  # the cut to n


def test_without_fusion_a_hit_scores_its_own_similarity_or_bm25_and_the_threshold_drops_far_ones() -> None:
    o = SearchOptions(distance_threshold=0.3)
    assert rank([("similarity", knn_hits((1, 0.4), (2, 0.25)))], o, 4, 0, fused=False) == [Seed(("s", 2), 0.75, 0.25)]
    bm25 = rank([("text", bm25_hits((1, 3.5), (2, 7.0)))], SearchOptions(), 4, 0, fused=False)
    assert bm25 == [(("s", 2), 7.0, None), (("s", 1), 3.5, None)]


def test_decay_halves_a_score_every_half_life_and_never_rewards_a_future_time() -> None:
    assert decay(0.8, 0, 60) == 0.8
    assert decay(0.8, 60_000, 60) == pytest.approx(0.4)
    assert decay(0.8, 120_000, 60) == pytest.approx(0.2)
    assert decay(0.8, -3_600_000, 60) == 0.8  # clock skew: a time ahead counts as now


def test_recency_lets_a_newer_slightly_worse_match_win() -> None:
    hits = [
        Hit("p:v:{u}:s:1", None, {"dist": "0.10", "ts": str(T0)}),
        Hit("p:v:{u}:s:2", None, {"dist": "0.20", "ts": str(T0 + 3_600_000)}),
    ]
    now = T0 + 3_600_000
    plain = rank([("similarity", hits)], SearchOptions(), 2, now, fused=False)
    weighted = rank([("similarity", hits)], SearchOptions(recency_half_life_seconds=3600), 2, now, fused=False)
    assert [s.key for s in plain] == [("s", 1), ("s", 2)]
    assert [s.key for s in weighted] == [("s", 2), ("s", 1)]
    assert weighted[1].score == pytest.approx(0.9 / 2)


# -- loading ----------------------------------------------------------------------------------------


def test_neighbors_are_loaded_once_each_and_follow_their_seed() -> None:
    seeds = [Seed(("s", 5), 0.9, 0.1), Seed(("s", 6), 0.8, 0.2), Seed(("s", 1), 0.7, 0.3)]
    want = wanted(seeds, 1)
    assert list(want) == [("s", 5), ("s", 6), ("s", 1), ("s", 4), ("s", 7), ("s", 2)]  # no seq 0
    assert want[("s", 6)] == ("seed", 0.8, 0.2) and want[("s", 4)] == ("neighbor", None, None)
    server = Server(knn=[(S1, 5, 0.1, FP), (S1, 6, 0.2, FP), (S2, 1, 0.3, FP)], messages=conversation(8), reads=False)
    server.messages[(S2, 1)] = ("other", T0)
    docs = search(server, search_type="similarity", k=3, neighbors=1)  # loaded by the plan: the script read none
    assert texts(docs) == ["m5", "m4", "m6", "m7", "other"]
    assert [d.metadata["match"] for d in docs] == ["seed", "neighbor", "seed", "neighbor", "seed"]
    gets = [c.args[1] for c in server.commands("JSON.GET")]
    assert len(gets) == len(set(gets)) == 6  # s1: 4 5 6 7; s2: 1 2 (missing, dropped); one call each
    assert [c.args[1] for c in server.commands("HMGET")] == [S1.meta, S2.meta]  # each session once
    assert texts(search(server, search_type="similarity", k=3, neighbors=1, order="chronological")) == [
        "other", "m4", "m5", "m6", "m7",
    ]  # fmt: skip


def test_a_reranker_picks_k_of_the_candidates_and_leaves_no_internal_metadata() -> None:
    server = Server(
        knn=[(S1, seq, 0.1 * seq, FP) for seq in (1, 2, 3)], messages=conversation(3), reranked=["m3", "m1"]
    )
    docs = search(server, search_type="similarity", k=1, reranker=object())
    assert texts(docs) == ["m3"]
    (rerank,) = [s for s in server.sent if isinstance(s, Rerank)]
    assert texts(list(rerank.documents)) == ["m1", "m2", "m3"] and rerank.query == "avocado toast"
    assert set(docs[0].metadata) == set(Document("", metadata=_META).metadata)


_META = dict.fromkeys(
    ("user_id", "session_id", "seq", "timestamp", "timestamp_ms", "type", "role", "message_id", "score", "distance",
     "match", "message")
)  # fmt: skip


def test_a_retriever_searches_the_memory_it_was_built_on_or_given_later() -> None:
    other = RedisSessionMemory("redis://127.0.0.1:1/0", config=SessionMemConfig(key_prefix="o:"), embeddings=EMBEDDINGS)
    memory = RedisSessionMemory("redis://127.0.0.1:1/0", config=CONFIG, embeddings=EMBEDDINGS)
    retriever = other.as_retriever(user_id="alice", search_type="similarity")
    assert retriever.search_options() == SearchOptions(user_id="alice", search_type="similarity")
    retriever.memory = memory
    server = Server(knn=[(S1, 2, 0.1, FP)], messages=conversation())
    assert texts(drive(retriever._plan("avocado"), server)) == ["m2"]
    assert [c.args[1] for c in server.commands("FT.SEARCH")] == ["p:idx:vec"]


def test_the_options_default_as_the_retriever_does() -> None:
    defaults = {name: f.default for name, f in RedisSessionHistoryRetriever.model_fields.items()}
    for option in fields(SearchOptions):
        if option.name != "search_type":  # None there: the retriever's default, which depends on encryption
            assert option.default == defaults[option.name], option.name


def test_the_scripts_reply_is_all_a_search_needs() -> None:
    """With the scripted executor: the reply of search.lua as it comes (compact hits joined by
    spaces, documents as 'sh:seq:doc' joined by newlines, a gone one with no document, the
    session's owner) and nothing else sent."""
    store = new_store()
    store.facts.index_checked = True
    doc = json.dumps({"seq": 2, "ts": T0, "uh": S1.user.uh, "sh": S1.sh, "type": "human", "text": "kept"})
    reply = [
        f"{S1.sh}:2:0.25:0 {S1.sh}:3:0.5:0".encode(),
        None,
        f"{S1.sh}:2:{doc}\n{S1.sh}:3:".encode(),
        [S1.sh.encode(), b"alice", b"s1"],
    ]
    run = Scripted([[1.0, 0.0, 0.0, 0.0], reply])
    docs = run.run(search_plan(store, SearchOptions(user_id="alice", search_type="similarity", k=2), "avocado"))
    assert [(d.page_content, d.metadata["session_id"], d.metadata["score"], d.metadata["distance"]) for d in docs] == [
        ("kept", "s1", 0.75, 0.25)
    ]
    embed, script = run.sent
    assert isinstance(embed, EmbedQuery) and isinstance(script, Script) and script.name == "search"
