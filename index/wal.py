"""The write-ahead log: one JSON line per document added or deleted through the API.

Each line is fsynced before the write is answered, so the log alone (with the
seed folder) can rebuild every document, whatever happens to the index
folders. Lines carry a sequence number and their own sha256; every index
version records the last sequence number it contains (``wal_seq``), so
recovery replays only the lines a version is missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from .errors import IndexCorruptError
from .files import fsync_path
from .types import Block, Document

log = logging.getLogger(__name__)


def _digest(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def document_to_dict(doc: Document) -> dict:
    row = asdict(doc)
    row["blocks"] = [asdict(b) for b in doc.blocks]
    return row


def document_from_dict(row: dict) -> Document:
    row = dict(row)
    # one string object per kind, not one per block (an archive holds millions of blocks)
    row["blocks"] = tuple(Block(b["start"], b["end"], sys.intern(b["kind"])) for b in row.get("blocks", ()))
    return Document(**row)


class WriteLog:
    """Append-only JSONL file of API writes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seq: int | None = None

    # ------------------------------------------------------------- reading
    def read(self) -> tuple[list[dict], list[str]]:
        """All intact records in order, and a description of every line skipped.

        A torn last line (a crash mid-append, never acknowledged) is skipped
        quietly; any other bad line is reported so the caller can say so."""
        records, problems, _ = self._scan(0, keep=True)
        return records, problems

    def after(self, seq: int) -> tuple[list[dict], list[str]]:
        records, problems, _ = self._scan(seq, keep=True)
        return records, problems

    def _scan(self, after: int, keep: bool) -> tuple[list[dict], list[str], int]:
        """Records above ``after`` (if ``keep``), problems, and the highest seq, read line by
        line: an archive's log holds every document ever written, and only the records
        the index misses are kept in memory (a 79 MB log took ~300 MB read whole)."""
        records: list[dict] = []
        problems: list[str] = []
        top = 0
        if not self.path.is_file():
            return records, problems, top
        with open(self.path, "rb") as f:
            for n, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw.decode("utf-8"))
                    ok = isinstance(rec, dict) and rec.get("sha256") == _digest(rec) and \
                        isinstance(rec.get("seq"), int)
                except (UnicodeDecodeError, ValueError):
                    ok = False
                if ok:
                    top = max(top, rec["seq"])
                    if keep and rec["seq"] > after:
                        records.append(rec)
                elif not raw.endswith(b"\n"):  # the last line, whose append did not finish
                    log.warning("write log %s: ignoring an unfinished last line", self.path)
                else:
                    problems.append(f"{self.path} line {n} is damaged and was skipped")
        return records, problems, top

    def last_seq(self) -> int:
        with self._lock:
            return self._last_seq()

    def _last_seq(self) -> int:
        if self._seq is None:
            self._seq = self._scan(0, keep=False)[2]
        return self._seq

    # ------------------------------------------------------------- writing
    def append(self, op: str, after: int = 0, **fields) -> tuple[int, int]:
        """Append one record and fsync it. Returns (its seq, the file size before it),
        the size being what ``truncate`` needs to take the record back.

        ``after``: the served index's ``wal_seq``; numbering continues above it even
        if the log file was lost, so replay never skips a new record."""
        with self._lock:
            seq = max(self._last_seq(), after) + 1
            rec = {"seq": seq, "op": op, **fields}
            rec["sha256"] = _digest(rec)
            line = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
            new = not self.path.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                before = os.fstat(fd).st_size
                try:
                    os.write(fd, line)
                    os.fsync(fd)
                except OSError:
                    os.ftruncate(fd, before)  # never leave half a record behind
                    raise
            finally:
                os.close(fd)
            if new:
                fsync_path(self.path.parent)
            self._seq = seq
            return seq, before

    def truncate(self, size: int) -> None:
        """Take back the records after ``size`` bytes (a write whose publish failed)."""
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY)
            try:
                os.ftruncate(fd, size)
                os.fsync(fd)
            finally:
                os.close(fd)
            self._seq = None


def apply(state: "DocSet", records: list[dict]) -> "DocSet":
    """Replay records onto a document set, exactly as the API applied them."""
    docs, hashes, deleted = dict(state.documents), dict(state.source_hashes), set(state.deleted_sources)
    seq = state.wal_seq
    for rec in records:
        if rec["op"] == "add":
            doc = document_from_dict(rec["doc"])
            docs.pop(doc.doc_id, None)  # a re-added id moves to the end, as with_document does
            docs[doc.doc_id] = doc
            hashes.pop(doc.doc_id, None)
            deleted.discard(doc.doc_id)
        elif rec["op"] == "delete":
            doc_id = rec["doc_id"]
            docs.pop(doc_id, None)
            if doc_id in hashes:
                deleted.add(doc_id)
                hashes.pop(doc_id)
        else:
            raise IndexCorruptError(f"write log record {rec['seq']} has unknown op {rec['op']!r}")
        seq = max(seq, rec["seq"])
    return DocSet(docs, hashes, deleted, seq)


class DocSet:
    """The documents an index should hold, with the seed bookkeeping."""

    def __init__(self, documents: dict[str, Document], source_hashes: dict[str, str],
                 deleted_sources: set[str], wal_seq: int = 0):
        self.documents = documents
        self.source_hashes = source_hashes
        self.deleted_sources = deleted_sources
        self.wal_seq = wal_seq

    def same_documents(self, other: "DocSet") -> bool:
        return (self.documents == other.documents and self.source_hashes == other.source_hashes
                and self.deleted_sources == other.deleted_sources)
