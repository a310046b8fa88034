"""Non-questions are refused before retrieval (no model needed)."""

import pytest

from index.engine import SentenceIndex
from index.refusal import clean_question, nonsense_reason


@pytest.mark.parametrize("question", ["asdfgh qwerty zxcvb", "\u0000", "\u0000\u0007 \u200b", "ㅁㄴㅇㄹ", "ㅋㅋㅋㅋㅋ",
                                      "뷁뷁뷁뷁", "qwer asdf", "zxcvbnm"])
def test_nonsense_is_recognised(question):
    assert nonsense_reason(question) is not None


@pytest.mark.parametrize("question", ["리벨리온 대표는 누구야?", "Who is the CEO of Rebellions?", "TSMC 공장은 어디에 있어?",
                                      "How big is SoftBank's Vision Fund?", "HBM", "rhythm of AI investment?"])
def test_real_questions_pass(question):
    assert nonsense_reason(question) is None


def test_control_characters_are_removed():
    assert clean_question("리벨리온\u0000 대표는\u200b 누구야?\u0007") == "리벨리온 대표는 누구야?"


def test_engine_refuses_nonsense_without_citing(seed_docs, fake_embedder):
    index = SentenceIndex.build(seed_docs, fake_embedder)
    for q in ("asdfgh qwerty zxcvb", "\u0000", "ㅁㄴㅇㄹ"):
        res = index.search(q, k=5)
        assert not res.answered and res.hits == [] and res.answer is None
    # control characters inside a real question do not stop it from being searched
    res = index.search("리벨리온\u0000 도쿄 첫 해외법인 설립", k=3)
    assert res.hits and "첫 해외법인을 설립" in res.hits[0].text
