import json
import shutil

import pytest

from index.engine import SentenceIndex
from index.errors import IndexMismatchError
from index.store import IndexStore, ensure_index

from .paths import SEEDS


@pytest.fixture
def index(fake_index):
    return fake_index


def test_hits_are_true_citations(index):
    res = index.search("리벨리온은 첫 해외법인을 어디에 세웠나?", k=5)
    assert len(res.hits) == 5
    for rank, h in enumerate(res.hits, start=1):
        doc = index.documents[h.doc_id]
        assert h.rank == rank
        assert doc.text[h.start:h.end] == h.text
        assert h.title == doc.title and h.published == doc.published
        assert index.sentences_of(h.doc_id)[h.sentence_index].text == h.text
    scores = [h.score for h in res.hits]
    assert scores == sorted(scores, reverse=True)


def test_lexical_match_finds_the_sentence(index):
    res = index.search("리벨리온 도쿄 첫 해외법인 설립", k=3)
    assert res.hits[0].doc_id == "003_e4fd56b795545594"
    assert "첫 해외법인을 설립" in res.hits[0].text


def test_question_about_absent_things_is_unanswered(index):
    res = index.search("테슬라의 올해 전기차 판매량은?", k=3)
    assert not res.answered and res.answer is None
    assert res.hits  # nearest sentences are still listed


def test_bad_arguments_raise_value_error(index):
    with pytest.raises(ValueError, match="question is empty"):
        index.search("   ")
    with pytest.raises(ValueError, match="at least 1"):
        index.search("일본", k=0)


def test_follow_up_inherits_previous_topic(index):
    # the follow-up's new entity takes the previous question's place
    assert index.query_text("그럼 한국은?", ["일본의 AI 시장 규모는?"]) == "한국의 AI 시장 규모는?"
    assert index.query_text("리벨리온은 첫 해외법인을 어디에 세웠나?", ["일본의 AI 시장 규모는?"]) == \
        "리벨리온은 첫 해외법인을 어디에 세웠나?"


def test_save_load_round_trip(index, fake_embedder, tmp_path):
    path = index.save(tmp_path / "idx")
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["embedder"] == fake_embedder.name and manifest["dimension"] == 64
    assert set(manifest["source_hashes"]) == set(index.documents)
    assert "faiss-cpu" in manifest["packages"]
    [seg] = manifest["segments"]
    folder = path / manifest["segments_dir"] / seg["id"]
    assert set(seg["files"]) >= {"documents.jsonl", "sentences.npy", "vectors.npy", "postings.npz", "vocab.json",
                                 "passages.npy", "segment.json"}
    for name, meta in seg["files"].items():
        assert (folder / name).stat().st_size == meta["size"] and len(meta["sha256"]) == 64
    loaded = SentenceIndex.load(path, fake_embedder)
    q = "일본 정부는 데이터센터 전력 문제를 어떻게 돕고 있나?"
    assert [h.text for h in loaded.search(q).hits] == [h.text for h in index.search(q).hits]
    assert list(loaded.sentences) == list(index.sentences)


def test_load_refuses_another_embedder(index, tmp_path):
    path = index.save(tmp_path / "idx")

    class Other:
        name, dim = "other-model", 64

    with pytest.raises(IndexMismatchError, match=r"python -m index prepare.*NEWSQA_MODEL=fake-bigram-64"):
        SentenceIndex.load(path, Other())


def test_load_refuses_missing_index(tmp_path, fake_embedder):
    with pytest.raises(FileNotFoundError, match="python -m index build"):
        SentenceIndex.load(tmp_path / "nothing", fake_embedder)


def test_ensure_index_rebuilds_when_a_source_changes(tmp_path, fake_embedder, caplog):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    store = IndexStore(tmp_path / "data" / "index")
    first = ensure_index(store, seeds, fake_embedder)
    v1 = store.current_path()
    again = ensure_index(store, seeds, fake_embedder)
    assert store.current_path() == v1 and len(again.sentences) == len(first.sentences)

    target = seeds / "003_e4fd56b795545594.txt"
    target.write_text(target.read_text(encoding="utf-8").replace("리벨리온", "퓨리오사"), encoding="utf-8")
    caplog.set_level("INFO", logger="index")
    rebuilt = ensure_index(store, seeds, fake_embedder)
    assert store.current_path() != v1
    assert any("changed" in r.getMessage() for r in caplog.records)
    assert "퓨리오사" in rebuilt.documents["003_e4fd56b795545594"].text


def test_update_reuses_vectors_of_unchanged_text(index, seed_docs):
    calls = []

    class Counting(type(index.embedder)):
        def encode_documents(self, texts):
            calls.append(len(texts))
            return super().encode_documents(texts)

    counting = Counting()
    SentenceIndex.build(seed_docs, counting, reuse=index)
    assert calls == []  # nothing new to embed


def test_store_publish_swaps_atomically(index, tmp_path, fake_embedder):
    store = IndexStore(tmp_path / "index")
    assert store.current_path() is None
    v1 = store.publish(index)
    v2 = store.publish(index)
    assert store.current_path() == v2 != v1
    assert store.load(fake_embedder).sentences == index.sentences


def test_duplicate_doc_ids_are_refused(seed_docs, fake_embedder):
    with pytest.raises(ValueError, match="unique"):
        SentenceIndex.build([seed_docs[0], seed_docs[0]], fake_embedder)


