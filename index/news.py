"""``NewsIndex``: the one entry point to the engine, for the CLI and the service alike.

    news = NewsIndex.open(settings)           # loads the embedder, syncs the seeds
    news.add(Article(text=..., title=...))    # clean, id, split, analyse, embed, publish
    news.add_many(read_paths([folder]))        # the same in batches, resumable
    news.delete(doc_id)
    news.search("질문", k=5, filters=Filters(...))

Readers never wait: a search runs on the snapshot that was current when it
began. Writers take a lock (a thread lock, and a file lock so that two processes
never publish over each other); each write builds new segments outside the lock,
then publishes a new version and swaps it in.
"""

from __future__ import annotations

import fcntl
import logging
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Callable, Iterable, Sequence

from .backend import LOCAL, SearchBackend, open_backend
from .engine import SentenceIndex
from .errors import DocumentNotFoundError, InputError, StorageError
from .ingest import Article, Skipped, to_document
from .segments import Segment
from .store import IndexStore
from .types import Document, Filters, SearchResult
from .wal import document_to_dict

log = logging.getLogger(__name__)

# Merge policy: when MERGE_FACTOR segments of the same size tier (a power of ten
# of live rows) pile up, they become one; a segment more than half deleted is
# rewritten. Merges never read text again: they copy morphemes and vectors.
# A merge holds its segments' vectors in memory once (300k rows: 460 MB), so
# bigger segments are not merged further; search visits each of them.
MERGE_FACTOR = 10
MAX_MERGED_ROWS = 300_000


@dataclass(frozen=True)
class WriteResult:
    doc_id: str
    status: str  # created | updated | unchanged | deleted
    document: Document
    n_sentences: int


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sentences: int = 0
    skipped: list[Skipped] = None  # type: ignore[assignment]
    seconds: float = 0.0

    def __post_init__(self):
        self.skipped = [] if self.skipped is None else self.skipped


def plan_merge(index: SentenceIndex) -> list[str]:
    """Segment ids to merge now (empty: nothing to do)."""
    tiers: dict[int, list] = {}
    for v in index.segment_views:
        seg = v.segment
        if v.deleted and v.live_rows * 2 < seg.n_rows and seg.n_rows >= 1000:
            return [seg.seg_id]
        tiers.setdefault(int(math.log10(max(1, v.live_rows))), []).append(v)
    for tier in sorted(tiers):
        members = tiers[tier]
        if len(members) >= MERGE_FACTOR and sum(v.live_rows for v in members) <= MAX_MERGED_ROWS:
            return [v.segment.seg_id for v in members]
    return []


