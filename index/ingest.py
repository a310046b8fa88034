"""Ingestion: raw articles (plain text, HTML, JSONL lines, folders) -> cleaned Documents.

An ``Article`` is what a caller hands in; ``to_document`` cleans it and gives it
an id (the caller's, or one derived from its content, so the same text always
gets the same id). ``read_paths`` walks files and folders and yields articles,
and for every unusable input a ``Skipped`` that says where and why.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .clean import clean_html, clean_page, looks_like_html
from .errors import InputError
from .files import content_hash
from .types import Document

DOC_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
FIELDS = ("doc_id", "title", "published", "source", "url", "text", "html")


@dataclass(frozen=True)
class Article:
    text: str = ""  # plain text or a whole HTML page
    html: str | None = None
    doc_id: str | None = None
    title: str | None = None
    published: str | None = None  # YYYY-MM-DD
    source: str | None = None
    url: str | None = None
    where: str = ""  # file (and line) it came from, for messages


@dataclass(frozen=True)
class Skipped:
    where: str
    reason: str


def check_article(a: Article, max_chars: int | None = None) -> None:
    """Raise ``InputError`` saying what to fix when ``a`` cannot become a document."""
    body = a.html if a.html is not None else a.text
    if not isinstance(body, str) or not body.strip():
        raise InputError("the article has no text: give \"text\" (plain text or HTML) or \"html\"")
    if max_chars is not None and len(body) > max_chars:
        raise InputError(f"the article has {len(body)} characters, the limit is {max_chars}: split it")
    if a.doc_id is not None and (not isinstance(a.doc_id, str) or not DOC_ID.match(a.doc_id)):
        raise InputError(f"doc_id {a.doc_id!r} is not allowed: use 1-100 letters, digits, _ . -")
    if a.published is not None:
        try:
            if not isinstance(a.published, str) or len(a.published) != 10:
                raise ValueError
            datetime.date.fromisoformat(a.published)
        except ValueError:
            raise InputError(f"published {a.published!r} is not a date: use YYYY-MM-DD") from None
    for name in ("title", "source", "url"):
        value = getattr(a, name)
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            raise InputError(f"{name} must be a string of at most 2000 characters")


def to_document(a: Article, max_chars: int | None = None) -> Document:
    """Clean an article into a Document; ``InputError`` when nothing usable is left."""
    check_article(a, max_chars)
    body = a.html if a.html is not None else a.text
    doc_id = a.doc_id or "doc-" + content_hash(body)[:16]
    doc = clean_html(body, doc_id) if a.html is not None or looks_like_html(body) else clean_page(body, doc_id)
    if not doc.text.strip():
        raise InputError("no article text left after cleaning: send the article body")
    return dataclasses.replace(doc, title=a.title or doc.title, published=a.published or doc.published,
                               source=a.source or doc.source, url=a.url or doc.url)


def _article_from_json(row, where: str) -> Article:
    if not isinstance(row, dict):
        raise InputError("the line is not a JSON object: write one {\"text\": ...} object per line")
    unknown = sorted(set(row) - set(FIELDS))
    if unknown:
        raise InputError(f"unknown field(s) {unknown}: allowed are {', '.join(FIELDS)}")
    for k, v in row.items():
        if v is not None and not isinstance(v, str):
            raise InputError(f"field {k!r} must be a string")
    return Article(text=row.get("text") or "", html=row.get("html"), doc_id=row.get("doc_id"),
                   title=row.get("title"), published=row.get("published"), source=row.get("source"),
                   url=row.get("url"), where=where)


def read_jsonl(path: Path) -> Iterator[Article | Skipped]:
    with open(path, "rb") as f:
        for n, raw in enumerate(f, start=1):
            where = f"{path}:{n}"
            if not raw.strip():
                continue
            try:
                yield _article_from_json(json.loads(raw.decode("utf-8")), where)
            except UnicodeDecodeError:
                yield Skipped(where, "not UTF-8: convert the file to UTF-8")
            except json.JSONDecodeError as e:
                yield Skipped(where, f"not JSON ({e.msg}): one JSON object per line")
            except InputError as e:
                yield Skipped(where, str(e))


def _read_file(path: Path) -> Iterator[Article | Skipped]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from read_jsonl(path)
        return
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        yield Skipped(str(path), "not UTF-8: convert the file to UTF-8")
        return
    stem = path.stem if DOC_ID.match(path.stem) else None
    if suffix in (".html", ".htm"):
        yield Article(html=text, doc_id=stem, where=str(path))
    else:
        yield Article(text=text, doc_id=stem, where=str(path))


def read_paths(paths: list[Path]) -> Iterator[Article | Skipped]:
    """Articles from files and folders (``.txt``, ``.html``, ``.jsonl``, searched recursively)."""
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and
                           p.suffix.lower() in (".txt", ".html", ".htm", ".jsonl"))
            if not files:
                yield Skipped(str(path), "no .txt, .html or .jsonl files in this folder")
            for p in files:
                yield from _read_file(p)
        elif path.is_file():
            yield from _read_file(path)
        else:
            raise InputError(f"{path} does not exist: pass files or folders of .txt, .html or .jsonl articles")
