"""Follow-up questions: rewrite "그럼 한국은?" against the previous question.

The follow-up's new entity or aspect goes into the previous question instead of
being appended to it, so the old topic does not win again:

    "일본은 AI 지원에 얼마를 쓰나?" + "그럼 한국은?"   -> "한국은 AI 지원에 얼마를 쓰나?"
    "리벨리온은 어디에 법인을 세웠나?" + "언제?"       -> "리벨리온은 언제 법인을 세웠나?"
    "리벨리온은 어디에 법인을 세웠나?" + "대표는?"     -> "리벨리온 대표는?"

``Resolved.replaced`` names the words the follow-up took out (the old topic): a
sentence about them and not about the new one answers the previous question,
so the engine does not cite it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from .analyze import Token, tokens
from .answers import QUESTION_WORDS, Switch, value_asked

_CONNECTIVE = re.compile(r"^\s*(그럼|그러면|그렇다면|그리고|그런데|근데|또|또한|and|what about|how about)\b[\s,]*",
                         re.IGNORECASE)
_ENTITY = {"NNP", "SL", "SH"}
_NOUN = {"NNP", "NNG", "SL", "SH", "SN", "NR", "XR", "XPN", "XSN"}
_PREDICATE = {"VV", "VA", "XSV", "XSA"}
# Nouns that name an aspect of an entity ("리벨리온 대표"), not another entity.
_TITLES = {"대표", "회장", "사장", "대표이사", "창업자", "본사", "매출", "직원", "주가", "가치", "규모", "위치", "임기"}
_QWORDS = QUESTION_WORDS
# Words that belong to the question word's phrase: "몇 분 동안", "얼마 동안", "몇 년 만에".
_QWORD_TAIL = {"동안", "간", "만", "째", "정도", "쯤", "가량"}


@dataclass(frozen=True)
class Resolved:
    text: str  # what to search for
    rewritten: bool = False  # True when the history changed the question
    replaced: tuple[str, ...] = field(default=())  # words of the previous question taken out
    added: tuple[str, ...] = field(default=())  # the follow-up's own words put in

    @property
    def switch(self) -> Switch | None:
        """The entities traded, when the follow-up is about another one (see answers.Switch)."""
        return Switch("".join(self.replaced), "".join(self.added)) if self.replaced and self.added else None


def _runs(toks: Sequence[Token], tags: set[str]) -> list[tuple[int, int]]:
    """Maximal runs [i, j) of tokens whose tags are in ``tags`` (a noun phrase such as "일본 도쿄")."""
    out, i = [], 0
    while i < len(toks):
        if toks[i].tag in tags and toks[i].form not in _QWORDS:
            j = i + 1
            while j < len(toks) and toks[j].tag in tags and toks[j].form not in _QWORDS:
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def _qword(toks: Sequence[Token]) -> tuple[int, int] | None:
    """Token range of the question word's phrase ("언제", "몇 명", "얼마", "몇 분 동안")."""
    for i, t in enumerate(toks):
        if t.form in _QWORDS:
            j = i + 1
            if t.form == "몇" and j < len(toks) and toks[j].tag in ("NNB", "NNG"):
                j += 1
            while j < len(toks) and toks[j].form in _QWORD_TAIL and toks[j].tag.startswith("NN"):
                j += 1
            return i, j
    return None


def _topic_particle(toks: Sequence[Token], j: int) -> bool:
    return j < len(toks) and toks[j].tag in ("JX", "JKS") and toks[j].form in ("은", "는", "이", "가")


_PAIRS = {"은": ("은", "는"), "는": ("은", "는"), "이": ("이", "가"), "가": ("이", "가"), "을": ("을", "를"),
          "를": ("을", "를"), "과": ("과", "와"), "와": ("과", "와"), "으로": ("으로", "로"), "로": ("으로", "로")}


def _particle(word: str, particle: str) -> str:
    """``particle`` in the form that follows ``word`` (after a final consonant or not)."""
    if particle not in _PAIRS or not word:
        return particle
    last = word[-1]
    if "\uac00" <= last <= "\ud7a3":
        final = (ord(last) - 0xAC00) % 28
        closed = final != 0 and not (particle in ("으로", "로") and final == 8)  # ㄹ takes 로
    else:
        closed = last.lower() not in "aeiouy"
    return _PAIRS[particle][0 if closed else 1]


def _shares(a: str, b: str) -> bool:
    return any(a[i:i + 2] in b for i in range(len(a) - 1))


