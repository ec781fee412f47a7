"""Pick the chat model and embeddings for an example: OpenAI or Cohere when their API key is set, else a
scripted stand-in. The choice is printed on start-up so nobody mistakes one for the other."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_sessionmem.testing import HashingEmbeddings

OFFLINE = "model: SCRIPTED stand-in (no OPENAI_API_KEY or COHERE_API_KEY): "


def _provider_model(say: Callable[[str], None]) -> BaseChatModel | None:
    if os.environ.get("OPENAI_API_KEY"):
        from langchain_openai import ChatOpenAI

        say("model: OpenAI gpt-4o-mini (OPENAI_API_KEY is set)")
        return ChatOpenAI(model="gpt-4o-mini", temperature=0)
    if os.environ.get("COHERE_API_KEY"):
        from langchain_cohere import ChatCohere

        say("model: Cohere command-r (COHERE_API_KEY is set)")
        return ChatCohere(model="command-r", temperature=0)
    return None


def chat_model(scripted_answers: list[str], say: Callable[[str], None] = print) -> BaseChatModel:
    """The provider's model, else a FakeListChatModel that gives ``scripted_answers`` in order."""
    model = _provider_model(say)
    if model is not None:
        return model
    say(OFFLINE + "answers are canned, memory is real")
    return FakeListChatModel(responses=scripted_answers)


def prompt_reading_model(canned: Sequence[str] = (), say: Callable[[str], None] = print) -> BaseChatModel:
    """The provider's model, else a PromptReadingChatModel: offline, deterministic, and like a real
    model it knows only what is in its prompt, so its answers show what the memory passed it."""
    model = _provider_model(say)
    if model is not None:
        return model
    say(OFFLINE + "a rule-based fake that answers only from the messages in its prompt; memory is real")
    return PromptReadingChatModel(canned=list(canned))


_NAME_GIVEN = re.compile(r"\bmy name is (\w+)", re.IGNORECASE)
_NAME_ASKED = re.compile(r"\bwhat(?:'s| is) my name\b|\bwho am i\b", re.IGNORECASE)
_AGAIN = re.compile(r"\bagain\b", re.IGNORECASE)
_SIGN_OFF = re.compile(r'End every answer with "([^"]+)"')
_FILLER = {"again", "could", "would", "please", "recipe", "remind", "there", "about"}


def _keywords(text: str) -> list[str]:
    """The words of a question that name its subject: five letters or more, minus filler."""
    return [w for w in re.findall(r"\w+", text.lower()) if len(w) >= 5 and w not in _FILLER]


class PromptReadingChatModel(BaseChatModel):
    """Offline stand-in for a chat model that answers from its prompt, so memory is visible.

    Rules on the last human message, first match wins:

    - ``... again``: repeats the latest earlier AI message in the prompt that mentions the
      question's subject words, or says it finds nothing about them;
    - ``what is my name``: the latest ``my name is X`` of a human message in the prompt, or says it
      was not told;
    - ``my name is X``: greets X;
    - anything else: the next ``canned`` answer (in order, cycling), or an acknowledgement.

    A system message ``End every answer with "..."`` (e.g. stored instructions) is obeyed.
    """

    canned: list[str] = []
    i: int = 0

    @property
    def _llm_type(self) -> str:
        return "prompt-reading-fake"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self._answer(messages)
        sign_offs = [s for m in messages if m.type == "system" for s in _SIGN_OFF.findall(m.text)]
        if sign_offs:
            reply += " " + sign_offs[-1]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(reply))])

    def _answer(self, messages: list[BaseMessage]) -> str:
        humans = [i for i, m in enumerate(messages) if m.type == "human"]
        if not humans:
            return "Hello! What shall we cook?"
        question, earlier = messages[humans[-1]].text, messages[: humans[-1]]
        if _AGAIN.search(question):
            words = _keywords(question)
            for m in reversed(earlier):
                if m.type == "ai" and any(w in m.text.lower() for w in words):
                    return f"Here it is again: {m.text}"
            return f"I don't see anything about {' or '.join(words) or 'that'} in the messages I was given."
        if _NAME_ASKED.search(question):
            names = [n for m in earlier if m.type == "human" for n in _NAME_GIVEN.findall(m.text)]
            return f"You told me your name is {names[-1]}." if names else "You haven't told me your name here."
        given = _NAME_GIVEN.findall(question)
        if given:
            return f"Nice to meet you, {given[-1]}."
        if not self.canned:
            return "Noted."
        self.i += 1
        return self.canned[(self.i - 1) % len(self.canned)]


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
