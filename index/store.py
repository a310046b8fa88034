"""Versioned index folders with an atomic ``current`` pointer, the write log, and recovery.

Guarantees (tests/test_recovery.py injects each fault):

* every version's manifest lists its files (size, sha256) and row counts, and a
  version is only served after it verifies (``SentenceIndex.load``);
* a damaged ``current`` is never rebuilt over: the newest version that verifies
  is served instead, the write log replays what it misses, and ``Recovery.degraded``
  says so until a write or ``python -m index repair`` publishes a good version;
* every API write is in the write log (``index/wal.py``) before it is answered,
  so a rebuild from the seeds keeps every document added through the API;
* pruning never removes the version being served or the newest one published.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .embedder import Embedder
from .engine import SentenceIndex
from .errors import IndexCorruptError, IndexMismatchError, StorageError
from .files import fsync_dir
from .wal import DocSet, WriteLog, apply

logger = logging.getLogger(__name__)


def source_hashes(folder: Path) -> dict[str, str]:
    """sha256 of each raw ``*.txt`` file of a folder, by doc_id (file stem)."""
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).glob("*.txt"))}


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

    ``publish`` writes a complete new version next to the served one and then
    replaces the ``current`` symlink with one ``rename`` (atomic on POSIX). A crash
    at any point leaves ``current`` pointing at the previous, complete version.
    The write log sits beside ``root`` (``<data>/writes.jsonl``) so that losing the
    index folder does not lose it.
    """

    def __init__(self, root: Path, wal_path: Path | None = None):
        self.root = Path(root)
        self.versions = self.root / "versions"
        self.pointer = self.root / "current"
        self.wal = WriteLog(wal_path if wal_path is not None else self.root.parent / "writes.jsonl")

    # ---------------------------------------------------------------- finding
    def current_path(self) -> Path | None:
        if not self.pointer.is_symlink() and not self.pointer.exists():
            return None
        target = self.pointer.resolve()
        return target if (target / "manifest.json").is_file() else None

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
            except IndexCorruptError as e:
                logger.error("index version %s is damaged and will not be served: %s", path.name, e)
                out.damaged.append((path, str(e)))
        return out

    def load(self, embedder: Embedder) -> SentenceIndex:
        """The current version, verified; no fallback (``recover`` does that)."""
        path = self.current_path()
        if path is None:
            raise FileNotFoundError(
                f"no index in {self.root}: build one with `python -m index build --data-dir DIR`"
            )
        return SentenceIndex.load(path, embedder)

    # --------------------------------------------------------------- writing
    def publish(self, index: SentenceIndex, keep: int = 2) -> Path:
        """Save ``index`` as a new version and point ``current`` at it.

        Raises ``StorageError`` when the disk refuses; ``current`` is then unchanged."""
        target = self.versions / f"v{time.time_ns()}"
        try:
            self.versions.mkdir(parents=True, exist_ok=True)
            index.save(target)
            link = self.root / f".current.tmp-{os.getpid()}-{time.monotonic_ns()}"
            try:
                os.symlink(os.path.relpath(target, self.root), link)
                os.replace(link, self.pointer)
                fsync_dir(self.root)
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

    def commit(self, index: SentenceIndex, op: str, **fields) -> Path:
        """Record one API write in the write log (fsynced), then publish ``index``.

        If publishing fails the log record is taken back, so the log never holds a
        write that was refused; ``StorageError`` says why."""
        try:
            seq, before = self.wal.append(op, after=index.wal_seq, **fields)
        except OSError as e:
            raise StorageError.from_os(e, f"recording the write in {self.wal.path}") from e
        index.wal_seq = seq
        try:
            return self.publish(index)
        except StorageError:
            try:
                self.wal.truncate(before)
            except OSError:
                logger.exception("could not take back write-log record %d after a failed publish; "
                                 "it will be replayed at the next start", seq)
            raise

    def _prune(self, keep: int, protect: set[Path]) -> None:
        current = self.pointer.resolve() if self.pointer.is_symlink() else None
        protect = {p.resolve() for p in protect} | ({current} if current else set())
        for p in self.version_paths()[keep:]:
            if p.resolve() not in protect:
                shutil.rmtree(p, ignore_errors=True)
        # leftovers of builds that were killed midway
        for p in self.versions.iterdir():
            if p.name.startswith(".") and time.time() - p.stat().st_mtime > 3600:
                shutil.rmtree(p, ignore_errors=True)


def _state(index: SentenceIndex) -> DocSet:
    return DocSet(dict(index.documents), dict(index.source_hashes), set(index.deleted_sources), index.wal_seq)


