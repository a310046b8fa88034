"""The Milvus backend: the snapshot's rows in a Milvus collection, searched there.

One entity per sentence::

    id         "<doc_id>#<doc_hash>#<sentence index>"   (primary key)
    doc_id, doc_hash (first 16 hex of the text's sha256), sent (sentence index)
    published  int yyyymmdd (0: no date), source, n_terms (BM25 length)
    dense      the sentence's passage vector (the same one FAISS holds)
    sparse     hashed Kiwi morphemes -> tf / (tf + k1 (1 - b + b len / avglen0))

The sparse vector is computed here from the morphemes the local segments already
hold, so Korean analysis is identical on both backends. A question's sparse
vector is idf(t) per occurrence, so Milvus's inner product is BM25 with the
average length ``avglen0`` recorded when the collection was created: good enough
to propose candidates. Their lexical features are then scored by the engine from
the local postings, as for the local backend, so both rank alike.

What stays in the local store: documents, sentence offsets and BM25 statistics
(df, row count, average length). Citations are offsets into the document text,
which a sentence row cannot hold (a document is up to 100k characters), and the
store verifies every file by sha256 (see deploy/SIZING.md for the measured cost
of also storing texts in Milvus). Milvus is derived data: ``sync`` rebuilds what
it is missing from the store, so a crash between the two never loses a write.

The key carries the document's content hash: a candidate whose document changed
since the row was written does not resolve in the snapshot and is dropped, so a
citation always comes with the scores of its own text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from .backend import Candidates, Query
from .errors import IndexMismatchError, InputError, StorageError
from .files import content_hash
from .lexical import K1, B
from .types import Filters, Sentence

if TYPE_CHECKING:
    from .engine import SentenceIndex

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
META_PROPERTY = "newsqa.meta"  # collection property: how the rows were built (JSON)
MAX_SPARSE_ID = 2**32 - 2  # Milvus sparse indices are uint32, the last one reserved
INSERT_BATCH = 2000  # rows a request: ~3.5 MB of vectors, far under gRPC's 64 MB
DELETE_BATCH = 200  # doc ids in one delete expression
# Dense index by deployment: FLAT is exact (what the tests and Lite use); a server
# with millions of rows wants HNSW (RAM) or IVF_SQ8 (a quarter of it), see deploy/SIZING.md.
DENSE_INDEX_PARAMS = {"FLAT": {}, "HNSW": {"M": 16, "efConstruction": 200}, "IVF_SQ8": {"nlist": 4096}}
SEARCH_PARAMS = {"FLAT": {}, "HNSW": {"ef": 256}, "IVF_SQ8": {"nprobe": 32}}


def term_id(term: str) -> int:
    """A morpheme's sparse dimension: 32 bits of its blake2b, stable across processes."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little") % MAX_SPARSE_ID


def norm(length: float, avglen: float) -> float:
    return K1 * (1 - B + B * length / avglen)


def doc_sparse(terms: Sequence[str], avglen0: float) -> dict[int, float]:
    """A sentence's sparse vector: BM25's per-term saturation at ``avglen0``."""
    tf = Counter(term_id(t) for t in terms)
    k = norm(len(terms), avglen0)
    return {i: c / (c + k) for i, c in tf.items()}


def query_sparse(query: Query) -> dict[int, float]:
    out: dict[int, float] = {}
    for t in query.terms:  # a repeated term counts twice, as in the local BM25
        i = term_id(t)
        out[i] = out.get(i, 0.0) + query.idf[t]
    return out


