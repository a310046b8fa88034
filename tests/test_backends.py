"""Both retrieval backends, through the real pymilvus client against Milvus Lite.

The corpus is the seeds plus a few hundred NSMC review sentences (read in place).
Writes, deletes, filters and citations are checked on each backend; then the two
are compared on the same snapshot: the same hits with the same scores (fake
embedder), and R@1/R@5 within 0.01 on the public seed questions (real model).
"""

import os
import subprocess
import sys
import uuid

import numpy as np
import pytest

from index.backend import LOCAL
from index.engine import SentenceIndex
from index.errors import InputError
from index.evaluate import evaluate
from index.ingest import Article
from index.news import NewsIndex
from index.segments import Segment
from index.settings import Settings
from index.types import Filters

from .fakes import FakeEmbedder
from .paths import ROOT

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from index.milvus import MilvusBackend, filter_expr, quote

N_REVIEWS = 300
QUESTIONS = [
    "리벨리온은 첫 해외법인을 어디에 세웠나?",
    "엔비디아 GPU 수요",
    "업스테이지 일본 법인",
    "영화 음악이 정말 좋았다",
    "가슴이 아리는 영화",
    "Where did Rebellions open its first overseas office?",
]


def nsmc_docs(n_reviews=N_REVIEWS):
    from bench.scale import CORPUS, documents

    if not CORPUS.is_file():
        pytest.skip(f"{CORPUS} not present")
    return list(documents(max_reviews=n_reviews, per_doc=30))


@pytest.fixture(scope="module")
def corpus(seed_docs):
    return list(seed_docs) + nsmc_docs()


@pytest.fixture(scope="module")
def snapshot(corpus):
    """Seeds and reviews in two segments (snapshots are immutable, so tests share it)."""
    emb = FakeEmbedder()
    seeds = [d for d in corpus if not d.doc_id.startswith("nsmc-")]
    reviews = [d for d in corpus if d.doc_id.startswith("nsmc-")]
    return SentenceIndex.build(seeds, emb).with_changes([Segment.build(reviews, emb)])


@pytest.fixture(scope="session")
def lite_uri(tmp_path_factory):
    """One Milvus Lite database for the session; each test gets its own collection."""
    return str(tmp_path_factory.mktemp("milvus") / "lite.db")


def milvus(lite_uri) -> MilvusBackend:
    return MilvusBackend(lite_uri, f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["faiss", "milvus"])
def news(request, snapshot, tmp_path, lite_uri):
    n = NewsIndex.of(snapshot, Settings(data_dir=tmp_path / "data"))
    if request.param == "milvus":
        n.attach(milvus(lite_uri))
    yield n
    n.close()


def rows_in_backend(news):
    return news.backend.count() if news.backend is not LOCAL else news.index.stats.n_rows


def assert_cited_exactly(news, result):
    for h in result.hits:
        doc = news.index.documents[h.doc_id]
        assert doc.text[h.start:h.end] == h.text
        assert doc.title == h.title and doc.published == h.published


# ------------------------------------------------------------- both backends
def test_citations_are_exact(news):
    assert news.backend.name in ("faiss", "milvus")
    assert rows_in_backend(news) == news.index.stats.n_rows
    for q in QUESTIONS:
        res = news.search(q, k=5)
        assert len(res.hits) == 5
        assert_cited_exactly(news, res)


