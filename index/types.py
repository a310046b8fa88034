"""The engine's nouns: a cleaned Document, a Sentence with offsets, a search Hit."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Block:
    """A line of cleaned text: the title, a heading/subtitle, or a body paragraph."""

    start: int
    end: int
    kind: str  # "title" | "heading" | "body"


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str  # the cleaned text that is displayed; every offset refers to it
    published: str | None = None  # ISO date, YYYY-MM-DD
    source: str | None = None
    blocks: tuple[Block, ...] = field(default=())
    url: str | None = None  # the original article, when known


@dataclass(frozen=True)
class Sentence:
    doc_id: str
    index: int  # position of the sentence within its document
    start: int
    end: int
    text: str
    kind: str = "body"


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some documents; applied inside retrieval.

    Dates are inclusive ISO days (YYYY-MM-DD). A document without a date never
    matches a date filter. Empty tuples mean "any".
    """

    published_from: str | None = None
    published_to: str | None = None
    sources: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.published_from or self.published_to or self.sources or self.doc_ids)

    def allows(self, doc: Document) -> bool:
        if self.doc_ids and doc.doc_id not in self.doc_ids:
            return False
        if self.sources and doc.source not in self.sources:
            return False
        if self.published_from or self.published_to:
            if not doc.published:
                return False
            if self.published_from and doc.published < self.published_from:
                return False
            if self.published_to and doc.published > self.published_to:
                return False
        return True


@dataclass(frozen=True)
class Hit:
    """One cited sentence: everything a citation needs."""

    rank: int
    doc_id: str
    title: str
    published: str | None
    sentence_index: int
    start: int
    end: int
    text: str
    score: float
    # The phrase inside the sentence that answers the question ("113분"), as
    # offsets into the document text within [start, end]; None when not found.
    answer_start: int | None = None
    answer_end: int | None = None


@dataclass(frozen=True)
class SearchResult:
    question: str
    answered: bool
    hits: list[Hit]
    best_score: float
    resolved_question: str | None = None  # what was searched, when a follow-up was rewritten
    note: str | None = None  # why a question was not answered, when the reason is the question's own

    @property
    def answer(self) -> str | None:
        return self.hits[0].text if self.answered and self.hits else None
