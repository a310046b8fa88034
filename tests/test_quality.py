"""Ranking quality with the real model (issue 13): seed questions, answer phrases,
follow-up conversations and refusals, on the session's real seed index."""

import pytest

from index.evaluate import evaluate
from index.text import squash


def _top(res):
    return squash(res.hits[0].text) if res.answered and res.hits else None


def _with_article(index, doc_id, *paragraphs):
    """``index`` with one more article, its paragraphs (the headline first) cleaned as a page."""
    from index.clean import clean_page

    return index.with_document(clean_page("\n\n".join(paragraphs) + "\n", doc_id))


def test_seed_questions(real_seed_index, seed_qa):
    report = evaluate(real_seed_index, seed_qa)
    print("\n" + "\n".join(report.lines()))
    # Measured (README): R@1 0.90, R@5 1.0, answered 0.95 (s18 is in English, never answered), 3/3
    # refused, phrases 9/9: issue 13's figures.
    assert report.r1 >= 0.90, report.lines()
    assert report.r5 == 1.0, report.lines()
    assert all(ok for _, ok in report.unanswerable), report.lines()
    assert report.answered_rate >= 0.95, report.lines()
    assert report.phrase_outside_sentence == 0, report.lines()
    assert report.n_factoid and report.phrase_in_key / report.n_factoid >= 0.70, report.lines()


def test_questions_whose_article_is_not_in_the_index_are_mostly_refused(real_seed_index, seed_qa):
    """Each answerable seed question asked of the index without its article (when no other
    article holds its key): answering it could only cite a wrong sentence."""
    report = evaluate(real_seed_index, seed_qa, k=5, absent=True)
    print("\n" + report.lines()[-1])
    refused = sum(ok for _, ok in report.absent)
    # Measured 14/19 (0.74); the hand-set blend before the learned verdict refused about one in five.
    assert len(report.absent) >= 15 and refused / len(report.absent) >= 0.6, report.lines()


def test_an_index_without_an_article_cites_nothing_of_it(real_seed_index):
    gone = next(d for d, doc in real_seed_index.documents.items() if "첫 해외법인" in doc.text)
    snap = real_seed_index.with_changes(delete=[gone])
    res = snap.search("리벨리온은 어디에 첫 해외법인을 세웠나?", k=10)
    assert res.hits and all(h.doc_id != gone for h in res.hits)
    assert any(h.doc_id == gone for h in real_seed_index.search("리벨리온은 어디에 첫 해외법인을 세웠나?", k=10).hits)


def test_the_verdict_knows_which_articles_name_the_question(real_seed_index):
    """name_missing: the share of the question's names a candidate's article never mentions."""
    from index.backend import LOCAL

    question = "올거나이즈는 본사를 어디로 옮겼어?"
    query = real_seed_index.query(question)
    ranked = real_seed_index.rank(query, LOCAL.candidates(real_seed_index, query, 50, None), shape_top=30)
    for s, missing in zip(ranked.sentences, ranked.name_missing):
        doc = real_seed_index.documents[s.doc_id]
        assert missing == (0.0 if "올거나이즈" in doc.text.replace(" ", "") else 1.0)
    assert set(ranked.name_missing) == {0.0, 1.0}  # both kinds of article among the candidates
    # without the article that names it, the question is refused
    gone = [d for d, doc in real_seed_index.documents.items() if "올거나이즈" in doc.text.replace(" ", "")]
    assert real_seed_index.search(question).answered
    assert not real_seed_index.with_changes(delete=gone).search(question).answered


def test_answer_phrases_lie_inside_their_citation(real_seed_index, seed_qa):
    seen = 0
    for q in seed_qa:
        for h in real_seed_index.search(q["q"], k=5).hits:
            if h.answer_start is None:
                continue
            seen += 1
            phrase = real_seed_index.documents[h.doc_id].text[h.answer_start:h.answer_end]
            assert h.start <= h.answer_start < h.answer_end <= h.end
            assert phrase and phrase in h.text and phrase.strip() == phrase
    assert seen > 0


