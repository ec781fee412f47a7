"""The chat service example run as its users run it (``python examples/chat_service/app.py``), and Debian's
chromium driven by Playwright. No browser download: ``/usr/bin/chromium`` or nothing. Without it the tests
skip locally and fail in CI (``CI`` set), so CI cannot pass them by doing nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from langchain_sessionmem import SessionMemConfig
from tests.conftest import drop_prefix, free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module scope, not session: while Playwright's sync API is active its event loop counts as running,
    and the async tests of other modules could not start theirs."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium); the browser tests need Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI is set: CI must install it")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def config() -> SessionMemConfig:
    """One key prefix and index for the module's app (starting it costs seconds); tests use their own users."""
    return SessionMemConfig(key_prefix="browser-test:", index_name="browser-test:idx")


@pytest.fixture(scope="module")
def app_url(redis_url: str, config: SessionMemConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The chat service in a subprocess on a free port, offline, under its own key prefix."""
    drop_prefix(redis_url, config.key_prefix)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "COHERE_API_KEY")}
    env |= {"PYTHONUNBUFFERED": "1", "REDIS_URL": redis_url}
    env |= {"SESSIONMEM_PREFIX": config.key_prefix, "SESSIONMEM_INDEX": config.index_name}
    log = tmp_path_factory.mktemp("chat_service") / "app.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "examples" / "chat_service" / "app.py"), "--port", str(port),
             "--echo-delay", "0.01"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"the app exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the app did not answer on {url}:\n{log.read_text()}"
            try:
                if httpx.get(f"{url}/api/config", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        assert "offline ECHO stand-in" in log.read_text(), "the start-up must say which model it uses"
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        drop_prefix(redis_url, config.key_prefix)


class Console:
    """The page's console errors and uncaught exceptions. A test that provokes an error response on
    purpose (the browser logs every 4xx fetch) lists the statuses it expects in ``allowed_statuses``."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed_statuses: set[int] = set()

    def watch(self, page: Page) -> None:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def unexpected(self) -> list[str]:
        allowed = [f"the server responded with a status of {s} " for s in self.allowed_statuses]
        return [e for e in self.errors if not any(a in e for a in allowed)]


SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def size() -> str:
    """The viewport: "desktop" unless a test parametrizes ``size``."""
    return "desktop"


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Browser, app_url: str, size: str, console: Console) -> Iterator[Page]:
    """A fresh browser context at ``size``; the test fails if the page logged a console error."""
    phone = size == "phone"
    context = browser.new_context(base_url=app_url, viewport=SIZES[size], is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console.watch(page)
    yield page
    context.close()
    assert console.unexpected() == [], f"console errors on the page: {console.unexpected()}"
