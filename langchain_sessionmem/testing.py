"""A deterministic, offline embedder for tests and demos.

``HashingEmbeddings`` hashes words and character trigrams into a fixed-size vector (the
"hashing trick"). It is lexical, not semantic: "avocado toast" is close to "the avocado one",
but "meat-free" is not close to "vegetarian". Use a real model (OpenAI, Cohere, a local
sentence-transformers model) for meaning; use this where a test or a demo must run offline and
give the same vectors on every machine.
"""

from __future__ import annotations

import hashlib
import math
import re

from langchain_core.embeddings import Embeddings

from langchain_sessionmem._search import STOPWORDS

__all__ = ["HashingEmbeddings"]

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbeddings(Embeddings):
    """Deterministic bag-of-words + trigram embeddings, L2-normalised.

    Args:
        dims: Vector size.
    """

    def __init__(self, dims: int = 256) -> None:
        self.dims = dims
        self.model = f"hashing-{dims}"

    def _features(self, text: str) -> list[tuple[str, float]]:
        words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
        feats: list[tuple[str, float]] = []
        for w in words:
            stem = w[:-1] if len(w) > 3 and w.endswith("s") else w
            feats.append(("w:" + stem, 1.0))
            padded = f"^{stem}$"
            feats.extend(("c:" + padded[i : i + 3], 0.25) for i in range(len(padded) - 2))
        return feats

    def _embed(self, text: str) -> list[float]:
        vec = [0.0] * self.dims
        for feat, weight in self._features(text):
            h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "big")
            vec[h % self.dims] += weight if (h >> 63) & 1 else -weight
        norm = math.sqrt(sum(x * x for x in vec))
        if norm == 0.0:
            vec[0], norm = 1.0, 1.0  # no words: a fixed unit vector, still a valid cosine input
        return [x / norm for x in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)

    # Native async twins: pure CPU work, so no thread pool (langchain-core's default would use one).
    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)
