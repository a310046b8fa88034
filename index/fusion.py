"""Fusion learned from data: a linear ranker over each candidate's features and a
logistic verdict over the question's best candidate.

Ranker. Each candidate sentence gets ``score = w · x`` over
  dense         e5's cosine rescaled from [0.70, 0.95] to [0, 1];
  coverage      BM25 divided by the question's own idf mass: the (idf-weighted) share
                of the question's terms the sentence covers; terms the neighbourhood
                never saw count with the highest idf. The idf, row count and average
                length are the question's neighbourhood's: every sentence of the
                articles its 50 nearest candidates come from (engine.py), so other
                kinds of text in the collection do not reweigh the question's terms.
                In a body sentence, an acronym its article defines ("에너지저장장치(ESS)")
                counts as the name the question writes out;
  shape_yes/no  the question asks for a person, date, amount... (answers.py) and the
                sentence holds / lacks a phrase of that shape (0 / 0 otherwise);
  cov_title     the share covered by the sentence and its article's title together;
  cov_context   ... by the sentence, the title and the sentence before it: a news
                sentence often leaves its subject to the headline or the sentence
                before ("이 회사는 지난 3월 ...");
  heading       the sentence is a sub-heading or the article's headline: short summary lines
                ("정부도 직간접 지원 등 위기대응 나서") echo a question's words without the fact it
                asks for, and a headline that does hold it ("한화 이글스, 26년 만에 한국시리즈
                우승…") repeats a body sentence, which is the citation a reader checks.
The weights are fitted with a listwise (softmax over the candidates of a question)
loss, so they rank; they are not probabilities.

Verdict. ``P(answerable) = sigmoid(v · z + b)`` over the best candidate's score, its
margin over the runner-up, its dense, coverage and shape features, the share of the
question's idf mass the corpus has never seen, whether the question is not Korean, and
whether it asks for a number (a date, a duration, an amount, a count) that the best
sentence does not hold: "부산의 인구는 몇 명인가?" is not answered by "인구가 두 번째로 많은
도시이다".
(Whether the question asks for a shape at all was left out: it judges the wording,
not the evidence, and cross-validated the same.) Trained on answerable questions against unanswerable ones
and against answerable ones asked of an index without their article. ``answered``
is ``P >= threshold``.

Each hit's ``score`` is the probability that this sentence is an answer sentence:
``sigmoid(a · score + c)``, fitted on the same candidates.

Training: ``python -m bench.train_fusion`` (writes ``fusion_model.json`` beside this
file, with the cross-validated figures it reached).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .answers import (
    AMOUNT,
    COUNT,
    DATE,
    DURATION,
    REASON,
    asks_for_a_named_sum,
    asks_for_a_title_holder,
    counts_a_thing,
    has_answer_shape,
    question_type,
    rate_asked_elsewhere,
)

DENSE_FLOOR = 0.70
DENSE_CEIL = 0.95
RANK_FEATURES = ("dense", "coverage", "shape_yes", "shape_no", "cov_title", "cov_context", "heading")
VERDICT_FEATURES = ("top", "margin", "unseen", "dense", "coverage", "cov_context", "shape_no", "not_korean",
                    "number_missing", "focus_missing", "name_missing")
# Shapes made of a number: their detection is reliable, so a best sentence without one
# says more than a best sentence without a name does ("number_missing").
NUMBER_SHAPES = (DATE, DURATION, AMOUNT, COUNT)
MODEL_FILE = Path(__file__).with_name("fusion_model.json")
COLUMN = {name: i for i, name in enumerate(RANK_FEATURES)}  # a rank feature's column


def dense_part(cosine: np.ndarray) -> np.ndarray:
    """e5's cosine, which for this model lives in ~[0.7, 0.95], rescaled to [0, 1]."""
    return np.clip((cosine - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR), 0.0, 1.0)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


