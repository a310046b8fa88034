"""Test doubles: an embedder that needs no model."""

import hashlib
from itertools import pairwise

import numpy as np


class FakeEmbedder:
    """Deterministic and fast: hashed character bigrams, L2-normalised.

    Texts that share bigrams get similar vectors, so ranking assertions are
    meaningful without a real model."""

    name = "fake-bigram-64"
    dim = 64

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        t = "".join(text.split())
        for a, b in pairwise(t):
            h = int.from_bytes(hashlib.md5((a + b).encode()).digest()[:4], "little")
            v[h % self.dim] += 1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_documents(self, texts):
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_queries(self, texts):
        return self.encode_documents(texts)
