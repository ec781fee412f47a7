"""langchain-tests' standard retriever suite, against the real Redis."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_tests.integration_tests import RetrieversIntegrationTests

from langchain_sessionmem import RedisSessionHistoryRetriever
from langchain_sessionmem.testing import HashingEmbeddings
from tests.conftest import MakeMemory


class TestRedisSessionHistoryRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _seeded(self, make_memory: MakeMemory) -> None:
        memory = make_memory(setup=True, embeddings=HashingEmbeddings())
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

    @property
    def retriever_constructor(self) -> type[RedisSessionHistoryRetriever]:
        return RedisSessionHistoryRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, object]:
        return {"memory": self._memory, "user_id": "std-user", "k": 3}

    @property
    def retriever_query_example(self) -> str:
        return "avocado toast"
