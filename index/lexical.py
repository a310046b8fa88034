"""The lexical half: BM25 postings of one segment, scored with global statistics.

A segment keeps, for its rows (sentences), the Kiwi morphemes as a forward list
(row -> term ids, so merges and deletes never re-analyse text) and an inverted
list (term -> rows, term frequencies). Scores use statistics summed over all
live rows of all segments (``Stats``), so splitting a corpus into segments does
not change any score.

The formula is Lucene's BM25 as bm25s computes it (k1 1.2, b 0.75):
  idf(t)   = ln(1 + (N - df + 0.5) / (df + 0.5))
  score(t) = idf(t) * tf / (tf + k1 * (1 - b + b * len / avglen))
A query term repeated counts twice; terms no row contains score nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

K1 = 1.2
B = 0.75
# bm25s could not index an empty term list; old indexes gave such rows one
# sentinel term. Kept so that lengths (and so scores) match them exactly.
EMPTY = "\u0000"


@dataclass(frozen=True)
class Postings:
    """Immutable postings of one segment."""

    vocab: tuple[str, ...]
    fwd_ptr: np.ndarray  # (n_rows + 1,) int64: row r's term ids are fwd_ids[fwd_ptr[r]:fwd_ptr[r+1]]
    fwd_ids: np.ndarray  # int32, in the sentence's order (duplicates kept)
    post_ptr: np.ndarray  # (V + 1,) int64
    post_rows: np.ndarray  # int32, rows of each term, ascending
    post_tf: np.ndarray  # float32, term frequency in that row
    _term_id: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_term_id", {t: i for i, t in enumerate(self.vocab)})

    @property
    def n_rows(self) -> int:
        return len(self.fwd_ptr) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.fwd_ptr).astype(np.float32)

    def df(self, term: str) -> int:
        tid = self._term_id.get(term)
        return 0 if tid is None else int(self.post_ptr[tid + 1] - self.post_ptr[tid])

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The rows holding ``term`` (ascending) and its frequency in each."""
        tid = self._term_id.get(term)
        if tid is None:
            return self.post_rows[:0], self.post_tf[:0]
        a, b = self.post_ptr[tid], self.post_ptr[tid + 1]
        return self.post_rows[a:b], self.post_tf[a:b]

    def contains(self, term: str, rows: np.ndarray) -> np.ndarray:
        """Whether each of ``rows`` holds ``term`` (its postings are read, not the rows)."""
        return self.tf(term, rows) > 0

    def tf(self, term: str, rows: np.ndarray) -> np.ndarray:
        """How often each of ``rows`` holds ``term`` (0: not at all)."""
        post, tf = self.postings(term)
        if not len(post):
            return np.zeros(len(rows), np.float32)
        at = np.minimum(np.searchsorted(post, rows), len(post) - 1)
        return np.where(post[at] == rows, tf[at], np.float32(0))

    def count_in(self, term: str, starts: np.ndarray, ends: np.ndarray) -> int:
        """How many rows of the ranges [starts[i], ends[i]) hold ``term``."""
        post, _ = self.postings(term)
        return int((np.searchsorted(post, ends) - np.searchsorted(post, starts)).sum()) if len(post) else 0

    def row_lengths(self, rows: np.ndarray) -> np.ndarray:
        return (self.fwd_ptr[rows + 1] - self.fwd_ptr[rows]).astype(np.float32)

    def row_terms(self, row: int) -> list[str]:
        return [self.vocab[i] for i in self.fwd_ids[self.fwd_ptr[row]:self.fwd_ptr[row + 1]]]

    def term_counts(self, rows: np.ndarray) -> dict[str, int]:
        """How many of ``rows`` contain each term (their df contribution)."""
        out: dict[str, int] = {}
        for r in rows:
            for tid in set(self.fwd_ids[self.fwd_ptr[r]:self.fwd_ptr[r + 1]].tolist()):
                t = self.vocab[tid]
                out[t] = out.get(t, 0) + 1
        return out

    # ------------------------------------------------------------- building
    @classmethod
    def build(cls, rows: Iterable[Sequence[str]]) -> "Postings":
        vocab: dict[str, int] = {}
        ptr = [0]
        ids: list[int] = []
        for terms in rows:
            for t in terms or (EMPTY,):
                ids.append(vocab.setdefault(t, len(vocab)))
            ptr.append(len(ids))
        return cls.from_forward(tuple(vocab), np.asarray(ptr, np.int64), np.asarray(ids, np.int32))

    @classmethod
    def from_forward(cls, vocab: tuple[str, ...], fwd_ptr: np.ndarray, fwd_ids: np.ndarray) -> "Postings":
        """Invert a forward list: (term, row) pairs sorted by term then row, with counts."""
        n_rows = len(fwd_ptr) - 1
        row_of = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(fwd_ptr))
        key = fwd_ids.astype(np.int64) * max(1, n_rows) + row_of
        uniq, counts = np.unique(key, return_counts=True)
        terms = uniq // max(1, n_rows)
        post_rows = (uniq % max(1, n_rows)).astype(np.int32)
        post_ptr = np.zeros(len(vocab) + 1, np.int64)
        np.add.at(post_ptr, terms + 1, 1)
        return cls(vocab, fwd_ptr, fwd_ids, np.cumsum(post_ptr), post_rows, counts.astype(np.float32))

    @classmethod
    def concat(cls, parts: Sequence["Postings"], keep: Sequence[np.ndarray]) -> "Postings":
        """The rows ``keep[i]`` of each part, in order, as one segment's postings (a merge)."""
        vocab: dict[str, int] = {}
        ptrs, ids = [], []
        for p, rows in zip(parts, keep):
            remap = np.asarray([vocab.setdefault(t, len(vocab)) for t in p.vocab], np.int32)
            lens = (p.fwd_ptr[rows + 1] - p.fwd_ptr[rows]).astype(np.int64)
            ptrs.append(lens)
            if len(rows):
                ids.append(remap[p.fwd_ids[_ranges(p.fwd_ptr[rows], p.fwd_ptr[rows + 1])]])
        lens = np.concatenate(ptrs) if ptrs else np.zeros(0, np.int64)
        fwd_ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        fwd_ids = np.concatenate(ids).astype(np.int32) if ids else np.zeros(0, np.int32)
        return cls.from_forward(tuple(vocab), fwd_ptr, fwd_ids)

    # ------------------------------------------------------------ persisting
    def arrays(self) -> dict[str, np.ndarray]:
        return {"fwd_ptr": self.fwd_ptr, "fwd_ids": self.fwd_ids, "post_ptr": self.post_ptr,
                "post_rows": self.post_rows, "post_tf": self.post_tf}

    @classmethod
    def from_arrays(cls, vocab: Sequence[str], arrays) -> "Postings":
        return cls(tuple(vocab), *(np.asarray(arrays[k]) for k in ("fwd_ptr", "fwd_ids", "post_ptr",
                                                                       "post_rows", "post_tf")))


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, e) for each pair, vectorised."""
    lens = ends - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return np.arange(total, dtype=np.int64) + offs


def idf_of(df: int, n_rows: int) -> float:
    """BM25's idf of a term ``df`` of ``n_rows`` rows hold."""
    n = max(1, n_rows)
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class Stats:
    """Collection statistics over every live row of every segment."""

    n_rows: int
    total_length: float

    @property
    def avg_length(self) -> float:
        return self.total_length / self.n_rows if self.n_rows else 1.0

    def idf(self, df: int) -> float:
        return idf_of(df, self.n_rows)

    @property
    def max_idf(self) -> float:
        """idf of a term no row contains: what an absent question word weighs."""
        return self.idf(0)


def bm25_part(idf: float, tf: np.ndarray, lengths: np.ndarray, stats: Stats) -> np.ndarray:
    """One term's BM25 contribution to rows with these term frequencies and lengths."""
    return idf * tf / (tf + K1 * (1 - B) + K1 * B * lengths / stats.avg_length)


def score_rows(postings: Postings, terms: Sequence[str], idf: dict[str, float], stats: Stats
               ) -> tuple[np.ndarray, np.ndarray]:
    """BM25 of the rows of one segment that contain a query term: (rows, scores).

    Only the query terms' postings are read, never every row."""
    row_parts, score_parts = [], []
    for t in terms:
        rows, tf = postings.postings(t)
        if not len(rows):
            continue
        row_parts.append(rows)
        score_parts.append(bm25_part(idf[t], tf, postings.row_lengths(rows), stats))
    if not row_parts:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    if len(row_parts) == 1:
        return row_parts[0], score_parts[0].astype(np.float32)
    rows = np.concatenate(row_parts)
    uniq, inv = np.unique(rows, return_inverse=True)
    return uniq.astype(np.int32), np.bincount(inv, weights=np.concatenate(score_parts)).astype(np.float32)
