"""Token counting without a server: the genuine offline encoding, model names, the fallback."""

from __future__ import annotations

import warnings

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_sessionmem import SessionMemConfig, TokenizerFallbackWarning
from langchain_sessionmem._tokens import message_tokens, messages_tokens, text_counter
from langchain_sessionmem.errors import ConfigError


def test_cl100k_is_the_genuine_encoding_and_loads_offline() -> None:
    count = text_counter("cl100k_base")
    assert count("hello world") == 2
    assert count("tiktoken is great!") == 6
    assert count("") == 0


def test_model_names_resolve_to_their_encoding() -> None:
    assert text_counter("gpt-4")("hello world") == 2  # gpt-4 -> cl100k_base


def test_messages_count_framing_role_name_and_tool_calls() -> None:
    count = text_counter("cl100k_base")
    assert message_tokens(HumanMessage("hello world"), count) == 3 + 1 + 2
    assert message_tokens(SystemMessage("hello world", name="x"), count) == 3 + 1 + 2 + 1 + 1
    call = AIMessage("", tool_calls=[{"name": "lookup", "args": {"q": "x"}, "id": "c1"}])
    assert message_tokens(call, count) == 3 + 1 + 0 + 3 + count("lookup") + count('{"q": "x"}')
    tool = ToolMessage("ok", tool_call_id="c1")
    assert message_tokens(tool, count) == 3 + count("tool") + count("ok") + count("c1")
    assert messages_tokens([tool, call], count) == message_tokens(tool, count) + message_tokens(call, count)


def test_an_unloadable_encoding_warns_once_and_approximates() -> None:
    with pytest.warns(TokenizerFallbackWarning, match="no-such-encoding"):
        count = text_counter("no-such-encoding")
    assert count("abcdefghi") == 3  # ceil(9 / 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert text_counter("no-such-encoding")("abcd") == 1  # cached: no second warning


@pytest.mark.parametrize("bad", ["", None, 3])
def test_tokenizer_must_be_a_name(bad: object) -> None:
    with pytest.raises(ConfigError, match="tokenizer"):
        SessionMemConfig(tokenizer=bad)  # type: ignore[arg-type]
