"""The seed folder: raw ``*.txt`` articles, identified by file stem, versioned by sha256.

``store.recover`` keeps the index in step with it: only files whose bytes changed
are cleaned, split, analysed and embedded again; a seed deleted through the API
stays deleted; documents added through the API are kept.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .clean import clean_page
from .errors import InputError
from .types import Document


def source_hashes(folder: Path) -> dict[str, str]:
    """sha256 of each raw ``*.txt`` file of a folder, by doc_id (file stem)."""
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).glob("*.txt"))}


def clean_seed(folder: Path, doc_id: str) -> Document:
    path = Path(folder) / f"{doc_id}.txt"
    try:
        return clean_page(path.read_text(encoding="utf-8"), doc_id)
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not UTF-8 text ({e}); convert it to UTF-8") from e