def quote(value: str) -> str:
    """A Milvus filter string literal."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") \
        .replace("\t", "\\t")
    return f'"{escaped}"'


def day_int(day: str | None) -> int:
    return int(day.replace("-", "")) if day else 0


def filter_expr(filters: Filters | None) -> str:
    """``filters`` as a Milvus boolean expression ("" for none)."""
    if filters is None or not filters.active:
        return ""
    parts = []
    if filters.doc_ids:
        parts.append(f"doc_id in [{', '.join(quote(d) for d in filters.doc_ids)}]")
    if filters.sources:
        parts.append(f"source in [{', '.join(quote(s) for s in filters.sources)}]")
    if filters.published_from or filters.published_to:
        parts.append("published > 0")  # an undated document never matches a date filter
        if filters.published_from:
            parts.append(f"published >= {day_int(filters.published_from)}")
        if filters.published_to:
            parts.append(f"published <= {day_int(filters.published_to)}")
    return " and ".join(parts)


def doc_hash(text: str) -> str:
    return content_hash(text)[:16]


def _is_server(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "unix:"))


class MilvusBackend:
    name = "milvus"

    def __init__(self, uri: str, collection: str = "newsqa_sentences", *, token: str | None = None,
                 db_name: str | None = None, dense_index: str = "FLAT", writer: bool = True,
                 shards: int = 1):
        if not _is_server(uri) and not uri.endswith(".db"):
            raise InputError(f"NEWSQA_MILVUS_URI={uri!r}: a Milvus Lite file must end in .db, a server is "
                             f"http://host:19530")
        if dense_index not in DENSE_INDEX_PARAMS:
            raise InputError(f"dense index {dense_index!r} is unknown: use one of {', '.join(DENSE_INDEX_PARAMS)}")
        try:
            from pymilvus import MilvusClient
        except ImportError:
            raise InputError("NEWSQA_BACKEND=milvus needs pymilvus and milvus-lite: "
                             "`pip install -r requirements.txt`") from None
        self.uri, self.collection, self.dense_index, self.writer = uri, collection, dense_index, writer
        self.shards = shards
        # a generous connect timeout: Milvus Lite answers from threads of this very
        # process, which a busy machine can starve for seconds (seen in the test suite)
        kwargs: dict[str, Any] = {"uri": uri, "timeout": 60}
        if token:
            kwargs["token"] = token
        if db_name:
            kwargs["db_name"] = db_name
        t0 = time.perf_counter()
        try:
            self.client = MilvusClient(**kwargs)
        except Exception as e:  # pymilvus raises its own and grpc's types
            raise StorageError(f"cannot reach Milvus at {uri} ({e}): start it, or set NEWSQA_MILVUS_URI / "
                               f"NEWSQA_BACKEND=faiss") from e
        log.info("connected to Milvus at %s in %.1fs", uri, time.perf_counter() - t0)
        self.avglen0: float | None = None
        self.embedder: str | None = None
        self.dim: int | None = None

    def _avglen0(self) -> float:
        """The average length the collection's sparse weights were computed with."""
        if self.avglen0 is None:
            raise RuntimeError("the Milvus collection is not open yet: call sync(index) first")
        return self.avglen0

    @classmethod
    def from_settings(cls, settings) -> "MilvusBackend":
        return cls(settings.milvus_target, settings.milvus_collection, token=settings.milvus_token,
                   db_name=settings.milvus_db, dense_index=getattr(settings, "milvus_index", "FLAT"),
                   writer=getattr(settings, "milvus_writer", True), shards=getattr(settings, "milvus_shards", 1))

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------ collection
    def _meta(self) -> dict | None:
        if not self.client.has_collection(self.collection):
            return None
        props = self.client.describe_collection(self.collection).get("properties") or {}
        try:
            meta = json.loads(props.get(META_PROPERTY, ""))
        except ValueError:
            meta = {}
        return meta if isinstance(meta, dict) else {}

    def _create(self, index: "SentenceIndex") -> None:
        from pymilvus import DataType

        avglen0 = float(index.stats.avg_length) if index.stats.n_rows else 10.0
        meta = {"schema": SCHEMA_VERSION, "embedder": index.embedder.name, "dim": int(index.embedder.dim),
                "avglen0": avglen0, "k1": K1, "b": B, "dense_index": self.dense_index}
        s = self.client.create_schema(auto_id=False, description="newsqa sentences (see index/milvus.py)")
        s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=160)
        s.add_field("doc_id", DataType.VARCHAR, max_length=128)
        s.add_field("doc_hash", DataType.VARCHAR, max_length=16)
        s.add_field("sent", DataType.INT32)
        s.add_field("published", DataType.INT32)
        s.add_field("source", DataType.VARCHAR, max_length=8192)
        s.add_field("n_terms", DataType.INT32)
        s.add_field("dense", DataType.FLOAT_VECTOR, dim=int(index.embedder.dim))
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        params = self.client.prepare_index_params()
        params.add_index("dense", index_type=self.dense_index, metric_type="IP",
                         params=DENSE_INDEX_PARAMS[self.dense_index])
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        self.client.create_collection(self.collection, schema=s, index_params=params, num_shards=self.shards,
                                      properties={META_PROPERTY: json.dumps(meta)})
        log.info("created Milvus collection %s (%s)", self.collection, meta)

    def _adopt(self, meta: dict) -> None:
        # an existing collection opens released (a restarted Lite process, a server
        # after a release); loading a loaded one is a no-op
        self.client.load_collection(self.collection)
        self.avglen0 = float(meta["avglen0"])
        self.embedder, self.dim = meta["embedder"], int(meta["dim"])

    def sync(self, index: "SentenceIndex") -> None:
        """Make the collection hold exactly the live documents of ``index``.

        The collection is derived from the local store: one built with another
        embedder or schema is dropped and rebuilt; otherwise only documents that are
        missing, changed or gone are written."""
        t0 = time.perf_counter()
        meta = self._meta()
        if not self.writer:
            # a read replica: adopt the collection the writer keeps, change nothing
            if meta is None or meta.get("embedder") != index.embedder.name or meta.get("schema") != SCHEMA_VERSION:
                raise IndexMismatchError(
                    f"Milvus collection {self.collection} at {self.uri} is missing or was built differently "
                    f"({meta}): start the writer (NEWSQA_MILVUS_WRITER=true) first")
            self._adopt(meta)
            return
        if meta is not None and (meta.get("schema") != SCHEMA_VERSION or meta.get("embedder") != index.embedder.name
                                 or meta.get("dim") != index.embedder.dim):
            log.warning("Milvus collection %s was built differently (%s): rebuilding it from the local store",
                        self.collection, meta)
            self.client.drop_collection(self.collection)
            meta = None
        if meta is None:
            self._create(index)
            meta = self._meta()
        assert meta is not None, "the collection was just created with its metadata"
        self._adopt(meta)
        have = self._stored_documents()
        want = {d: doc_hash(index.documents[d].text) for d in index.documents}
        gone = [d for d in have if d not in want]
        todo = [d for d, h in want.items() if have.get(d) != h]
        if gone:
            self.delete(gone, flush=not todo)
        if todo:
            self.add(index, todo)
        log.info("Milvus collection %s in step with the store (%d documents written, %d removed) in %.1fs",
                 self.collection, len(todo), len(gone), time.perf_counter() - t0)

    def _stored_documents(self) -> dict[str, str]:
        """doc_id -> doc_hash of every document with rows in the collection (first sentences only)."""
        out: dict[str, str] = {}
        fields = ["doc_id", "doc_hash"]
        if not _is_server(self.uri):
            # Milvus Lite has no query iterator (no timestamp service) and no offset cap
            offset = 0
            while True:
                page = self.client.query(self.collection, filter="sent == 0", output_fields=fields,
                                         limit=4096, offset=offset)
                for row in page:
                    out[row["doc_id"]] = row["doc_hash"]
                if len(page) < 4096:
                    return out
                offset += len(page)
        it = self.client.query_iterator(self.collection, batch_size=4096, filter="sent == 0",
                                        output_fields=fields)
        try:
            while page := it.next():
                for row in page:
                    out[row["doc_id"]] = row["doc_hash"]
        finally:
            it.close()
        return out

    def count(self) -> int:
        res = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    # ---------------------------------------------------------------- writes
    def _require(self) -> None:
        if self.avglen0 is None:
            raise IndexMismatchError("the Milvus backend is not synced with an index: call sync(index) first")

    def rows(self, index: "SentenceIndex", doc_ids: Iterable[str]) -> Iterable[dict]:
        """The entities of some documents of ``index``, from its segments (nothing re-analysed)."""
        for doc_id in doc_ids:
            found = index.segment_of(doc_id)
            if found is None:
                continue
            seg, o = found
            doc = seg.documents[o]
            h = doc_hash(doc.text)
            for r in seg.rows_of(o):
                terms = seg.postings.row_terms(int(r))
                sent = int(seg.table[r, 1])
                yield {"id": f"{doc_id}#{h}#{sent}", "doc_id": doc_id, "doc_hash": h, "sent": sent,
                       "published": day_int(doc.published), "source": doc.source or "", "n_terms": len(terms),
                       "dense": np.asarray(seg.dense.vectors[r], np.float32).tolist(),
                       "sparse": doc_sparse(terms, self._avglen0())}

    def add(self, index: "SentenceIndex", doc_ids: Sequence[str]) -> None:
        """Write the rows of ``doc_ids`` as ``index`` holds them, then remove their older versions."""
        self._require()
        self._check_writer()
        batch: list[dict] = []
        written: dict[str, str] = {}
        for row in self.rows(index, doc_ids):
            batch.append(row)
            written[row["doc_id"]] = row["doc_hash"]
            if len(batch) >= INSERT_BATCH:
                self.client.upsert(self.collection, batch)
                batch = []
        if batch:
            self.client.upsert(self.collection, batch)
        # rows of a previous version of the same documents
        items = list(written.items())
        for a in range(0, len(items), DELETE_BATCH):
            expr = " or ".join(f"(doc_id == {quote(d)} and doc_hash != {quote(h)})" for d, h in items[a:a + DELETE_BATCH])
            self.client.delete(self.collection, filter=expr)
        missing = [d for d in doc_ids if d not in written]
        if missing:  # a document without sentences, or deleted meanwhile: no rows at all
            self.delete(missing, flush=False)
        self._flush()

    def _flush(self) -> None:
        # Milvus Lite scans unflushed rows in Python (measured: 2k rows, a dense search
        # 140 ms before a flush, 17 ms after); a server seals segments by itself, and a
        # flush per write there would only make small segments.
        if not _is_server(self.uri):
            self.client.flush(self.collection)

    def _check_writer(self) -> None:
        if not self.writer:
            raise StorageError(f"this replica only reads Milvus collection {self.collection}: send writes to "
                               f"the writer (NEWSQA_MILVUS_WRITER=true)")

    def delete(self, doc_ids: Sequence[str], flush: bool = True) -> None:
        self._check_writer()
        ids = list(doc_ids)
        for a in range(0, len(ids), DELETE_BATCH):
            self.client.delete(self.collection, filter=f"doc_id in [{', '.join(quote(d) for d in ids[a:a + DELETE_BATCH])}]")
        if flush:
            self._flush()

    # ---------------------------------------------------------------- search
    def candidates(self, index: "SentenceIndex", query: Query, pool: int, filters: Filters | None) -> Candidates:
        from pymilvus import AnnSearchRequest, RRFRanker

        self._require()
        expr = filter_expr(filters)
        qv = query.vector
        fields = ["doc_id", "doc_hash", "sent", "dense"]
        dense_params = {"metric_type": "IP", "params": SEARCH_PARAMS[self.dense_index]}
        if query.terms:
            # one round trip: the union of the best `pool` by each half; the cosine is
            # recomputed below from the returned vector, the lexical features by the engine
            reqs = [AnnSearchRequest([qv.tolist()], "dense", dense_params, limit=pool, expr=expr or None),
                    AnnSearchRequest([query_sparse(query)], "sparse", {"metric_type": "IP"}, limit=pool,
                                     expr=expr or None)]
            res = self.client.hybrid_search(self.collection, reqs, RRFRanker(), limit=2 * pool,
                                            output_fields=fields)
        else:
            res = self.client.search(self.collection, [qv.tolist()], anns_field="dense", limit=pool,
                                     filter=expr, output_fields=fields, search_params=dense_params)
        hits = res[0] if res else []
        if not hits:
            return Candidates.empty()
        keys, cos, sentences = [], [], {}
        doc_hashes: dict[str, str | None] = {}
        for hit in hits:
            e = hit["entity"]
            s = self._resolve(index, e["doc_id"], e["doc_hash"], int(e["sent"]), doc_hashes)
            if s is None:
                continue  # written for another version of the document than this snapshot's
            key = (s.doc_id, s.index)
            if key in sentences:
                continue
            sentences[key] = s
            keys.append(key)
            cos.append(float(np.asarray(e["dense"], np.float32) @ qv))
        return Candidates(keys, np.asarray(cos, np.float32), sentences.__getitem__)

    @staticmethod
    def _resolve(index: "SentenceIndex", doc_id: str, h: str, sent: int, cache: dict) -> Sentence | None:
        if doc_id not in cache:
            found = index.segment_of(doc_id)
            cache[doc_id] = None if found is None else doc_hash(found[0].documents[found[1]].text)
        if cache[doc_id] != h:
            return None
        found = index.segment_of(doc_id)
        if found is None:
            return None
        seg, o = found
        rows = seg.rows_of(o)
        match = rows[seg.table[rows, 1] == sent]
        return seg.sentence(int(match[0])) if len(match) else None
