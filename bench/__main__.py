"""Benchmark: ``python -m bench`` (never part of the test suite).

Prints, in one run on this machine:
  * /ask latency p50/p95/p99 for one client, cold (each question once) and warm;
  * throughput with 16 concurrent clients for 30 s, with the error count;
  * the plainest alternative (same embedder + FAISS directly, no BM25, no HTTP)
    on the same questions, and the ratio;
  * index build throughput (sentences/s) and start-to-ready time;
  * peak resident memory of the service;
  * FAISS search latency over 1,000,000 synthetic vectors, and the exact/IVF curve.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QA_FILES = [ROOT.parent / "shared" / "eval" / "seed_qa.jsonl", ROOT / "bench" / "dev_qa.jsonl"]


def pct(values, p):
    return float(np.percentile(np.asarray(values) * 1000, p))


def questions() -> list[str]:
    out = []
    for f in QA_FILES:
        if f.is_file():
            out += [json.loads(line)["q"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


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
    while True:
        if proc.poll() is not None:
            raise SystemExit("server exited during start")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, base, time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.05)


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
    stop = time.monotonic() + seconds
    ok, errors, lat, lock = [0], [0], [], threading.Lock()

    def worker(i):
        with httpx.Client(timeout=30) as c:
            n = i
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    r = c.post(base + "/ask", json={"question": qs[n % len(qs)]})
                    good = r.status_code == 200
                except httpx.HTTPError:
                    good = False
                with lock:
                    lat.append(time.perf_counter() - t0)
                    if good:
                        ok[0] += 1
                    else:
                        errors[0] += 1
                n += clients

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok[0], errors[0], lat


def plain_pipeline(models_dir: Path, qs: list[str]) -> tuple[list[float], float, int]:
    """Same embedder, FAISS directly, no BM25, no service. Returns latencies,
    build throughput (sentences/s) and sentence count."""
    import faiss

    from index.clean import load_documents
    from index.embedder import load_embedder
    from index.engine import SentenceIndex
    from index.settings import DEFAULT_MODEL
    from index.split import split_sentences

    emb = load_embedder(DEFAULT_MODEL, models_dir, log=lambda m: None)
    docs = load_documents(ROOT / "seeds")
    t0 = time.perf_counter()
    SentenceIndex.build(docs, emb)
    build_s = time.perf_counter() - t0
    sents = [s.text for d in docs for s in split_sentences(d)]
    index = faiss.IndexFlatIP(emb.dim)
    index.add(emb.model.encode_document(sents, normalize_embeddings=True))
    times = []
    for q in qs:
        t0 = time.perf_counter()
        v = emb.model.encode_query([q], normalize_embeddings=True)
        index.search(v, 5)
        times.append(time.perf_counter() - t0)
    return times, len(sents) / build_s, len(sents)


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
        for name, search in (("exact", lambda v, k: flat.search(v[None, :], k)[1][0]),
                             ("IVF-PQ+rescore" if chosen.ann is not None else "segment exact",
                              lambda v, k: chosen.search(v, k, None)[0])):
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
        sys.path.insert(0, str(ROOT))
        from bench.scale import main as scale_main

        scale_main(sys.argv[2:])
        return
    if sys.argv[1:2] == ["milvus"]:
        sys.path.insert(0, str(ROOT))
        from bench.milvus import main as milvus_main

        milvus_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--skip-1m", action="store_true")
    ap.add_argument("--only-faiss", action="store_true", help="only the synthetic FAISS scale test")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from index.settings import Settings

    settings = Settings()
    models = settings.model_cache.resolve()
    qs = questions()
    print(f"machine: {os.cpu_count()} cores; {len(qs)} distinct questions")

    if args.only_faiss:
        for line in faiss_scale():
            print(line)
        return
    work = Path(tempfile.mkdtemp(prefix="newsqa-bench-"))
    try:
        # first start builds the seed index; the second measures start-to-ready with it
        proc, base, first = start_server(work, models)
        proc.terminate(); proc.wait(10)
        proc, base, ready = start_server(work, models)
        try:
            one_client(base, qs[:5])  # connection and allocator warm-up
            cold = one_client(base, qs[5:] + qs[:5])
            warm = one_client(base, qs * 3)
            ok, errors, lat = load(base, qs, args.clients, args.seconds)
            rss = peak_rss_mb(proc.pid)
        finally:
            proc.terminate(); proc.wait(10)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    plain, build_rate, n_sent = plain_pipeline(models, qs)
    p50 = pct(cold, 50)
    print(f"start to ready, building the index: {first:.2f} s")
    print(f"start to ready, existing index:     {ready:.2f} s")
    print(f"index build throughput: {build_rate:.1f} sentences/s ({n_sent} sentences, embedding included)")
    print(f"/ask one client, cold (each question once, n={len(cold)}): "
          f"p50 {p50:.1f} ms  p95 {pct(cold, 95):.1f} ms  p99 {pct(cold, 99):.1f} ms")
    print(f"/ask one client, warm (repeats hit the query cache, n={len(warm)}): "
          f"p50 {pct(warm, 50):.1f} ms  p95 {pct(warm, 95):.1f} ms  p99 {pct(warm, 99):.1f} ms")
    print(f"/ask {args.clients} clients for {args.seconds:.0f} s: {ok / args.seconds:.1f} req/s, "
          f"{errors} errors, p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms")
    print(f"plain pipeline (embedder + FAISS, no BM25, no HTTP), same questions: "
          f"p50 {pct(plain, 50):.1f} ms  p95 {pct(plain, 95):.1f} ms")
    print(f"ratio /ask cold p50 / plain p50: {p50 / pct(plain, 50):.2f}")
    print(f"service peak RSS: {rss:.0f} MB")
    if not args.skip_1m:
        print("FAISS search, one query, k=50, synthetic unit vectors (dim 384):")
        for line in faiss_scale():
            print(line)


if __name__ == "__main__":
    main()
