"""Segments: global BM25 statistics, tombstones, merges, incremental writes, publishing."""

import numpy as np
import pytest

from index import dense as dense_mod
from index.engine import SentenceIndex
from index.errors import IndexCorruptError
from index.lexical import Postings, Stats, score_rows
from index.news import NewsIndex, plan_merge
from index.segments import Segment
from index.settings import Settings
from index.store import IndexStore
from index.types import Filters

from .fakes import FakeEmbedder

QUESTIONS = ["리벨리온은 첫 해외법인을 어디에 세웠나?", "일본 정부는 데이터센터 전력 문제를 어떻게 돕고 있나?",
             "AI 반도체 투자 규모", "테슬라의 올해 전기차 판매량은?"]


class Counting(FakeEmbedder):
    def __init__(self):
        self.encoded = []

    def encode_documents(self, texts):
        self.encoded.extend(texts)
        return super().encode_documents(texts)


@pytest.fixture(scope="module")
def one(seed_docs):
    return SentenceIndex.build(seed_docs, FakeEmbedder())


@pytest.fixture(scope="module")
def many(seed_docs):
    """The same documents, one segment each."""
    index = SentenceIndex.build([], FakeEmbedder())
    for d in seed_docs:
        index = index.with_document(d)
    return index


def _bm25(index, terms):
    out = {}
    for v, (rows, scores) in zip(index.segment_views, index.lexical_scores(terms)):
        for r, s in zip(rows, scores):
            sent = v.segment.sentence(int(r))
            out[(sent.doc_id, sent.index)] = float(s)
    return out


def test_lexical_scores_match_bm25s(one):
    import bm25s

    from index.analyze import morphemes

    seg = one.segment_views[0].segment
    rows = [seg.postings.row_terms(r) for r in range(seg.n_rows)]
    ref = bm25s.BM25(k1=1.2, b=0.75)
    ref.index(rows, show_progress=False)
    terms = morphemes("리벨리온은 도쿄에 첫 해외법인을 세웠다")
    expected = ref.get_scores(terms)
    got = np.zeros(seg.n_rows, np.float32)
    r, s = one.lexical_scores(terms)[0]
    got[r] = s
    assert np.allclose(got, expected, atol=1e-5)
    assert np.count_nonzero(got) > 0


def test_one_segment_and_many_give_the_same_scores(one, many):
    assert len(many.segment_views) == len(one.documents) > 1
    terms = ["리벨리온", "해외", "법인", "일본", "데이터", "센터"]
    a, b = _bm25(one, terms), _bm25(many, terms)
    assert a.keys() == b.keys() and a
    assert max(abs(a[k] - b[k]) for k in a) < 1e-5
    for q in QUESTIONS:
        ha, hb = one.search(q, k=8).hits, many.search(q, k=8).hits
        assert [(h.doc_id, h.sentence_index) for h in ha] == [(h.doc_id, h.sentence_index) for h in hb]
        assert np.allclose([h.score for h in ha], [h.score for h in hb], atol=1e-5)


def test_tombstones_score_like_a_corpus_without_the_document(seed_docs, many):
    gone = seed_docs[1].doc_id
    deleted = many.without_document(gone)
    rebuilt = SentenceIndex.build([d for d in seed_docs if d.doc_id != gone], FakeEmbedder())
    assert gone not in deleted.documents and len(deleted.sentences) == len(rebuilt.sentences)
    terms = ["리벨리온", "일본", "투자", "AI"]
    a, b = _bm25(deleted, terms), _bm25(rebuilt, terms)
    assert a.keys() == b.keys() and max(abs(a[k] - b[k]) for k in a) < 1e-5
    for q in QUESTIONS:
        hits = deleted.search(q, k=10).hits
        assert all(h.doc_id != gone for h in hits)
        assert [h.score for h in hits] == pytest.approx([h.score for h in rebuilt.search(q, k=10).hits], abs=1e-5)


