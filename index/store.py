"""Versions of the index on disk, published atomically.

    <root>/segments/<seg_id>/...      immutable segments, each written once
    <root>/versions/v<ns>/manifest.json   one version: its segments (with every
                                          file's size and sha256), tombstones,
                                          seed bookkeeping
    <root>/current -> versions/v<ns>      the served version

``publish`` writes the new segments, then the new version's manifest, each
fsynced, and then replaces the ``current`` symlink with one ``rename`` (atomic on
POSIX). A crash at any point leaves ``current`` at the previous, complete
version. Loading verifies every file; when the current version fails, the newest
older version that verifies is served instead. Old versions are pruned, but
never the one being served, and a segment is deleted only when no kept version
lists it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

from .embedder import Embedder
from .engine import MANIFEST, SentenceIndex
from .errors import IndexCorruptError, StorageError
from .files import fsync_dir
from .segments import Segment
from .types import Document

log = logging.getLogger(__name__)


class IndexStore:
    """Versioned index folders under ``root`` with an atomic ``current`` pointer."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.versions = self.root / "versions"
        self.segments = self.root / "segments"
        self.pointer = self.root / "current"

    def current_path(self) -> Path | None:
        if not self.pointer.is_symlink() and not self.pointer.exists():
            return None
        target = self.pointer.resolve()
        return target if (target / MANIFEST).is_file() else None

    def version_paths(self) -> list[Path]:
        """Complete versions, newest first."""
        if not self.versions.is_dir():
            return []
        found = [p for p in self.versions.iterdir() if p.name.startswith("v") and (p / MANIFEST).is_file()]
        return sorted(found, key=lambda p: int(p.name[1:]) if p.name[1:].isdigit() else 0, reverse=True)

    def publish(self, index: SentenceIndex, keep: int = 2) -> Path:
        """Persist ``index`` as the new current version; returns its folder."""
        try:
            self.versions.mkdir(parents=True, exist_ok=True)
            self.segments.mkdir(parents=True, exist_ok=True)
            target = self.versions / f"v{time.time_ns()}"
            index.save(target, segments_dir=self.segments)
            link = self.root / f".current.tmp-{os.getpid()}-{time.monotonic_ns()}"
            os.symlink(os.path.relpath(target, self.root), link)
            os.replace(link, self.pointer)
            fsync_dir(self.root)
        except OSError as e:
            raise StorageError(f"could not write the index under {self.root} ({e.strerror or e}): free disk "
                               f"space or fix the folder's permissions, then retry") from e
        self._prune(keep)
        return target

    def load(self, embedder: Embedder) -> SentenceIndex:
        """The current version, verified; an older verified one when it fails."""
        current = self.current_path()
        if current is None and not self.version_paths():
            raise FileNotFoundError(
                f"no index in {self.root}: build one with `python -m index build --data-dir DIR`")
        candidates = ([current] if current is not None else []) + \
            [p for p in self.version_paths() if p != current]
        first_error = None
        for path in candidates:
            try:
                index = SentenceIndex.load(path, embedder)
            except IndexCorruptError as e:
                log.error("index version %s failed verification: %s", path.name, e)
                first_error = first_error or e
                continue
            if path != current:
                log.warning("serving the older version %s: the current one failed verification", path.name)
            return index
        raise first_error

    def read_documents(self) -> tuple[list[Document], dict]:
        """The live documents of the newest readable version, whatever embedder built it
        (to rebuild with another one), and its manifest."""
        for path in ([self.current_path()] if self.current_path() else []) + self.version_paths():
            try:
                manifest = SentenceIndex.read_manifest(path)
                seg_root = path / manifest.get("segments_dir", "segments")
                docs = []
                for entry in manifest["segments"]:
                    seg = Segment.load(seg_root / entry["id"])
                    deleted = set(entry.get("deleted", []))
                    docs += [d for o, d in enumerate(seg.documents) if o not in deleted]
                return docs, manifest
            except (IndexCorruptError, OSError, KeyError, TypeError, ValueError) as e:
                log.error("cannot read the documents of %s: %s", path, e)
        return [], {}

    def _prune(self, keep: int) -> None:
        current = self.current_path()
        versions = self.version_paths()
        kept = versions[:keep] + ([current] if current is not None and current not in versions[:keep] else [])
        for p in versions:
            if p not in kept:
                shutil.rmtree(p, ignore_errors=True)
        live = set()
        for p in kept:
            try:
                live |= {e["id"] for e in json.loads((p / MANIFEST).read_text(encoding="utf-8"))["segments"]}
            except (OSError, ValueError, KeyError, TypeError):
                return  # cannot tell what is in use: delete nothing
        now = time.time()
        for folder in (self.versions, self.segments):
            for p in folder.iterdir():
                # leftovers of writes that were killed midway
                if p.name.startswith(".") and now - p.stat().st_mtime > 3600:
                    shutil.rmtree(p, ignore_errors=True)
        for p in self.segments.iterdir():
            if p.name.startswith("seg-") and p.name not in live:
                shutil.rmtree(p, ignore_errors=True)
