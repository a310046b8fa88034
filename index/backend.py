"""Where candidates come from: the backend interface, and the embedded default.

A search is split in two. A *backend* proposes candidate sentences for a
question, each with its exact dense cosine and its BM25 score under the global
collection statistics; the engine (``SentenceIndex.search``) then fuses them and
decides "answered or not" the same way whatever the backend. Two backends:

* ``LocalBackend`` (``NEWSQA_BACKEND=faiss``, the default): the snapshot's own
  segments, FAISS for the dense half and the segment postings for the lexical one;
* ``MilvusBackend`` (``NEWSQA_BACKEND=milvus``, index/milvus.py): a Milvus
  collection (Lite, Standalone or Distributed) mirroring the same rows.

Documents, sentence offsets and the BM25 statistics stay in the local store for
both (see index/milvus.py for why), so a candidate is resolved to its cited
sentence from the snapshot the search started on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

import numpy as np

from .types import Filters, Sentence

if TYPE_CHECKING:
    from .engine import SentenceIndex

BACKENDS = ("faiss", "milvus")


@dataclass
class Query:
    """One question as both halves need it: morphemes with their global idf, and the vector."""

    text: str
    terms: list[str]  # Kiwi morphemes, repeated terms kept (they count twice); empty: no lexical half
    idf: dict[str, float]
    embed: Callable[[str], np.ndarray] = field(repr=False)
    # a name the question writes glued, as its parts among ``terms`` ("이준서": 이준, 서): Kiwi
    # reads one name either way in different sentences, so each stands for the other in coverage
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the question's names as written (spacing ignored, lower-cased), with the terms each stands
    # for: wherever the text holds the name, so do its terms, however Kiwi reads it there
    surfaces: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _vector: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def vector(self) -> np.ndarray:
        """Computed on first use. Not a functools.cached_property: before Python 3.12 its
        lock is shared by every instance, so concurrent requests would encode one at a time."""
        if self._vector is None:
            self._vector = self.embed(self.text)
        return self._vector

    @property
    def mass(self) -> float:
        """The question's idf mass: BM25 divided by it is the share of the question covered."""
        return sum(self.idf[t] for t in self.terms) or 1.0


@dataclass
class Candidates:
    """Candidate sentences with their cosines, and how to cite them. Their lexical
    features are scored by the engine from the snapshot's own postings (engine.py)."""

    keys: Sequence[Any]  # hashable, backend-specific
    cosine: np.ndarray  # exact cosine of the question's and each sentence's vector
    sentence: Callable[[Any], Sentence]  # key -> the sentence, from the snapshot searched

    @classmethod
    def empty(cls) -> "Candidates":
        return cls([], np.zeros(0, np.float32), lambda key: None)  # type: ignore


class SearchBackend(Protocol):
    """What the engine needs from a retrieval backend.

    ``candidates`` returns the union of the ``pool`` best rows by cosine and the
    ``pool`` best rows by BM25 among the rows ``filters`` allow, each with its
    exact cosine. ``add`` and ``delete`` keep the backend in step with the published
    snapshots (by doc_id); ``sync`` makes it hold exactly a snapshot's documents."""

    name: str

    def candidates(self, index: "SentenceIndex", query: Query, pool: int,
                   filters: Filters | None) -> Candidates: ...

    def add(self, index: "SentenceIndex", doc_ids: Sequence[str]) -> None: ...

    def delete(self, doc_ids: Sequence[str]) -> None: ...

    def sync(self, index: "SentenceIndex") -> None: ...

    def close(self) -> None: ...


class LocalBackend:
    """FAISS and the segment postings of the snapshot itself: the embedded default.

    The segments *are* this backend's data, written and published by the store,
    so ``add``, ``delete`` and ``sync`` have nothing left to do."""

    name = "faiss"

    def candidates(self, index: "SentenceIndex", query: Query, pool: int,
                   filters: Filters | None) -> Candidates:
        views = index.segment_views
        masks = [v.mask(filters) for v in views]
        n_allowed = sum(v.live_rows if m is None else int(m.sum()) for v, m in zip(views, masks))
        if n_allowed == 0:
            return Candidates.empty()
        pool = min(n_allowed, pool)
        qv = query.vector

        seg_pos, rows_all, cos_all = [], [], []
        for i, (v, m) in enumerate(zip(views, masks)):
            rows, cos = v.segment.dense.search(qv, pool, m)
            seg_pos.append(np.full(len(rows), i, np.int64))
            rows_all.append(rows)
            cos_all.append(cos)
        d_seg, d_rows, d_cos = np.concatenate(seg_pos), np.concatenate(rows_all), np.concatenate(cos_all)
        top = np.argsort(-d_cos, kind="stable")[:pool]
        cand = {(int(s), int(r)): float(c) for s, r, c in zip(d_seg[top], d_rows[top], d_cos[top])}

        if query.terms:
            per_seg = index.lexical_scores(query.terms, masks, query.idf)
            l_seg = np.concatenate([np.full(len(r), i, np.int64) for i, (r, _) in enumerate(per_seg)])
            l_rows = np.concatenate([r for r, _ in per_seg]).astype(np.int64)
            l_sc = np.concatenate([sc for _, sc in per_seg])
            if len(l_sc):
                best = np.argpartition(-l_sc, min(pool, len(l_sc)) - 1)[:pool]
                for j in best[np.argsort(-l_sc[best], kind="stable")]:
                    if l_sc[j] > 0:
                        cand.setdefault((int(l_seg[j]), int(l_rows[j])), float("nan"))
        keys = list(cand)
        cos = np.asarray([cand[key] for key in keys], np.float32)
        seg_of = np.asarray([k[0] for k in keys], np.int64)
        row_of = np.asarray([k[1] for k in keys], np.int64)
        for i, v in enumerate(views):
            # only the candidates BM25 alone found need their vector read back
            missing = np.flatnonzero((seg_of == i) & np.isnan(cos))
            if len(missing):
                cos[missing] = v.segment.dense.cosine(row_of[missing], qv)
        return Candidates(keys, cos, lambda key: views[key[0]].segment.sentence(key[1]))

    def add(self, index: "SentenceIndex", doc_ids: Sequence[str]) -> None: ...

    def delete(self, doc_ids: Sequence[str]) -> None: ...

    def sync(self, index: "SentenceIndex") -> None: ...

    def close(self) -> None: ...


LOCAL = LocalBackend()


def open_backend(settings) -> SearchBackend:
    """The backend ``settings.backend`` names; pymilvus is imported only for ``milvus``."""
    from .errors import InputError

    kind = getattr(settings, "backend", "faiss")
    if kind == "faiss":
        return LOCAL
    if kind == "milvus":
        from .milvus import MilvusBackend

        return MilvusBackend.from_settings(settings)
    raise InputError(f"NEWSQA_BACKEND={kind!r} is unknown: use one of {', '.join(BACKENDS)}")
