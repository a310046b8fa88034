"""Immutable segments: a batch of documents with their sentences, vectors and postings.

A segment is written once and never changed. Deleting a document does not touch
it: the index's manifest lists the document as a tombstone. Merging reads the
stored morphemes and vectors of the live rows of several segments and writes a
new one, so no text is ever split, analysed or embedded twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .analyze import respace_many, terms_many
from .dense import DenseVectors
from .embedder import Embedder
from .errors import IndexCorruptError
from .files import file_table, fsync_path, sha256_file, staged_dir
from .lexical import Postings
from .split import split_sentences
from .types import Document, Sentence
from .wal import document_from_dict, document_to_dict

log = logging.getLogger(__name__)

KINDS = ("body", "title", "heading")
SEGMENT_META = "segment.json"
# sentences.npy columns
_DOC, _INDEX, _START, _END, _KIND = range(5)


def passage_text(title: str, sent: Sentence, sent_spaced: str, prev_body_spaced: str | None) -> str:
    """What the dense model sees for a sentence: title, previous body sentence, sentence.

    The title gives a bare sentence its topic, and the previous sentence what
    "이는", "이들" refer to; measured on the dev questions this context lifts the
    fused R@1. The broken spacing of the scrape is repaired in this copy only
    (arguments are already respaced); citations use the sentence as displayed.
    """
    if sent.kind == "title":
        return sent_spaced
    before = prev_body_spaced + " " if prev_body_spaced is not None else ""
    return f"{title}. {before}{sent_spaced}"


def passages_of(documents: Sequence[Document], with_terms: bool = False
                ) -> tuple[list[str], list[tuple[int, int, int, int, int]], list[list[str]]]:
    """Split and analyse documents: each sentence's passage (what is embedded), its
    table row (ordinal, index, start, end, kind) and, if asked, its BM25 terms.
    Each sentence and title is respaced once; Kiwi is called in batches."""
    rows, sents, owner = [], [], []
    for ordinal, doc in enumerate(documents):
        for s in split_sentences(doc):
            rows.append((ordinal, s.index, s.start, s.end, KINDS.index(s.kind)))
            sents.append(s)
            owner.append(ordinal)
    spaced = respace_many([s.text for s in sents])
    titles = respace_many([d.title for d in documents])
    terms = terms_many([s.text for s in sents], spaced) if with_terms else []
    passages = []
    for i, s in enumerate(sents):
        prev = i - 1 if i and owner[i - 1] == owner[i] else None
        passages.append(passage_text(titles[owner[i]], s, spaced[i],
                                     spaced[prev] if prev is not None and sents[prev].kind == "body" else None))
    return passages, rows, terms


def passage_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def new_segment_id() -> str:
    return f"seg-{uuid.uuid4().hex[:16]}"


class Segment:
    """Documents ``0..n_docs-1`` with rows (sentences) ``0..n_rows-1``; a document's rows are contiguous."""

    def __init__(self, seg_id: str, documents: list[Document], table: np.ndarray, hashes: np.ndarray,
                 postings: Postings, dense: DenseVectors, embedder_name: str):
        self.seg_id = seg_id
        self.documents = documents
        self.table = table  # (n_rows, 5) int32: doc ordinal, sentence index, start, end, kind
        self.hashes = hashes  # (n_rows, 16) uint8: passage hashes, to reuse vectors of unchanged text
        self.postings = postings
        self.dense = dense
        self.embedder_name = embedder_name
        counts = np.bincount(table[:, _DOC], minlength=len(documents)) if len(table) else \
            np.zeros(len(documents), np.int64)
        self.doc_rows = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.ordinal = {d.doc_id: i for i, d in enumerate(documents)}
        self.lengths = postings.lengths
        # columns for filters, evaluated with numpy instead of per document
        self.published = np.asarray([d.published or "" for d in documents], dtype="U10")
        self.sources = np.asarray([d.source or "" for d in documents], dtype=object)

    @property
    def n_rows(self) -> int:
        return len(self.table)

    @property
    def row_doc(self) -> np.ndarray:
        return self.table[:, _DOC]

    def rows_of(self, ordinal: int) -> np.ndarray:
        return np.arange(self.doc_rows[ordinal], self.doc_rows[ordinal + 1])

    def sentence(self, row: int) -> Sentence:
        d, i, a, b, k = self.table[row].tolist()
        doc = self.documents[d]
        return Sentence(doc.doc_id, i, a, b, doc.text[a:b], KINDS[k])

    def vectors_by_hash(self, ordinal: int) -> dict[bytes, np.ndarray]:
        rows = self.rows_of(ordinal)
        return {self.hashes[r].tobytes(): np.asarray(self.dense.vectors[r]) for r in rows}

    # -------------------------------------------------------------- building
    @classmethod
    def build(cls, documents: Sequence[Document], embedder: Embedder,
              known: Callable[[bytes], np.ndarray | None] | None = None) -> "Segment":
        """Split, analyse and embed ``documents`` into a new segment.

        ``known``: passage hash -> vector already computed (an older version of the
        same document), so only new text is embedded."""
        passages, rows, terms = passages_of(documents, with_terms=True)
        hashes = [passage_hash(p) for p in passages]
        vectors = np.zeros((len(rows), embedder.dim), np.float32)
        todo = []
        for i, h in enumerate(hashes):
            v = known(h) if known is not None else None
            if v is None:
                todo.append(i)
            else:
                vectors[i] = v
        if todo:
            vectors[todo] = embedder.encode_documents([passages[i] for i in todo])
        log.debug("segment of %d documents: embedded %d of %d sentences", len(documents), len(todo), len(rows))
        table = np.asarray(rows, np.int32).reshape(-1, 5)
        hash_arr = np.frombuffer(b"".join(hashes), np.uint8).reshape(-1, 16) if hashes else \
            np.zeros((0, 16), np.uint8)
        return cls(new_segment_id(), list(documents), table, hash_arr, Postings.build(terms),
                   DenseVectors.build(vectors), embedder.name)

    @classmethod
    def merge(cls, parts: Sequence[tuple["Segment", np.ndarray]]) -> "Segment":
        """One segment from the given documents (ordinals) of several segments, nothing re-analysed."""
        documents: list[Document] = []
        tables: list = []
        hashes: list[np.ndarray] = []
        vectors: list[np.ndarray] = []
        keep_rows: list[np.ndarray] = []
        for seg, ordinals in parts:
            ordinals = np.asarray(sorted(int(o) for o in ordinals), np.int64)
            rows = np.concatenate([seg.rows_of(o) for o in ordinals]) if len(ordinals) else np.zeros(0, np.int64)
            remap = np.full(len(seg.documents), -1, np.int64)
            remap[ordinals] = np.arange(len(ordinals)) + len(documents)
            documents.extend(seg.documents[o] for o in ordinals)
            t = seg.table[rows].copy()
            t[:, _DOC] = remap[t[:, _DOC]]
            tables.append(t)
            hashes.append(seg.hashes[rows])
            vectors.append(np.asarray(seg.dense.vectors[rows], np.float32))  # rows ascend
            keep_rows.append(rows)
        dim = parts[0][0].dense.vectors.shape[1] if parts else 0
        table = np.concatenate(tables) if tables else np.zeros((0, 5), np.int32)
        return cls(new_segment_id(), documents, table.astype(np.int32),
                   np.concatenate(hashes) if hashes else np.zeros((0, 16), np.uint8),
                   Postings.concat([p.postings for p, _ in parts], keep_rows),
                   DenseVectors.build(np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32)),
                   parts[0][0].embedder_name)

    # ----------------------------------------------------------- persistence
    def save(self, folder: Path) -> dict:
        """Write the segment into ``folder`` (created atomically); returns its file table."""
        folder = Path(folder)
        with staged_dir(folder) as tmp:
            with open(tmp / "documents.jsonl", "w", encoding="utf-8") as f:
                for d in self.documents:
                    f.write(json.dumps(document_to_dict(d), ensure_ascii=False) + "\n")
            np.save(tmp / "sentences.npy", self.table, allow_pickle=False)
            np.save(tmp / "passages.npy", self.hashes, allow_pickle=False)
            (tmp / "vocab.json").write_text(json.dumps(list(self.postings.vocab), ensure_ascii=False),
                                            encoding="utf-8")
            np.savez(tmp / "postings.npz", **self.postings.arrays())  # type: ignore[arg-type]
            self.dense.save(tmp)
            files = file_table(tmp, exclude=(SEGMENT_META,))
            meta = {"seg_id": self.seg_id, "embedder": self.embedder_name,
                    "dimension": int(self.dense.vectors.shape[1]) if self.dense.vectors.ndim == 2 else 0,
                    "rows": {"documents": len(self.documents), "sentences": self.n_rows},
                    "files": files}
            (tmp / SEGMENT_META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
            for p in tmp.iterdir():
                fsync_path(p)
        files = dict(files)
        files[SEGMENT_META] = {"size": (folder / SEGMENT_META).stat().st_size,
                               "sha256": sha256_file(folder / SEGMENT_META)}
        return files

    @classmethod
    def load(cls, folder: Path) -> "Segment":
        folder = Path(folder)
        try:
            meta = json.loads((folder / SEGMENT_META).read_text(encoding="utf-8"))
            with open(folder / "documents.jsonl", encoding="utf-8") as f:
                documents = [document_from_dict(json.loads(line)) for line in f]
            table = np.load(folder / "sentences.npy", allow_pickle=False)
            hashes = np.load(folder / "passages.npy", allow_pickle=False)
            vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
            with np.load(folder / "postings.npz", allow_pickle=False) as z:
                postings = Postings.from_arrays(vocab, z)
            dense = DenseVectors.load(folder)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise IndexCorruptError(f"segment {folder} is unreadable ({e}): `python -m index build` "
                                    f"rebuilds the index") from None
        rows = meta.get("rows", {})
        found = {"documents": len(documents), "sentences": len(table)}
        if rows != found or len(hashes) != len(table) or postings.n_rows != len(table) or \
                len(dense) != len(table):
            raise IndexCorruptError(f"segment {folder} has {found} rows (vectors {len(dense)}, postings "
                                    f"{postings.n_rows}), its metadata says {rows}: rebuild the index")
        lengths = np.asarray([len(d.text) for d in documents], np.int64)
        if len(table) and (table[:, _DOC].min() < 0 or table[:, _DOC].max() >= len(documents) or
                           (table[:, _START] >= table[:, _END]).any() or
                           (table[:, _END] > lengths[table[:, _DOC]]).any()):
            raise IndexCorruptError(f"segment {folder}: a sentence's offsets fall outside its document: "
                                    f"rebuild the index")
        return cls(meta["seg_id"], documents, table, hashes, postings, dense, meta["embedder"])
