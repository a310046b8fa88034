"""Backend benchmark: ``python -m bench milvus [--reviews N]`` (never part of the tests).

Builds one snapshot of the seeds plus N NSMC reviews (Kiwi analysis for real,
synthetic clustered 384-d vectors, see bench/scale.py), mirrors it into a Milvus
Lite collection, and prints, for this machine:

  * per-query cost of each backend in-process: candidates (retrieval only) and
    the whole search (fusion, citations) with a precomputed query vector, p50/p95;
  * the real e5 query embedding, which both backends pay on top;
  * ingest: local segment build (split, Kiwi, postings) and Milvus row writes, per second;
  * texts in Milvus or not: a second collection that also holds each sentence's
    text, its write time, its size on disk and its search latency with the text returned.

Milvus Lite is a development engine (pure Python over FAISS and Arrow files in
this process); its figures say nothing about Milvus Standalone or Distributed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.scale import ClusteredEmbedder, documents, pct
from index.backend import LOCAL

ROOT = Path(__file__).resolve().parents[1]
QA = [ROOT.parent / "shared" / "eval" / "seed_qa.jsonl", ROOT / "bench" / "dev_qa.jsonl"]


def questions() -> list[str]:
    out = []
    for f in QA:
        if f.is_file():
            out += [json.loads(line)["q"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def timed(fn, items, repeat=2):
    times = []
    for _ in range(repeat):
        for it in items:
            t0 = time.perf_counter()
            fn(it)
            times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench milvus")
    ap.add_argument("--reviews", type=int, default=20_000)
    ap.add_argument("--uri", default=None, help="a Milvus server (http://host:19530); default: a temporary Milvus Lite file")
    ap.add_argument("--token", default=None)
    ap.add_argument("--models-dir", type=Path, default=None, help="real embedder for the query-embedding figure")
    ap.add_argument("--torch-threads", type=int, default=1,
                    help="threads for the e5 figures (1: what one replica core gets; 2 threads thrash "
                         "on a shared 2-core box)")
    args = ap.parse_args(argv)

    from index.clean import load_documents
    from index.engine import SentenceIndex
    from index.milvus import MilvusBackend
    from index.segments import Segment
    from index.settings import DEFAULT_MODEL

    emb = ClusteredEmbedder(DEFAULT_MODEL, "synthetic")
    docs = load_documents(ROOT / "seeds") + list(documents(max_reviews=args.reviews, per_doc=60))
    t0 = time.perf_counter()
    seg = Segment.build(docs, emb)
    dt = time.perf_counter() - t0
    index = SentenceIndex([], emb).with_changes([seg])
    n = index.stats.n_rows
    print(f"corpus: {len(docs)} documents, {n} sentences (seeds + {args.reviews} reviews)")
    print(f"local segment build (split, Kiwi, postings; synthetic vectors): {dt:.1f}s = "
          f"{len(docs) / dt:.1f} documents/s, {n / dt:.0f} sentences/s")

    tmp = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    try:
        backend = MilvusBackend(args.uri or str(tmp / "lite.db"), f"bench_{os.getpid()}", token=args.token)
        if backend.client.has_collection(backend.collection):
            backend.client.drop_collection(backend.collection)
        t0 = time.perf_counter()
        backend.sync(index)
        dt = time.perf_counter() - t0
        print(f"Milvus Lite write of all rows (dense + sparse + fields): {dt:.1f}s = {n / dt:.0f} sentences/s, "
              f"{len(docs) / dt:.1f} documents/s; collection on disk {du(tmp) / 2**20:.1f} MiB")

        victims = [d.doc_id for d in docs[-10:]]
        dels, adds = [], []
        for v in victims:  # one document out and back in, each with the flush Lite needs
            t0 = time.perf_counter()
            backend.delete([v])
            dels.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            backend.add(index, [v])
            adds.append(time.perf_counter() - t0)
        print(f"Milvus Lite one-document write (~{n // len(docs)} sentences): add p50 {pct(adds, 50):.0f} ms, "
              f"delete p50 {pct(dels, 50):.0f} ms")

        qs = questions()
        queries = [index.query(q) for q in qs]
        for q in queries:
            _ = q.vector  # synthetic query vectors, computed once: only retrieval is timed
        for name, b in (("faiss (local)", LOCAL), ("milvus lite", backend)):
            b.candidates(index, queries[0], 50, None)  # first-call costs
            c = timed(lambda q, b=b: b.candidates(index, q, 50, None), queries)
            print(f"{name:14s} candidates: p50 {pct(c, 50):.2f} ms, p95 {pct(c, 95):.2f} ms (n={len(c)}, "
                  f"pool 50 per half, {n} rows)")

        # the whole search on each backend, query vector cached (a Query is made per call)
        cache = {q.text: q.vector for q in queries}
        index.embedder = type("Cached", (), {"name": emb.name, "dim": emb.dim,
                                             "encode_queries": staticmethod(lambda t: cache[t[0]][None, :])})()
        for name, b in (("faiss (local)", LOCAL), ("milvus lite", backend)):
            s = timed(lambda q, b=b: index.search(q, k=5, backend=b), qs)
            print(f"{name:14s} search (no embedding): p50 {pct(s, 50):.2f} ms, p95 {pct(s, 95):.2f} ms")

        # texts in Milvus too: the same rows plus a VARCHAR of the sentence
        from pymilvus import DataType

        c2 = f"bench_text_{os.getpid()}"
        sch = backend.client.create_schema(auto_id=False)
        sch.add_field("id", DataType.VARCHAR, is_primary=True, max_length=160)
        sch.add_field("text", DataType.VARCHAR, max_length=65535)
        sch.add_field("dense", DataType.FLOAT_VECTOR, dim=emb.dim)
        params = backend.client.prepare_index_params()
        params.add_index("dense", index_type="FLAT", metric_type="IP")
        before = du(tmp)
        backend.client.create_collection(c2, schema=sch, index_params=params)
        rows = []
        for r in range(seg.n_rows):
            s = seg.sentence(r)
            rows.append({"id": f"{s.doc_id}#{s.index}", "text": s.text, "dense": seg.dense.vectors[r].tolist()})
        t0 = time.perf_counter()
        for a in range(0, len(rows), 2000):
            backend.client.insert(c2, rows[a:a + 2000])
        dt_text = time.perf_counter() - t0
        text_bytes = sum(len(r["text"].encode("utf-8")) for r in rows)
        backend.client.flush(c2)
        grown = du(tmp) - before
        lat = {}
        for fields in (["id"], ["id", "text"]):
            t = timed(lambda q, fields=fields: backend.client.search(c2, [q.vector.tolist()], anns_field="dense",
                                                                     limit=50, output_fields=fields), queries)
            lat[tuple(fields)] = t
        # the local way: resolve 5 cited sentences from the snapshot
        keys = [(0, r) for r in range(0, seg.n_rows, max(1, seg.n_rows // 1000))][:1000]
        t0 = time.perf_counter()
        for k in keys:
            index.segment_views[k[0]].segment.sentence(k[1])
        local_us = (time.perf_counter() - t0) / len(keys) * 1e6
        store = tmp / "store"
        seg.save(store)
        print(f"texts in Milvus: {text_bytes / 2**20:.1f} MiB of sentence text; id+text+dense collection "
              f"{grown / 2**20:.1f} MiB on disk, written in {dt_text:.1f}s; search top-50 returning ids "
              f"p50 {pct(lat[('id',)], 50):.2f} ms, returning texts p50 {pct(lat[('id', 'text')], 50):.2f} ms")
        print(f"texts in our store: documents.jsonl {(store / 'documents.jsonl').stat().st_size / 2**20:.1f} MiB "
              f"(whole documents, every offset valid), one sentence resolved in {local_us:.1f} µs")
        backend.client.drop_collection(c2)
        backend.client.drop_collection(backend.collection)
        backend.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if args.models_dir is not None:
        import torch

        from index.embedder import load_embedder

        torch.set_num_threads(args.torch_threads)
        real = load_embedder(DEFAULT_MODEL, args.models_dir)
        real.encode_queries(["준비"])
        e = timed(lambda q: real.encode_queries([q]), qs, repeat=1)
        print(f"real e5 query embedding (paid by both backends, {args.torch_threads} thread(s)): p50 {pct(e, 50):.2f} ms, "
              f"p95 {pct(e, 95):.2f} ms (n={len(e)})")
        passages = [seg.sentence(r).text for r in range(0, min(seg.n_rows, 256))]
        t0 = time.perf_counter()
        real.encode_documents(passages)
        dt = time.perf_counter() - t0
        print(f"real e5 document embedding: {len(passages) / dt:.1f} sentences/s on this CPU "
              f"({statistics.mean(len(p) for p in passages):.0f} characters each, batch of {len(passages)})")
