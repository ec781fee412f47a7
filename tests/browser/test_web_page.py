"""The chat page in a real browser: two users, the same session id, streamed replies, on-screen token counts
equal to the library's, session instructions, delete."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from langchain_sessionmem import RedisSessionMemory, SessionMemConfig

IDLE = '[data-testid="chat"][data-state="idle"]'


@pytest.fixture
def memory(redis_url: str, config: SessionMemConfig) -> Iterator[RedisSessionMemory]:
    mem = RedisSessionMemory(redis_url, config=config)
    yield mem
    mem.close()


def open_session(page: Page, user: str, session: str) -> None:
    page.get_by_test_id("user-select").select_option(user)
    page.wait_for_selector(IDLE)
    page.get_by_test_id("session-input").fill(session)
    page.get_by_test_id("session-input").press("Tab")  # change event: the page loads that session
    expect(page.get_by_test_id("who")).to_have_text(f"{user} / {session}")
    page.wait_for_selector(IDLE)


def send(page: Page, text: str) -> str:
    """Send a message, check the reply is shown while it streams, and return the finished reply."""
    page.get_by_test_id("message-input").fill(text)
    page.get_by_test_id("send").click()
    streaming = page.locator('#messages .msg.ai[data-streaming="true"]')
    expect(streaming).to_have_count(1)
    page.wait_for_function(  # part of the reply is on screen before the rest has come
        "() => { const m = document.querySelector('#messages .msg.ai[data-streaming]');"
        " return m !== null && m.textContent.length > 0; }"
    )
    page.wait_for_selector(IDLE)
    expect(page.get_by_test_id("error")).to_be_hidden()
    return page.locator("#messages .msg.ai").last.inner_text()


def shown_tokens(page: Page) -> int:
    return int(page.get_by_test_id("token-count").inner_text())


def test_two_users_on_the_page(page: Page, memory: RedisSessionMemory) -> None:
    page.goto("/")
    page.wait_for_selector(IDLE)
    expect(page.get_by_test_id("provider")).to_contain_text("offline echo model")

    open_session(page, "alice", "trip")
    reply = send(page, "My secret word is pineapple.")
    assert "pineapple" in reply
    send(page, "I would like to visit Rome in May.")
    expect(page.locator("#messages .msg")).to_have_count(4)
    assert shown_tokens(page) == memory.history("alice", "trip").token_count() > 0
    expect(page.get_by_test_id("message-count")).to_have_text("4")

    open_session(page, "bob", "trip")  # the same session id, another user
    expect(page.locator("#messages .msg")).to_have_count(0)
    assert shown_tokens(page) == 0
    reply = send(page, "What is my secret word?")
    assert "pineapple" not in reply
    expect(page.get_by_test_id("memory")).not_to_contain_text("pineapple")
    assert "pineapple" not in page.locator("body").inner_text() and "Rome" not in page.locator("body").inner_text()
    assert shown_tokens(page) == memory.history("bob", "trip").token_count() > 0
    expect(page.get_by_test_id("sessions").locator("li")).to_have_count(1)

    open_session(page, "alice", "plans")  # alice's memory reaches across her sessions, and only hers
    page.get_by_test_id("instructions").fill("Answer like a pirate.")
    page.get_by_test_id("save-instructions").click()
    expect(page.get_by_test_id("instructions-status")).to_have_text("saved")
    reply = send(page, "What is my secret word?")
    assert "pineapple" in reply and "Answer like a pirate." in reply
    expect(page.get_by_test_id("memory")).to_contain_text("pineapple")
    assert shown_tokens(page) == memory.history("alice", "plans").token_count()

    page.get_by_test_id("delete-session").click()
    page.wait_for_selector(IDLE)
    expect(page.locator("#messages .msg")).to_have_count(0)
    assert shown_tokens(page) == 0 and memory.get_session("alice", "plans") is None
    expect(page.get_by_test_id("sessions").locator("li")).to_have_count(1)  # "trip" is left
    assert memory.history("alice", "trip").token_count() > 0


def test_bad_input_shows_the_reason(page: Page) -> None:
    page.goto("/")
    page.wait_for_selector(IDLE)
    page.get_by_test_id("new-user").fill("carol")
    page.get_by_test_id("add-user").click()
    expect(page.get_by_test_id("who")).to_have_text("carol / default")
    page.wait_for_selector(IDLE)
    page.get_by_test_id("session-input").fill("")
    page.get_by_test_id("session-input").press("Tab")
    expect(page.get_by_test_id("error")).to_contain_text("session_id must be a non-empty str")

    page.get_by_test_id("session-input").fill("bad-input")
    page.get_by_test_id("session-input").press("Tab")
    page.wait_for_selector(IDLE)
    expect(page.get_by_test_id("error")).to_be_hidden()
    page.get_by_test_id("max-tokens").fill("0")
    page.get_by_test_id("message-input").fill("Hello")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("error")).to_contain_text("max_tokens")
    expect(page.locator("#messages .msg")).to_have_count(0)
    expect(page.get_by_test_id("message-input")).to_have_value("Hello")
