"""Versioned index folders with an atomic ``current`` pointer, and the seed sync."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path
from typing import Callable

from .embedder import Embedder
from .engine import SentenceIndex
from .errors import EmbedderMismatchError, IndexMismatchError
from .files import fsync_dir


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
    except EmbedderMismatchError as e:
        # Same documents, other vectors: re-embed what the index holds (API-added
        # documents included) rather than rebuild from the seeds.
        log(f"re-embedding: {e}")
        current = store.current_path()
        assert current is not None  # store.load just read it
        index = SentenceIndex.load(current, embedder, reembed=True)
        store.publish(index)
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
        fsync_dir(self.root)
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
