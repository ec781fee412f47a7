"""``make test`` and ``make demo`` leave the private Redis Stack running for the next run: they say
so once at the end, with the command that stops it (issue 13, point 10). The server script is
replaced by a stub, so no server is started or asked."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="no make on this machine")


def _make(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    return subprocess.run(
        [MAKE, "--no-print-directory", "-s", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def _env(tmp_path: Path, running: bool, redis_url: str | None = None) -> dict[str, str]:
    stub = tmp_path / "stack.sh"
    body = 'echo "redis://127.0.0.1:6390/0"' if running else "exit 1"
    stub.write_text(f'[ "$1" = url ] || exit 9\n{body}\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "MAKEFLAGS", "MAKELEVEL")}
    env["REDIS_STACK"] = f"bash {stub}"
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env


def test_a_running_private_server_is_announced_with_the_command_that_stops_it(tmp_path: Path) -> None:
    result = _make("redis-note", env=_env(tmp_path, running=True))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 1
    assert "still running at redis://127.0.0.1:6390/0" in result.stderr and "make redis-down" in result.stderr


@pytest.mark.parametrize(("running", "redis_url"), [(False, None), (True, "redis://elsewhere:6379/0")])
def test_nothing_is_said_when_no_private_server_runs_or_another_is_used(
    tmp_path: Path, running: bool, redis_url: str | None
) -> None:
    result = _make("redis-note", env=_env(tmp_path, running, redis_url))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("target", ["test", "demo"])
def test_test_and_demo_end_with_the_note_and_keep_their_exit_status(tmp_path: Path, target: str) -> None:
    recipe = _make("-n", target, env=_env(tmp_path, running=True)).stdout.replace("\\\n", " ")
    lines = [line for line in recipe.splitlines() if "make redis-down" in line]
    assert len(lines) == 1, recipe  # said once
    assert "status=$?" in lines[0] and lines[0].rstrip().endswith("exit $status"), lines[0]


def test_help_lists_test_unit_which_runs_tests_unit_alone(tmp_path: Path) -> None:
    env = _env(tmp_path, running=False)
    listed = _make("help", env=env).stdout.splitlines()
    assert any(line.split()[:1] == ["test-unit"] and "no Redis" in line for line in listed), listed
    recipe = _make("-n", "-o", ".venv/.installed", "test-unit", env=env).stdout.strip().splitlines()
    assert recipe == [".venv/bin/python -m pytest tests/unit"], recipe
