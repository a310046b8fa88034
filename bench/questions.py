"""Distinct Korean questions for latency benchmarks.

A cold figure must come from questions never asked before, and a load test of
16 clients needs thousands. These are built from the nouns of the indexed
sentences with a few question shapes, so they look like what people type
(topic words plus a question form) and each one is asked once.
"""

from __future__ import annotations

import random
from typing import Iterable

from index.analyze import kiwi

_NOUNS = {"NNP", "NNG", "SL"}


def _has_final(word: str) -> bool:
    ch = word[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28 != 0
    return ch.isdigit() and ch in "0136780"  # 영, 일, 삼, 육, 칠, 팔: a final consonant


def _topic(w: str) -> str:
    return w + ("은" if _has_final(w) else "는")


def _object(w: str) -> str:
    return w + ("을" if _has_final(w) else "를")


def _with(w: str) -> str:
    return w + ("과" if _has_final(w) else "와")


_SHAPES = (
    lambda a, b: f"{a}의 {b}{'은' if _has_final(b) else '는'} 무엇인가?",
    lambda a, b: f"{_topic(a)} 언제 {_object(b)} 시작했나?",
    lambda a, b: f"{_with(a)} {b}의 관계는?",
    lambda a, b: f"{_topic(a)} 왜 {_object(b)} 추진하나?",
    lambda a, b: f"{a} {b} 규모는 얼마야?",
    lambda a, b: f"{a}에서 {b} 관련해서 누가 뭐라고 했어?",
    lambda a, b: f"{a} {b}에 대해 알려줘",
    lambda a, b: f"{_topic(a)} 어디에 {_object(b)} 세웠나?",
    lambda a, b: f"{a}의 {b} 전략은 어떻게 되나?",
    lambda a, b: f"{b} 문제에서 {_topic(a)} 몇 번째인가?",
)


def distinct_questions(sentences: Iterable[str], n: int, seed: int = 7) -> list[str]:
    """Up to ``n`` distinct questions from noun pairs of ``sentences``, shuffled."""
    rng = random.Random(seed)
    pools = []
    for text in sentences:
        nouns = list(dict.fromkeys(t.form for t in kiwi().tokenize(text)
                                   if t.tag in _NOUNS and len(t.form) > 1))
        if len(nouns) >= 2:
            pools.append(nouns)
    out: dict[str, None] = {}
    attempts = 0
    while len(out) < n and pools and attempts < 50 * n:
        attempts += 1
        nouns = rng.choice(pools)
        a, b = rng.sample(nouns, 2)
        out[rng.choice(_SHAPES)(a, b)] = None
    questions = list(out)
    rng.shuffle(questions)
    return questions
