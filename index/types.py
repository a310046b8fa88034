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


@dataclass(frozen=True)
class Sentence:
    doc_id: str
    index: int  # position of the sentence within its document
    start: int
    end: int
    text: str
    kind: str = "body"


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


@dataclass(frozen=True)
class SearchResult:
    question: str
    answered: bool
    hits: list[Hit]
    best_score: float

    @property
    def answer(self) -> str | None:
        return self.hits[0].text if self.answered and self.hits else None