def test_filters_apply_inside_retrieval(index):
    from index.types import Filters

    q = "일본의 AI 인재 양성 투자"
    one = index.search(q, k=5, filters=Filters(doc_ids=("002_76483b81068cf569",)))
    assert len(one.hits) == 5 and {h.doc_id for h in one.hits} == {"002_76483b81068cf569"}
    recent = index.search(q, k=10, filters=Filters(published_from="2025-09-01"))
    assert recent.hits and all(h.published and h.published >= "2025-09-01" for h in recent.hits)
    window = index.search(q, k=10, filters=Filters(published_from="2025-08-01", published_to="2025-08-31"))
    assert window.hits and {h.doc_id for h in window.hits} == {"002_76483b81068cf569"}
    by_source = index.search(q, k=5, filters=Filters(sources=("김영욱 연구원",)))
    assert by_source.hits and {h.doc_id for h in by_source.hits} == {"000_43c50d81bab253fa"}


def test_filter_that_matches_nothing_gives_no_answer(index):
    from index.types import Filters

    for f in (Filters(published_from="2030-01-01"), Filters(sources=("없는 출처",)), Filters(doc_ids=("nope",))):
        res = index.search("리벨리온은 첫 해외법인을 어디에 세웠나?", k=5, filters=f)
        assert not res.answered and res.hits == []


def test_follow_up_never_repeats_the_previous_answer(index):
    first = index.search("일본은 AI 반도체 지원에 얼마를 쓰나?", k=5)
    res = index.search("그럼 한국은?", k=5, history=["일본은 AI 반도체 지원에 얼마를 쓰나?"])
    assert res.resolved_question == "한국은 AI 반도체 지원에 얼마를 쓰나?"
    assert all("일본" not in h.text or "한국" in h.text for h in res.hits)
    assert first.hits[0].text not in [h.text for h in res.hits if "한국" not in h.text]


@pytest.mark.parametrize("junk", ["asdfgh qwerty zxcvb", "\u0000", "ㅁㄴㅇㄹ", "ㅋㅋㅋㅋㅋ"])
def test_nonsense_gets_no_citation(index, junk):
    res = index.search(junk, k=5)
    assert not res.answered and res.hits == []


def test_answer_phrase_lies_inside_its_sentence(index):
    res = index.search("리벨리온은 첫 해외법인을 어디에 세웠나?", k=5)
    spans = [h for h in res.hits if h.answer_start is not None]
    assert spans
    for h in spans:
        doc = index.documents[h.doc_id]
        assert h.start <= h.answer_start < h.answer_end <= h.end
        assert doc.text[h.answer_start:h.answer_end] in h.text


def _features(index, question):
    from index import fusion
    from index.backend import LOCAL

    query = index.query(question)
    ranked = index.rank(query, LOCAL.candidates(index, query, 50, None), shape_top=30, model=fusion.NEUTRAL)
    return {(s.doc_id, s.index): f for s, f in zip(ranked.sentences, ranked.features)}, query


def test_term_weights_come_from_the_questions_neighbourhood(index, fake_embedder):
    """Other kinds of text in the collection (here 300 film reviews) make every news term
    rarer, so its global idf rises; the question's own neighbourhood of articles, and so
    the ranking features of the news sentences, stay as they were."""
    from index.ingest import Article, to_document
    from index.segments import Segment

    question = "일본은 AI 법률안을 언제 통과시켰나?"
    before, query = _features(index, question)
    review = "배우들의 연기가 정말 훌륭했고 음악도 좋았다. 다시 보고 싶은 영화다."
    others = [to_document(Article(text=review, doc_id=f"review-{i}", title="관객 리뷰")) for i in range(300)]
    mixed = index.with_changes([Segment.build(others, fake_embedder)])
    after, mixed_query = _features(mixed, question)
    assert not any(key[0].startswith("review") for key in after)  # the neighbourhood is the news
    assert all(mixed_query.idf[t] > query.idf[t] + 0.5 for t in query.terms)  # global idf moved
    shared = before.keys() & after.keys()
    assert len(shared) >= 40
    for key in shared:
        assert after[key] == pytest.approx(before[key], abs=1e-9), key


def test_a_question_file_says_which_line_cannot_be_scored(tmp_path):
    from index.errors import InputError
    from index.evaluate import load_questions

    path = tmp_path / "qa.jsonl"
    path.write_text('{"id": "a", "q": "누구야?", "keys": ["박성현"]}\n{"id": "b", "q": "몇 명이야?", "keys": []}\n',
                    encoding="utf-8")
    # a question without keys could never be found: it is an error, not a silent miss
    with pytest.raises(InputError, match=r'qa.jsonl:2 \(b\) has no "keys".*"unanswerable": true'):
        load_questions(path)
    path.write_text('{"id": "b", "q": "몇 명이야?", "keys": [], "unanswerable": true}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"qa\.jsonl:2 is not JSON"):
        load_questions(path)


def test_a_name_is_found_where_the_text_writes_it_spaces_and_case_aside():
    from index.engine import _written_at

    text = "부산 광역시는 피서객을 집계했다. 부산광역시 관계자는 KOSA와 Kosa를 언급했다."
    first, last = _written_at(text, "부산광역시")
    assert [text[a:b] for a, b in zip(first, last)] == ["부산 광역시", "부산광역시"]
    first, last = _written_at(text, "kosa")
    assert [text[a:b] for a, b in zip(first, last)] == ["KOSA", "Kosa"]
    assert not len(_written_at(text, "서울")[0])
