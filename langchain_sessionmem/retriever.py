"""RedisSessionHistoryRetriever: the past messages of a user that matter for the current prompt."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig
from pydantic import ConfigDict, Field, PrivateAttr, StrictStr, ValidationError, field_validator

from langchain_sessionmem._backend import Backend
from langchain_sessionmem._core import MemoryCore
from langchain_sessionmem._ops.search import SearchOptions, search_plan
from langchain_sessionmem._ops.steps import Plan
from langchain_sessionmem.errors import ConfigError

__all__ = ["RedisSessionHistoryRetriever"]

_IDS = ("user_id", "session_id")
_ID_SET = frozenset(_IDS)
_OPTIONS = tuple(f.name for f in dataclasses.fields(SearchOptions) if f.name != "search_type")


def option_error(exc: ValidationError) -> ConfigError:
    """The ConfigError for retriever options pydantic refused: a check of this package raised
    inside validation comes back as it was, the rest as pydantic words them."""
    errors = exc.errors()
    cause = errors[0].get("ctx", {}).get("error") if len(errors) == 1 else None
    if isinstance(cause, ConfigError):
        return cause
    return ConfigError(f"invalid retriever option: {exc}")


class RedisSessionHistoryRetriever(BaseRetriever):
    """Finds the past messages of one user that matter for a query: by meaning (vector KNN
    filtered to the user), by words (BM25), or both fused (reciprocal rank fusion).

    Setup:
        A ``RedisSessionMemory`` created with ``embeddings=`` (for similarity and hybrid search)
        and ``setup()`` called once.

    Instantiate:
        .. code-block:: python

            retriever = memory.as_retriever(k=4, search_type="hybrid", neighbors=1, exclude_recent=6)

    Usage:
        .. code-block:: python

            retriever.invoke("give me the avocado one", user_id="alice", session_id="breakfast")
            # or, inside a chain, from the same config RunnableWithMessageHistory reads:
            retriever.invoke("...", config={"configurable": {"user_id": "alice", "session_id": "breakfast"}})

    Each ``Document`` has the message text as ``page_content`` and metadata ``user_id``,
    ``session_id``, ``seq`` (1-based position in its session), ``timestamp`` (ISO, UTC),
    ``type``, ``role``, ``message_id``, ``score`` (higher is better; None for neighbours),
    ``distance`` (cosine, vector hits), ``match`` (``seed``, ``neighbor`` or ``recent``) and
    ``message`` (``message_to_dict`` output, for ``messages_from_dict``).

    Order: with ``order="score"`` seeds come best first, each followed by its neighbours in
    chronological order; with ``order="chronological"`` everything is sorted by time.
    A search only ever reads the one user's data: every query is filtered by the user's digest.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: MemoryCore
    """The memory whose messages are searched."""
    user_id: StrictStr | None = None
    """User whose messages are searched; if None, taken from ``config["configurable"]["user_id"]``."""
    session_id: StrictStr | None = None
    """Current session, for ``exclude_recent``, ``fallback`` and ``all_sessions=False``; if None,
    taken from ``config["configurable"]["session_id"]``."""
    all_sessions: bool = True
    """Search every session of the user (default); False: only the current session."""
    k: int = Field(default=4, ge=1)
    """Number of matching messages (seeds) returned; neighbours come on top of them."""
    search_type: Literal["similarity", "hybrid", "text"] = "hybrid"
    """similarity: vector KNN; text: BM25 full text; hybrid: both, fused by reciprocal rank.
    With encryption at rest the default is similarity (encrypted text cannot be searched)."""
    hybrid_text_weight: float = Field(default=0.5, ge=0, le=1)
    """Weight of the text ranking in hybrid fusion (the vector ranking weighs 1 - this)."""
    fusion_depth: int = Field(default=20, ge=0)
    """Candidates taken from each ranking before fusion and reranking (at least ``k``); 0: ``4 * k``."""
    text_context: bool = False
    """Full-text search also matches each message's speaker name and date (``Maya``, ``May 2023``),
    not only its text; needs a memory created with ``SessionMemConfig(text_context=True)``, which
    stores them. Off by default: with the speaker and date in the embedded text (the default
    ``embed_template``) it measured lower on the hard eval (see the README)."""
    reranker: BaseDocumentCompressor | None = None
    """Any LangChain document compressor (e.g. a cross-encoder): reorders the fused candidates
    (``fusion_depth`` of them, loaded as Documents), and the first ``k`` it returns are kept."""
    distance_threshold: float | None = Field(default=None, ge=0, le=2)
    """Keep vector hits whose cosine distance is at most this (0 identical, 2 opposite)."""
    message_types: tuple[str, ...] | None = None
    """Only these message types (e.g. ``("human",)``); None: every embedded type."""
    since: datetime | None = None
    """Only messages written at or after this time."""
    until: datetime | None = None
    """Only messages written at or before this time."""
    exclude_recent: int = Field(default=0, ge=0)
    """Leave out the last n messages of the current session (the recent window has them)."""
    exclude_from_seq: int | None = Field(default=None, ge=1)
    """Leave out the current session's messages from this sequence number on (``seq`` in the
    results' metadata): what a context window read from that position already shows."""
    neighbors: int = Field(default=0, ge=0)
    """Add n messages before and after each hit from its session (e.g. the answer to a question)."""
    fallback: bool = False
    """When nothing matches, return the current session's last k messages instead."""
    recency_half_life_seconds: float | None = Field(default=None, gt=0)
    """Weight scores by age: a message this old counts half as much. None: no weighting."""
    order: Literal["score", "chronological"] = "score"
    """Result order, see the class docstring."""

    _backend: Backend = PrivateAttr()
    """The memory's backend (its clients and shared state): ``memory.backend``."""

    @field_validator("memory", mode="before")
    @classmethod
    def _a_memory(cls, value: Any) -> Any:
        if not isinstance(value, MemoryCore):
            raise ValueError(f"memory must be a RedisSessionMemory, got {type(value).__name__}")  # noqa: TRY004
        return value

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        self._backend = self.memory.backend
        if self.text_context and not self.memory.config.text_context:
            raise ConfigError(
                "text_context=True searches the speaker and date stored with each message, which this memory "
                "does not store: create it with SessionMemConfig(text_context=True) (messages written before "
                "that are matched by their text alone)"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "memory":  # a retriever given another memory searches that one
            self._backend = self.memory.backend

    # -- entry points --------------------------------------------------------------------------

    def invoke(self, input: str, config: RunnableConfig | None = None, **kwargs: Any) -> list[Document]:
        return super().invoke(input, config, **_with_config_ids(config, kwargs))

    async def ainvoke(self, input: str, config: RunnableConfig | None = None, **kwargs: Any) -> list[Document]:
        return await super().ainvoke(input, config, **_with_config_ids(config, kwargs))

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        backend = self._backend  # (read once: a pydantic private attribute costs microseconds a read)
        return backend.run(search_plan(backend.store, self._call_options(kwargs), query))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        backend = self._backend
        return await backend.arun(search_plan(backend.store, self._call_options(kwargs), query))

    def _call_options(self, overrides: dict[str, Any]) -> SearchOptions:
        """The options of one call: this retriever's, with the per-call overrides. Ids alone (what
        ``invoke`` takes from the config on every call) need no validation beyond being str, which
        is all that validating them as fields would check."""
        if overrides.keys() <= _ID_SET and all(type(v) is str for v in overrides.values()):
            return self.search_options(**overrides)
        return self._settings(overrides).search_options()

    def _settings(self, overrides: dict[str, Any]) -> RedisSessionHistoryRetriever:
        """This retriever with per-call overrides (``invoke(q, k=2)``), validated like fields."""
        if not overrides:
            return self
        fields = set(type(self).model_fields) - {"memory", "callbacks", "tags", "metadata"}
        unknown = set(overrides) - fields
        if unknown:
            raise ConfigError(f"unknown retriever option(s) {sorted(unknown)}; options are {sorted(fields)}")
        try:  # only the fields set on this retriever, so unset ones keep their default's meaning
            current = {f: getattr(self, f) for f in self.model_fields_set}
            return type(self).model_validate({**current, **overrides})
        except ValidationError as exc:
            raise option_error(exc) from exc

    # -- the search: _ops/search.py, shared by both APIs ---------------------------------------

    def search_options(self, **ids: str) -> SearchOptions:
        """This retriever's fields as the options of its search (with ``ids``, user_id and/or
        session_id, instead of its own), for the components of this package that run the search
        inside their own plan (the agent middleware's recall). Internal: not a stable API."""
        values = {name: getattr(self, name) for name in _OPTIONS}
        values.update(ids)
        # Unset, search_type is None: the default, hybrid or similarity where the content is encrypted.
        search_type = self.search_type if "search_type" in self.model_fields_set else None
        return SearchOptions(search_type=search_type, **values)

    def _plan(self, query: str) -> Plan[list[Document]]:
        """The search for ``query`` as a plan, for callers that run it inside their own (the agent
        middleware's recall)."""
        return search_plan(self._backend.store, self.search_options(), query)


def _with_config_ids(config: RunnableConfig | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    configurable = (config or {}).get("configurable") or {}
    return {**{k: configurable[k] for k in _IDS if configurable.get(k) is not None}, **kwargs}