# (previous question, follow-up, a fragment of the expected first sentence, or None for "no answer").
# The criterion: the expected sentence first, or "no answer"; never a wrong answer.
CONVERSATIONS = [
    ("일본은 AI 지원에 얼마를 쓰나?", "그럼 한국은?", None),
    ("리벨리온은 첫 해외법인을 어디에 세웠나?", "그럼 업스테이지는?", "업스테이지"),
    ("업스테이지는 언제 일본 법인을 세웠나?", "그럼 무하유는?", "무하유'도올해하반기일본법인을설립"),
    # "KOSA 대표는 누구야?": the sentence about KOSA's council once won, its "일본 시장" (market) read as a person
    ("올거나이즈 대표는 누구야?", "그럼 KOSA는?", "조준희KOSA회장"),
    ("KOSA 일본 진출 협의회에는 몇 개 기업이 참여했어?", "그럼 회장은 누구야?", "조준희KOSA회장"),
    ("소니는 2016년에 얼마 규모의 벤처펀드를 만들었어?", "그럼 도요타 연구소는?", "도요타연구소역시2017년1억달러"),
    ("비전펀드는 언제 출범했어?", "규모는?", "1000억달러규모의비전펀드"),
    ("이재명 대통령은 이시바 총리와 몇 분 동안 회담했어?", "그럼 트럼프 대통령과는 언제 만나?", "오는26일새벽"),
    ("테슬라의 올해 전기차 판매량은?", "그럼 현대차는?", None),
    ("업스테이지는 언제 일본 법인을 세웠나?", "리벨리온은?", "도쿄에첫해외법인을설립"),
    ("리벨리온은 첫 해외법인을 어디에 세웠나?", "언제?", "리벨리온"),
    ("한일 정상회담은 언제 열렸어?", "몇 분 동안?", "113분간"),
    # "<noun>은 어떻게 돼?" as a follow-up; a name with the old title replaces the old name
    ("일본은 AI 지원에 얼마를 쓰나?", "그럼 한국은 어떻게 돼?", None),
    ("리벨리온 대표는 누구야?", "그럼 올거나이즈는 어떻게 되나요?", "이창수올거나이즈대표"),
    ("리벨리온 대표는 누구야?", "업스테이지 대표는?", None),
]


@pytest.mark.parametrize("previous,question,expected", CONVERSATIONS)
def test_follow_up_conversations(real_seed_index, previous, question, expected):
    first = real_seed_index.search(previous, k=3)
    res = real_seed_index.search(question, k=3, history=[previous])
    top = _top(res)
    if expected is None:
        # "no answer", or at least never the previous question's answer
        assert top is None or top != _top(first), [h.text for h in res.hits]
    else:
        assert top is None or expected in top, [h.text for h in res.hits]


def test_a_third_turn_asks_about_the_second_turns_topic(real_seed_index):
    history = ["리벨리온은 첫 해외법인을 어디에 세웠나?", "그럼 업스테이지는?"]
    res = real_seed_index.search("언제?", k=3, history=history)
    assert res.resolved_question == "업스테이지는 첫 해외법인을 언제 세웠나?"
    assert res.answered and "업스테이지" in res.hits[0].text, [h.text for h in res.hits]


def test_follow_up_never_repeats_the_previous_answer(real_seed_index):
    first = real_seed_index.search("일본은 AI 지원에 얼마를 쓰나?", k=3)
    assert first.answered and "10조" in squash(first.hits[0].text)
    res = real_seed_index.search("그럼 한국은?", k=5, history=["일본은 AI 지원에 얼마를 쓰나?"])
    assert res.resolved_question == "한국은 AI 지원에 얼마를 쓰나?"
    assert all("10조" not in squash(h.text) for h in res.hits)


@pytest.mark.parametrize("question", ["asdfgh qwerty zxcvb", "\u0000", "ㅁㄴㅇㄹ ㅋㅋㅋ"])
def test_nonsense_is_refused(real_seed_index, question):
    res = real_seed_index.search(question, k=5)
    assert not res.answered and not res.hits


@pytest.mark.parametrize("question", ["테슬라의 올해 전기차 판매량은?", "손흥민은 어느 팀에서 뛰고 있어?",
                                      "비트코인 반감기는 언제야?"])
