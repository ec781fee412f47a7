"""The chat service's offline stand-in for a real chat model.

``EchoMemoryModel`` answers deterministically from its prompt: it restates the question, says how many
earlier messages of the session it was given, which system instructions it follows, and which past
messages the retriever recalled. So on the page (and in the tests) you can see exactly what the memory
put into the prompt. It streams its reply word by word, with a small delay, like a real model.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

INSTRUCTIONS_LINE = "Instructions: "
"""A system prompt line starting with this carries the session's instructions."""
MEMORY_ITEM = "- "
"""A system prompt line starting with this is one recalled past message."""


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def echo_reply(messages: Sequence[BaseMessage]) -> str:
    """What the echo model says to ``messages``: a description of its own prompt, in Markdown."""
    system = "\n".join(_text(m) for m in messages if m.type == "system")
    chat = [m for m in messages if m.type != "system"]
    question = _text(chat[-1]) if chat else ""
    earlier = len(chat) - 1 if chat else 0
    said = f"You said: “{_short(question)}”. My window of this session holds **{earlier}** earlier message(s)."
    instructions = [
        line[len(INSTRUCTIONS_LINE) :] for line in system.splitlines() if line.startswith(INSTRUCTIONS_LINE)
    ]
    if instructions:
        said += f" I follow your instructions: “{_short(instructions[0])}”."
    recalled = [line[len(MEMORY_ITEM) :] for line in system.splitlines() if line.startswith(MEMORY_ITEM)]
    if recalled:
        memory = "From your earlier messages I recall:\n" + "\n".join(f"- {_short(r)}" for r in recalled)
    else:
        memory = "I recall nothing relevant from your earlier messages."
    note = "_Offline echo model: set `OPENAI_API_KEY` or `COHERE_API_KEY` for real answers._"
    return "\n\n".join([said, memory, note])


class EchoMemoryModel(BaseChatModel):
    """Deterministic, offline chat model whose reply describes the prompt it got; streams word by word."""

    delay: float = 0.03
    """Seconds between two streamed words."""

    @property
    def _llm_type(self) -> str:
        return "echo-memory"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(echo_reply(messages)))])

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for word in re.findall(r"\S+\s*", echo_reply(messages)):
            await asyncio.sleep(self.delay)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word))
            if run_manager is not None:
                await run_manager.on_llm_new_token(word, chunk=chunk)
            yield chunk
