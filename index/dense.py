"""The dense half of one segment: its float vectors, and above a size a compressed index.

There is one float copy of the vectors, the segment's ``vectors.npy``. A small
segment is searched exactly with one matrix product over it. A large one
(``ANN_MIN_VECTORS``) also gets an IVF-PQ index (48 bytes a vector, ~3% of the
floats) that proposes candidates; those are rescored exactly from the float file,
memory-mapped, so only the pages of candidates are ever read. Scores returned
are always exact cosines (the vectors are L2-normalised).
"""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import faiss
import numpy as np
from threadpoolctl import ThreadpoolController

# Exact search over 384-d vectors takes ~3 ms at 50k rows and ~12 ms at 200k on
# the 2-core machine; above this a segment gets a compressed index.
ANN_MIN_VECTORS = 100_000
NPROBE = 32
PQ_BYTES = 48  # sub-quantisers of 8 bits; 384 / 48 = 8 dimensions each
RESCORE_MIN = 200  # candidates taken from the compressed index before exact rescoring
# One question's matrix-vector product is small: BLAS threads only contend with
# the other requests (measured 23 ms with 2 threads vs 6 ms with 1 under load).
# The limit is set once for the process (the cached limiter keeps it): entering
# threadpoolctl's context on every search costs ~0.8 ms (it lists the loaded libraries).
@functools.cache
def _one_blas_thread():
    return ThreadpoolController().limit(limits=1, user_api="blas")


def build_ann(vectors: np.ndarray) -> faiss.Index:
    """IVF-PQ over inner product, trained on a fixed sample of ``vectors``."""
    n, dim = vectors.shape
    nlist = max(16, int(2 * math.sqrt(n)))
    m = PQ_BYTES if dim % PQ_BYTES == 0 else next(d for d in (32, 24, 16, 8, 4, 2, 1) if dim % d == 0)
    index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(n, min(n, 50 * nlist), replace=False)
    index.train(np.ascontiguousarray(vectors[np.sort(sample)]))
    step = 50_000  # add in slices: a memory-mapped file is never copied whole
    for a in range(0, n, step):
        index.add(np.ascontiguousarray(vectors[a:a + step]))
    index.nprobe = NPROBE
    return index


class RowFile:
    """The rows of a float32 ``.npy`` matrix, read on demand with ``pread``.

    A memory map would do the same reads, but every page it touches (and the
    kernel's read-ahead around it) stays in the process's resident set: on a
    1.2M-sentence index, 20 questions' exact rescoring took the service from
    0.6 to 2.1 GB of RSS. Read with ``pread``, the pages stay in the kernel's
    page cache, shared and reclaimable, and the process holds only what it asked for.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        with open(self.path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(f)
            self.offset = f.tell()
        if fortran or dtype != np.float32 or len(shape) != 2:
            raise ValueError(f"{self.path}: expected a C-order float32 matrix, found {dtype} {shape}")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = np.dtype(np.float32)
        self.ndim = 2
        self.row_bytes = self.shape[1] * 4
        self.fd = os.open(self.path, os.O_RDONLY)
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_RANDOM)

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, start: int, n: int) -> np.ndarray:
        buf = os.pread(self.fd, n * self.row_bytes, self.offset + start * self.row_bytes)
        return np.frombuffer(buf, np.float32).reshape(n, self.shape[1])

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            if step != 1:
                raise IndexError("RowFile slices take a step of 1")
            return self._read(start, max(0, stop - start))
        rows = np.asarray(key)
        if rows.ndim == 0:
            row = int(rows) + (self.shape[0] if int(rows) < 0 else 0)
            if not 0 <= row < self.shape[0]:
                raise IndexError(f"row {int(rows)} out of range for {self.shape[0]} rows")
            return self._read(row, 1)[0]
        if len(rows) and (rows.min() < 0 or rows.max() >= self.shape[0]):
            raise IndexError(f"rows out of range for {self.shape[0]} rows")
        out = np.empty((len(rows), self.shape[1]), np.float32)
        if not len(rows):
            return out
        # one read per run of consecutive rows (a merge reads nearly every row in order)
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        for a, b in zip([0, *breaks.tolist()], [*breaks.tolist(), len(rows)]):
            out[a:b] = self._read(int(rows[a]), b - a)
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self._read(0, self.shape[0])
        return whole if dtype is None else whole.astype(dtype)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self):
        try:
            self.close()
        except Exception:  # the interpreter is shutting down
            pass


class DenseVectors:
    """Vectors of one segment (rows 0..n-1) and their optional compressed index."""

    def __init__(self, vectors: np.ndarray, ann: faiss.Index | None = None):
        self.vectors = vectors
        self.ann = ann

    @classmethod
    def build(cls, vectors: np.ndarray) -> "DenseVectors":
        return cls(vectors, build_ann(vectors) if len(vectors) >= ANN_MIN_VECTORS else None)

    @classmethod
    def load(cls, folder: Path) -> "DenseVectors":
        path = Path(folder) / "vectors.npy"
        ann_path = Path(folder) / "dense.faiss"
        if ann_path.is_file():
            return cls(RowFile(path), faiss.read_index(str(ann_path)))  # type: ignore[arg-type]
        return cls(np.load(path, allow_pickle=False))

    def save(self, folder: Path) -> None:
        np.save(Path(folder) / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float32),
                allow_pickle=False)
        if self.ann is not None:
            faiss.write_index(self.ann, str(Path(folder) / "dense.faiss"))

    def __len__(self) -> int:
        return len(self.vectors)

    def cosine(self, rows: np.ndarray, qv: np.ndarray) -> np.ndarray:
        """Exact cosine of some rows (read in ascending order)."""
        if not len(rows):
            return np.zeros(0, np.float32)
        order = np.argsort(rows, kind="stable")
        out = np.empty(len(rows), np.float32)
        out[order] = np.asarray(self.vectors[rows[order]], np.float32) @ qv
        return out

    def search(self, qv: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` rows by cosine among ``allowed`` (a bool mask, None = all): (rows, cosines)."""
        n = len(self.vectors)
        if n == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if self.ann is None:
            _one_blas_thread()
            scores = np.asarray(self.vectors @ qv, np.float32)
            if allowed is not None:
                scores = np.where(allowed, scores, -np.inf)
                k = min(k, int(allowed.sum()))
            k = min(k, n)
            if k <= 0:
                return np.zeros(0, np.int64), np.zeros(0, np.float32)
            top = np.argpartition(-scores, k - 1)[:k]
            return top.astype(np.int64), scores[top]
        params = faiss.SearchParametersIVF(nprobe=NPROBE)  # type: ignore[call-arg]
        if allowed is not None:
            bits = np.packbits(allowed, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits))
        kc = max(RESCORE_MIN, 4 * k)
        _, ids = self.ann.search(qv[None, :].astype(np.float32), kc, params=params)
        rows = ids[0][ids[0] >= 0].astype(np.int64)
        cos = self.cosine(rows, qv)
        top = np.argsort(-cos, kind="stable")[:k]
        return rows[top], cos[top]
