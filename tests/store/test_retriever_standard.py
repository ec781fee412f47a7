"""langchain-tests' standard retriever suite, against the real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_tests.integration_tests import RetrieversIntegrationTests

from langchain_sessionmem import RedisSessionHistoryRetriever, RedisSessionMemory, SessionMemConfig
from langchain_sessionmem.testing import HashingEmbeddings


class TestRedisSessionHistoryRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _seeded(self, redis_url: str, config: SessionMemConfig) -> Iterator[None]:
        memory = RedisSessionMemory(redis_url, config=config, embeddings=HashingEmbeddings())
        memory.setup()
        memory.history("std-user", "s").add_messages(
            [
                HumanMessage("Give me an avocado toast recipe."),
                AIMessage("Mash avocado with lemon, spread on toast, add chili."),
                HumanMessage("And pancakes?"),
                AIMessage("Flour, eggs, milk; rest the batter."),
                HumanMessage("What about oats?"),
                AIMessage("Overnight oats with chia and yoghurt."),
            ]
        )
        self._memory = memory
        yield
        memory.close()

    @property
    def retriever_constructor(self) -> type[RedisSessionHistoryRetriever]:
        return RedisSessionHistoryRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, object]:
        return {"memory": self._memory, "user_id": "std-user", "k": 3}

    @property
    def retriever_query_example(self) -> str:
        return "avocado toast"
