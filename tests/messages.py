"""Messages of every type with every field set, shared by the codec and store tests."""

from __future__ import annotations

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    message_chunk_to_message,
)


def as_stored(messages: list[BaseMessage]) -> list[BaseMessage]:
    """What the store gives back for ``messages``: each chunk as the message it adds up to
    (``message_chunk_to_message``, see ``_codec.check_messages``), everything else as it is."""
    return [message_chunk_to_message(m) for m in messages]


def every_kind() -> list[BaseMessage]:
    return [
        SystemMessage("You are a chef.", id="sys-1", name="rules", additional_kwargs={"cache": {"ttl": 5}}),
        HumanMessage("What's for breakfast? 🥑 naïve café", id="h-1", name="Alice", response_metadata={"k": [1]}),
        AIMessage(
            "",
            id="ai-1",
            name="chef",
            tool_calls=[{"name": "lookup", "args": {"dish": "avocado toast", "n": 2}, "id": "call-1"}],
            invalid_tool_calls=[{"name": "bad", "args": "{not json", "id": "call-2", "error": "parse"}],
            usage_metadata={"input_tokens": 10, "output_tokens": 3, "total_tokens": 13},
            response_metadata={"model_name": "gpt-x", "finish_reason": "tool_calls"},
            additional_kwargs={"refusal": None},
        ),
        ToolMessage(
            "recipe text",
            tool_call_id="call-1",
            status="error",
            artifact={"rows": [1, 2, {"x": None}]},
            name="lookup",
            id="t-1",
        ),
        ToolMessage("ok", tool_call_id="call-3"),
        ChatMessage(role="critic", content="Too salty.", id="c-1"),
        FunctionMessage(name="legacy_fn", content='{"a": 1}'),
        AIMessageChunk(content="partial", id="chunk-1"),
        HumanMessage(
            content=[
                {"type": "text", "text": "Is this ripe?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                "a bare string part",
            ],
            id="h-2",
        ),
        AIMessage("plain answer"),
        HumanMessage("x" * 1_000_000, id="big"),
    ]