def test_adding_a_document_analyses_and_embeds_only_it(seed_docs, monkeypatch):
    import index.segments as segments

    emb = Counting()
    index = SentenceIndex.build(seed_docs[:4], emb)
    analysed = []
    real = segments.terms_many
    monkeypatch.setattr(segments, "terms_many", lambda t, r: analysed.extend(t) or real(t, r))
    emb.encoded.clear()
    new = index.with_document(seed_docs[4])
    n = len(new.sentences_of(seed_docs[4].doc_id))
    assert len(analysed) == n and len(emb.encoded) == n
    assert new.segment_views[:-1] == index.segment_views  # the old segments are shared, untouched
    # a new version of the same document re-embeds only the sentences that changed
    emb.encoded.clear()
    doc = seed_docs[4]
    edited = doc.__class__(**{**doc.__dict__, "text": doc.text + "\n\n추가된 마지막 문장이다.",
                              "blocks": doc.blocks + (doc.blocks[-1].__class__(len(doc.text) + 2,
                                                                               len(doc.text) + 15, "body"),)})
    newer = new.with_document(edited)
    assert 1 <= len(emb.encoded) <= 2 and len(newer.documents) == 5


def test_merge_reads_no_text_and_keeps_results(many, monkeypatch):
    import index.segments as segments

    monkeypatch.setattr(segments, "terms_many", lambda t, r: pytest.fail("merge analysed text"))
    monkeypatch.setattr(segments, "respace_many", lambda t: pytest.fail("merge analysed text"))
    deleted = many.without_document(next(iter(many.documents)))
    ids = [v.segment.seg_id for v in deleted.segment_views]
    merged = deleted.with_merged(ids, Segment.merge([(v.segment, v.live_docs) for v in deleted.segment_views]))
    assert len(merged.segment_views) == 1 and merged.segment_views[0].live is None
    assert list(merged.sentences) == list(deleted.sentences)
    for q in QUESTIONS:
        a, b = deleted.search(q, k=8).hits, merged.search(q, k=8).hits
        assert [(h.doc_id, h.start, round(h.score, 4)) for h in a] == [(h.doc_id, h.start, round(h.score, 4)) for h in b]


def test_merge_policy_folds_small_segments(seed_docs, tmp_path):
    news = NewsIndex.of(SentenceIndex.build([], FakeEmbedder()), Settings(data_dir=tmp_path))
    base = seed_docs[0]
    for i in range(12):
        news.add(base.__class__(**{**base.__dict__, "doc_id": f"copy-{i}"}))
    assert len(news.index.segment_views) < 10 and len(news.index.documents) == 12
    assert plan_merge(news.index) == []
    loaded = news.store.load(FakeEmbedder())
    assert list(loaded.sentences) == list(news.index.sentences)
    # segments no kept version lists are removed from disk
    on_disk = {p.name for p in news.store.segments.iterdir() if p.name.startswith("seg-")}
    assert {v.segment.seg_id for v in news.index.segment_views} <= on_disk and len(on_disk) < 12


def test_store_round_trip_with_tombstones_and_fallback(many, tmp_path, seed_docs):
    store = IndexStore(tmp_path / "index")
    first = store.publish(many)
    second = store.publish(many.without_document(seed_docs[0].doc_id))
    loaded = store.load(FakeEmbedder())
    assert seed_docs[0].doc_id not in loaded.documents and len(loaded.documents) == len(seed_docs) - 1
    # damage a segment file only the newest version lists: the older verified version is served
    newest = {e["id"] for e in SentenceIndex.read_manifest(second)["segments"]}
    oldest = {e["id"] for e in SentenceIndex.read_manifest(first)["segments"]}
    assert newest <= oldest  # a delete writes no segment, only a manifest with a tombstone
    manifest = (second / "manifest.json").read_text()
    (second / "manifest.json").write_text(manifest.replace('"sha256": "', '"sha256": "0', 1))
    with pytest.raises(IndexCorruptError, match="sha256"):
        store.load(FakeEmbedder())
    opened = store.open(FakeEmbedder())
    assert opened.path == first and seed_docs[0].doc_id in opened.index.documents
    assert [p for p, _ in opened.damaged] == [second]


def test_filters_inside_retrieval_across_segments(many, seed_docs):
    q = "일본의 AI 인재 양성 투자"
    deleted = many.without_document("003_e4fd56b795545594")
    only = deleted.search(q, k=5, filters=Filters(doc_ids=("002_76483b81068cf569",)))
    assert len(only.hits) == 5 and {h.doc_id for h in only.hits} == {"002_76483b81068cf569"}
    assert deleted.search(q, k=5, filters=Filters(doc_ids=("003_e4fd56b795545594",))).hits == []
    recent = deleted.search(q, k=20, filters=Filters(published_from="2025-09-01"))
    assert recent.hits and all(h.published >= "2025-09-01" for h in recent.hits)
    assert all(h.doc_id != "003_e4fd56b795545594" for h in recent.hits)


