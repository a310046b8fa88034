"""The development corpus: the five seed articles plus the texts in bench/corpus/.

bench/corpus/ holds Korean public-domain texts (constitution chapters, bill
summaries) taken from the konlpy package: see bench/corpus/SOURCES.md and
`python -m bench.make_corpus`. They give the question set enough documents for
a cross-validation split by document.
"""

from __future__ import annotations

from pathlib import Path

from index.clean import load_documents
from index.types import Document

ROOT = Path(__file__).resolve().parents[1]
BENCH_CORPUS = Path(__file__).resolve().parent / "corpus"


def load_corpus(seeds: Path = ROOT / "seeds") -> list[Document]:
    return load_documents(seeds) + load_documents(BENCH_CORPUS)