@dataclass(frozen=True)
class FusionModel:
    rank: np.ndarray  # weights of RANK_FEATURES
    verdict: np.ndarray  # weights of VERDICT_FEATURES
    verdict_bias: float
    calibration: tuple[float, float]  # (a, c): P(sentence answers) = sigmoid(a * score + c)
    threshold: float  # on P(answerable)
    meta: dict = field(default_factory=dict, compare=False)
    sha256: str = ""

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "FusionModel":
        try:
            raw = path.read_bytes()
            m = json.loads(raw)
            if tuple(m["rank_features"]) != RANK_FEATURES or tuple(m["verdict_features"]) != VERDICT_FEATURES:
                raise ValueError("its features are not this code's")
            return cls(np.asarray(m["rank"], np.float64), np.asarray(m["verdict"], np.float64),
                       float(m["verdict_bias"]), (float(m["calibration"][0]), float(m["calibration"][1])),
                       float(m["threshold"]), m.get("meta", {}), hashlib.sha256(raw).hexdigest())
        except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
            raise RuntimeError(f"fusion model {path} is unreadable ({e}): retrain it with "
                               f"`python -m bench.train_fusion` or restore it from git") from e

    @property
    def shape_weights(self) -> tuple[float, float]:
        return float(self.rank[COLUMN["shape_yes"]]), float(self.rank[COLUMN["shape_no"]])

    def score(self, features: np.ndarray) -> np.ndarray:
        """Ranker scores of candidates, ``features`` (n, len(RANK_FEATURES))."""
        return features @ self.rank

    def sentence_probability(self, scores: np.ndarray) -> np.ndarray:
        a, c = self.calibration
        return _sigmoid(a * np.asarray(scores, np.float64) + c)

    def answerable(self, z: np.ndarray) -> float:
        return float(_sigmoid(float(z @ self.verdict) + self.verdict_bias))

    def to_json(self) -> dict:
        return {"rank_features": list(RANK_FEATURES), "rank": [round(float(x), 6) for x in self.rank],
                "verdict_features": list(VERDICT_FEATURES), "verdict": [round(float(x), 6) for x in self.verdict],
                "verdict_bias": round(self.verdict_bias, 6),
                "calibration": [round(self.calibration[0], 6), round(self.calibration[1], 6)],
                "threshold": round(self.threshold, 4), "meta": self.meta}

    def describe(self) -> dict:
        """For an index manifest: which model ranked it."""
        return {"model": MODEL_FILE.name, "model_sha": self.sha256, "threshold": self.threshold}


def verdict_features(scores: np.ndarray, features: np.ndarray, top: int, unseen: float,
                     korean: bool, qtype: str | None = None, focus_missing: bool = False,
                     name_missing: float = 0.0) -> np.ndarray:
    """The verdict's input for the best candidate ``top``: VERDICT_FEATURES, in order.
    ``focus_missing``: the question's focus noun (answers.question_focus) is in neither the
    best sentence nor its article's title. ``name_missing``: the share of the question's
    proper names (answers.proper_names) that the best sentence's article never mentions."""
    rest = np.delete(scores, top)
    margin = float(scores[top] - rest.max()) if len(rest) else 1.0
    missing = qtype in NUMBER_SHAPES and features[top, COLUMN["shape_no"]] > 0
    own = {"top": scores[top], "margin": min(margin, 5.0), "unseen": unseen, "not_korean": float(not korean),
           "number_missing": float(missing), "focus_missing": float(focus_missing), "name_missing": name_missing}
    return np.array([own[n] if n in own else features[top, COLUMN[n]] for n in VERDICT_FEATURES], np.float64)


# A sentence that announces what follows names what it announces ("대통령은 취임에 즈음하여 다음의
# 선서를 한다.", "다음 이유로 파견기간을 연장하고자 함.", "주요 내용은 다음과 같다."), but does not hold it:
# the sentence after it does. Group 1 or 3 is the announced noun
# (only nouns that announce: "다음 달", "다음 시즌" name a time to come).
_ANNOUNCES = re.compile(r"(?<![가-힣])다음의?\s*(사항|이유|사유|선서|목적|내용|조건|요건|절차|원칙|기준|방법|경우|항목|질문|순서|"
                        r"의무|권한|직무|업무)(을|를|은|는|이|가|으로|로|에)(?![가-힣])"
                        r"|([가-힣]{1,4}?)(은|는|이|가)\s*(다음|아래)(과|와)\s*같")


def announced(text: str) -> str | None:
    """The noun ``text`` announces, when it announces what follows: "선서" of "다음의 선서를 한다"."""
    if "다음" not in text and "아래" not in text:
        return None  # most sentences: the substring test is ~40 times cheaper than the pattern
    m = _ANNOUNCES.search(text)
    return None if m is None else m.group(1) or m.group(3)


# A sentence that only says what something is not ("… 테크 기업은 애플도 아니고, 구글, MS, 메타도
# 아니고 트위터는 더더욱 아니다.") leaves what it is to the sentence after it ("… 엔비디아다.").
_DENIES = re.compile(r"아니고.*아니(다|었다|야|에요|예요)[.!…]*$")
# A question that asks what or who something is, not whether it is ("애플이야?", which the denial answers)
_ASKS_WHICH = re.compile(r"누구|누가|어디|무엇|뭐|뭔|무슨|어떤|어느|언제|몇|얼마")
# A sentence that explains the one before it opens on "this": "일본 로봇은 규칙 기반 제어에 머물렀다.
# 이는 AI 기술이 부족해서라기보다 … 선택이었다."
_EXPLAINS = ("이는 ", "이는, ", "이것은 ")


