"""Proof that a saved index folder is the one that was written.

A version's manifest carries a *file table* (every file with its size and
sha256) and *row counts*. ``file_table`` makes the table at save time,
``verify_files`` and ``check_rows`` check a folder at load time and raise
``IndexCorruptError`` naming what differs. Nothing here knows what the files
mean, so any store layout (folders of plain files, segments) can reuse it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import IndexCorruptError

MANIFEST = "manifest.json"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def file_table(folder: Path, exclude: tuple[str, ...] = (MANIFEST,)) -> dict[str, dict]:
    """``{relative path: {"size", "sha256"}}`` of every file under ``folder``."""
    folder = Path(folder)
    table = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in exclude:
            table[rel] = {"size": p.stat().st_size, "sha256": sha256_file(p)}
    return table


def verify_files(folder: Path, table: dict[str, dict]) -> None:
    """Raise ``IndexCorruptError`` unless every listed file exists with its size and hash."""
    folder = Path(folder)
    if not isinstance(table, dict) or not table:
        raise IndexCorruptError(f"{folder}: the manifest lists no files; rebuild with `python -m index repair`")
    for rel, want in sorted(table.items()):
        p = folder / rel
        if not p.is_file():
            raise IndexCorruptError(f"{folder}: {rel} is missing")
        size = p.stat().st_size
        if size != want.get("size"):
            raise IndexCorruptError(f"{folder}: {rel} has {size} bytes, the manifest says {want.get('size')}")
        if sha256_file(p) != want.get("sha256"):
            raise IndexCorruptError(f"{folder}: {rel} does not match its sha256 in the manifest")


def check_rows(folder: Path, expected: dict[str, int], found: dict[str, int]) -> None:
    """Raise ``IndexCorruptError`` when a parsed part has another row count than recorded."""
    for name, want in sorted(expected.items()):
        got = found.get(name)
        if got != want:
            raise IndexCorruptError(f"{Path(folder)}: {name} has {got} rows, the manifest says {want}")
