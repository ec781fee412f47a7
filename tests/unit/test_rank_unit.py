"""Ranking of search replies, without a server: the replies are written here as RediSearch sends them."""

from __future__ import annotations

from langchain_sessionmem import RedisSessionMemory
from langchain_sessionmem._search import parse_search
from langchain_sessionmem.testing import HashingEmbeddings
from tests.unit.test_search_plan import rank


def test_a_vector_hit_whose_key_expired_before_the_read_is_left_out() -> None:
    # A key can expire between the index's match and the loading of its fields: RediSearch then
    # returns the hit with no fields. The rest of the reply still ranks.
    memory = RedisSessionMemory("redis://127.0.0.1:1/0", embeddings=HashingEmbeddings())
    retriever = memory.as_retriever(user_id="u", search_type="similarity", k=4)
    reply = [2, "p:v:{uh}:sh:1", [], "p:v:{uh}:sh:2", ["dist", "0.25", "ts", "1000"]]
    assert rank([("similarity", parse_search(reply)[1])], retriever.search_options(), 4, 0, fused=False) == [
        (("sh", 2), 0.75, 0.25)
    ]


def test_a_retriever_over_something_else_than_a_memory_is_refused_in_its_terms() -> None:
    import pydantic
    import pytest

    from langchain_sessionmem import RedisSessionHistoryRetriever

    with pytest.raises(pydantic.ValidationError, match="memory must be a RedisSessionMemory, got str"):
        RedisSessionHistoryRetriever(memory="redis://localhost", user_id="u")  # type: ignore[arg-type]
