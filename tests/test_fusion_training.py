"""The fusion's training maths (bench/train_fusion.py) on synthetic questions: no model,
no index. The shipped model's own figures are checked by tests/test_quality.py."""

import numpy as np
import pytest

from bench import train_fusion as T
from index import fusion

N_FEATURES = len(fusion.RANK_FEATURES)


def _item(rng, qid: str, kind: str, informative: bool = True) -> T.Item:
    """Ten candidates; for an answerable question candidate 0 is gold and, when
    ``informative``, the only one with a high first ("dense") feature."""
    x = rng.normal(0.0, 0.1, (10, N_FEATURES))
    if kind == "answerable" and informative:
        x[0, 0] += 1.0
    if kind != "answerable":
        x[:, 0] -= 0.5  # nothing close: what the verdict should learn to refuse
    hits = np.zeros(10, bool)
    hits[0] = kind == "answerable"
    order = rng.permutation(10)
    return T.Item(qid, qid, qid, kind, x[order], hits[order], 0.0, True)


def _items(seed: int, n: int = 60, informative: bool = True) -> list[T.Item]:
    rng = np.random.default_rng(seed)
    return ([_item(rng, f"a{i}", "answerable", informative) for i in range(n)]
            + [_item(rng, f"u{i}", "unanswerable") for i in range(n // 3)])


def test_the_ranker_learns_the_feature_that_marks_the_gold_sentence():
    w = T.fit_ranker(_items(0))
    assert w[0] > 0 and abs(w[0]) > 3 * np.abs(w[1:]).max()


def test_cross_validation_scores_the_fold_models_on_the_tested_items():
    items = _items(1)
    clean = T.cross_validate(items)
    assert clean["answerable"] == 60 and clean["unanswerable"] == 20
    assert clean["r1"] >= 0.9 and clean["refused_unanswerable"] >= 0.9
    # The same folds' models, asked about other questions in which the feature says nothing:
    # the figures are those of the tested items, not of the training ones.
    noisy = T.cross_validate(items, _items(2, informative=False))
    assert noisy["answerable"] == 60
    assert noisy["r1"] <= 0.4


def test_each_kind_of_text_weighs_the_same_in_the_ranker():
    rng = np.random.default_rng(3)
    items = [_item(rng, f"n{i}", "answerable") for i in range(2)]
    items += [_item(rng, f"l{i}", "answerable") for i in range(6)]
    for it in items:
        it.corpus = "seeds" if it.qid.startswith("n") else "corpus"
    c = T.balance(items)
    assert np.isclose(c.mean(), 1.0)
    assert np.isclose(c[:2].sum(), c[2:].sum())  # two news questions weigh as much as six legal ones


def test_the_ranker_learns_a_rare_kind_of_text_as_much_as_a_common_one():
    # 10 questions of one kind, whose gold has a high feature 0; 40 of another, with feature 1
    rng = np.random.default_rng(4)
    items = []
    for i in range(50):
        it = _item(rng, f"q{i}", "answerable", informative=False)
        gold = int(np.flatnonzero(it.hits)[0])
        it.features[gold, 0 if i < 10 else 1] += 1.0
        it.corpus = "seeds" if i < 10 else "corpus"
        items.append(it)
    w = T.fit_ranker(items)
    assert 0.85 < w[0] / w[1] < 1.15  # unweighted: 0.78


def test_the_verdict_sees_a_missing_number_only_for_number_questions():
    feats = np.zeros((2, N_FEATURES))
    feats[0, fusion.COLUMN["shape_no"]] = 1.0
    scores = np.array([1.0, 0.0])
    at = fusion.VERDICT_FEATURES.index("number_missing")
    assert fusion.verdict_features(scores, feats, 0, 0.0, True, "count")[at] == 1.0
    assert fusion.verdict_features(scores, feats, 0, 0.0, True, "person")[at] == 0.0  # names are found less surely
    assert fusion.verdict_features(scores, feats, 1, 0.0, True, "count")[at] == 0.0  # the best sentence holds one


def test_the_verdict_sees_a_missing_focus():
    feats, scores = np.zeros((2, N_FEATURES)), np.array([1.0, 0.0])
    at = fusion.VERDICT_FEATURES.index("focus_missing")
    assert fusion.verdict_features(scores, feats, 0, 0.0, True, None, True)[at] == 1.0
    assert fusion.verdict_features(scores, feats, 0, 0.0, True)[at] == 0.0
    assert fusion.current().verdict[at] < 0  # a best sentence that never names the focus lowers P


def test_the_verdict_sees_names_the_article_never_mentions():
    feats, scores = np.zeros((2, N_FEATURES)), np.array([1.0, 0.0])
    at = fusion.VERDICT_FEATURES.index("name_missing")
    assert fusion.verdict_features(scores, feats, 0, 0.0, True, None, False, 0.5)[at] == 0.5
    assert fusion.verdict_features(scores, feats, 0, 0.0, True)[at] == 0.0
    assert fusion.current().verdict[at] < 0  # an article that never names the question's names lowers P


@pytest.mark.parametrize("question,text,missing", [
    # the best sentence names no one / gives no sum / no count / no length, where only that answers
    ("업스테이지 대표는 누구야?", "국내 대표 기업 업스테이지도 도쿄에 오피스를 열었다.", True),
    ("소프트뱅크는 오픈AI에 얼마를 투자했어?", "소프트뱅크는 스타게이트에도 이름을 올렸다.", True),
    ("결혼중개업체 등록 수는 몇 개야?", "결혼중개업의 등록기준을 강화한다.", True),
    ("대법원장 임기는 몇 년이야?", "대법원장은 국회의 동의를 얻어 대통령이 임명한다.", True),
    # unless a degree, a share of the whole, or a period asked with 언제, which words or dates answer
    ("스타트업은 얼마나 많아?", "손으로 꼽을 수 없을 정도로 많은 스타트업이 준비 중이다.", False),
    ("몇 명이 찬성해야 해?", "국회는 재적의원 과반수의 찬성으로 해제를 요구할 수 있다.", False),
    ("파견 기간은 언제부터 언제까지야?", "파견기간은 2011년 1월 1일부터 12월 31일까지로 한다.", False),
    # nor a date, which news answers in words too
    ("언제 결실을 본다고 했어?", "성과로 나타날 시점이 다가오고 있다.", False),
])
def test_a_best_sentence_without_the_only_possible_answer_is_refused(question, text, missing):
    features = np.zeros((1, len(fusion.RANK_FEATURES)))
    features[0, fusion.COLUMN["shape_no"]] = 1.0  # the ranker found no phrase of the asked shape
    assert fusion.missing_answer(question, text, features, 0) == missing
    assert fusion.answered(0.9, 0.2, True, missing) == (not missing)
    features[0] = 0.0
    features[0, fusion.COLUMN["shape_yes"]] = 1.0
    assert not fusion.missing_answer(question, text, features, 0)


@pytest.mark.parametrize("question,text,missing", [
    # a sum of money the best sentence (and its title) never names is another sum
    ("누리에너지솔루션의 1분기 당기순이익은 얼마야?", "보유 현금성 자산은 8조4000억 원으로 늘었다.", True),
    # typed as keywords too: a contract's sum is no investment raised
    ("한빛스페이스가 지금까지 유치한 투자금 총액", "한빛스페이스가 오만과 1,850억 원 규모의 위성 공급 계약을 맺었다.", True),
    # a rate asked by its name, where the sentence never names what it counts, is another rate
    ("간호사 시험 합격률은 몇 퍼센트야?", "간호사의 87.2%가 별도로 학사학위 과정을 이수하고 있다.", True),
    ("일본 AI 시장 성장률은 몇 퍼센트야?", "일본 AI 시장은 매년 23.2%씩 성장해 왔다.", False),
    # an amount of anything else may be answered without its noun
    ("일본이 주는 세제 혜택은 어느 정도야?", "2032년까지 최대 30%의 법인세를 감면해 준다.", False),
    # things counted by their own counter are named where they are counted: helicopters are no fire engines
    ("봉화 산불 진화에 소방차는 몇 대 투입됐나요?", "산림청은 헬기 38대와 진화 인력 2,700여 명을 투입했다.", True),
    # a fare asked with an adverb before 얼마: the city's subsidy is another sum
    ("시내버스 기본요금 지금 얼마야?", "시는 지난해 버스 재정 지원금으로 1,140억원을 썼다.", True),
    # people are counted without their noun ("모두 1만8,500명이 참가했다")
    ("마라톤 참가자는 몇 명이야?", "풀코스와 하프를 합쳐 모두 1만8,500명이 참가했다.", False),
])
def test_a_sum_a_rate_or_a_count_of_another_name_is_refused(question, text, missing):
    features = np.zeros((1, len(fusion.RANK_FEATURES)))
    features[0, fusion.COLUMN["shape_yes"]] = 1.0  # the sentence does hold an amount
    assert fusion.missing_answer(question, text, features, 0, focus_missing=True) == missing
    assert not fusion.missing_answer(question, text, features, 0, focus_missing=False)


@pytest.mark.parametrize("question,swapped", [
    ("대통령 취임 선서 내용은?", True),  # the question asks what the sentence announces
    ("대통령은 언제 선서를 해?", True),
    ("대통령은 취임할 때 무엇을 해?", False),  # its other words may hold the answer: it keeps its place
])
def test_a_sentence_announcing_what_follows_hands_its_place_to_it(question, swapped):
    texts = ["제69조 대통령은 취임에 즈음하여 다음의 선서를 한다.",
             "\"나는 헌법을 준수하고 국가를 보위하며 … 대통령으로서의 직책을 성실히 수행할 것을 국민 앞에 엄숙히 선서합니다.\"",
             "제70조 대통령의 임기는 5년으로 하며, 중임할 수 없다."]
    rows = [("law", 12), ("law", 13), ("law", 14)]
    scores = np.array([3.0, 1.0, 2.0])
    out = fusion.hand_over(scores, texts, rows, question)
    assert list(out) == ([1.0, 3.0, 2.0] if swapped else [3.0, 1.0, 2.0])


@pytest.mark.parametrize("question,swapped", [
    ("올해 가장 많이 팔린 차는 뭐야?", True),  # what it is: the sentence after the denials says
    ("올해 가장 많이 팔린 차는 어느 모델이야?", True),
    ("올해 가장 많이 팔린 차가 쏘나타야?", False),  # whether it is: the denial itself answers
])
def test_a_sentence_that_only_denies_hands_its_place_to_the_one_after_it(question, swapped):
    texts = ["올해 가장 많이 팔린 차는 쏘나타도 아니고, 그랜저도 아니고 수입차는 더더욱 아니다.",
             "출시 1년 만에 10만 대가 팔린 경차 캐스퍼다.",
             "쏘나타는 3위에 그쳤다."]
    rows = [("cars", 3), ("cars", 4), ("cars", 5)]
    out = fusion.hand_over(np.array([3.0, 1.0, 2.0]), texts, rows, question)
    assert list(out) == ([1.0, 3.0, 2.0] if swapped else [3.0, 1.0, 2.0])


@pytest.mark.parametrize("question,first,swapped", [
    # why: the sentence that restates the fact hands its place to the one that explains it
    ("이 지역 아파트값이 크게 뛴 이유가 뭐야?", "이 지역 아파트값은 올해 들어 20% 넘게 뛰었다.", True),
    # not when it gives a cause itself, nor for a question that asks no cause
    ("이 지역 아파트값이 크게 뛴 이유가 뭐야?", "이 지역 아파트값은 교통 호재 때문에 20% 넘게 뛰었다.", False),
    ("이 지역 아파트값은 얼마나 뛰었어?", "이 지역 아파트값은 올해 들어 20% 넘게 뛰었다.", False),
])
def test_a_sentence_explained_by_the_next_hands_its_place_to_it_for_a_why_question(question, first, swapped):
    texts = [first, "이는 신도시 개발 기대감이 커졌기 때문이다.", "거래량도 늘었다."]
    rows = [("homes", 2), ("homes", 3), ("homes", 4)]
    out = fusion.hand_over(np.array([3.0, 1.0, 2.0]), texts, rows, question)
    assert list(out) == ([1.0, 3.0, 2.0] if swapped else [3.0, 1.0, 2.0])


@pytest.mark.parametrize("text,noun", [
    ("제89조 다음 사항은 국무회의의 심의를 거쳐야 한다.", "사항"),
    ("다음 이유로 파견기간을 연장하고자 함.", "이유"),
    ("주요 내용은 다음과 같다.", "내용"),
    ("시중은행들은 다음 달부터 예금 금리를 내릴 예정이다.", None),  # a time to come announces nothing
    ("막차는 다음 날 0시 10분에 출발한다.", None),
])
def test_what_a_sentence_announces(text, noun):
    assert fusion.announced(text) == noun
