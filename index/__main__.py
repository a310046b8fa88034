"""Command line: build an index, ask a question, evaluate on a question file.

    python -m index build --seeds seeds --data-dir data
    python -m index repair --data-dir data
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

from .errors import InputError, NewsQAError
from .settings import Settings
from .types import Filters

log = logging.getLogger("index")


def _iso_day(value: str) -> str:
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2025-09-02") from None


def _settings(args) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    if getattr(args, "seeds", None):
        overrides["seeds_dir"] = Path(args.seeds)
    if getattr(args, "model", None):
        overrides["model"] = args.model
    if getattr(args, "backend", None):
        overrides["embedder_backend"] = args.backend
    return Settings(**overrides)  # type: ignore[arg-type]  # pydantic validates the values


def _open(settings: Settings, rebuild: bool = False, repair: bool = False, query_only: bool = False):
    """The index, recovered: the newest verified version, plus the write log, plus changed seeds.
    A rebuild re-embeds every document and keeps every document added through the API."""
    from . import embedder as embedders
    from .store import IndexStore, recover

    t0 = time.perf_counter()
    # Builds embed in batches with every core; a single question needs one.
    threads = settings.encoder_threads if query_only else 0
    embedder = embedders.load_embedder(settings.model, settings.model_cache, log=log.info,
                                       backend=settings.embedder_backend, threads=threads,
                                       cache_size=settings.query_cache_size)
    log.info("embedder %s ready in %.1fs", settings.model, time.perf_counter() - t0)
    store = IndexStore(settings.index_dir, settings.wal_path)
    result = recover(store, settings.seeds_dir, embedder, rebuild=rebuild, publish_degraded=repair or rebuild)
    if result.degraded:
        log.warning("warning: %s", result.degraded)
    return result.index


def _searcher(settings: Settings, index):
    """What ``ask`` and ``eval`` search: the index itself, or it on the configured backend."""
    if settings.backend == "faiss":
        return index
    from .backend import open_backend
    from .news import NewsIndex

    return NewsIndex.of(index, settings, backend=open_backend(settings))


def cmd_build(args) -> int:
    _open(_settings(args), rebuild=True)
    return 0


def cmd_add(args) -> int:
    """Bulk ingest with a progress bar; rerunning the same command resumes."""
    from tqdm import tqdm

    from .ingest import read_paths
    from .news import NewsIndex

    settings = _settings(args)
    paths = [Path(p) for p in args.paths]
    for p in paths:
        if not p.exists():
            raise InputError(f"{p} does not exist: pass files or folders of .txt, .html or .jsonl articles")
    total = sum(_count_inputs(p) for p in paths)
    news = NewsIndex.open(settings, sync_seeds=not args.no_seeds)
    bar = tqdm(total=total, unit="article", dynamic_ncols=True, file=sys.stderr, smoothing=0.1)

    def on_batch(report, _n):
        rate = report.sentences / report.seconds if report.seconds else 0.0
        bar.set_postfix_str(f"{report.sentences} sentences, {rate:.0f} sentences/s, "
                            f"{report.unchanged} unchanged, {len(report.skipped)} skipped")

    report = None
    try:
        report = news.add_many(read_paths(paths), batch_chars=args.batch_chars, on_batch=on_batch,
                               on_item=lambda: bar.update(1))
    except KeyboardInterrupt:
        bar.close()
        print("interrupted: every batch published so far is kept; run the same command again to resume",
              file=sys.stderr)
        return 130
    finally:
        bar.close()
        news.close()
    for s in report.skipped:
        print(f"skipped {s.where}: {s.reason}", file=sys.stderr)
    rate = report.sentences / report.seconds if report.seconds else 0.0
    print(f"added {report.created}, updated {report.updated}, unchanged {report.unchanged}, skipped "
          f"{len(report.skipped)}; {report.sentences} sentences in {report.seconds:.1f}s ({rate:.0f}/s)")
    return 0


def _count_inputs(path: Path) -> int:
    """Articles under ``path`` (JSONL lines count one each), for the progress bar's ETA."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and
                                           p.suffix.lower() in (".txt", ".html", ".htm", ".jsonl")]
    n = 0
    for f in files:
        if f.suffix.lower() == ".jsonl":
            with open(f, "rb") as fh:
                n += sum(1 for line in fh if line.strip())
        else:
            n += 1
    return n


def cmd_repair(args) -> int:
    index = _open(_settings(args), repair=True)
    print(f"repaired: {len(index.sentences)} sentences from {len(index.documents)} documents")
    return 0


def cmd_prepare(args) -> int:
    index = _open(_settings(args))
    print(f"ready: {index.stats.n_rows} sentences from {len(index.documents)} documents")
    return 0


def cmd_ask(args) -> int:
    settings = _settings(args)
    index = _open(settings, query_only=True)
    filters = Filters(args.published_from, args.published_to, tuple(args.source or ()), tuple(args.doc_id or ()))
    res = _searcher(settings, index).search(args.question, k=args.k, threshold=settings.answer_threshold,
                                            filters=filters)
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
    settings = _settings(args)
    if args.absent and settings.backend != "faiss":
        raise InputError(f"--absent asks the local index without each article; it cannot with the "
                         f"{settings.backend} backend: set NEWSQA_BACKEND=faiss")
    index = _open(settings)
    report = evaluate(_searcher(settings, index), questions, absent=args.absent)
    print(f"question file: {args.qa} (backend: {settings.backend})")
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
    p = sub.add_parser("repair", help="publish a verified version after damage (keeps every document)")
    common(p)
    p.set_defaults(func=cmd_repair)
    p = sub.add_parser("prepare", help="build the embedder and the index if they are missing or stale")
    common(p)
    p.set_defaults(func=cmd_prepare)
    p = sub.add_parser("add", help="add articles: folders of .txt/.html, JSONL files (one article a line)")
    common(p)
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--batch-chars", type=int, default=300_000, help="characters of text per published batch")
    p.add_argument("--no-seeds", action="store_true", help="do not sync the seed folder first")
    p.set_defaults(func=cmd_add)
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
    p.add_argument("--absent", action="store_true",
                   help="also ask each answerable question of the index without its article (should be refused)")
    p.set_defaults(func=cmd_eval)

    args = parser.parse_args(argv)
    logging.basicConfig(level=Settings().log_level.upper(), format="%(message)s", stream=sys.stderr)
    if getattr(args, "k", 1) is not None and not 1 <= getattr(args, "k", 1) <= 20:
        parser.error("-k must be between 1 and 20")
    try:
        return args.func(args)
    except (NewsQAError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