def test_compressed_segment_rescoring_recall(monkeypatch):
    """Above the size limit a segment gets IVF-PQ; rescored results match exact search."""
    monkeypatch.setattr(dense_mod, "ANN_MIN_VECTORS", 2000)
    rng = np.random.default_rng(1)
    centers = rng.standard_normal((40, 64)).astype(np.float32)
    x = centers[rng.integers(0, 40, 6000)] + 0.3 * rng.standard_normal((6000, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    dv = dense_mod.DenseVectors.build(x)
    assert dv.ann is not None
    hits = 0
    for q in x[rng.choice(6000, 50, replace=False)] + 0.05:
        q = (q / np.linalg.norm(q)).astype(np.float32)
        rows, cos = dv.search(q, 10, None)
        exact = np.argsort(-(x @ q))[:10]
        hits += len(set(rows.tolist()) & set(exact.tolist()))
        assert np.allclose(cos, x[rows] @ q, atol=1e-5)  # scores are exact cosines
    assert hits / 500 >= 0.95
    allowed = np.zeros(6000, bool)
    allowed[::7] = True
    rows, _ = dv.search(x[0], 10, allowed)
    assert len(rows) == 10 and all(allowed[rows])


def test_postings_concat_equals_build():
    rows = [["가", "나"], ["나", "다", "다"], [], ["라"]]
    a = Postings.build(rows)
    b = Postings.concat([Postings.build(rows[:2]), Postings.build(rows[2:])], [np.arange(2), np.arange(2)])
    assert [a.row_terms(i) for i in range(4)] == [b.row_terms(i) for i in range(4)]
    stats = Stats(4, float(a.lengths.sum()))
    idf = {t: stats.idf(a.df(t)) for t in ["다", "나"]}
    ra, sa = score_rows(a, ["다", "나"], idf, stats)
    rb, sb = score_rows(b, ["다", "나"], idf, stats)
    assert ra.tolist() == rb.tolist() and np.allclose(sa, sb)


def test_batched_analysis_equals_one_text_at_a_time(seed_docs):
    from index.analyze import document_terms, respace, respace_many, terms_many
    from index.split import split_sentences

    texts = [s.text for d in seed_docs[:2] for s in split_sentences(d)][:80]
    spaced = respace_many(texts)
    assert spaced == [respace(t) for t in texts]
    assert terms_many(texts, spaced) == [document_terms(t) for t in texts]


def test_row_file_reads_the_rows_a_memory_map_would(tmp_path):
    from index.dense import RowFile

    vectors = np.random.default_rng(3).standard_normal((1000, 8)).astype(np.float32)
    np.save(tmp_path / "vectors.npy", vectors)
    rows = RowFile(tmp_path / "vectors.npy")
    assert rows.shape == (1000, 8) and len(rows) == 1000
    np.testing.assert_array_equal(rows[7], vectors[7])
    np.testing.assert_array_equal(rows[-1], vectors[-1])
    np.testing.assert_array_equal(rows[10:250], vectors[10:250])
    picked = np.array([999, 3, 4, 5, 500, 501, 0])
    np.testing.assert_array_equal(rows[picked], vectors[picked])
    np.testing.assert_array_equal(np.asarray(rows), vectors)
    assert rows[np.array([], np.int64)].shape == (0, 8)
    with pytest.raises(IndexError):
        rows[np.array([1000])]
    with pytest.raises(IndexError):
        rows[1000]


def test_postings_contains_agrees_with_each_rows_terms():
    rows = [["일본", "반도체"], [], ["일본", "일본", "AI"], ["AI"]]
    postings = Postings.build(rows)
    every = np.arange(len(rows))
    for term in ("일본", "반도체", "AI", "없는말"):
        assert postings.contains(term, every).tolist() == [term in r for r in rows]
    assert postings.contains("일본", np.array([-1, 4])).tolist() == [False, False]
