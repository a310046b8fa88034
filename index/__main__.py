"""Command line: build an index, ask a question, evaluate on a question file.

    python -m index build --seeds seeds --data-dir data
    python -m index ask "리벨리온은 첫 해외법인을 어디에 세웠나?"
    python -m index eval --qa ../shared/eval/seed_qa.jsonl
"""

from __future__ import annotations

import argparse
import datetime
import logging
import sys
import time
from pathlib import Path
from typing import Any

from .errors import NewsQAError
from .settings import Settings
from .types import Filters


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _iso_day(value: str) -> str:
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2025-09-02") from None


def _settings(args) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "seeds", None):
        overrides["seeds_dir"] = Path(args.seeds)
    if getattr(args, "model", None):
        overrides["model"] = args.model
    if getattr(args, "backend", None):
        overrides["embedder_backend"] = args.backend
    return Settings(**overrides)


def _open(settings: Settings, rebuild: bool = False, query_only: bool = False):
    from .clean import load_documents
    from .embedder import load_embedder
    from .engine import SentenceIndex
    from .store import IndexStore, ensure_index, source_hashes

    t0 = time.perf_counter()
    # Builds embed in batches with every core; a single question needs one.
    threads = settings.encoder_threads if query_only else 0
    embedder = load_embedder(settings.model, settings.model_cache, log=_log,
                             backend=settings.embedder_backend, threads=threads,
                             cache_size=settings.query_cache_size)
    _log(f"embedder {settings.model} ready in {time.perf_counter() - t0:.1f}s")
    store = IndexStore(settings.index_dir)
    if rebuild:
        t1 = time.perf_counter()
        docs = load_documents(settings.seeds_dir)
        index = SentenceIndex.build(docs, embedder, source_hashes=source_hashes(settings.seeds_dir), log=_log)
        path = store.publish(index)
        _log(f"built {len(index.sentences)} sentences from {len(docs)} documents in "
             f"{time.perf_counter() - t1:.1f}s -> {path}")
        return index
    return ensure_index(store, settings.seeds_dir, embedder, log=_log)


def cmd_build(args) -> int:
    _open(_settings(args), rebuild=True)
    return 0


def cmd_prepare(args) -> int:
    index = _open(_settings(args))
    print(f"ready: {len(index.sentences)} sentences from {len(index.documents)} documents")
    return 0


def cmd_ask(args) -> int:
    settings = _settings(args)
    index = _open(settings, query_only=True)
    filters = Filters(args.published_from, args.published_to, tuple(args.source or ()), tuple(args.doc_id or ()))
    res = index.search(args.question, k=args.k, threshold=settings.answer_threshold, filters=filters)
    print(f"Q: {res.question}")
    print(f"answered: {res.answered} (best score {res.best_score:.3f}, threshold "
          f"{settings.answer_threshold if settings.answer_threshold is not None else index.threshold:.2f})")
    if not res.answered:
        print("No sentence in the corpus answers this question. Nearest sentences:")
    for h in res.hits:
        print(f"[{h.rank}] {h.score:.3f} {h.title} ({h.published or 'no date'}) "
              f"{h.doc_id}#{h.sentence_index} [{h.start}:{h.end}]\n    {h.text}")
    return 0


def cmd_eval(args) -> int:
    from .evaluate import evaluate, load_questions

    questions = load_questions(Path(args.qa))
    index = _open(_settings(args))
    report = evaluate(index, questions)
    print(f"question file: {args.qa}")
    print("\n".join(report.lines()))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--data-dir", help="data directory (default: NEWSQA_DATA_DIR or ./data)")
        p.add_argument("--seeds", help="folder of .txt articles (default: NEWSQA_SEEDS_DIR or ./seeds)")
        p.add_argument("--model", help="sentence-transformers model name or path")
        p.add_argument("--backend", choices=("onnx-int8", "onnx", "torch"),
                       help="embedder backend (default: NEWSQA_EMBEDDER_BACKEND or onnx-int8)")

    p = sub.add_parser("build", help="build the index from a folder of .txt files")
    common(p)
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("prepare", help="build the embedder and the index if they are missing or stale")
    common(p)
    p.set_defaults(func=cmd_prepare)
    p = sub.add_parser("ask", help="ask one question and print the cited sentences")
    common(p)
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="number of sentences to print (1-20)")
    p.add_argument("--from", dest="published_from", type=_iso_day, help="only articles published on or after YYYY-MM-DD")
    p.add_argument("--to", dest="published_to", type=_iso_day, help="only articles published on or before YYYY-MM-DD")
    p.add_argument("--source", action="append", help="only articles from this source (repeatable)")
    p.add_argument("--doc-id", action="append", help="only this document (repeatable)")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("eval", help="R@1, R@5, MRR@10 and unanswerable handling on a question file")
    common(p)
    p.add_argument("--qa", required=True, help="JSON-lines question file")
    p.set_defaults(func=cmd_eval)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    if getattr(args, "k", 1) is not None and not 1 <= getattr(args, "k", 1) <= 20:
        parser.error("-k must be between 1 and 20")
    try:
        return args.func(args)
    except (NewsQAError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