def test_questions_about_what_the_corpus_lacks_are_refused(real_seed_index, question):
    assert not real_seed_index.search(question, k=5).answered


@pytest.mark.parametrize("question", ["리벨리온의 직원 수는 몇 명이야?", "업스테이지 일본 법인의 직원 수는 몇 명이야?"])
def test_a_number_the_articles_do_not_give_is_refused(real_seed_index, question):
    # the articles are about these companies, but no sentence gives the number asked for
    res = real_seed_index.search(question, k=5)
    assert not res.answered, (res.best_score, [h.text for h in res.hits[:2]])


@pytest.mark.parametrize("question,first,phrase", [
    # the sentence of the year asked, not the one of another year nearby
    ("2021년 글로벌 VC 국내 투자액은?", "2021년(9895억원)", "9895억원"),
    ("2027년 일본 AI 시장 규모 전망은?", "2027년에는약1조1천35억엔", "1조1천35억 엔"),
])
def test_a_question_about_a_year_cites_that_year(real_seed_index, question, first, phrase):
    res = real_seed_index.search(question, k=3)
    h = res.hits[0]
    assert first in squash(h.text), [x.text for x in res.hits]
    assert real_seed_index.documents[h.doc_id].text[h.answer_start:h.answer_end] == phrase


def test_a_title_holder_the_articles_never_name_is_refused(real_seed_index):
    # the seeds speak of 업스테이지 ("국내 대표 … 기업 업스테이지도") but never name its CEO
    assert not real_seed_index.search("업스테이지 대표는 누구야?").answered
    res = real_seed_index.search("리벨리온 대표는 누구야?")
    assert res.answered and "박성현" in res.hits[0].text


def test_a_sum_the_best_sentence_does_not_give_is_refused(real_seed_index):
    # the sentence on SoftBank's investments names OpenAI and gives no sum
    assert not real_seed_index.search("소프트뱅크는 오픈AI에 얼마를 투자했어?").answered
    assert real_seed_index.search("소프트뱅크 비전펀드 규모는 얼마야?").answered
    # a degree may be answered in words: "손으로 꼽을 수 없을 정도로 많은 스타트업"
    res = real_seed_index.search("일본 진출을 준비하는 스타트업은 얼마나 많아?")
    assert res.answered and "손으로꼽을수없을" in squash(res.hits[0].text)


def test_a_name_kiwi_splits_in_the_question_matches_it_whole(real_seed_index):
    # Kiwi reads "퓨리오사에이아이" whole in the article's bulleted list but splits it in the question
    question = "퓨리오사에이아이는 어디 협의회에 들어갔어?"
    query = real_seed_index.query(question)
    assert {"퓨리오사", "에이아이", "퓨리오사에이아이"} <= set(query.terms)
    assert "▲퓨리오사에이아이" in real_seed_index.search(question, k=1).hits[0].text
    # a glued form the index does not hold adds nothing
    assert not any("반도체" in t and t != "반도체" for t in real_seed_index.query("삼성전자반도체는 어디야?").terms)


def test_a_name_kiwi_reads_whole_in_the_title_and_split_in_the_question(real_seed_index):
    # the title's "이준서," is one name to Kiwi, the question's "이준서 이적료" is 이준 + 서: each
    # stands for the other, so the sentence that gives the fee is covered by its title's name
    index = _with_article(real_seed_index, "transfer",
                         "한빛유나이티드 이준서, 독일 라인베르크 이적…이적료 K리그 역대 최고",
                         "이준서는 한빛 유스팀을 졸업하고 2022년 프로에 데뷔했다.",
                         "이준서는 27일 인천국제공항을 통해 출국해 메디컬테스트를 받는다.",
                         "양 구단은 이적료를 공개하지 않았지만, 현지 매체에 따르면 이적료는 기본 1,600만 유로(약 250억 원)다.")
    question = "이준서 이적료 얼마임"
    assert index.query(question).parts.get("이준서") == ("이준", "서")
    res = index.search(question, k=1)
    assert res.answered and "1,600만 유로" in res.hits[0].text, [h.text for h in res.hits]