def resolve(question: str, history: Sequence[str] | None = None) -> Resolved:
    """``question`` rewritten against the last question of ``history`` (oldest first), itself
    resolved against the ones before it: "리벨리온은 어디에 법인을 세웠어?", "업스테이지는?",
    "언제?" asks when 업스테이지 set up its office."""
    question = question.strip()
    earlier = [h.strip() for h in history or () if h and h.strip()]
    if not earlier:
        return Resolved(question)
    prev = resolve(earlier[-1], earlier[:-1]).text
    m = _CONNECTIVE.match(question)
    # "그럼 한국은 어떻게 돼?" asks what "그럼 한국은?" asks
    rest = value_asked(question[m.end():].strip() if m else question)
    toks = tokens(rest)
    own_qword = _qword(toks)
    in_qword = set(range(*own_qword)) if own_qword else set()
    nouns = [t for k, t in enumerate(toks) if t.tag in _NOUN and t.form not in _QWORDS and k not in in_qword]
    has_predicate = any(t.tag in _PREDICATE and t.form not in ("하", "되", "이") for t in toks)
    # A question of its own: a predicate with a noun, three nouns, or (without a
    # connective) a question word with two nouns: "리벨리온 대표는 누구야?".
    # "국회의원은?" (Kiwi: 국회 + 의원) and "그럼 대통령은 몇 년이야?" are follow-ups.
    if (has_predicate and nouns) or len(nouns) >= 3 or (len(nouns) >= 2 and own_qword is not None):
        return Resolved(question)

    ptoks = tokens(prev)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in prev
    replaced: list[str] = []
    added: list[str] = []
    new_runs = [(i, j) for i, j in _runs(toks, _NOUN) if not in_qword & set(range(i, j))]
    aspect = None
    if new_runs:
        i, j = new_runs[0]
        new_text = rest[toks[i].start:toks[j - 1].end]
        new_is_entity = any(t.tag in _ENTITY for t in toks[i:j])
        target = None
        entities = _runs(ptoks, _ENTITY)
        topical = [r for r in _runs(ptoks, _NOUN) if _topic_particle(ptoks, r[1])]
        for a, b in _runs(ptoks, _NOUN):
            for k in range(a, b):
                if ptoks[k].tag in ("NNG", "NNP") and _shares(new_text, ptoks[k].form) and target is None:
                    # "대법관" replaces "대법원장"; "업스테이지 대표" replaces all of "리벨리온 대표"
                    whole = new_is_entity and any(t.tag in _ENTITY for t in ptoks[a:b])
                    target = (a, b) if whole else (k, k + 1)
        if target is None and new_is_entity and entities:
            # another name for the previous question's name: the topic-marked one, else a proper noun
            proper = [r for r in entities if any(t.tag == "NNP" for t in ptoks[r[0]:r[1]])]
            marked = [r for r in entities if _topic_particle(ptoks, r[1])]
            # Kiwi may tag a new name as a common noun ("업스테이지는"): a one-word topic counts
            one_word = [r for r in topical if not any(ptoks[k].start > ptoks[k - 1].end for k in range(r[0] + 1, r[1]))]
            target = (marked or one_word or proper or entities)[0]
        is_aspect = not new_is_entity and any(t.form in _TITLES for t in toks[i:j])
        if target is None and not is_aspect:
            # the topic of the previous question ("일본은", "업스테이지는"); in "대통령 임기는"
            # the head noun ("임기") is the aspect and stays
            tops = [r for r in topical if any(t.tag in _ENTITY for t in ptoks[r[0]:r[1]])] or topical
            if tops:
                a, b = tops[0]
                words = [k for k in range(a + 1, b) if ptoks[k].start > ptoks[k - 1].end]  # word starts
                target = (a, words[-1]) if words else (a, b)
            elif entities:
                target = entities[0]
        if target is not None:
            a, b = target
            end, tail = ptoks[b - 1].end, ""
            if b < len(ptoks) and ptoks[b].tag.startswith("J") and ptoks[b].start == end:
                # the particle agrees with the new word: "리벨리온은" -> "업스테이지는"
                end, tail = ptoks[b].end, _particle(new_text, ptoks[b].form)
            edits.append((ptoks[a].start, end, new_text + tail))
            replaced += [t.form for t in ptoks[a:b] if t.tag in _NOUN]
            added += [t.form for t in toks[i:j]]
        else:
            aspect = rest
    qw_new = own_qword
    # "얼마나" marks a question of its own ("법인세 감면은 얼마나?"); it replaces no other question
    # word, since "몇 명이야?" + "얼마나 돼?" asks the same thing ("얼마나이야" otherwise)
    if qw_new is not None and toks[qw_new[0]].form != "얼마나":
        qw_old = _qword(ptoks)
        new_q = rest[toks[qw_new[0]].start:toks[qw_new[1] - 1].end]
        if qw_old is not None:
            a, b = qw_old
            if b < len(ptoks) and ptoks[b].tag.startswith("J"):
                b += 1  # "어디에" -> "언제", not "언제에"
            edits.append((ptoks[a].start, ptoks[b - 1].end, new_q))
    if aspect is not None:
        # "대표는?": the previous question's entity with the new aspect
        runs = _runs(ptoks, _ENTITY)
        marked = [r for r in runs if _topic_particle(ptoks, r[1])]
        topical = [r for r in _runs(ptoks, _NOUN) if _topic_particle(ptoks, r[1])]
        found = marked or runs or topical
        subject = prev[ptoks[found[0][0]].start:ptoks[found[0][1] - 1].end] if found else prev
        text = f"{subject} {aspect}"
        return Resolved(text, True, (), tuple(t.form for t in toks if t.tag in _NOUN))
    if not edits:
        return Resolved(f"{prev} {rest}", True)
    text = prev
    for s, e, rep in sorted(edits, reverse=True):
        text = text[:s] + rep + text[e:]
    return Resolved(text, True, tuple(replaced), tuple(added))


def resolve_question(question: str, history: Sequence[str] | None = None) -> str:
    """The question to search for (see ``resolve``)."""
    return resolve(question, history).text