def _sync_seeds(state: DocSet, seeds_dir: Path, log: Callable[[str], None]) -> DocSet:
    """Take every seed article whose file is new or changed; drop seeds whose file is gone.

    Deleted seeds stay deleted; documents added through the API are kept."""
    from .clean import load_documents

    wanted = {k: v for k, v in source_hashes(seeds_dir).items() if k not in state.deleted_sources}
    if wanted == state.source_hashes:
        return state
    log(f"source documents in {seeds_dir} changed: rebuilding the index")
    docs = {d.doc_id: d for d in load_documents(seeds_dir) if d.doc_id in wanted}
    for doc_id, d in state.documents.items():
        if doc_id in state.source_hashes:
            continue
        if doc_id in wanted:
            logger.warning("seed file %s.txt now holds the id of a document added through the API; "
                           "the seed file wins", doc_id)
            continue
        docs[doc_id] = d
    return DocSet(docs, wanted, set(state.deleted_sources), state.wal_seq)


def recover(store: IndexStore, seeds_dir: Path, embedder: Embedder,
            log: Callable[[str], None] = print, publish_degraded: bool = False,
            rebuild: bool = False) -> Recovery:
    """The index to serve: the newest version that verifies, plus the write-log records
    it misses, plus new or changed seed files.

    When a version had to be skipped, or the write log has a damaged line, the result
    is *degraded*: it is served but not published unless ``publish_degraded`` (what
    ``python -m index repair`` does), so nothing on disk is rebuilt over automatically.
    ``rebuild`` re-embeds every document (``python -m index build``) and publishes.
    """
    opened = store.open(embedder)
    problems = [f"index version {p.name} is damaged ({why})" for p, why in opened.damaged]
    base = opened.index
    if base is not None:
        state = _state(base)
    elif opened.mismatch is not None:
        log(f"rebuilding: {opened.mismatch}")
        docs, manifest = SentenceIndex.read_documents(opened.path)
        hashes = {k: v.get("source_sha256") for k, v in manifest["documents"].items() if v.get("source_sha256")}
        state = DocSet({d.doc_id: d for d in docs}, hashes, set(manifest.get("deleted_sources", [])),
                       int(manifest.get("wal_seq", 0)))
    else:
        if not opened.damaged:
            log(f"no index in {store.root}: building it from {seeds_dir} and {store.wal.path}")
        # seeds first: the log's deletes of seed articles must find them
        state = _sync_seeds(DocSet({}, {}, set(), 0), seeds_dir, log)
    records, wal_problems = store.wal.after(state.wal_seq)
    problems += wal_problems
    if state.wal_seq and not store.wal.path.is_file():
        logger.warning("the write log %s is missing (the index holds writes up to #%d): nothing is lost now, "
                       "but restore it from a backup if you have one", store.wal.path, state.wal_seq)
    if records:
        log(f"replaying {len(records)} write(s) from {store.wal.path}")
        state = apply(state, records)
    state = _sync_seeds(state, seeds_dir, log)

    if rebuild:
        publish_degraded, base = True, None
    if base is not None and state.same_documents(_state(base)):
        index = base
        index.wal_seq = state.wal_seq
    else:
        t0 = time.perf_counter()
        index = SentenceIndex.build(
            list(state.documents.values()), embedder, source_hashes=state.source_hashes, reuse=base,
            log=log, deleted_sources=state.deleted_sources, wal_seq=state.wal_seq,
            **({"threshold": base.threshold} if base is not None else {}))
        log(f"indexed {len(index.sentences)} sentences from {len(index.documents)} documents "
            f"in {time.perf_counter() - t0:.1f}s")

    degraded = None
    if problems:
        served = f"version {opened.path.name}" if opened.index is not None else "a rebuild from the seeds"
        degraded = (f"{'; '.join(problems)}. Serving {served} plus {len(records)} write(s) replayed from the "
                    f"write log ({len(index.documents)} documents). The damaged files were left in place: "
                    f"inspect them, then run `python -m index repair` (or make any write) to publish a good version")
        logger.error("INDEX DAMAGED: %s", degraded)
    published = None
    if index is not base or (problems and publish_degraded):
        if degraded is None or publish_degraded:
            published = store.publish(index)
            log(f"published {published}")
    return Recovery(index, degraded if published is None else None, published)


def ensure_index(store: IndexStore, seeds_dir: Path, embedder: Embedder,
                 log: Callable[[str], None] = print) -> SentenceIndex:
    """Load the served index; build it from ``seeds_dir`` and the write log when
    there is none, when it was built with another embedder, or when a source file
    changed. See ``recover`` for damaged stores."""
    return recover(store, seeds_dir, embedder, log=log).index
