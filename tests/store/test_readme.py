"""Every ```python block of README.md runs, as a user would run it: copied whole into a file and
run by a fresh interpreter (issue 13, point 9).

Rules for README authors, checked here:

- A block is a complete script: its own imports, its own data, its own memory built from
  ``os.environ.get("REDIS_URL", "redis://localhost:6379/0")``. Nothing is prepended, and no block
  sees another's names. Setup a block needs is plain code in the block (or an import of a module
  the package ships, such as ``langchain_sessionmem.testing``).
- Provider keys (``OPENAI_API_KEY``, ``COHERE_API_KEY``) are removed from the environment, so a
  block that would call a provider needs an offline stand-in: ``HashingEmbeddings``, a scripted
  chat model such as ``FakeListChatModel``, or an ``if os.environ.get("OPENAI_API_KEY"):`` switch.
- Code that cannot run as a script (shell commands, output, formats) goes in ```bash, ```console
  or ```text blocks, never ```python (nor ```py, which would escape this test).

Isolation: the blocks run against a throw-away Redis Stack of this module's own, emptied before
each block (every index dropped, FLUSHALL), in a temporary working folder, so no block can see
another's data or a previous run's, and nothing is written into the source tree.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.store._servers import RedisProcess

README = ROOT / "README.md"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[^\s`]*)[ \t]*$")
_PROVIDER_KEYS = ("OPENAI_API_KEY", "COHERE_API_KEY", "ANTHROPIC_API_KEY")


def _fences(text: str) -> Iterator[tuple[int, str, str]]:
    """(line number of the block's first line, language, dedented code) of every fenced block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, lang = opening["indent"], opening["lang"]
        end = i + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        assert end < len(lines), f"README.md line {i + 1}: a ``` block that is never closed"
        yield i + 2, lang, textwrap.dedent("\n".join(lines[i + 1 : end])) + "\n"
        assert lines[end].startswith(indent), f"README.md line {end + 1}: closing fence indented unlike its opening"
        i = end + 1


def _python_blocks() -> list[tuple[int, str]]:
    return [(line, code) for line, lang, code in _fences(README.read_text(encoding="utf-8")) if lang == "python"]


def test_python_code_is_only_in_blocks_this_test_runs() -> None:
    langs = {lang for _, lang, _ in _fences(README.read_text(encoding="utf-8"))}
    assert not langs & {"py", "python3", "pycon", "ipython", "py3"}, f"use ```python (run by this test): {langs}"
    assert len(_python_blocks()) >= 10


@pytest.fixture(scope="module")
def server(redis_paths: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    with RedisProcess(redis_paths, tmp_path_factory.mktemp("readme-redis")) as process:
        yield process


def _empty(server: RedisProcess) -> None:
    with server.admin() as admin:
        for name in admin.execute_command("FT._LIST"):
            admin.execute_command("FT.DROPINDEX", name)
        admin.flushall()


def _readme_lines(stderr: str, script: Path, first_line: int) -> str:
    """The traceback with the script's line numbers turned into README.md line numbers."""
    return re.sub(
        rf'File "{re.escape(str(script))}", line (\d+)',
        lambda m: f"README.md, line {first_line + int(m[1]) - 1}",
        stderr,
    )


def test_a_failing_block_is_reported_at_its_readme_line(tmp_path: Path) -> None:
    script = tmp_path / "readme_line_100.py"
    script.write_text("import os\n\nprint(undefined_name)\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "README.md, line 102, in <module>" in _readme_lines(proc.stderr, script, 100)


@pytest.mark.parametrize(
    ("first_line", "code"), [pytest.param(line, code, id=f"README.md:{line}") for line, code in _python_blocks()]
)
def test_readme_python_block_runs(first_line: int, code: str, server: RedisProcess, tmp_path: Path) -> None:
    if "6379" in code:
        assert "REDIS_URL" in code, f"README.md line {first_line}: take the URL from REDIS_URL, not a fixed port"
    _empty(server)
    script = tmp_path / f"readme_line_{first_line}.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in _PROVIDER_KEYS and not k.startswith("SESSIONMEM_")}
    env["REDIS_URL"] = server.url()
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, (
        f"the ```python block at README.md line {first_line} failed (exit {proc.returncode}):\n"
        f"{_readme_lines(proc.stderr, script, first_line)[-4000:]}"
    )
