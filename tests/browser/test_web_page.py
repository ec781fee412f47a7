"""The chat page in a real browser: two users, the same session id, streamed replies, on-screen token counts
equal to the library's, session instructions, delete; the agent's memory search shown as a step; the layout
at desktop and phone sizes (screenshots plus measurements in the DOM); Markdown rendered without ever
turning reply text into HTML; no console errors (the page fixture fails a test that logs one)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from langchain_sessionmem import RedisSessionMemory
from tests.browser.conftest import SIZES, Console
from tests.conftest import MakeMemory

IDLE = '[data-testid="chat"][data-state="idle"]'
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 7  # 315 letters, no break opportunity
HOSTILE = '<img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> [run](javascript:window.__xss=3)'


@pytest.fixture
def memory(make_memory: MakeMemory) -> RedisSessionMemory:
    return make_memory()


def open_menu(page: Page) -> bool:
    """On a phone the sessions and settings are in a drawer: open it. Returns whether there was one."""
    if not page.get_by_test_id("menu").is_visible():
        return False
    if page.get_by_test_id("menu").get_attribute("aria-expanded") != "true":
        page.get_by_test_id("menu").click()
    expect(page.get_by_test_id("user-select")).to_be_visible()
    page.wait_for_function("() => document.getElementById('sidebar').getBoundingClientRect().left >= 0")  # slid in
    return True


def close_menu(page: Page) -> None:
    if page.get_by_test_id("menu").get_attribute("aria-expanded") == "true":
        page.get_by_test_id("close-menu").click()
        expect(page.get_by_test_id("user-select")).to_be_hidden()


def open_session(page: Page, user: str, session: str) -> None:
    drawer = open_menu(page)
    if page.locator(f'#user option[value="{user}"]').count() == 0:
        page.get_by_test_id("new-user").fill(user)
        page.get_by_test_id("add-user").click()
    else:
        page.get_by_test_id("user-select").select_option(user)
    page.wait_for_selector(IDLE)
    page.get_by_test_id("session-input").fill(session)
    page.get_by_test_id("session-input").press("Tab")  # change event: the page loads that session
    expect(page.get_by_test_id("who")).to_have_text(f"{user} / {session}")
    page.wait_for_selector(IDLE)
    if drawer:
        close_menu(page)


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
    expect(page.get_by_test_id("context-info")).to_contain_text("Model input: 0 recent messages (0 tok), your instr")
    assert shown_tokens(page) == memory.history("alice", "plans").token_count()

    page.get_by_test_id("delete-session").click()
    page.wait_for_selector(IDLE)
    expect(page.locator("#messages .msg")).to_have_count(0)
    assert shown_tokens(page) == 0 and memory.get_session("alice", "plans") is None
    expect(page.get_by_test_id("sessions").locator("li")).to_have_count(1)  # "trip" is left
    assert memory.history("alice", "trip").token_count() > 0


def test_bad_input_shows_the_reason(page: Page, console: Console) -> None:
    console.allowed_statuses = {400, 422}  # the browser logs the rejected requests
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


def test_the_agent_searching_its_memory_is_shown_as_a_step(page: Page, memory: RedisSessionMemory) -> None:
    page.goto("/")
    page.wait_for_selector(IDLE)
    open_session(page, "dora", "first")
    send(page, "My favourite colour is teal.")
    open_session(page, "dora", "second")
    reply = send(page, "Search your memory: what is my favourite colour?")
    step = page.locator("#messages .msg.tool")
    expect(step).to_have_count(1)
    asked = "“Search your memory: what is my favourite colour?”"
    expect(step.locator("summary")).to_have_text(f"Searched earlier conversations for {asked}")
    expect(step.locator(".result")).to_be_hidden()  # folded until asked for
    step.locator("summary").click()
    expect(step.locator(".result")).to_contain_text("User: My favourite colour is teal.")
    assert "teal" in reply.split("It found:")[1]
    types = page.locator("#messages .msg").evaluate_all("ms => ms.map(m => m.dataset.type)")
    assert types == ["human", "tool", "ai"]
    assert [m.type for m in memory.history("dora", "second").messages] == ["human", "ai", "tool", "ai"]

    open_session(page, "dora", "first")  # and back: the step is rebuilt from the stored history
    open_session(page, "dora", "second")
    expect(page.locator("#messages .msg.tool .result")).to_contain_text("teal")
    types = page.locator("#messages .msg").evaluate_all("ms => ms.map(m => m.dataset.type)")
    assert types == ["human", "tool", "ai"]


LAYOUT = """() => {
  const rect = (el) => { const r = el.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height }; };
  const usable = (el) => {   // in the viewport and not covered by anything else
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) return false;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit === el || el.contains(hit);
  };
  const shown = (el) => el.checkVisibility({ visibilityProperty: true });
  const list = document.getElementById("messages").getBoundingClientRect();
  const bubbles = [...document.querySelectorAll("#messages .msg")];
  return {
    viewport: [innerWidth, innerHeight],
    scroll: [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight],
    chat: rect(document.getElementById("chat")),
    header: rect(document.querySelector("header")),
    sidebar: shown(document.getElementById("sidebar")) ? rect(document.getElementById("sidebar")) : null,
    input: usable(document.getElementById("message")),
    send: usable(document.getElementById("send")),
    overflowing: bubbles.filter((m) => { const r = m.getBoundingClientRect();
      return m.scrollWidth > m.clientWidth + 1 || r.left < list.left - 0.5 || r.right > list.right + 0.5; })
      .map((m) => m.textContent.slice(0, 50)),
    longWord: rect(bubbles.find((b) => b.textContent.startsWith("Pneumono")) || document.body),
    lineHeight: parseFloat(getComputedStyle(document.body).lineHeight),
    dangling: [
      ...[...document.querySelectorAll("label")].filter((l) => shown(l) && !(l.control && shown(l.control))),
      ...[...document.querySelectorAll("h1, h2, summary, #who, #provider, #context-info, #token-count, #message-count")]
        .filter((e) => shown(e) && !e.textContent.trim()),
      ...[...document.querySelectorAll("details, ul:not(#sessions), ol:not(#messages)")]
        .filter((e) => shown(e) && !e.textContent.trim()),
    ].map((e) => e.outerHTML.slice(0, 80)),
  };
}"""


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, from its IHDR chunk."""
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def check_layout(page: Page, size: str) -> dict[str, Any]:
    got: dict[str, Any] = page.evaluate(LAYOUT)
    width, height = SIZES[size]["width"], SIZES[size]["height"]
    assert got["viewport"] == [width, height]
    assert got["scroll"] == [width, height], "the page itself must not scroll: only the message list does"
    assert got["chat"]["width"] >= (300 if size == "phone" else 700), got["chat"]
    assert got["chat"]["right"] <= width and got["chat"]["top"] >= got["header"]["bottom"]
    assert got["input"] and got["send"], "the message box and the Send button are on screen and not covered"
    assert got["overflowing"] == [], "these messages overflow their bubble or the message list"
    assert got["dangling"] == [], "empty panels or labels without a visible control"
    if size == "phone":
        assert got["sidebar"] is None, "on a phone the sidebar is a drawer, closed until asked for"
    else:
        assert got["sidebar"]["right"] <= got["chat"]["left"], "the sidebar sits beside the chat"
    return got


