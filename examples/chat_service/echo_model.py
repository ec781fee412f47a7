"""The chat service's offline stand-in for a real chat model.

``EchoMemoryModel`` answers deterministically from its prompt, in Markdown: it restates the question,
says how many earlier messages of the session it was given, which instructions it follows, and which past
messages the memory recalled into its system message. So on the page (and in the tests) you can see
exactly what the memory put into the prompt. It streams its reply word by word, with a small delay, like
a real model.

It also calls tools, as an agent's model does: bound to the memory-search tool (``search_memory``), it
searches when the message asks it to (``search``, ``remember``, ``recall`` or ``look up``), then answers
from the tool's result.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCall
from langchain_core.messages.tool import tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from langchain_sessionmem.agents import RECALL_HEADER
from langchain_sessionmem.history import SUMMARY_PREFIX

SEARCH_TOOL = "search_memory"
"""The name of the memory-search tool (``memory.search_tool()``)."""
ASKS_TO_SEARCH = re.compile(r"\b(search|remember|recall|look(?:ing)? up)\b", re.IGNORECASE)
"""A message matching this makes the model call the search tool first."""


def content_text(content: str | list[Any]) -> str:
    """The text of a message's content (a str, or a list of blocks)."""
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)


def _short(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut at a word boundary (when there is one) to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut + " …"


def read_system(messages: Sequence[BaseMessage]) -> tuple[list[str], str | None, list[str]]:
    """``(instructions, summary, recalled lines)`` found in the system message.

    The memory middleware appends to the agent's own prompt (the first paragraph), each as paragraphs:
    the session's instructions, the running summary (``SUMMARY_PREFIX``) and the recalled messages (a
    ``RECALL_HEADER`` line, then one ``- ...`` line each)."""
    system = "\n".join(content_text(m.content) for m in messages if m.type == "system")
    instructions: list[str] = []
    summary = None
    recalled: list[str] = []
    for paragraph in system.split("\n\n")[1:]:
        if paragraph.startswith(SUMMARY_PREFIX):
            summary = paragraph[len(SUMMARY_PREFIX) :]
        elif paragraph.startswith(RECALL_HEADER):
            recalled = [line[2:] for line in paragraph.splitlines()[1:] if line.startswith("- ")]
        elif paragraph.strip():
            instructions.append(paragraph.strip())
    return instructions, summary, recalled


def _search_call(messages: Sequence[BaseMessage], tools: Sequence[str]) -> ToolCall | None:
    """The search the model makes for this prompt, if any: once per question, when asked to."""
    if SEARCH_TOOL not in tools or not messages or messages[-1].type != "human":
        return None
    question = content_text(messages[-1].content)
    if not ASKS_TO_SEARCH.search(question):
        return None
    n = sum(1 for m in messages if m.type == "human")
    return tool_call(name=SEARCH_TOOL, args={"query": _short(question, 200)}, id=f"echo-search-{n}")


def echo_reply(messages: Sequence[BaseMessage]) -> str:
    """What the echo model says to ``messages``: a description of its own prompt, in Markdown."""
    asked = max((i for i, m in enumerate(messages) if m.type == "human"), default=-1)
    question = content_text(messages[asked].content) if asked >= 0 else ""
    earlier = sum(1 for m in messages[:asked] if m.type != "system")
    said = f"You said: “{_short(question)}”. My window of this session holds **{earlier}** earlier message(s)."
    instructions, summary, recalled = read_system(messages)
    if instructions:
        said += f" I follow your instructions: “{_short(' '.join(instructions))}”."
    if summary:
        said += f" The summary of our earlier conversation says: “{_short(summary)}”."
    parts = [said]
    results = [m for m in messages[asked + 1 :] if m.type == "tool"]
    for result in results:
        found = "\n".join(_short(line) for line in content_text(result.content).strip().splitlines())
        parts.append(f"I searched your earlier conversations with `{result.name or 'a tool'}`. It found:\n\n{found}")
    if recalled:
        parts.append("From your earlier messages I recall:\n" + "\n".join(f"- {_short(r)}" for r in recalled))
    elif not results:
        parts.append("I recall nothing relevant from your earlier messages.")
    parts.append("_Offline echo model: set `OPENAI_API_KEY` or `COHERE_API_KEY` for real answers._")
    return "\n\n".join(parts)


class EchoMemoryModel(BaseChatModel):
    """Deterministic, offline chat model whose reply describes the prompt it got; streams word by word,
    and calls the memory-search tool when bound to it and asked to search."""

    delay: float = 0.03
    """Seconds between two streamed words."""
    tools: list[str] = []
    """Names of the tools bound with ``bind_tools``."""

    @property
    def _llm_type(self) -> str:
        return "echo-memory"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        names = [convert_to_openai_tool(t)["function"]["name"] for t in tools]
        return self.model_copy(update={"tools": names})

    def _turn(self, messages: Sequence[BaseMessage]) -> AIMessage:
        call = _search_call(messages, self.tools)
        return AIMessage("", tool_calls=[call]) if call else AIMessage(echo_reply(messages))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._turn(messages))])

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        turn = self._turn(messages)
        if turn.tool_calls:
            call = turn.tool_calls[0]
            piece = tool_call_chunk(name=call["name"], args=json.dumps(call["args"]), id=call["id"], index=0)
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[piece]))
            return
        for word in re.findall(r"\s*\S+\s*", content_text(turn.content)):
            await asyncio.sleep(self.delay)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word))
            if run_manager is not None:
                await run_manager.on_llm_new_token(word, chunk=chunk)
            yield chunk