def test_a_name_kiwi_splits_after_a_determiner_still_matches(real_seed_index):
    # "새솔선" is 새 (a determiner, "new") + 솔선 to Kiwi, except inside quotes, where it is one name
    index = _with_article(real_seed_index, "subway",
                         "수원~동탄 잇는 새 전철 28일 개통",
                         "수원과 동탄을 잇는 도시철도 ‘새솔선’이 오는 28일 개통한다.",
                         "경기도는 새솔선 하루 평균 이용객을 4만5000명으로 예상한다.",
                         "새솔선을 이용하면 영통역에서 동탄까지 22분이면 갈 수 있다.")
    question = "새솔선 언제 개통함?"
    assert index.query(question).parts.get("새솔선") == ("솔선",)
    res = index.search(question, k=1)
    assert res.answered and "오는 28일 개통한다" in res.hits[0].text, [h.text for h in res.hits]


@pytest.mark.parametrize("doc_id,sentences,question,surfaces,answer", [
    # Kiwi reads "부산광역시는" as one proper noun, so the question's 부산 is no term of the
    # sentence that gives the count; written there as asked, it is still there
    ("beach", ("해운대 해수욕장 올여름 피서객 역대 최다",
               "부산광역시는 올여름 해운대 해수욕장을 찾은 피서객이 1,020만 명으로 집계됐다고 밝혔다.",
               "부산 지역 호텔 예약률도 지난해보다 크게 늘었다.",
               "해수욕장은 다음 달 10일까지 야간 개장을 이어간다."),
     "부산 피서객 몇 명이야?", {"부산": ("부산",)}, "1,020만 명"),
    # Kiwi reads "무름병" whole in the question and as 무르 + ㅁ + 병 in the text: the index holds no
    # term "무름병", so the noun is matched where the text writes it, and the sentence that names the
    # disease beats the one that only gives a reason
    ("cabbage", ("배춧값 한 달 새 두 배",
                 "배추 한 포기 소매가격이 9,870원으로 한 달 전보다 두 배 가까이 올랐다.",
                 "농촌 고령화와 인건비 상승으로 배추 농사를 포기하는 농가가 늘어난 탓이다.",
                 "지난여름 이어진 집중호우와 일조 부족으로 뿌리가 썩는 무름병이 번지면서 출하량이 크게 줄었다."),
     "배추 무름병은 왜 퍼진 거야?", {"무름병": ("무름병",)}, "무름병이 번지면서"),
])
def test_a_word_kiwi_reads_apart_counts_where_the_text_writes_it(real_seed_index, doc_id, sentences, question,
                                                                   surfaces, answer):
    index = _with_article(real_seed_index, doc_id, *sentences)
    assert index.query(question).surfaces == surfaces
    res = index.search(question, k=1)
    assert res.answered and answer in res.hits[0].text, [h.text for h in res.hits]


