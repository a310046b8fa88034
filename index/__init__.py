"""The engine: clean Korean news pages, split them into sentences with exact
offsets, and search them with a hybrid FAISS + BM25 index."""

from .clean import clean_page, load_documents
from .engine import SentenceIndex
from .errors import IndexMismatchError, NewsQAError
from .news import NewsIndex
from .split import split_sentences
from .store import IndexStore, ensure_index
from .types import Block, Document, Hit, SearchResult, Sentence

__all__ = [
    "Block", "Document", "Hit", "IndexMismatchError", "IndexStore", "NewsIndex", "NewsQAError", "SearchResult", "Sentence",
    "SentenceIndex", "clean_page", "ensure_index", "load_documents", "split_sentences",
]
