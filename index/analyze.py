"""Korean text analysis with Kiwi: sentence splitting, spacing repair, morphemes."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from kiwipiepy import Kiwi

from .text import HANGUL as _HANGUL

_lock = threading.Lock()

# Content-bearing morpheme tags: nouns, numbers, foreign words, hanja, roots,
# verb and adjective stems. Particles, endings and punctuation carry no topic.
_KEEP = {"NNG", "NNP", "NR", "SL", "SN", "SH", "XR", "VV", "VA", "MAG"}
# Question words and light verbs: frequent in questions, never what they ask about.
_STOP = {"어떻", "어디", "언제", "무엇", "뭐", "얼마", "왜", "누구", "어느", "몇", "무슨",
         "하", "있", "되", "없", "보", "같", "않", "주", "지", "이", "그", "저", "것", "수", "등", "때"}


@lru_cache(maxsize=1)
def kiwi() -> Kiwi:
    # Without the multi-word dictionary (Wikipedia titles spanning several
    # words): it holds ~200 MB of the service's memory, and the index splits
    # and matches single morphemes anyway (quality unchanged, see the README).
    return Kiwi(load_multi_dict=False)


def split_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` as (start, end), trimmed of whitespace, never empty."""
    if not text.strip():
        return []
    with _lock:
        sents = kiwi().split_into_sents(text)
    spans: list[tuple[int, int]] = []
    for s in sents:
        start, end = s.start, s.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return _mend_quote_splits(text, spans)


_OPENING = "‘“'\"「『《〈"
_CLOSING = "’”'\"」』》〉"
_FULL_STOP = re.compile(r"[.?!](?=\s)")