def hand_over(scores: np.ndarray, texts: list[str], rows: list[tuple[str, int]], question: str) -> np.ndarray:
    """``scores`` with a sentence that announces what the question asks about ("취임 선서 내용은?"
    against "다음의 선서를 한다") trading places with the sentence after it, when that one is a
    candidate (``rows``: each candidate's document and sentence index) and scored lower. An
    announcement of something else ("다음 이유로 … 연장하고자 함" for "어디에 파견돼 있어?") keeps
    its place: its other words may hold the answer. Two more hand over in the same way:
    - a sentence that only denies (``_DENIES``), for a question that asks what or who, since the
      sentence after it says what is;
    - for a question that asks why, a sentence without a cause whose next one explains it with
      one ("이는 … 때문이다")."""
    out = scores.copy()
    asked = question.replace(" ", "")
    which = _ASKS_WHICH.search(question) is not None
    why: bool | None = None  # typed only when a candidate explains the one before it
    at = {row: j for j, row in enumerate(rows)}
    for j, (text, (doc, i)) in enumerate(zip(texts, rows)):
        k = at.get((doc, i + 1))
        if k is None or out[k] >= out[j]:
            continue
        noun = announced(text)
        if (noun and noun in asked) or (which and "아니고" in text and _DENIES.search(text.rstrip())):
            out[j], out[k] = out[k], out[j]
        elif texts[k].startswith(_EXPLAINS):
            why = question_type(question) == REASON if why is None else why
            if why and has_answer_shape(question, texts[k], REASON) and not has_answer_shape(question, text, REASON):
                out[j], out[k] = out[k], out[j]
    return out


def answered(probability: float, threshold: float, korean: bool, missing: bool = False) -> bool:
    """The verdict: answer when P(answerable) reaches the threshold, and only a question in
    Korean (``korean``: it holds Hangul). A question without Hangul is matched by the dense
    model alone, across languages, and cross-validated its first sentence was right for 3 of 11
    answerable English questions, while its P did not tell those from wrong ones or from
    questions whose article was removed: an answer would more often be a wrong citation than a
    right one. ``missing``: the best sentence cannot hold what is asked (see ``missing_answer``)."""
    return probability >= threshold and korean and not missing


# "얼마나 많아?", "얼마나 빨라?": a degree, which a sentence may answer in words
# ("손으로 꼽을 수 없을 정도로 많은")
_DEGREE = re.compile(r"얼마나\s*(많|크|큰|높|빠르|빨리|오래|넓|길|깊|자주|잘|적|작|낮)")
# A count given as a share of the whole: "몇 명이 찬성해야 해?" is answered by "재적의원 과반수의 찬성"
_SHARE_OF_ALL = re.compile(r"과반|절반|분의|전원|만장일치")


def missing_answer(question: str, text: str, features: np.ndarray, top: int, focus_missing: bool = False) -> bool:
    """The best sentence ``top`` (its ``text``) holds no phrase of the shape asked, where such a
    phrase is the only answer, so that whatever its P it is about the topic, not the fact asked:
    - who holds a title ("업스테이지 대표는 누구야?" against "국내 대표 … 기업 업스테이지도", which
      speaks of the company);
    - how much ("소프트뱅크는 오픈AI에 얼마를 투자했어?"), but not a degree ("얼마나 많아?");
    - how many ("등록 수는 몇 개야?"), unless the sentence gives a share of the whole ("과반수");
    - how long ("임기는 몇 년이야?"), unless the period is asked with 언제 ("언제부터 언제까지야?"),
      which dates answer.
    Dates are not: news answers "언제" in words too ("성과로 나타날 시점이 다가오고 있다").
    Nor is a sum of money whose name the best sentence and its title never give (``focus_missing``:
    "당기순이익은 얼마야?" against "현금성 자산은 8조4000억 원"): a sum answers only when it is
    the one asked about. The same holds for a rate asked by its name ("합격률은?") when the
    sentence never names what it counts (``answers.rate_asked_elsewhere``). Other nouns an amount
    is asked of are not held to this: "세제 혜택은 어느 정도야?" is answered by "최대 30%의
    법인세를 감면", which never says 혜택."""
    qtype = question_type(question)
    if qtype == AMOUNT and focus_missing and (asks_for_a_named_sum(question) or rate_asked_elsewhere(question, text)):
        return True
    if qtype == COUNT and focus_missing and counts_a_thing(question):
        return True  # "소방차는 몇 대?" against "헬기 38대": a count of other things
    if features[top, COLUMN["shape_no"]] == 0:
        return False
    if asks_for_a_title_holder(question):
        return True
    if qtype == AMOUNT:
        return not _DEGREE.search(question)
    if qtype == COUNT:
        return not _SHARE_OF_ALL.search(text)
    return qtype == DURATION and "언제" not in question


@functools.cache
def current() -> FusionModel:
    """The shipped model (loaded on first use, so that training runs even when the file
    on disk belongs to other features)."""
    return FusionModel.load()


# Features only, no weights: what training extracts candidates with.
NEUTRAL = FusionModel(np.zeros(len(RANK_FEATURES)), np.zeros(len(VERDICT_FEATURES)), 0.0, (1.0, 0.0), 0.5)