@pytest.mark.parametrize("doc_id,sentences,question,answer", [
    # "참가자" (참가 + the suffix 자) asked, "참가했다" written: the sentence that gives the count
    # names the act, not the people
    ("marathon", ("세종국제마라톤 케냐 키프로노, 대회 신기록으로 우승",
                  "케냐의 데니스 키프로노가 지난 6일 열린 제9회 세종국제마라톤 남자부에서 2시간6분48초로 우승했다.",
                  "풀코스와 하프, 10km 부문을 합쳐 모두 1만8,500명이 참가했다.",
                  "다만 결승 지점 인근에서 참가자 23명이 탈진으로 의료진의 처치를 받았다."),
     "세종마라톤 전체 참가자 수", "1만8,500명"),
    # "내렸나요" asked, "인하했다" written: the sentence that gives the cut says 인하, and two
    # others say 내리 about something else
    ("baserate", ("한국은행, 기준금리 연 2.75%로 인하",
                  "한국은행 금융통화위원회는 지난 14일 기준금리를 연 3.00%에서 2.75%로 0.25%포인트 인하했다.",
                  "한은은 기준금리가 0.25%포인트 내리면 가계의 연간 이자 부담이 약 3조 원 감소하는 것으로 추산했다.",
                  "시중은행들은 이르면 다음 주부터 예금 금리를 0.1~0.25%포인트 내릴 예정이다.",
                  "외환시장에서 원·달러 환율은 전 거래일보다 4.2원 오른 1,386.5원에 거래를 마쳤다."),
     "한국은행이 이번에 기준금리를 몇 퍼센트에서 몇 퍼센트로 내렸나요?", "3.00%에서 2.75%로"),
    # "세운" asked, "창업한" written: without the pair, a sentence with only the name and no act wins
    ("startup", ("위성 스타트업 누리스페이스, 오만에 위성 3기 수출",
                 "누리스페이스가 오만 국영기업과 1,850억 원 규모의 위성 공급 계약을 맺었다고 4일 밝혔다.",
                 "2019년 한국과학기술원 연구진이 창업한 누리스페이스는 지난해 실증 위성을 궤도에 올렸다.",
                 "누리스페이스는 경쟁사보다 20% 낮은 가격을 앞세워 최종 사업자로 선정됐다."),
     "누리스페이스는 언제 누가 세운 회사야?", "연구진이 창업한"),
    # "제일 많이" asked, "가장 컸다" written, and "어느 나라로" answered by a country, not by the
    # ministry that reports the figures
    ("chips", ("10월 반도체 수출 역대 최대",
               "산업통상자원부는 지난달 반도체 수출액이 168억 달러로 1년 전보다 21.4% 늘었다고 1일 밝혔다.",
               "지역별로는 대만 수출이 45억 달러로 57% 급증하며 증가폭이 가장 컸다.",
               "미국 수출은 12% 늘었고, 중국 수출 비중은 34.6%로 낮아졌다."),
     "어느 나라로 가는 반도체 수출이 제일 많이 늘었어?", "대만 수출이"),
])
def test_the_act_asked_matches_the_act_written_otherwise(real_seed_index, doc_id, sentences, question, answer):
    index = _with_article(real_seed_index, doc_id, *sentences)
    res = index.search(question, k=1)
    assert res.answered and answer in res.hits[0].text, [h.text for h in res.hits]


def test_늘려_asked_matches_연장_written(real_seed_index):
    # "늘려 달래?" asked, "연장할 것을 요구" written: without the pair, another article's sentence
    # with "나이", "확대" (늘리's other noun) and an age wins
    index = _with_article(real_seed_index, "strike", "광주 시내버스 노조 전면 파업",
                          "노조는 임금 8.2% 인상과 함께 정년을 현행 61세에서 63세로 연장할 것을 요구하고 있다.",
                          "노조 위원장은 \"더는 물러설 수 없다\"고 말했다.")
    index = _with_article(index, "bill", "교육공무원법 일부개정법률안",
                          "이에 육아휴직 가능 시기를 만 8세 이하의 자녀로 확대하여 자녀가 학교생활에 순조롭게 적응할 수 "
                          "있는 나이까지 돌볼 수 있도록 하려는 것임.")
    res = index.search("노조는 기사들 퇴직 나이를 몇 살까지 늘려 달래?", k=3)
    assert res.answered and "63세로 연장" in res.hits[0].text, [h.text for h in res.hits]


