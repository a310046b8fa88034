"""Split a cleaned Document into sentences with exact offsets."""

from __future__ import annotations

from .analyze import split_spans
from .types import Document, Sentence


def split_sentences(doc: Document) -> list[Sentence]:
    """Titles and headings are units of their own; body paragraphs are split by Kiwi.

    Every sentence satisfies ``doc.text[s.start:s.end] == s.text`` and is never blank.
    """
    out: list[Sentence] = []
    for block in doc.blocks:
        chunk = doc.text[block.start:block.end]
        spans = [(0, len(chunk))] if block.kind != "body" else split_spans(chunk)
        for a, b in spans:
            start, end = block.start + a, block.start + b
            text = doc.text[start:end]
            if text.strip():
                out.append(Sentence(doc.doc_id, len(out), start, end, text, block.kind))
    return out
