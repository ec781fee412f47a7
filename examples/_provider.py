"""Pick the chat model and embeddings for an example: OpenAI or Cohere when their API key is set, else a
scripted stand-in. The choice is printed on start-up so nobody mistakes one for the other."""

from __future__ import annotations

import os
from collections.abc import Callable

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from langchain_sessionmem.testing import HashingEmbeddings


def chat_model(scripted_answers: list[str], say: Callable[[str], None] = print) -> BaseChatModel:
    if os.environ.get("OPENAI_API_KEY"):
        from langchain_openai import ChatOpenAI

        say("model: OpenAI gpt-4o-mini (OPENAI_API_KEY is set)")
        return ChatOpenAI(model="gpt-4o-mini", temperature=0)
    if os.environ.get("COHERE_API_KEY"):
        from langchain_cohere import ChatCohere

        say("model: Cohere command-r (COHERE_API_KEY is set)")
        return ChatCohere(model="command-r", temperature=0)
    say("model: SCRIPTED stand-in (no OPENAI_API_KEY or COHERE_API_KEY): answers are canned, memory is real")
    return FakeListChatModel(responses=scripted_answers)


def embeddings(say: Callable[[str], None] = print) -> Embeddings:
    """OpenAI or Cohere embeddings when a key is set, else the offline lexical HashingEmbeddings."""
    if os.environ.get("OPENAI_API_KEY"):
        from langchain_openai import OpenAIEmbeddings

        say("embeddings: OpenAI text-embedding-3-small")
        return OpenAIEmbeddings(model="text-embedding-3-small")
    if os.environ.get("COHERE_API_KEY"):
        from langchain_cohere import CohereEmbeddings

        say("embeddings: Cohere embed-english-v3.0")
        return CohereEmbeddings(model="embed-english-v3.0")
    say("embeddings: offline HashingEmbeddings (lexical, deterministic; a key above selects a real model)")
    return HashingEmbeddings()
