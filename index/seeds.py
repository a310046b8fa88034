"""Seed sync: keep the index in step with a folder of raw ``*.txt`` articles.

Only files whose bytes changed are cleaned, split, analysed and embedded again;
a seed deleted through the API stays deleted; documents added through the API
(no source file) are kept.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from .clean import clean_page
from .embedder import Embedder
from .engine import SentenceIndex
from .errors import IndexMismatchError, InputError
from .segments import Segment
from .store import IndexStore

log = logging.getLogger(__name__)


def source_hashes(folder: Path) -> dict[str, str]:
    """sha256 of each raw ``*.txt`` file of a folder, by doc_id (file stem)."""
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).glob("*.txt"))}


def _clean(folder: Path, doc_id: str):
    path = Path(folder) / f"{doc_id}.txt"
    try:
        return clean_page(path.read_text(encoding="utf-8"), doc_id)
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not UTF-8 text ({e}); convert it to UTF-8") from e


def sync_seeds(index: SentenceIndex, seeds_dir: Path) -> tuple[SentenceIndex, bool]:
    """``index`` with the seed folder's changes applied, and whether anything changed."""
    wanted = {k: v for k, v in source_hashes(seeds_dir).items() if k not in index.deleted_sources}
    changed = [k for k, v in wanted.items() if index.source_hashes.get(k) != v]
    removed = [k for k in index.source_hashes if k not in wanted]
    if not changed and not removed:
        return index, False
    log.info("seed folder %s: %d new or changed, %d removed", seeds_dir, len(changed), len(removed))
    known = {}
    for doc_id in changed:
        known.update(index.known_vectors(doc_id))
    docs = [_clean(seeds_dir, k) for k in changed]
    added = [Segment.build(docs, index.embedder, known.get)] if docs else []
    return index.with_changes(added, delete=removed, source_hashes=wanted), True


def ensure_index(store: IndexStore, seeds_dir: Path, embedder: Embedder) -> SentenceIndex:
    """Load the served index and apply the seed folder's changes; build it when there is
    none, or when it was built with another embedder (keeping documents added through the API)."""
    try:
        index = store.load(embedder)
    except FileNotFoundError:
        log.info("no index in %s: building it from %s", store.root, seeds_dir)
        index = SentenceIndex.build([], embedder)
    except IndexMismatchError as e:
        log.warning("rebuilding: %s", e)
        docs, manifest = store.read_documents()
        sources = manifest.get("source_hashes", {})
        kept = [d for d in docs if d.doc_id not in sources]  # API documents; seeds come from the folder
        index = SentenceIndex.build(kept, embedder, deleted_sources=set(manifest.get("deleted_sources", [])),
                                    wal_seq=int(manifest.get("wal_seq", 0)))
    new, changed = sync_seeds(index, seeds_dir)
    if changed or store.current_path() is None:
        store.publish(new)
        log.info("index holds %d sentences from %d documents", new.stats.n_rows, len(new.documents))
    return new