@pytest.mark.parametrize("question,asked,written", [
    ("직원 월급은 얼마나 올랐어?", "올해 운송업체 직원 월급은 지난해보다 평균 5.2% 올랐다고 조사됐다.",
     "올해 운송업체 직원 임금은 지난해보다 평균 5.2% 올랐다고 조사됐다."),
    ("운송 수입에서 기사 몫은 얼마야?", "전체 운송 수입에서 기사 몫은 평균 40% 수준으로 집계됐다.",
     "전체 운송 수입에서 기사 비중은 평균 40% 수준으로 집계됐다."),
    ("기사 퇴직 나이는?", "운송업체 기사 퇴직 나이는 평균 63세로 다른 업종보다 높았다.",
     "운송업체 기사 퇴직 연령은 평균 63세로 다른 업종보다 높았다."),
    # a birthplace asked, the act written (engine._SAME_ACT_PAIRS)
    ("기사 대표의 출생지는?", "기사 대표는 전남 목포가 출생지로 알려졌다.", "기사 대표는 전남 목포에서 태어난 것으로 알려졌다."),
    ("삼성전자가 미국에서 새 공장을 세우고 있는 곳은?", "삼성전자는 미국 텍사스주 테일러에 새 공장을 세우고 있다.",
     "삼성전자는 미국 텍사스주 테일러에 새 공장을 짓고 있다."),
    ("기지는 언제 완공되었나?", "세종 과학기지는 1988년 2월 17일에 완공되었다.", "세종 과학기지는 1988년 2월 17일에 준공되었다."),
    ("운송업체는 정규시즌을 몇 위로 끝냈어?", "운송업체 야구단은 정규시즌을 3위로 끝냈다.", "운송업체 야구단은 정규시즌을 3위로 마쳤다."),
    ("운송업체 임금 오름세는 어때?", "운송업체 임금은 5년째 오름세를 보이고 있다.", "운송업체 임금은 5년째 상승세를 보이고 있다."),
    ("운송업체 여성 기사는 몇 명이야?", "운송업체 여성 기사는 모두 1,200명으로 집계됐다.", "운송업체 여자 기사는 모두 1,200명으로 집계됐다."),
    ("지난 10년 동안 기사 임금은 매년 몇 퍼센트씩 올랐어?", "운송업체 기사 임금은 매년 3%씩 올랐다.", "운송업체 기사 임금은 해마다 3%씩 올랐다."),
    ("기사들은 누구의 도움을 받았어?", "기사들은 노무사의 도움을 받아 소송을 냈다.", "기사들은 노무사의 조력을 받아 소송을 냈다."),
    # a superlative said in words, written as one word (engine._SUPERLATIVE)
    ("제일 높은 등급을 받은 기사는 몇 명이야?", "운송업체 기사 가운데 높은 등급을 받은 기사는 12명이다.",
     "운송업체 기사 가운데 최고 등급을 받은 기사는 12명이다."),
])
def test_a_native_noun_and_its_sino_korean_twin_cover_alike(real_seed_index, question, asked, written):
    # "월급" asked is covered by "임금" written as fully as by "월급" itself (engine._SAME_THING_PAIRS)
    from index.backend import LOCAL
    from index.fusion import COLUMN

    index = _with_article(real_seed_index, "same", "운송업계 처우 실태 조사 결과 발표", asked, written,
                          "조사는 지난달 전국 운송업체 120곳을 대상으로 한국노동연구원이 진행했다.")
    query = index.query(question)
    ranked = index.rank(query, LOCAL.candidates(index, query, 50, None))
    cov = {s.text: f for s, f in zip(ranked.sentences, ranked.features[:, COLUMN["coverage"]])}
    assert cov[written] == pytest.approx(cov[asked]) and cov[asked] > 0, cov


def test_a_name_asked_as_이름_matches_one_written_as_명(real_seed_index):
    index = _with_article(real_seed_index, "tour",
                         "보이그룹 노바라인, 데뷔 4년 만에 첫 월드투어",
                         "보이그룹 노바라인이 데뷔 4년 만에 첫 월드투어에 나선다.",
                         "투어명은 ‘디파처(DEPARTURE)’로 정해졌다.",
                         "리더 한도윤은 “팬들의 이름을 하나하나 기억하며 투어를 준비했다”고 말했다.")
    res = index.search("노바라인 투어이름 뭐임?", k=1)
    assert res.hits[0].text.startswith("투어명은"), [h.text for h in res.hits]