def test_add_replace_and_delete_by_doc_id(news):
    text = "제주 감귤 농가가 올해 처음으로 블록체인 이력제를 도입했다. 도입 농가는 모두 42곳이다."
    res = news.add(Article(text=text, doc_id="api-gyul", title="감귤 이력제", published="2025-01-02",
                           source="테스트일보"))
    assert res.status == "created"
    assert rows_in_backend(news) == news.index.stats.n_rows
    hit = news.search("감귤 블록체인 이력제 도입", k=3).hits[0]
    assert hit.doc_id == "api-gyul" and "블록체인" in hit.text
    assert_cited_exactly(news, news.search("감귤 이력제 도입 농가 수", k=5))

    # a new version replaces every row of the old one
    news.add(Article(text="제주 한라봉 농가가 드론 방제를 시작했다. 참여 농가는 17곳이다.", doc_id="api-gyul",
                     title="한라봉 드론", published="2025-01-03", source="테스트일보"))
    assert rows_in_backend(news) == news.index.stats.n_rows
    only = news.search("블록체인 이력제", k=5, filters=Filters(doc_ids=("api-gyul",)))
    assert only.hits and all("블록체인" not in h.text for h in only.hits)
    assert any("드론" in h.text for h in only.hits)
    assert_cited_exactly(news, only)

    news.delete("api-gyul")
    assert rows_in_backend(news) == news.index.stats.n_rows
    assert news.search("한라봉 드론 방제", k=5, filters=Filters(doc_ids=("api-gyul",))).hits == []
    assert all(h.doc_id != "api-gyul" for h in news.search("한라봉 드론 방제", k=10).hits)


def test_delete_a_corpus_document(news):
    victim = next(d for d in news.index.documents if d.startswith("nsmc-"))
    before = news.search("가슴이 아리는 영화", k=10, filters=Filters(doc_ids=(victim,)))
    assert before.hits
    news.delete(victim)
    assert news.search("가슴이 아리는 영화", k=10, filters=Filters(doc_ids=(victim,))).hits == []
    assert rows_in_backend(news) == news.index.stats.n_rows


@pytest.mark.parametrize("filters", [
    Filters(published_from="2025-09-01"),
    Filters(published_to="2015-12-31"),
    Filters(published_from="2025-08-01", published_to="2025-09-30"),
    Filters(sources=("NSMC",)),
    Filters(doc_ids=("003_e4fd56b795545594", "001_8ab676931d42010d")),
    Filters(sources=("NSMC",), published_from="2015-01-01"),
])
def test_filters_hold_inside_retrieval(news, filters):
    allowed = [d for d in news.index.documents.values() if filters.allows(d)]
    assert allowed, "the filter must match something in the corpus"
    for q in QUESTIONS[:3]:
        res = news.search(q, k=5, filters=filters)
        assert res.hits, q
        n_allowed_rows = sum(len(news.index.sentences_of(d.doc_id)) for d in allowed)
        assert len(res.hits) == min(5, n_allowed_rows)  # a narrow filter still fills the top k
        for h in res.hits:
            assert filters.allows(news.index.documents[h.doc_id]), (h.doc_id, filters)
        assert_cited_exactly(news, res)


def test_filter_matching_nothing(news):
    res = news.search("영화", filters=Filters(sources=("없는 신문",)))
    assert res.hits == [] and not res.answered


def test_source_with_quotes_and_backslashes(news):
    source = 'He said "hi" \\ 그리고\t탭'
    news.add(Article(text="고래 연구팀이 동해에서 밍크고래 세 마리를 관찰했다.", doc_id="api-whale",
                     title="밍크고래", published="2024-05-05", source=source))
    res = news.search("밍크고래 관찰", k=5, filters=Filters(sources=(source,)))
    assert [h.doc_id for h in res.hits] == ["api-whale"]
    assert news.search("밍크고래 관찰", k=5, filters=Filters(sources=('He said "hi"',))).hits == []


