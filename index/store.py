"""Versions of the index on disk, the write log, and recovery.

    <root>/segments/<seg_id>/...          immutable segments, each written once
    <root>/versions/v<ns>/manifest.json   one version: its segments (every file with
                                          size and sha256, row counts), tombstones,
                                          seed bookkeeping, the last write-log record
    <root>/current -> versions/v<ns>      the served version
    <data>/writes.jsonl                   the write-ahead log of API writes (index/wal.py)

Guarantees (tests/test_recovery.py injects each fault):

* ``publish`` writes the new segments, then the version's manifest, each fsynced,
  then replaces the ``current`` symlink with one ``rename`` (atomic on POSIX); a
  crash at any point leaves ``current`` at the previous, complete version;
* a version is only served after every file it lists verifies (size, sha256, row
  counts); a damaged ``current`` is never rebuilt over: the newest version that
  verifies is served instead, the write log replays what it misses, and
  ``Recovery.degraded`` says so until a write or ``python -m index repair``
  publishes a good version;
* every API write is in the write log before it is answered;
* pruning never removes the version being served or the newest one published,
  and a segment is deleted only when no kept version lists it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .embedder import Embedder
from .engine import MANIFEST, SentenceIndex
from .errors import IndexCorruptError, IndexMismatchError, StorageError
from .files import fsync_path
from .seeds import source_hashes
from .segments import Segment
from .types import Document
from .wal import DocSet, WriteLog, apply, document_from_dict

logger = logging.getLogger(__name__)


@dataclass
class Opened:
    """What ``IndexStore.open`` found: the newest version that verifies, and what it skipped."""

    index: SentenceIndex | None = None
    path: Path | None = None
    damaged: list[tuple[Path, str]] = field(default_factory=list)
    mismatch: str | None = None  # the newest intact version was built differently (embedder, format)


@dataclass
class Recovery:
    """The index to serve and, when the store was damaged, what was done about it."""

    index: SentenceIndex
    degraded: str | None = None
    published: Path | None = None


class IndexStore:
    """Versioned index folders under ``root`` with an atomic ``current`` pointer.

    The write log sits beside ``root`` (``<data>/writes.jsonl``) so that losing the
    index folder does not lose it."""

    def __init__(self, root: Path, wal_path: Path | None = None):
        self.root = Path(root)
        self.versions = self.root / "versions"
        self.segments = self.root / "segments"
        self.pointer = self.root / "current"
        self.wal = WriteLog(wal_path if wal_path is not None else self.root.parent / "writes.jsonl")

    # ---------------------------------------------------------------- finding
    def current_path(self) -> Path | None:
        if not self.pointer.is_symlink() and not self.pointer.exists():
            return None
        target = self.pointer.resolve()
        return target if (target / MANIFEST).is_file() else None

    def version_paths(self) -> list[Path]:
        """Version folders, newest first (names are ``v<time_ns>``)."""
        if not self.versions.is_dir():
            return []
        found = [p for p in self.versions.iterdir() if p.name.startswith("v") and p.is_dir()]
        return sorted(found, key=lambda p: (len(p.name), p.name), reverse=True)

    def open(self, embedder: Embedder) -> Opened:
        """Load the ``current`` version, or else the newest version that verifies."""
        out = Opened()
        candidates = self.version_paths()
        if self.pointer.is_symlink() or self.pointer.exists():
            target = self.pointer.resolve()
            if not target.is_dir():
                out.damaged.append((target, f"`current` points at {target}, which does not exist"))
            else:
                candidates = [target] + [p for p in candidates if p != target]
        for path in candidates:
            try:
                out.index, out.path = SentenceIndex.load(path, embedder), path
                return out
            except IndexMismatchError as e:
                out.path, out.mismatch = path, str(e)
                return out
            except (IndexCorruptError, FileNotFoundError) as e:
                logger.error("index version %s is damaged and will not be served: %s", path.name, e)
                out.damaged.append((path, str(e)))
        return out

    def load(self, embedder: Embedder) -> SentenceIndex:
        """The current version, verified; no fallback (``recover`` does that)."""
        path = self.current_path()
        if path is None:
            raise FileNotFoundError(
                f"no index in {self.root}: build one with `python -m index build --data-dir DIR`")
        return SentenceIndex.load(path, embedder)

    def read_documents(self, path: Path) -> tuple[list[Document], dict]:
        """The live documents of a version whatever embedder built it (to rebuild with
        another one), and its manifest."""
        manifest = SentenceIndex.read_manifest(path)
        if "segments" not in manifest:
            # format 1 (before segments): one documents.jsonl beside the manifest
            with open(Path(path) / "documents.jsonl", encoding="utf-8") as f:
                return [document_from_dict(json.loads(line)) for line in f if line.strip()], manifest
        seg_root = Path(path) / manifest.get("segments_dir", "segments")
        docs = []
        for entry in manifest["segments"]:
            seg = Segment.load(seg_root / entry["id"])
            deleted = set(entry.get("deleted", []))
            docs += [d for o, d in enumerate(seg.documents) if o not in deleted]
        return docs, manifest

    # --------------------------------------------------------------- writing
    def publish(self, index: SentenceIndex, keep: int = 2) -> Path:
        """Save ``index`` as a new version and point ``current`` at it.

        Raises ``StorageError`` when the disk refuses; ``current`` is then unchanged."""
        target = self.versions / f"v{time.time_ns()}"
        try:
            self.versions.mkdir(parents=True, exist_ok=True)
            self.segments.mkdir(parents=True, exist_ok=True)
            index.save(target, segments_dir=self.segments)
            link = self.root / f".current.tmp-{os.getpid()}-{time.monotonic_ns()}"
            try:
                os.symlink(os.path.relpath(target, self.root), link)
                os.replace(link, self.pointer)
                fsync_path(self.root)
            except OSError:
                if link.is_symlink():
                    link.unlink()
                if self.pointer.resolve() != target.resolve():
                    shutil.rmtree(target, ignore_errors=True)
                raise
        except OSError as e:
            raise StorageError.from_os(e, f"publishing a new index version in {self.versions}") from e
        self._prune(keep, protect={target})
        return target

    def commit(self, index: SentenceIndex, records: list[tuple[str, dict]]) -> Path:
        """Record API writes in the write log (fsynced), then publish ``index``.

        If publishing fails the log records are taken back, so the log never holds a
        write that was refused; ``StorageError`` says why."""
        before = None
        try:
            for op, fields in records:
                # numbering continues above the served index's wal_seq even if the log was lost
                seq, size = self.wal.append(op, after=index.wal_seq, **fields)
                before = size if before is None else before
                index.wal_seq = seq
        except OSError as e:
            if before is not None:
                self.wal.truncate(before)
            raise StorageError.from_os(e, f"recording the write in {self.wal.path}") from e
        try:
            return self.publish(index)
        except StorageError:
            try:
                if before is not None:
                    self.wal.truncate(before)
            except OSError:
                logger.exception("could not take back write-log records after a failed publish; "
                                 "they will be replayed at the next start")
            raise

    def _prune(self, keep: int, protect: set[Path]) -> None:
        current = self.pointer.resolve() if self.pointer.is_symlink() else None
        protect = {p.resolve() for p in protect} | ({current} if current else set())
        versions = self.version_paths()
        for p in versions[keep:]:
            if p.resolve() not in protect:
                shutil.rmtree(p, ignore_errors=True)
        live = set()
        for p in self.version_paths():
            try:
                live |= {e["id"] for e in json.loads((p / MANIFEST).read_text(encoding="utf-8"))["segments"]}
            except (OSError, ValueError, KeyError, TypeError):
                return  # cannot tell which segments a version uses: delete none
        now = time.time()
        for folder in (self.versions, self.segments):
            if folder.is_dir():
                for p in folder.iterdir():
                    # leftovers of writes that were killed midway
                    if p.name.startswith(".") and now - p.stat().st_mtime > 3600:
                        shutil.rmtree(p, ignore_errors=True)
        if self.segments.is_dir():
            for p in self.segments.iterdir():
                if p.name.startswith("seg-") and p.name not in live:
                    shutil.rmtree(p, ignore_errors=True)


def _state(index: SentenceIndex) -> DocSet:
    return DocSet(dict(index.documents.items()), dict(index.source_hashes), set(index.deleted_sources),
                  index.wal_seq)


def _sync_seeds(state: DocSet, seeds_dir: Path) -> DocSet:
    """Take every seed article whose file is new or changed; drop seeds whose file is gone.

    Only changed files are cleaned again. Deleted seeds stay deleted; documents
    added through the API are kept."""
    from .seeds import clean_seed

    wanted = {k: v for k, v in source_hashes(seeds_dir).items() if k not in state.deleted_sources}
    if wanted == state.source_hashes:
        return state
    logger.info("seed folder %s changed: %d seed files, %d recorded", seeds_dir, len(wanted),
                len(state.source_hashes))
    docs = {k: d for k, d in state.documents.items() if k not in state.source_hashes or k in wanted}
    for doc_id, h in wanted.items():
        if doc_id in docs and doc_id not in state.source_hashes:
            logger.warning("seed file %s.txt now holds the id of a document added through the API; "
                           "the seed file wins", doc_id)
        if state.source_hashes.get(doc_id) != h or doc_id not in docs:
            docs[doc_id] = clean_seed(seeds_dir, doc_id)
    return DocSet(docs, wanted, set(state.deleted_sources), state.wal_seq)


def _apply_state(base: SentenceIndex, state: DocSet) -> SentenceIndex:
    """``base`` changed into ``state``: only new or changed documents are analysed and embedded."""
    current = base.documents
    changed = [d for k, d in state.documents.items() if current.get(k) != d]
    gone = [k for k in current if k not in state.documents]
    known = {}
    for d in changed:
        known.update(base.known_vectors(d.doc_id))
    added = [Segment.build(changed, base.embedder, known.get)] if changed else []
    return base.with_changes(added, delete=gone, source_hashes=state.source_hashes,
                             deleted_sources=state.deleted_sources, wal_seq=state.wal_seq)


def recover(store: IndexStore, seeds_dir: Path, embedder: Embedder,
            log: Callable[[str], None] | None = None, publish_degraded: bool = False,
            rebuild: bool = False) -> Recovery:
    """The index to serve: the newest version that verifies, plus the write-log records
    it misses, plus new or changed seed files.

    When a version had to be skipped, or the write log has a damaged line, the result
    is *degraded*: it is served but not published unless ``publish_degraded`` (what
    ``python -m index repair`` does), so nothing on disk is rebuilt over automatically.
    ``rebuild`` re-embeds every document (``python -m index build``) and publishes.
    """
    say = log or logger.info
    opened = store.open(embedder)
    problems = [f"index version {p.name} is damaged ({why})" for p, why in opened.damaged]
    base = opened.index
    if base is not None:
        state = _state(base)
    elif opened.mismatch is not None and opened.path is not None:
        say(f"rebuilding: {opened.mismatch}")
        docs, manifest = store.read_documents(opened.path)
        state = DocSet({d.doc_id: d for d in docs}, dict(manifest.get("source_hashes", {})),
                       set(manifest.get("deleted_sources", [])), int(manifest.get("wal_seq", 0)))
    else:
        if not opened.damaged:
            say(f"no index in {store.root}: building it from {seeds_dir} and {store.wal.path}")
        # seeds first: the log's deletes of seed articles must find them
        state = _sync_seeds(DocSet({}, {}, set(), 0), seeds_dir)
    records, wal_problems = store.wal.after(state.wal_seq)
    problems += wal_problems
    if state.wal_seq and not store.wal.path.is_file():
        logger.warning("the write log %s is missing (the index holds writes up to #%d): nothing is lost now, "
                       "but restore it from a backup if you have one", store.wal.path, state.wal_seq)
    if records:
        say(f"replaying {len(records)} write(s) from {store.wal.path}")
        state = apply(state, records)
    state = _sync_seeds(state, seeds_dir)

    t0 = time.perf_counter()
    if rebuild or base is None:
        publish_degraded = publish_degraded or rebuild
        index = SentenceIndex.build(list(state.documents.values()), embedder, source_hashes=state.source_hashes,
                                    reuse=None if rebuild else base, deleted_sources=state.deleted_sources,
                                    wal_seq=state.wal_seq,
                                    **({"threshold": base.threshold} if base is not None else {}))
    else:
        index = _apply_state(base, state)
        if index.documents.keys() == base.documents.keys() and not index.segment_views[len(base.segment_views):] \
                and index.source_hashes == base.source_hashes and index.deleted_sources == base.deleted_sources:
            index = base
            index.wal_seq = state.wal_seq
    if index is not base:
        say(f"indexed {index.stats.n_rows} sentences from {len(index.documents)} documents "
            f"in {time.perf_counter() - t0:.1f}s")

    degraded = None
    if problems:
        served = (f"version {opened.path.name}" if opened.index is not None and opened.path is not None
                  else "a rebuild from the seeds")
        degraded = (f"{'; '.join(problems)}. Serving {served} plus {len(records)} write(s) replayed from the "
                    f"write log ({len(index.documents)} documents). The damaged files were left in place: "
                    f"inspect them, then run `python -m index repair` (or make any write) to publish a good version")
        logger.error("INDEX DAMAGED: %s", degraded)
    published = None
    if index is not base or (problems and publish_degraded):
        if degraded is None or publish_degraded:
            published = store.publish(index)
            say(f"published {published}")
    return Recovery(index, degraded if published is None else None, published)


def ensure_index(store: IndexStore, seeds_dir: Path, embedder: Embedder) -> SentenceIndex:
    """Load the served index; build it from ``seeds_dir`` and the write log when there is
    none or when it was built with another embedder, and apply changed seed files.
    See ``recover`` for damaged stores."""
    return recover(store, seeds_dir, embedder).index
