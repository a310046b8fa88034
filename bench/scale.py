"""Scale benchmarks on the NSMC review corpus: ``python -m bench scale PART ...``.

Reviews are grouped by movie into documents (at most ``--per-doc`` reviews
each, one review a paragraph). The corpus is read in place from
``../shared/corpora/nsmc_reviews.tsv.gz``; nothing is copied into the project.

Parts (each prints its figures; run each once, they are heavy):

  ingest   --data-dir D --reviews N [--real]   build/extend an index through NewsIndex.add_many:
           sentences/s and peak RSS. Without --real, vectors are synthetic and
           clustered (one topic per movie) but carry the real embedder's name, so the
           service can open the index: this is the lexical path (clean, split,
           Kiwi analysis, postings, segments) at full cost, minus the e5 forward pass.
  writes   --data-dir D       add one 40-sentence article (real embedding) p50, delete p50
  search   --data-dir D       in-process search p50/p95, recall@10 of the compressed
           segments against exact search
  service  --data-dir D       /ask p50/p95 idle, then during a bulk ingest through
           POST /documents batches; service peak RSS
  quality  --reviews N        seed_qa with N reviews (real embeddings) added to the
           seeds as distractors: R@1, R@5, unanswerable refused, against the seeds alone
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpora" / "nsmc_reviews.tsv.gz"
SEED_QA = ROOT.parent / "shared" / "eval" / "seed_qa.jsonl"


def pct(values, p) -> float:
    return float(np.percentile(np.asarray(values) * 1000, p))


def peak_rss_mb(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def documents(skip_reviews: int = 0, max_reviews: int | None = None, per_doc: int = 60) -> Iterator:
    """Documents of grouped reviews, in corpus order (movie by movie)."""
    from index.types import Block, Document

    def make(movie, part, rows):
        texts = [r[3] for r in rows]
        blocks, pos = [], 0
        for t in texts:
            blocks.append(Block(pos, pos + len(t), "body"))
            pos += len(t) + 1
        dates = sorted(r[2] for r in rows)
        yy, mm, dd = dates[-1].split(".")
        return Document(f"nsmc-{movie}-{part}", f"영화 {movie} 관객 리뷰 {part + 1}", "\n".join(texts),
                        f"20{yy}-{mm}-{dd}", "NSMC", tuple(blocks), f"https://movie.naver.com/{movie}")

    seen = 0
    movie, part, rows = None, 0, []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 4:
                continue
            seen += 1
            if seen <= skip_reviews:
                continue
            if max_reviews is not None and seen > skip_reviews + max_reviews:
                break
            if cols[0] != movie or len(rows) >= per_doc:
                if rows:
                    yield make(movie, part, rows)
                part = part + 1 if cols[0] == movie else 0
                movie, rows = cols[0], []
            rows.append(cols)
    if rows:
        yield make(movie, part, rows)


class ClusteredEmbedder:
    """Synthetic, clustered unit vectors: one topic centre per document title
    (a movie) plus per-text noise. Named as the real model so the service opens
    the index; only for benchmarks."""

    def __init__(self, name: str, backend: str, dim: int = 384, topics: int = 2000):
        self.name, self.backend, self.dim = name, backend, dim
        self.centres = np.random.default_rng(0).standard_normal((topics, dim)).astype(np.float32)

    def encode_documents(self, texts):
        out = np.empty((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            topic = t.split(".", 1)[0]
            h = hashlib.blake2b(topic.encode(), digest_size=4).digest()
            seed = int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little")
            v = self.centres[int.from_bytes(h, "little") % len(self.centres)] + \
                0.6 * np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out

    encode_queries = encode_documents


def models_dir() -> Path:
    """The project's model cache (NEWSQA_MODELS_DIR, else ./data/models). Benchmarks and
    training use it whatever their data directory, so the embedder is never rebuilt
    inside a process being measured."""
    from index.settings import Settings

    return Settings().model_cache.resolve()


def _settings(data_dir: Path):
    from index.settings import Settings

    return Settings(data_dir=data_dir, models_dir=models_dir())


def _real_embedder(settings, threads: int = 0):
    from index.embedder import load_embedder

    return load_embedder(settings.model, settings.model_cache, log=lambda m: None,
                         backend=settings.embedder_backend, threads=threads, direct=True,
                         cache_size=settings.query_cache_size)


def cmd_ingest(args) -> None:
    from index.news import NewsIndex

    settings = _settings(args.data_dir)
    if args.real:
        emb = _real_embedder(settings)
    else:
        from index.settings import DEFAULT_MODEL

        emb = ClusteredEmbedder(args.as_model or DEFAULT_MODEL, settings.embedder_backend)
    news = NewsIndex.open(settings, emb, sync_seeds=not args.no_seeds)
    before = news.index.stats.n_rows
    t0 = time.perf_counter()
    last = [t0]

    def on_batch(report, _):
        now = time.perf_counter()
        if now - last[0] > 30:
            last[0] = now
            print(f"  {report.sentences} sentences, {report.sentences / (now - t0):.0f}/s", flush=True)

    report = news.add_many(documents(args.skip, args.reviews, args.per_doc), on_batch=on_batch,
                           batch_chars=args.batch_chars)
    dt = time.perf_counter() - t0
    idx = news.index
    print(f"ingest ({'real e5 embeddings' if args.real else 'lexical path, synthetic clustered vectors'}): "
          f"{report.sentences} sentences from {report.created + report.updated} documents in {dt:.1f}s = "
          f"{report.sentences / dt:.1f} sentences/s; peak RSS {peak_rss_mb():.0f} MB")
    print(f"index now: {idx.stats.n_rows} sentences (was {before}), {len(idx.documents)} documents, "
          f"{len(idx.segment_views)} segments, sizes {[v.segment.n_rows for v in idx.segment_views]}")


ARTICLE_40 = None


def _article(i: int):
    from index.ingest import Article

    body = "\n\n".join(
        f"{i}번째 기사의 {j}번째 문장에서 정부는 반도체 산업 지원 예산을 {j * 3 + i}억원 늘린다고 밝혔다."
        for j in range(40))
    return Article(text=body, doc_id=f"bench-article-{i}", title=f"반도체 지원 확대 {i}", published="2025-10-01",
                   source="벤치마크")


def cmd_writes(args) -> None:
    from index.news import NewsIndex

    settings = _settings(args.data_dir)
    news = NewsIndex.open(settings, _real_embedder(settings), sync_seeds=False)
    print(f"index: {news.index.stats.n_rows} sentences, {len(news.index.segment_views)} segments")
    adds, dels = [], []
    for i in range(args.n):
        t0 = time.perf_counter()
        res = news.add(_article(i))
        adds.append(time.perf_counter() - t0)
        assert res.n_sentences == 40, res.n_sentences
    for i in range(args.n):
        t0 = time.perf_counter()
        news.delete(f"bench-article-{i}")
        dels.append(time.perf_counter() - t0)
    print(f"add one 40-sentence article (clean, split, analyse, embed, publish), n={args.n}: "
          f"p50 {pct(adds, 50):.0f} ms, max {max(adds) * 1000:.0f} ms")
    print(f"delete one article, n={args.n}: p50 {pct(dels, 50):.1f} ms, max {max(dels) * 1000:.1f} ms")


def _questions(n: int = 600) -> list[str]:
    """Distinct questions, each to be asked once (never a cache hit): the public and dev
    questions, then questions generated from the seed sentences."""
    from bench.__main__ import seed_sentences
    from bench.questions import distinct_questions

    out = []
    for f in (SEED_QA, ROOT / "bench" / "dev_qa.jsonl"):
        if f.is_file():
            out += [json.loads(line)["q"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    out += ["이 영화 배우 연기 정말 최고였다", "지루하고 스토리가 엉망인 영화", "가족과 함께 보기 좋은 애니메이션"]
    out += distinct_questions(seed_sentences(), n, seed=17)
    return list(dict.fromkeys(out))[:n]


def cmd_search(args) -> None:
    from index.store import IndexStore

    settings = _settings(args.data_dir)
    emb = _real_embedder(settings)
    t0 = time.perf_counter()
    index = IndexStore(settings.index_dir).load(emb)
    print(f"loaded {index.stats.n_rows} sentences in {len(index.segment_views)} segments in "
          f"{time.perf_counter() - t0:.1f}s; sizes {[v.segment.n_rows for v in index.segment_views]}")
    qs = _questions(300)
    index.search("워밍업 질문입니다")  # allocator, Kiwi and encoder warm-up; not among the questions
    times = []
    hits0 = index.embedder.cache_hits
    for q in qs:
        t1 = time.perf_counter()
        index.search(q, k=5)
        times.append(time.perf_counter() - t1)
    print(f"in-process search, {len(qs)} distinct questions asked once (cache hits "
          f"{index.embedder.cache_hits - hits0}): p50 {pct(times, 50):.1f} ms, "
          f"p95 {pct(times, 95):.1f} ms; peak RSS {peak_rss_mb():.0f} MB")
    times = []
    for q in qs:  # the embedder caches question vectors: this pass is retrieval and fusion alone
        t1 = time.perf_counter()
        index.search(q, k=5)
        times.append(time.perf_counter() - t1)
    print(f"in-process search, question vectors cached (retrieval + fusion only), n={len(qs)}: "
          f"p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms")
    rng = np.random.default_rng(0)
    for v in index.segment_views:
        dv = v.segment.dense
        if dv.ann is None:
            continue
        n = len(dv)
        hits, t_ann = 0, []
        for r in rng.choice(n, 100, replace=False):
            q = np.asarray(dv.vectors[r], np.float32) + 0.05 * rng.standard_normal(dv.vectors.shape[1]).astype(np.float32)
            q /= np.linalg.norm(q)
            t1 = time.perf_counter()
            rows, _ = dv.search(q, 10, None)
            t_ann.append(time.perf_counter() - t1)
            exact = np.zeros(n, np.float32)
            for a in range(0, n, 200_000):
                exact[a:a + 200_000] = np.asarray(dv.vectors[a:a + 200_000]) @ q
            truth = np.argpartition(-exact, 10)[:10]
            hits += len(set(rows.tolist()) & set(truth.tolist()))
        print(f"segment of {n} vectors, IVF-PQ{dv.ann.pq.M if hasattr(dv.ann, 'pq') else ''} nprobe "
              f"{dv.ann.nprobe} + exact rescoring: recall@10 {hits / 1000:.3f}, p50 {pct(t_ann, 50):.2f} ms")


def _serve(data_dir: Path, token: str):
    from bench.__main__ import free_port, wait_ready

    port = free_port()
    env = dict(os.environ, NEWSQA_DATA_DIR=str(data_dir), NEWSQA_SEEDS_DIR=str(ROOT / "seeds"),
               NEWSQA_MODELS_DIR=str(models_dir()), NEWSQA_PORT=str(port), NEWSQA_RATE_LIMIT_PER_MINUTE="0",
               NEWSQA_LOG_LEVEL="WARNING", NEWSQA_WRITE_TOKEN=token, NEWSQA_MAX_BODY_BYTES="20000000")
    proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, base)
    return proc, base


def cmd_service(args) -> None:
    import httpx

    token = "bench-token"
    from bench.__main__ import cache_counts

    proc, base = _serve(args.data_dir, token)
    qs = _questions(600)
    # every question is asked once: warm-up, idle and busy take disjoint ones
    warm, idle_qs, busy_qs = qs[:20], qs[20:310], qs[310:]
    try:
        with httpx.Client(timeout=60) as c:
            def ask_all(questions, times, stop=None):
                for q in questions:
                    if stop is not None and stop.is_set():
                        return
                    t0 = time.perf_counter()
                    c.post(base + "/ask", json={"question": q}).raise_for_status()
                    times.append(time.perf_counter() - t0)

            ask_all(warm, [])  # allocator and connection warm-up
            h0, _ = cache_counts(base)
            idle: list[float] = []
            ask_all(idle_qs, idle)
            busy, stop, posted = [], threading.Event(), [0]

            def ingest():
                docs = documents(args.skip, args.reviews, 60)
                with httpx.Client(timeout=600) as w:
                    batch = []
                    for d in docs:
                        batch.append({"doc_id": d.doc_id + "-live", "title": d.title, "published": d.published,
                                      "text": d.text[:5000]})
                        if len(batch) == 20:
                            w.post(base + "/documents", json={"documents": batch},
                                   headers={"Authorization": f"Bearer {token}"}).raise_for_status()
                            posted[0] += len(batch)
                            batch = []
                        if stop.is_set():
                            return

            t = threading.Thread(target=ingest)
            t.start()
            time.sleep(2)
            ask_all(busy_qs, busy)
            stop.set()
            t.join()
            h1, _ = cache_counts(base)
        print(f"/ask idle, distinct questions asked once, n={len(idle)}: p50 {pct(idle, 50):.1f} ms, "
              f"p95 {pct(idle, 95):.1f} ms")
        print(f"/ask during bulk ingest (POST /documents batches of 20, {posted[0]} documents posted), "
              f"distinct questions asked once, n={len(busy)}: p50 {pct(busy, 50):.1f} ms, p95 {pct(busy, 95):.1f} ms; "
              f"p95 ratio {pct(busy, 95) / pct(idle, 95):.2f}; query cache hits in both: {h1 - h0:.0f}")
        print(f"service peak RSS: {peak_rss_mb(proc.pid):.0f} MB")
    finally:
        proc.terminate()
        proc.wait(30)


def cmd_quality(args) -> None:
    from index.clean import load_documents
    from index.engine import SentenceIndex
    from index.evaluate import evaluate, load_questions
    from index.seeds import source_hashes
    from index.segments import Segment

    settings = _settings(Path(tempfile.mkdtemp(prefix="newsqa-quality-")))
    emb = _real_embedder(settings)
    seeds = SentenceIndex.build(load_documents(ROOT / "seeds"), emb, source_hashes=source_hashes(ROOT / "seeds"))
    questions = load_questions(SEED_QA)
    base = evaluate(seeds, questions)
    t0 = time.perf_counter()
    docs = list(documents(args.skip, args.reviews, 60))
    segs = [Segment.build(docs[a:a + 200], emb) for a in range(0, len(docs), 200)]
    dt = time.perf_counter() - t0
    mixed = seeds.with_changes(segs)
    n = mixed.stats.n_rows - seeds.stats.n_rows
    print(f"distractors: {n} sentences embedded in {dt:.0f}s ({n / dt:.1f} sentences/s, real e5); "
          f"peak RSS {peak_rss_mb():.0f} MB")
    after = evaluate(mixed, questions)
    for name, r in (("seeds alone", base), (f"seeds + {n} distractor sentences", after)):
        refused = sum(ok for _, ok in r.unanswerable)
        print(f"{name}: R@1 {r.r1:.3f}  R@5 {r.r5:.3f}  MRR@10 {r.mrr10:.3f}  "
              f"unanswerable refused {refused}/{len(r.unanswerable)}")
    print(f"R@1 drop: {base.r1 - after.r1:.3f}")


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="part", required=True)
    for name, fn in (("ingest", cmd_ingest), ("writes", cmd_writes), ("search", cmd_search),
                     ("service", cmd_service), ("quality", cmd_quality)):
        p = sub.add_parser(name)
        p.set_defaults(func=fn)
        p.add_argument("--data-dir", type=Path, default=None)
        p.add_argument("--reviews", type=int, default=None, help="reviews to read (default: all)")
        p.add_argument("--skip", type=int, default=0, help="reviews to skip first")
        p.add_argument("--per-doc", type=int, default=60, help="reviews per document")
        p.add_argument("--batch-chars", type=int, default=400_000)
        p.add_argument("--real", action="store_true", help="embed with the real model")
        p.add_argument("--as-model", default=None, help="embedder name recorded with synthetic vectors")
        p.add_argument("--no-seeds", action="store_true")
        p.add_argument("-n", type=int, default=10, help="repetitions (writes)")
    args = ap.parse_args(argv)
    if args.part in ("ingest", "writes", "search", "service") and args.data_dir is None:
        ap.error("--data-dir is required: the index to build or measure")
    import logging

    logging.basicConfig(level="WARNING", format="%(message)s")
    args.func(args)