# ----------------------------------------------------- the two side by side
def test_backends_return_the_same_hits_and_scores(snapshot, lite_uri):
    from bench.scale import documents

    backend = milvus(lite_uri)
    backend.sync(snapshot)
    # more reviews after the collection was made: the average length moves away from
    # the one its sparse weights were computed with, so BM25 must be rescored exactly
    extra = list(documents(skip_reviews=N_REVIEWS, max_reviews=200, per_doc=10))
    snapshot = snapshot.with_changes([Segment.build(extra, snapshot.embedder)])
    backend.add(snapshot, [d.doc_id for d in extra])
    assert abs(snapshot.stats.avg_length - backend.avglen0) > 0.5
    assert backend.count() == snapshot.stats.n_rows
    cases = [(q, None) for q in QUESTIONS] + [
        (QUESTIONS[0], Filters(published_from="2025-01-01")),
        (QUESTIONS[3], Filters(sources=("NSMC",))),
        (QUESTIONS[1], Filters(doc_ids=("001_8ab676931d42010d",))),
    ]
    for q, f in cases:
        a = snapshot.search(q, k=8, filters=f)
        b = snapshot.search(q, k=8, filters=f, backend=backend)
        assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits], abs=2e-4), q
        assert a.answered == b.answered
        scores = [h.score for h in a.hits]
        for ha, hb in zip(a.hits, b.hits):
            if scores.count(ha.score) == 1 and ha.score > scores[-1]:  # ties may come in either order
                assert (ha.doc_id, ha.sentence_index) == (hb.doc_id, hb.sentence_index), q
    backend.client.drop_collection(backend.collection)


def test_sync_repairs_missing_extra_and_stale_rows(snapshot, lite_uri):
    backend = milvus(lite_uri)
    backend.sync(snapshot)
    seed = "003_e4fd56b795545594"
    backend.delete([seed])  # lost rows (a crash between the store and Milvus)
    row = next(backend.rows(snapshot, ["001_8ab676931d42010d"]))
    backend.client.upsert(backend.collection, [dict(row, id="ghost#0#0", doc_id="ghost", doc_hash="0")])
    stale = dict(row, id="001_8ab676931d42010d#ffff#0", doc_hash="ffff", sent=0)
    backend.client.upsert(backend.collection, [stale])
    # a row of another version of a document is never cited, even before the repair
    res = snapshot.search("엔비디아 GPU 수요", k=10, backend=backend)
    assert all(h.doc_id in snapshot.documents for h in res.hits)
    backend.sync(snapshot)
    assert backend.count() == snapshot.stats.n_rows
    assert backend._stored_documents() == {d: backend_hash(snapshot, d) for d in snapshot.documents}
    backend.client.drop_collection(backend.collection)


def backend_hash(index, doc_id):
    from index.milvus import doc_hash

    return doc_hash(index.documents[doc_id].text)


def test_open_with_milvus_settings_and_reopen(tmp_path, seed_docs, monkeypatch):
    """NEWSQA_BACKEND=milvus through NewsIndex.open; a reopen finds the collection in step."""
    monkeypatch.setenv("NEWSQA_BACKEND", "milvus")
    monkeypatch.setenv("NEWSQA_MILVUS_URI", str(tmp_path / "store.db"))
    monkeypatch.setenv("NEWSQA_MILVUS_COLLECTION", "opened")
    settings = Settings(data_dir=tmp_path / "data", seeds_dir=ROOT / "seeds")
    emb = FakeEmbedder()
    news = NewsIndex.open(settings, emb)
    assert isinstance(news.backend, MilvusBackend)
    assert news.backend.count() == news.index.stats.n_rows
    news.add(Article(text="우주항공청이 누리호 5차 발사 일정을 발표했다.", doc_id="api-nuri", title="누리호"))
    news.backend.client.release_collection("opened")  # as after a restart: the collection opens released
    news.close()
    again = NewsIndex.open(settings, emb)
    assert again.backend._stored_documents().keys() == set(again.index.documents)
    assert again.search("누리호 발사 일정", k=1).hits[0].doc_id == "api-nuri"
    again.close()