@pytest.mark.parametrize("doc_id,title,sentences,question,first", [
    # "다음의 선서를 한다" matches the question best, but the oath is the sentence after it
    ("oath", "새 시장 취임식 열려",
     ("새로 뽑힌 시장은 1일 시청에서 취임식을 열고 다음의 선서를 했다.",
      "\"나는 법을 지키고 시민의 안전과 복리를 위해 시장으로서의 직책을 성실히 수행할 것을 엄숙히 다짐합니다.\"",
      "취임식에는 시민 300여 명이 참석했다."),
     "새 시장의 취임 선서 내용은?", "\"나는 법을 지키고"),
    # "… 쏘나타도 아니고 … 아니다." matches best, but only the sentence after it names the answer
    ("cars", "올해 가장 많이 팔린 차, 경차가 차지",
     ("올해 국내에서 가장 많이 팔린 자동차는 쏘나타도 아니고, 그랜저도 아니고 수입차는 더더욱 아니다.",
      "출시 3년 만에 연간 10만 대 판매를 넘긴 경차 캐스퍼다.",
      "업계는 고물가에 작은 차를 찾는 소비자가 늘었다고 분석했다."),
     "올해 국내에서 가장 많이 팔린 자동차는 뭐야?", "출시 3년 만에"),
], ids=["announced", "denied"])
def test_the_sentence_that_answers_is_cited_not_its_better_matching_neighbour(real_seed_index, doc_id, title,
                                                                              sentences, question, first):
    index = _with_article(real_seed_index, doc_id, title, *sentences)
    hits = index.search(question, k=3).hits
    assert hits[0].text.startswith(first), [h.text for h in hits]


def test_a_sentence_about_another_model_of_the_same_name_is_never_cited(real_seed_index):
    # "새봄샛-1" asked: "… '새봄샛-2'를 쏘아 올릴 예정이다" speaks of the next satellite, not of this one
    index = _with_article(real_seed_index, "sat", "초소형 위성 새봄샛-1 궤도 안착",
                          "우주 스타트업 하늘우주가 만든 초소형 위성 새봄샛-1이 궤도에 안착했다.",
                          "새봄샛-1은 지난 9일 미국 캘리포니아주 반덴버그 우주군기지에서 발사됐다.",
                          "회사는 내년 하반기 후속 위성인 '새봄샛-2'를 제주 앞바다에서 쏘아 올릴 예정이다.")
    hits = index.search("새봄샛-1 어디서 쏘아 올렸어?", k=5).hits
    assert hits and not any("새봄샛-2" in h.text for h in hits), [h.text for h in hits]
    hits = index.search("새봄샛-2는 어디서 쏘아 올려?", k=5).hits
    assert hits[0].text.startswith("회사는 내년 하반기"), [h.text for h in hits]


def test_a_body_sentence_is_cited_before_the_headline_it_repeats(real_seed_index):
    index = _with_article(real_seed_index, "kbo",
                         "한화 이글스, 26년 만에 한국시리즈 우승…5차전서 LG 꺾고 4승 1패",
                         "한화 이글스가 26년 만에 한국시리즈 정상에 올랐다.",
                         "한화는 31일 대전에서 열린 KBO 한국시리즈 5차전에서 LG 트윈스를 6-2로 꺾고 시리즈 전적 4승 1패로 우승을 확정했다. 한화가 한국시리즈 우승 트로피를 들어 올린 것은 1999년 이후 처음이다.")
    hits = index.search("한화가 한국시리즈 우승한 게 몇 년 만이야?", k=10).hits
    assert hits[0].text == "한화 이글스가 26년 만에 한국시리즈 정상에 올랐다."
    # the headline stays citable, below the sentence it summarises
    assert any(h.text.startswith("한화 이글스, 26년 만에") for h in hits[1:])


def test_a_name_written_out_matches_the_acronym_its_article_defines(real_seed_index):
    # the article defines "한국인공지능·소프트웨어산업협회(KOSA)" once, then writes "조준희 KOSA 회장은"
    res = real_seed_index.search("한국인공지능·소프트웨어산업협회 회장은?", k=1)
    assert res.answered and res.hits[0].text.startswith("조준희 KOSA 회장은")


@pytest.mark.parametrize("question,attended", [
    ("한미 과학기술 협력 논의에 백악관 쪽에서는 누가 나왔어?", True),  # who attended: "… 등이 참석했다"
    ("업스테이지 일본 법인 설립 소식은 언제 나왔어?", False),  # when news came out: nobody attended
])
def test_who_came_is_who_attended(real_seed_index, question, attended):
    query = real_seed_index.query(question)
    assert ("참석" in real_seed_index._other_spellings(query, []).get("나오", ())) == attended
