"""Follow-up rewriting (no model needed)."""

import pytest

from index.followup import resolve


@pytest.mark.parametrize("previous,question,rewritten", [
    ("일본은 AI 지원에 얼마를 쓰나?", "그럼 한국은?", "한국은 AI 지원에 얼마를 쓰나?"),
    ("리벨리온은 첫 해외법인을 어디에 세웠나?", "그럼 업스테이지는?", "업스테이지는 첫 해외법인을 어디에 세웠나?"),
    ("리벨리온은 첫 해외법인을 어디에 세웠나?", "언제?", "리벨리온은 첫 해외법인을 언제 세웠나?"),
    ("리벨리온은 첫 해외법인을 어디에 세웠나?", "그럼 대표는?", "리벨리온 대표는?"),
    ("대법원장 임기는 몇 년이야?", "그럼 대법관은?", "대법관 임기는 몇 년이야?"),
    ("대통령 임기는 몇 년이야?", "국회의원은?", "국회의원 임기는 몇 년이야?"),
    ("소니 벤처펀드는 몇 개 스타트업에 투자했어?", "그럼 도요타는?", "도요타 벤처펀드는 몇 개 스타트업에 투자했어?"),
    # the question word's phrase replaces the old one whole; "동안" is no new topic
    ("한일 정상회담은 언제 열렸어?", "몇 분 동안?", "한일 정상회담은 몇 분 동안 열렸어?"),
    ("이 대통령은 이시바 총리와 몇 분 동안 회담했어?", "언제?", "이 대통령은 이시바 총리와 언제 회담했어?"),
    # "<noun>은 어떻게 돼?" after a question asks what "<noun>은?" asks
    ("일본은 AI 지원에 얼마를 쓰나?", "그럼 한국은 어떻게 돼?", "한국은 AI 지원에 얼마를 쓰나?"),
    ("리벨리온 대표는 누구야?", "그럼 올거나이즈는 어떻게 되나요?", "올거나이즈 대표는 누구야?"),
    # a name with the same title replaces the old name with its title, not the title alone
    ("리벨리온 대표는 누구야?", "업스테이지 대표는?", "업스테이지 대표는 누구야?"),
])
def test_follow_up_is_rewritten(previous, question, rewritten):
    r = resolve(question, [previous])
    assert r.rewritten and r.text == rewritten


def test_replaced_topic_is_reported():
    r = resolve("그럼 한국은?", ["일본은 AI 지원에 얼마를 쓰나?"])
    assert r.replaced == ("일본",) and r.added == ("한국",)


@pytest.mark.parametrize("question", ["리벨리온 대표는 누구야?", "청해부대는 어디에 파견돼 있어?",
                                      "일본 정부는 데이터센터 전력 문제를 어떻게 돕고 있나?"])
def test_a_question_of_its_own_is_kept(question):
    r = resolve(question, ["일본은 AI 지원에 얼마를 쓰나?"])
    assert not r.rewritten and r.text == question


def test_no_history_no_rewrite():
    assert resolve("그럼 한국은?", []).text == "그럼 한국은?"
    assert resolve("그럼 한국은?", ["", "  "]).text == "그럼 한국은?"


def test_a_follow_up_of_a_follow_up_builds_on_what_was_searched():
    # "언제?" asks about 업스테이지, which the second question put in place of 리벨리온
    r = resolve("언제?", ["리벨리온은 어디에 법인을 세웠어?", "업스테이지는?"])
    assert r.text == "업스테이지는 언제 법인을 세웠어?"
    r = resolve("미국은?", ["일본은 AI 지원에 얼마를 쓰나?", "그럼 한국은?"])
    assert r.text == "미국은 AI 지원에 얼마를 쓰나?" and r.replaced == ("한국",)


def test_a_question_with_its_own_nouns_and_how_much_is_kept():
    assert not resolve("법인세 감면은 얼마나?", ["일본 정부의 AI 지원책은?"]).rewritten
    # "얼마나" replaces no question word: no "몇 명이야" -> "얼마나이야"
    assert "얼마나이야" not in resolve("얼마나 돼?", ["업스테이지 직원은 몇 명이야?"]).text
