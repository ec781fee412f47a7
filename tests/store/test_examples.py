"""Every example runs end to end against the real Redis, offline (scripted model)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("script", ["chef_demo.py"])
def test_example_runs_offline(script: str, redis_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "COHERE_API_KEY")}
    env["REDIS_URL"] = redis_url
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SCRIPTED stand-in" in proc.stdout
    assert "demo finished" in proc.stdout