def _mend_quote_splits(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Kiwi may end a sentence after a quoted phrase that a particle goes on with: "이유는 세
    가지다. ‘팩스, 열쇠, 도장의 나라’" + "로 불리는 일본이 …". Such a span starts on Hangul, glued
    to a closing quote: it is put back with the quote, and the sentence before ends at its last
    full stop before the quote opens."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if not (out and a == out[-1][1] and "가" <= text[a] <= "힣" and text[a - 1] in _CLOSING):
            out.append((a, b))
            continue
        pa, pb = out.pop()
        opened = max(text.rfind(c, pa, pb - 1) for c in _OPENING)
        stops = list(_FULL_STOP.finditer(text, pa, opened)) if opened > pa else []
        if stops:
            cut = stops[-1].end()
            start = cut
            while text[start].isspace():
                start += 1
            out += [(pa, cut), (start, b)]
        else:
            out.append((pa, b))
    return out


# Every index update re-derives the passages and terms of all sentences it keeps;
# caching these pure functions makes a write cost only its new sentences.
@lru_cache(maxsize=1 << 16)
def respace(text: str) -> str:
    """A spacing-normalised copy ("날아오 르기" -> "날아오르기") used only for indexing."""
    with _lock:
        return kiwi().space(text, reset_whitespace=True)


# Texts per call when analysing in bulk: Kiwi's batch calls are several times
# faster than one call a text, and the lock is released between chunks so a
# question never waits long behind a bulk ingest.
_CHUNK = 64


def respace_many(texts: list[str]) -> list[str]:
    """``respace`` of each text, in Kiwi batches."""
    out: list[str] = []
    for a in range(0, len(texts), _CHUNK):
        with _lock:
            out.extend(r if isinstance(r, str) else r[0] for r in kiwi().space(texts[a:a + _CHUNK],
                                                                               reset_whitespace=True))
    return out


def morphemes_many(texts: list[str]) -> list[list[str]]:
    """``morphemes`` of each text, in Kiwi batches."""
    out: list[list[str]] = []
    for a in range(0, len(texts), _CHUNK):
        with _lock:
            out.extend(_content(tokens) for tokens in kiwi().tokenize(texts[a:a + _CHUNK]))
    return out


def terms_many(texts: list[str], respaced: list[str]) -> list[list[str]]:
    """``document_terms`` of each text, given its respaced copy."""
    out = []
    for terms, extra in zip(morphemes_many(texts), morphemes_many(respaced)):
        seen = set(terms)
        for t in extra:
            if t not in seen:
                seen.add(t)
                terms.append(t)
        out.append(terms)
    return out


def morphemes(text: str) -> list[str]:
    """Content morphemes for BM25: "삼성 전자의 수혜" -> ["삼성", "전자", "수혜"]."""
    return _content(tokens(text))


def _content(tokens) -> list[str]:
    out = []
    for t in tokens:
        tag = t.tag.split("-")[0]
        form = t.form.lower()
        if tag in _KEEP and form not in _STOP:
            out.append(form)
    return out


def document_terms(text: str) -> list[str]:
    """BM25 terms of an indexed sentence: its morphemes, plus those of its
    spacing-repaired copy where repair changes the analysis ("삼성전 자도")."""
    return list(_document_terms(text))


@lru_cache(maxsize=1 << 16)
def _document_terms(text: str) -> tuple[str, ...]:
    terms = morphemes(text)
    seen = set(terms)
    for t in morphemes(respace(text)):
        if t not in seen:
            seen.add(t)
            terms.append(t)
    return tuple(terms)


def has_hangul(text: str) -> bool:
    return bool(_HANGUL.search(text))


@dataclass(frozen=True)
class Token:
    """A Kiwi morpheme with its base tag ("VV", not "VV-R") and its offsets in the analysed text."""

    form: str
    tag: str
    start: int
    end: int


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[Token, ...]:
    """Kiwi's analysis of ``text``, cached: one question is analysed for BM25, its answer
    type and its follow-up, and Kiwi runs under one lock for every request thread."""
    with _lock:
        toks = kiwi().tokenize(text)
    return tuple(Token(t.form, t.tag.split("-")[0], t.start, t.start + t.len) for t in toks)


def glued_runs(toks: Sequence[Token], tags: frozenset[str], longest: int = 4,
               lead: frozenset[str] = frozenset()) -> list[tuple[str, tuple[str, ...]]]:
    """Runs of two to ``longest`` adjacent tokens written without a space, each tagged one of
    ``tags`` (the first may be tagged one of ``lead``), as (the forms glued, the forms): the
    words Kiwi splits ("퓨리오사에이아이" read as 퓨리오사 + 에이아이), in order."""
    out = []
    for i in range(len(toks)):
        for j in range(i + 1, min(i + longest, len(toks))):
            if toks[j].start != toks[j - 1].end or toks[j].tag not in tags \
                    or toks[j - 1].tag not in (tags | lead if j - 1 == i else tags):
                break
            parts = tuple(t.form for t in toks[i:j + 1])
            out.append(("".join(parts), parts))
    return out


def glued_nouns(toks: Sequence[Token], tags: frozenset[str], longest: int = 4) -> list[str]:
    """The glued forms of ``glued_runs``."""
    return [glued for glued, _ in glued_runs(toks, tags, longest)]


# A name written out and its acronym in brackets, as news introduces them: "에너지저장장치(ESS)",
# "한국인공지능·소프트웨어산업협회(KOSA)", "고대역폭 메모리(high-bandwidth memory, HBM)"
_DEFINED = re.compile(r"([가-힣][가-힣·]{2,30})\s?\((?:[^()]{0,60},\s*)?([A-Z][A-Za-z&]*[A-Z][A-Za-z&]*)\)")


@lru_cache(maxsize=4096)
def acronyms(text: str) -> tuple[tuple[str, str], ...]:
    """(name, acronym) pairs that ``text`` defines, the acronym lower-cased as BM25 holds it."""
    return tuple(dict.fromkeys((m.group(1), m.group(2).lower()) for m in _DEFINED.finditer(text)))
