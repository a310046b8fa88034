"""Benchmark: ``python -m bench`` (never part of the test suite).

Prints, in one run on this machine:
  * the three encoder backends side by side (torch fp32, ONNX fp32, ONNX int8):
    R@1 on seed_qa and dev_qa, query-encode p50 on distinct questions with the
    cache off, document-encode sentences/s over the passages the index really
    embeds, and peak RSS (each backend in its own process);
  * /ask latency for one client on distinct questions never asked before (the
    server's cache counters prove 0 hits), and separately for cached repeats;
  * throughput with 16 concurrent clients, every request a distinct question;
  * the plainest alternative (same embedder + FAISS directly, no BM25, no HTTP)
    on the same questions, and the ratio;
  * start-to-ready time with a built index and the service's peak RSS;
  * FAISS search latency over 1,000,000 synthetic vectors (``--skip-1m`` skips it).

``python -m bench encoder --backend onnx-int8`` runs one backend's part alone
and prints it as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
# The checkout (seeds/, ../shared/eval); an installed copy (`newsqa bench`) is run from the checkout's root.
ROOT = HERE.parent if (HERE.parent / "seeds").is_dir() else Path.cwd()
SEED_QA = ROOT.parent / "shared" / "eval" / "seed_qa.jsonl"
DEV_QA = HERE / "dev_qa.jsonl"
BACKENDS = ("torch", "onnx", "onnx-int8")


def pct(values, p):
    return float(np.percentile(np.asarray(values) * 1000, p))


def seed_sentences() -> list[str]:
    from index.clean import load_documents
    from index.split import split_sentences

    return [s.text for d in load_documents(ROOT / "seeds") for s in split_sentences(d)]


def cache_counts(base: str) -> tuple[float, float]:
    """(hits, misses) of the server's query-vector cache, from /metrics."""
    values = {}
    for line in httpx.get(base + "/metrics", timeout=10).text.splitlines():
        if line.startswith("newsqa_query_cache_"):
            name, value = line.split()
            values[name] = float(value)
    return values.get("newsqa_query_cache_hits", float("nan")), values.get("newsqa_query_cache_misses", float("nan"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(data_dir: Path, models_dir: Path) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = dict(os.environ, NEWSQA_DATA_DIR=str(data_dir), NEWSQA_MODELS_DIR=str(models_dir),
               NEWSQA_SEEDS_DIR=str(ROOT / "seeds"), NEWSQA_PORT=str(port), NEWSQA_RATE_LIMIT_PER_MINUTE="0",
               NEWSQA_LOG_LEVEL="WARNING")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_ready(proc, base)
    return proc, base, time.perf_counter() - t0


def wait_ready(proc: subprocess.Popen, base: str, seconds: float = 600) -> None:
    """Poll ``/readyz`` every 50 ms until the server says ready (start-to-ready is timed by it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited during start")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"server not ready in {seconds:.0f} s")


def one_client(base: str, qs: list[str]) -> list[float]:
    times = []
    with httpx.Client(timeout=30) as c:
        for q in qs:
            t0 = time.perf_counter()
            r = c.post(base + "/ask", json={"question": q})
            times.append(time.perf_counter() - t0)
            r.raise_for_status()
    return times


def load(base: str, qs: list[str], clients: int, seconds: float) -> tuple[int, int, list[float]]:
    """``clients`` threads for ``seconds``; every request takes the next unused question."""
    stop = time.monotonic() + seconds
    ok, errors, lat, lock = [0], [0], [], threading.Lock()
    feed = iter(qs)

    def worker():
        with httpx.Client(timeout=30) as c:
            while time.monotonic() < stop:
                with lock:
                    q = next(feed, None)
                if q is None:
                    raise SystemExit("ran out of distinct questions: generate more")
                t0 = time.perf_counter()
                try:
                    good = c.post(base + "/ask", json={"question": q}).status_code == 200
                except httpx.HTTPError:
                    good = False
                with lock:
                    lat.append(time.perf_counter() - t0)
                    ok[0] += good
                    errors[0] += not good

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok[0], errors[0], lat


def plain_pipeline(models_dir: Path, qs: list[str]) -> list[float]:
    """The same int8 encoder and FAISS directly over the bare sentences: no BM25, no
    fusion, no HTTP. Per-question latency on the same distinct questions."""
    import faiss

    from index.embedder import load_embedder
    from index.settings import DEFAULT_MODEL, Settings

    emb = load_embedder(DEFAULT_MODEL, models_dir, log=lambda m: None, direct=True, cache_size=0,
                        idle_threads=Settings().encoder_idle_threads)  # as the service encodes
    index = faiss.IndexFlatIP(emb.dim)
    index.add(emb.encode_documents(seed_sentences()))
    times = []
    for q in qs:
        t0 = time.perf_counter()
        index.search(emb.encode_queries([q]), 5)
        times.append(time.perf_counter() - t0)
    return times


def encoder_figures(backend: str, models_dir: Path) -> dict:
    """One backend, measured in this process: quality, query and document encoding, RSS."""
    from index.clean import load_documents
    from index.embedder import load_embedder
    from index.engine import SentenceIndex, index_passages
    from index.evaluate import evaluate, load_questions
    from index.settings import DEFAULT_MODEL, Settings

    from .questions import distinct_questions

    quiet = lambda m: None  # noqa: E731
    out: dict = {"backend": backend}
    runs = [("sentence-transformers", False)] + ([("direct (service path)", True)] if backend != "torch" else [])
    qs = distinct_questions(seed_sentences(), 230, seed=11)
    for label, direct in runs:
        # as the service runs it: one thread, and the idle session for a lone question
        emb = load_embedder(DEFAULT_MODEL, models_dir, log=quiet, backend=backend, threads=1, direct=direct,
                            cache_size=0, idle_threads=Settings().encoder_idle_threads)
        for q in qs[:30]:  # allocator and kernel warm-up
            emb.encode_queries([q])
        times = []
        for q in qs[30:]:
            t0 = time.perf_counter()
            emb.encode_queries([q])
            times.append(time.perf_counter() - t0)
        out[f"query_p50_ms[{label}]"] = round(pct(times, 50), 2)
        out[f"query_p95_ms[{label}]"] = round(pct(times, 95), 2)
    # Builds embed with every core (threads=0), as `python -m index build` does.
    emb = load_embedder(DEFAULT_MODEL, models_dir, log=quiet, backend=backend, threads=0, cache_size=0)
    docs = load_documents(ROOT / "seeds")
    passages = index_passages(docs)
    emb.encode_documents(passages[:32])
    t0 = time.perf_counter()
    emb.encode_documents(passages)
    out["doc_sentences_per_s"] = round(len(passages) / (time.perf_counter() - t0), 1)
    out["n_passages"] = len(passages)
    index = SentenceIndex.build(docs, emb)
    for name, path in (("seed_qa", SEED_QA), ("dev_qa", DEV_QA)):
        report = evaluate(index, load_questions(path))
        out[f"{name}_R@1"], out[f"{name}_R@5"] = round(report.r1, 3), round(report.r5, 3)
    out["peak_rss_mb"] = round(peak_rss_mb(os.getpid()))
    return out


def encoders_side_by_side(models_dir: Path) -> list[dict]:
    rows = []
    for backend in BACKENDS:
        res = subprocess.run([sys.executable, "-m", "bench", "encoder", "--backend", backend],
                             cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, NEWSQA_MODELS_DIR=str(models_dir)))
        if res.returncode != 0:
            raise SystemExit(f"encoder benchmark for {backend} failed:\n{res.stderr[-2000:]}")
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    return rows


def faiss_scale() -> list[str]:
    import faiss

    from index.dense import DenseVectors

    faiss.omp_set_num_threads(os.cpu_count() or 2)
    rng = np.random.default_rng(0)
    lines = []
    for n in (10_000, 100_000, 1_000_000):
        # Clustered like real sentence embeddings (topics), not uniform noise, on
        # which no approximate index can find neighbours: 2,000 topic centres.
        centres = rng.standard_normal((2000, 384), dtype=np.float32)
        x = centres[rng.integers(0, len(centres), n)]
        x += 0.6 * rng.standard_normal((n, 384), dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        q = x[rng.choice(n, 100)] + 0.02 * rng.standard_normal((100, 384), dtype=np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        flat = faiss.IndexFlatIP(384)
        flat.add(x)
        t0 = time.perf_counter()
        chosen = DenseVectors.build(x)
        build = time.perf_counter() - t0
        _, truth = flat.search(q, 10)
        for name, search in (("exact", lambda v, k, flat=flat: flat.search(v[None, :], k)[1][0]),
                             ("IVF-PQ+rescore" if chosen.ann is not None else "segment exact",
                              lambda v, k, chosen=chosen: chosen.search(v, k, None)[0])):
            times, got = [], []
            for i in range(len(q)):
                t1 = time.perf_counter()
                search(q[i], 50)
                times.append(time.perf_counter() - t1)
                got.append(search(q[i], 10))
            recall = np.mean([len(set(truth[i]) & set(got[i].tolist())) / 10 for i in range(len(q))])
            lines.append(f"  n={n:>9,}  {name:<15} p50 {pct(times, 50):7.2f} ms  p95 {pct(times, 95):7.2f} ms"
                         f"  recall@10 {recall:.3f}" + (f"  (build {build:.1f}s)" if name != "exact" else ""))
        del x, flat, chosen
    return lines


def main() -> None:
    if sys.argv[1:2] == ["scale"]:
        from bench.scale import main as scale_main

        scale_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["milvus"]:
        from bench.milvus import main as milvus_main

        milvus_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("what", nargs="?", default="all", choices=("all", "encoder", "faiss"))
    ap.add_argument("--backend", choices=BACKENDS, default="onnx-int8", help="for `encoder`")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--skip-1m", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    from index.settings import Settings

    models = Settings().model_cache.resolve()
    if args.what == "encoder":
        print(json.dumps(encoder_figures(args.backend, models), ensure_ascii=False))
        return
    if args.what == "faiss":
        for line in faiss_scale():
            print(line)
        return

    from .questions import distinct_questions

    print(f"machine: {os.cpu_count()} cores")
    print("encoders side by side (each in its own process; queries are distinct, cache off):")
    for row in encoders_side_by_side(models):
        print("  " + json.dumps(row, ensure_ascii=False))

    # Distinct questions: never asked before this run, each asked once.
    pool = distinct_questions(seed_sentences(), 12_000)
    cold_qs, plain_qs, load_qs = pool[:300], pool[:300], pool[400:]
    cached_qs = pool[:100] * 3
    work = Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    try:
        # first start builds the seed index; the second measures start-to-ready with it
        proc, base, first = start_server(work, models)
        proc.terminate()
        proc.wait(10)
        proc, base, ready = start_server(work, models)
        try:
            one_client(base, pool[300:330])  # connection and allocator warm-up (not reused)
            h0, m0 = cache_counts(base)
            cold = one_client(base, cold_qs)
            h1, m1 = cache_counts(base)
            cached = one_client(base, cached_qs)
            h2, m2 = cache_counts(base)
            ok, errors, lat = load(base, load_qs, args.clients, args.seconds)
            h3, _ = cache_counts(base)
            rss = peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    plain = plain_pipeline(models, plain_qs)
    p50 = pct(cold, 50)
    print(f"start to ready, building the index: {first:.2f} s")
    print(f"start to ready, existing index:     {ready:.2f} s")
    print(f"/ask one client, cold ({len(cold)} distinct questions, cache hits {h1 - h0:.0f}, misses {m1 - m0:.0f}): "
          f"p50 {p50:.1f} ms  p95 {pct(cold, 95):.1f} ms  p99 {pct(cold, 99):.1f} ms")
    print(f"/ask one client, cached (100 questions asked 3 more times, cache hits {h2 - h1:.0f}, misses "
          f"{m2 - m1:.0f}): p50 {pct(cached, 50):.1f} ms  p95 {pct(cached, 95):.1f} ms")
    print(f"/ask {args.clients} clients for {args.seconds:.0f} s, every request a distinct question "
          f"(cache hits {h3 - h2:.0f}): {ok / args.seconds:.1f} req/s, {errors} errors, "
          f"p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms")
    print(f"plain pipeline (same int8 encoder + FAISS over bare sentences, no BM25, no HTTP), same cold questions: "
          f"p50 {pct(plain, 50):.1f} ms  p95 {pct(plain, 95):.1f} ms")
    print(f"ratio /ask cold p50 / plain p50: {p50 / pct(plain, 50):.2f}")
    print(f"service peak RSS: {rss:.0f} MB")
    if not args.skip_1m:
        print("FAISS search, one query, k=50, synthetic unit vectors (dim 384):")
        for line in faiss_scale():
            print(line)


if __name__ == "__main__":
    main()
