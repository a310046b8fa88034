"""End to end with the real default embedder: seed questions must be answered
from the right sentence, and questions about page chrome must not be."""


import pytest

from index.evaluate import evaluate
from index.text import squash

pytestmark = pytest.mark.model


def test_seed_questions_meet_the_bar(real_seed_index, seed_qa):
    report = evaluate(real_seed_index, seed_qa)
    assert report.r1 >= 0.80, report.lines()
    assert report.r5 >= 0.95, report.lines()
    assert all(ok for _, ok in report.unanswerable), report.lines()
    assert report.answered_rate >= 0.90, report.lines()


def test_english_question_finds_the_korean_sentence(real_seed_index):
    res = real_seed_index.search("Where did Rebellions open its first overseas office?", k=5)
    assert res.hits[0].doc_id == "003_e4fd56b795545594"
    assert "도쿄에 첫 해외법인을 설립" in squash(res.hits[0].text) or "도쿄에첫해외법인을설립" in squash(res.hits[0].text)
    # found, but not answered: an English question's first sentence is too often wrong (fusion.answered)
    assert not res.answered and res.note and "한국어" in res.note


def test_an_english_question_is_not_answered_even_when_confident(real_seed_index):
    for q in ("Who is the CEO of Rebellions?", "What did Japan pledge to spend on chips and AI by 2030?"):
        res = real_seed_index.search(q, k=3)
        assert res.hits and not res.answered and res.answer is None and res.note
    res = real_seed_index.search("리벨리온 대표는 누구야?", k=3)
    assert res.answered and res.note is None


def test_citations_are_exact_with_real_model(real_seed_index):
    res = real_seed_index.search("리벨리온은 첫 해외법인을 어디에 세웠나?", k=5)
    assert res.answered
    top = res.hits[0]
    assert top.doc_id == "003_e4fd56b795545594" and "도쿄" in top.text
    for h in res.hits:
        assert real_seed_index.documents[h.doc_id].text[h.start:h.end] == h.text


def test_follow_up_question_uses_history(real_seed_index):
    res = real_seed_index.search("그럼 업스테이지는?", k=3, history=["리벨리온은 첫 해외법인을 어디에 세웠나?"])
    assert any("업스테이지" in h.text for h in res.hits)


def test_acronyms_are_read_from_their_definitions():
    from index.analyze import acronyms

    text = ("에너지저장장치(ESS) 수주가 늘었다. 고대역폭 메모리(high-bandwidth memory, HBM)를 공급한다. "
            "칩스법(CHIPS Act)은 법이다. 인공지능(AI) 기업.")
    assert acronyms(text) == (("에너지저장장치", "ess"), ("메모리", "hbm"), ("인공지능", "ai"))