def test_read_replica_adopts_the_writers_collection(snapshot, lite_uri, tmp_path):
    from index.errors import IndexMismatchError, StorageError

    name = f"t_{uuid.uuid4().hex[:12]}"
    with pytest.raises(IndexMismatchError, match="start the writer"):
        MilvusBackend(lite_uri, name, writer=False).sync(snapshot)
    writer = MilvusBackend(lite_uri, name)
    writer.sync(snapshot)
    reader = NewsIndex.of(snapshot, Settings(data_dir=tmp_path / "r"), backend=MilvusBackend(lite_uri, name, writer=False))
    assert reader.search(QUESTIONS[0], k=1).hits[0].doc_id == "003_e4fd56b795545594"
    with pytest.raises(StorageError, match="writer replica"):
        reader.delete("003_e4fd56b795545594")
    assert writer.count() == snapshot.stats.n_rows
    writer.client.drop_collection(name)


def test_settings_refuse_bad_backend_values(tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(backend="elastic")
    with pytest.raises(InputError, match=r"must end in \.db"):
        MilvusBackend(str(tmp_path / "folder"))


def test_filter_expressions():
    assert filter_expr(None) == "" and filter_expr(Filters()) == ""
    assert filter_expr(Filters(published_from="2025-01-02", sources=("a",), doc_ids=("x", "y"))) == \
        'doc_id in ["x", "y"] and source in ["a"] and published > 0 and published >= 20250102'
    assert quote('a"b\\c') == '"a\\"b\\\\c"'


def test_default_needs_no_milvus():
    """`make serve` path: the default settings never import pymilvus."""
    code = ("import sys; from index.settings import Settings; from index.backend import open_backend; "
            "import index.news, service.app; assert Settings().backend == 'faiss'; "
            "assert open_backend(Settings()).name == 'faiss'; "
            "assert 'pymilvus' not in sys.modules and 'milvus_lite' not in sys.modules, 'imported'")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_BACKEND")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=env)
    assert out.returncode == 0, out.stderr


# ------------------------------------------------------------ real model
@pytest.fixture(scope="module")
def real_mixed(real_seed_index, real_embedder):
    """Seeds plus the reviews as distractors, embedded once; the Milvus mirror reuses the vectors."""
    return real_seed_index.with_changes([Segment.build(nsmc_docs(), real_embedder)])


def test_same_recall_on_both_backends(real_mixed, seed_qa, lite_uri, tmp_path):
    backend = milvus(lite_uri)
    local = NewsIndex.of(real_mixed, Settings(data_dir=tmp_path / "a"))
    remote = NewsIndex.of(real_mixed, Settings(data_dir=tmp_path / "b"), backend=backend)
    a, b = evaluate(local, seed_qa), evaluate(remote, seed_qa)
    assert a.n_answerable == b.n_answerable > 0
    assert abs(a.r1 - b.r1) <= 0.01, (a.lines(), b.lines())
    assert abs(a.r5 - b.r5) <= 0.01, (a.lines(), b.lines())
    assert [ok for _, ok in a.unanswerable] == [ok for _, ok in b.unanswerable]
    assert a.r1 >= 0.7 and a.r5 >= 0.9, a.lines()  # the distractors must not make the check vacuous
    for q in seed_qa[:10]:
        res = remote.search(q["q"], k=5)
        assert_cited_exactly(remote, res)
        assert np.isfinite(res.best_score)
    backend.client.drop_collection(backend.collection)


def test_query_vectors_of_concurrent_requests_are_computed_in_parallel():
    """Two requests' question vectors must not wait for each other (a class-wide lock would
    serialise every encode of the service)."""
    import threading

    from index.backend import Query

    barrier = threading.Barrier(2, timeout=10)

    def embed(text):
        barrier.wait()  # returns only when both encodes are under way at once
        return np.full(3, len(text), np.float32)

    queries = [Query("가", [], {}, embed), Query("나다", [], {}, embed)]
    errors: list[BaseException] = []

    def run(q):
        try:
            assert q.vector is not None
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(q,)) for q in queries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [float(q.vector[0]) for q in queries] == [1.0, 2.0]
