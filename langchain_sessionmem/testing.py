"""Deterministic, offline stand-ins for tests and demos: an embedder and a scripted chat model.

``HashingEmbeddings`` hashes words and character trigrams into a fixed-size vector (the
"hashing trick"). It is lexical, not semantic: "avocado toast" is close to "the avocado one",
but "meat-free" is not close to "vegetarian". Use a real model (OpenAI, Cohere, a local
sentence-transformers model) for meaning; use this where a test or a demo must run offline and
give the same vectors on every machine.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import Field, PrivateAttr

from langchain_sessionmem._search import STOPWORDS

__all__ = ["HashingEmbeddings", "ScriptedChatModel"]

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbeddings(Embeddings):
    """Deterministic bag-of-words + trigram embeddings, L2-normalised.

    Args:
        dims: Vector size.
    """

    def __init__(self, dims: int = 256) -> None:
        self.dims = dims
        self.model = f"hashing-{dims}"

    def _features(self, text: str) -> list[tuple[str, float]]:
        words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
        feats: list[tuple[str, float]] = []
        for w in words:
            stem = w[:-1] if len(w) > 3 and w.endswith("s") else w
            feats.append(("w:" + stem, 1.0))
            padded = f"^{stem}$"
            feats.extend(("c:" + padded[i : i + 3], 0.25) for i in range(len(padded) - 2))
        return feats

    def _embed(self, text: str) -> list[float]:
        vec = [0.0] * self.dims
        for feat, weight in self._features(text):
            h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "big")
            vec[h % self.dims] += weight if (h >> 63) & 1 else -weight
        norm = math.sqrt(sum(x * x for x in vec))
        if norm == 0.0:
            vec[0], norm = 1.0, 1.0  # no words: a fixed unit vector, still a valid cosine input
        return [x / norm for x in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)

    # Native async twins: pure CPU work, so no thread pool (langchain-core's default would use one).
    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)


class ScriptedChatModel(BaseChatModel):
    """A chat model that replies from a script and records every input it was given.

    Each call returns the next item of ``responses`` (an ``AIMessage``, e.g. one with
    ``tool_calls``, or a str for a plain text reply), starting over after the last. It supports
    ``bind_tools`` (the tools are recorded, the script decides), so it can drive a tool-calling
    agent with no network::

        model = ScriptedChatModel(responses=[
            AIMessage("", tool_calls=[{"name": "lookup", "args": {"q": "x"}, "id": "call-1"}]),
            "final answer",
        ])
        ...
        model.inputs[-1]   # the messages of the last call, system message included
    """

    responses: list[Any]
    """The replies (``AIMessage`` or str), in order; the script starts over after the last one."""
    inputs: list[list[BaseMessage]] = Field(default_factory=list)
    """Every call's input messages, oldest call first."""
    bound_tools: list[str] = Field(default_factory=list)
    """Names of the tools last bound with ``bind_tools``."""
    _next: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _reply(self, messages: list[BaseMessage]) -> ChatResult:
        if not self.responses:
            raise ValueError("ScriptedChatModel needs at least one response")
        self.inputs.append(list(messages))
        item = self.responses[self._next % len(self.responses)]
        self._next += 1
        reply = AIMessage(item) if isinstance(item, str) else item.model_copy(deep=True)
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._reply(messages)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._reply(messages)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[Any, AIMessage]:
        self.bound_tools = [t.name if isinstance(t, BaseTool) else str(getattr(t, "__name__", t)) for t in tools]
        return self