@pytest.mark.parametrize("size", list(SIZES))
def test_layout_markdown_and_no_html_injection(page: Page, size: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    shots = tmp_path_factory.mktemp(f"screens-{size}")
    page.goto("/")
    page.wait_for_selector(IDLE)
    expect(page.get_by_test_id("memory-panel")).to_be_hidden()  # nothing to show before a reply
    hint = "Message" if size == "phone" else "Message (Enter sends, Shift+Enter: new line)"  # Enter: a new line
    expect(page.get_by_test_id("message-input")).to_have_attribute("placeholder", hint)
    user = f"layout-{size}"
    open_session(page, user, "s1")
    check_layout(page, size)  # the empty session
    page.screenshot(path=shots / "empty.png")

    send(page, LONG_WORD)
    got = check_layout(page, size)
    assert got["longWord"]["height"] >= 3 * got["lineHeight"], "the long word wraps inside its bubble"
    send(page, f"Have a look at https://example.com/{LONG_WORD}/index.html?q=1")
    reply = send(page, HOSTILE)
    assert "<img src=x" in reply and "<script>" in reply, "shown as the text it is"
    assert page.evaluate("window.__xss") is None, "reply text ran as code"
    assert page.locator("#messages img, #messages script, #messages a[href^=javascript]").count() == 0
    last = page.locator("#messages .msg.ai").last
    expect(last.locator("strong")).to_have_text("4")  # the echo model's Markdown: **4** earlier message(s)
    expect(last.locator("code").first).to_have_text("OPENAI_API_KEY")
    expect(last.locator("em")).to_contain_text("Offline echo model")
    link = page.locator("#messages .msg.ai a").first
    assert link.get_attribute("href", timeout=1000).startswith("https://example.com/")
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    expect(page.get_by_test_id("memory-panel")).to_be_visible()

    reply = send(page, f"Search your memory for {LONG_WORD[:40]}")
    page.locator("#messages .msg.tool summary").click()
    expect(page.locator("#messages .msg.tool .result")).to_contain_text("Pneumono")
    page.locator("#messages .msg.tool").evaluate("m => m.scrollIntoView({ block: 'start' })")
    check_layout(page, size)
    page.screenshot(path=shots / "tool.png")
    page.locator("#messages").evaluate("m => { m.scrollTop = m.scrollHeight; }")
    check_layout(page, size)
    page.screenshot(path=shots / "chat.png", full_page=True)
    assert png_size(shots / "chat.png") == (SIZES[size]["width"], SIZES[size]["height"]), "nothing sticks out"
    page.locator("#messages").evaluate("m => { m.scrollTop = 0; }")
    page.screenshot(path=shots / "chat-top.png")

    if size == "phone":  # the drawer: fits the screen, its controls usable, and it closes again
        open_menu(page)
        sidebar = page.locator("#sidebar").bounding_box()
        assert sidebar is not None and sidebar["x"] >= 0 and sidebar["x"] + sidebar["width"] <= 390
        for testid in ("user-select", "session-input", "new-session", "delete-session", "max-tokens", "send"):
            if testid != "send":
                page.get_by_test_id(testid).scroll_into_view_if_needed()
                box = page.get_by_test_id(testid).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= sidebar["width"], testid
        page.screenshot(path=shots / "drawer.png")
        close_menu(page)
        check_layout(page, size)


HOSTILE_MARKDOWN = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=1</script>",
    "[click](javascript:window.__xss=1)",
    "[click](  JaVaScRiPt:window.__xss=1)",
    "[x](data:text/html,<script>window.__xss=1</script>)",
    "**<svg onload=window.__xss=1>**",
    "```\n</code></pre><img src=x onerror=window.__xss=1>\n```",
    '<a href="javascript:window.__xss=1">x</a>',
    'https://example.com/"><img src=x onerror=window.__xss=1>',
    "| <b onmouseover=window.__xss=1>a</b> | b |\n|---|---|\n| <iframe src=javascript:window.__xss=1> | 2 |",
    "> <style>body{display:none}</style>\n- <img src=x onerror=window.__xss=1>",
]
ALLOWED_TAGS = {"DIV", "P", "BR", "STRONG", "EM", "DEL", "CODE", "PRE", "A", "UL", "OL", "LI", "BLOCKQUOTE",
                "H3", "H4", "H5", "H6", "HR", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD"}  # fmt: skip


def test_markdown_renderer_builds_only_safe_elements(page: Page) -> None:
    page.goto("/")
    page.wait_for_selector(IDLE)
    for source in HOSTILE_MARKDOWN:
        found = page.evaluate(
            """async (source) => {
                 const root = renderMarkdown(source);
                 document.body.append(root);            // live in the document: an <img> would load and fire
                 await new Promise((r) => setTimeout(r, 50));
                 const all = [root, ...root.querySelectorAll("*")];
                 const result = {
                   tags: [...new Set(all.map((e) => e.tagName))],
                   handlers: all.flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith("on")),
                   hrefs: [...root.querySelectorAll("a")].map((a) => a.protocol),
                   text: root.textContent, xss: window.__xss ?? null,
                 };
                 root.remove();
                 return result;
               }""",
            source,
        )
        assert set(found["tags"]) <= ALLOWED_TAGS, (source, found)
        assert found["handlers"] == [] and set(found["hrefs"]) <= {"https:", "http:", "mailto:"}, (source, found)
        assert found["xss"] is None, source
        assert "window.__xss" in found["text"], "the hostile text is shown, as text"

    html = page.evaluate(
        "(s) => renderMarkdown(s).innerHTML",
        "# Plan\n\nSome **bold**, *em*, `a<b>`, ~~old~~ and [docs](https://example.com/a_(b)).\n"
        "Second line with snake_case_name.\n\n- one\n- two\n  continued\n\n3. third\n4. fourth\n\n"
        "```python\nprint('<b>')\n```\n\n> quoted **text**\n\n| a | b |\n|---|:-:|\n| 1 | `2` |\n\n---\n"
        "See https://example.com/x. [**https://a.example**](https://b.example)",
    )
    assert html == (
        "<h3>Plan</h3>"
        '<p>Some <strong>bold</strong>, <em>em</em>, <code>a&lt;b&gt;</code>, <del>old</del> and <a href="https://'
        'example.com/a_(b)" rel="noopener noreferrer nofollow" target="_blank">docs</a>.<br>Second line with '
        "snake_case_name.</p>"
        "<ul><li>one</li><li>two<br>continued</li></ul>"
        '<ol start="3"><li>third</li><li>fourth</li></ol>'
        "<pre><code data-lang=\"python\">print('&lt;b&gt;')</code></pre>"
        "<blockquote><p>quoted <strong>text</strong></p></blockquote>"
        '<div class="table-wrap"><table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>'
        "<code>2</code></td></tr></tbody></table></div>"
        "<hr>"
        '<p>See <a href="https://example.com/x" rel="noopener noreferrer nofollow" target="_blank">'
        'https://example.com/x</a>. <a href="https://b.example" rel="noopener noreferrer nofollow" target="_blank">'
        "<strong>https://a.example</strong></a></p>"
    )