class NewsIndex:
    def __init__(self, store: IndexStore, index: SentenceIndex, *, max_document_chars: int | None = None,
                 merge: bool = True, backend: SearchBackend | None = None):
        self.store = store
        self._index = index
        # where candidates come from (index/backend.py); a non-local one mirrors
        # every published write, and is brought in step with the store when attached
        self.backend: SearchBackend = backend if backend is not None else LOCAL
        self._backend_stale = False
        if backend is not None:
            backend.sync(index)
        self.max_document_chars = max_document_chars
        self.merge = merge
        self._lock = threading.Lock()
        self._lock_file: IO[str] | None = None
        # the store was damaged at open: what is served instead (cleared by a good write)
        self.degraded: str | None = None

    # ------------------------------------------------------------------ open
    @classmethod
    def open(cls, settings, embedder=None, *, sync_seeds: bool = True, direct: bool = False,
             threads: int = 0) -> "NewsIndex":
        """Open the index under ``settings.data_dir``: the newest verified version, plus the
        write-log records it misses, plus changed seed files (see ``store.recover``).
        ``direct`` and ``threads`` go to ``load_embedder`` (the service: direct, 1 thread;
        bulk ingest: every core)."""
        from .analyze import morphemes
        from .store import recover

        # Kiwi loads its model lazily (~1 s at construction, ~1 s at the first
        # analysis); do both while the embedder loads.
        warm = threading.Thread(target=morphemes, args=("준비",), name="kiwi-loader")
        warm.start()
        if embedder is None:
            from .embedder import load_embedder

            t0 = time.perf_counter()
            embedder = load_embedder(settings.model, settings.model_cache, log=log.info,
                                     backend=settings.embedder_backend, threads=threads, direct=direct,
                                     cache_size=settings.query_cache_size,
                                     idle_threads=settings.encoder_idle_threads)
            log.info("embedder %s ready in %.1fs", settings.model, time.perf_counter() - t0)
        warm.join()
        store = IndexStore(settings.index_dir, settings.wal_path)
        degraded = None
        if sync_seeds:
            result = recover(store, settings.seeds_dir, embedder)
            index, degraded = result.index, result.degraded
        else:
            opened = store.open(embedder)
            index = opened.index if opened.index is not None else SentenceIndex.build([], embedder)
        news = cls(store, index, max_document_chars=getattr(settings, "max_document_chars", None))
        news.degraded = degraded
        if getattr(settings, "backend", "faiss") != "faiss":
            news.attach(open_backend(settings))
        return news

    @classmethod
    def of(cls, index: SentenceIndex, settings, backend: SearchBackend | None = None) -> "NewsIndex":
        """Serve an index built in memory; it is written to ``settings.data_dir`` at the first write."""
        return cls(IndexStore(settings.index_dir, getattr(settings, "wal_path", None)), index,
                   max_document_chars=getattr(settings, "max_document_chars", None), backend=backend)

    def attach(self, backend: SearchBackend) -> None:
        """Search with ``backend`` from now on, after bringing it in step with the index."""
        with self._lock:
            backend.sync(self._index)
            self.backend = backend

    def close(self) -> None:
        with self._lock:
            self.backend.close()
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None

    # ----------------------------------------------------------------- reads
    @property
    def index(self) -> SentenceIndex:
        """The current snapshot; keep it for the length of one request."""
        return self._index

    def search(self, question: str, k: int = 5, history: Sequence[str] | None = None,
               threshold: float | None = None, filters: Filters | None = None) -> SearchResult:
        return self._index.search(question, k=k, history=history, threshold=threshold, filters=filters,
                                  backend=self.backend)

    # ---------------------------------------------------------------- writes
    def prepare(self, item: Article | Document) -> Document:
        return item if isinstance(item, Document) else to_document(item, self.max_document_chars)

    def add(self, item: Article | Document) -> WriteResult:
        """Add or replace one document; re-adding identical content changes nothing."""
        doc = self.prepare(item)
        current = self._index
        current.check_not_seed(doc.doc_id)
        if current.documents.get(doc.doc_id) == doc:
            return WriteResult(doc.doc_id, "unchanged", doc, len(current.sentences_of(doc.doc_id)))
        seg = Segment.build([doc], current.embedder, current.known_vectors(doc.doc_id).get)
        with self._writing():
            old = self._index.documents.get(doc.doc_id)
            if old == doc:
                return WriteResult(doc.doc_id, "unchanged", doc, seg.n_rows)
            self._index.check_not_seed(doc.doc_id)
            self._publish(self._index.with_changes([seg]), [("add", {"doc": document_to_dict(doc)})])
        return WriteResult(doc.doc_id, "updated" if old is not None else "created", doc, seg.n_rows)

    def delete(self, doc_id: str) -> WriteResult:
        with self._writing():
            current = self._index
            if doc_id not in current.documents:
                raise DocumentNotFoundError(f"document {doc_id!r} not found: GET /documents lists the ids")
            doc = current.documents[doc_id]
            n = len(current.sentences_of(doc_id))
            self._publish(current.without_document(doc_id), [("delete", {"doc_id": doc_id})])
        return WriteResult(doc_id, "deleted", doc, n)

    def add_many(self, items: Iterable[Article | Document | Skipped], *, batch_chars: int = 300_000,
                 on_batch: Callable[[IngestReport, int], None] | None = None,
                 on_item: Callable[[], None] | None = None) -> IngestReport:
        """Add many articles in batches; each batch is one new segment, published atomically.

        Unchanged documents (same id, same content) are skipped, so running the same
        ingest again resumes where it stopped. Unusable inputs are collected in
        ``report.skipped`` with where they came from. ``on_batch(report, n_items)``
        is called after each published batch; ``on_item`` after each input read."""
        report = IngestReport()
        t0 = time.perf_counter()
        batch: dict[str, Document] = {}
        size = 0
        pending = 0

        def flush():
            nonlocal batch, size, pending
            if batch:
                self._add_batch(list(batch.values()), report)
            report.seconds = time.perf_counter() - t0
            if on_batch is not None:
                on_batch(report, pending)
            batch, size, pending = {}, 0, 0

        for item in items:
            pending += 1
            if on_item is not None:
                on_item()
            if isinstance(item, Skipped):
                report.skipped.append(item)
                log.warning("skipped %s: %s", item.where, item.reason)
                continue
            try:
                doc = self.prepare(item)
            except InputError as e:
                where = getattr(item, "where", "") or "input"
                report.skipped.append(Skipped(where, str(e)))
                log.warning("skipped %s: %s", where, e)
                continue
            if self._index.documents.get(doc.doc_id) == doc:
                report.unchanged += 1
                continue
            if doc.doc_id in self._index.source_hashes or doc.doc_id in self._index.deleted_sources:
                where = getattr(item, "where", "") or doc.doc_id
                report.skipped.append(Skipped(where, f"doc_id {doc.doc_id!r} belongs to a seed article: "
                                                     f"choose another doc_id"))
                continue
            batch.pop(doc.doc_id, None)  # the later version of an id wins
            batch[doc.doc_id] = doc
            size += len(doc.text)
            if size >= batch_chars:
                flush()
        flush()
        return report

    def _add_batch(self, docs: list[Document], report: IngestReport) -> None:
        current = self._index
        known = {}
        for d in docs:
            known.update(current.known_vectors(d.doc_id))
        seg = Segment.build(docs, current.embedder, known.get if known else None)
        with self._writing():
            before = self._index
            replaced = sum(1 for d in docs if d.doc_id in before.documents)
            self._publish(before.with_changes([seg]), [("add", {"doc": document_to_dict(d)}) for d in docs])
        report.created += len(docs) - replaced
        report.updated += replaced
        report.sentences += seg.n_rows

    def merge_now(self, force: bool = False) -> int:
        """Run the merge policy until it has nothing to do (``force``: into one segment)."""
        n = 0
        with self._writing():
            while True:
                ids = ([v.segment.seg_id for v in self._index.segment_views]
                       if force and len(self._index.segment_views) > 1 and n == 0 else plan_merge(self._index))
                if not ids:
                    return n
                self._merge(ids)
                n += 1

    # -------------------------------------------------------------- internals
    @contextmanager
    def _writing(self):
        if not getattr(self.backend, "writer", True):
            raise StorageError(f"this replica reads the {self.backend.name} collection but does not write it: "
                               f"send writes to the writer replica (NEWSQA_MILVUS_WRITER=true)")
        with self._lock:
            self.store.root.mkdir(parents=True, exist_ok=True)
            if self._lock_file is None:
                self._lock_file = open(self.store.root / ".write.lock", "a+")
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def _publish(self, new: SentenceIndex, records: list[tuple[str, dict]]) -> None:
        """Log the writes and persist ``new``, then serve it; then let the merge policy run
        (the caller holds the lock). On ``StorageError`` nothing changes."""
        self.store.commit(new, records)
        self._mirror(new, records)
        self._index = new
        if self.degraded:
            log.warning("published a new version: the store is healthy again")
            self.degraded = None
        if self.merge:
            ids = plan_merge(new)
            if ids:
                self._merge(ids)

    def _mirror(self, new: SentenceIndex, records: list[tuple[str, dict]]) -> None:
        """Apply a published write to a non-local backend (the store stays the truth:
        a failure here is repaired by a full sync at the next write or start)."""
        if self.backend is LOCAL:
            return
        try:
            if self._backend_stale:
                self.backend.sync(new)
                self._backend_stale = False
                return
            added = [f["doc"]["doc_id"] for op, f in records if op == "add"]
            deleted = [f["doc_id"] for op, f in records if op == "delete"]
            if deleted:
                self.backend.delete(deleted)
            if added:
                self.backend.add(new, added)
        except Exception:  # pymilvus and grpc raise many types; the write itself is durable
            self._backend_stale = True
            log.exception("the %s backend missed a write; it is re-synced at the next write or start",
                          self.backend.name)

    def _merge(self, ids: list[str]) -> None:
        t0 = time.perf_counter()
        views = [v for v in self._index.segment_views if v.segment.seg_id in set(ids)]
        merged = Segment.merge([(v.segment, v.live_docs) for v in views])
        new = self._index.with_merged(ids, merged)
        self.store.publish(new)
        self._index = new
        log.info("merged %d segments into one of %d sentences in %.1fs", len(ids), merged.n_rows,
                 time.perf_counter() - t0)
