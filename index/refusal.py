"""Questions that are not questions: control characters, keyboard mashing, bare jamo.

Checked before retrieval so that "asdfgh qwerty zxcvb" or a lone NUL is never
answered. Questions about things the corpus does not hold are refused later, by
the fusion model (its features include how much of the question the corpus has
never seen).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

_JAMO = re.compile(r"[\u1100-\u11ff\u3130-\u318f]")
_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Runs along a keyboard row, in either direction.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")
_VOWELS = set("aeiouy")


def clean_question(text: str) -> str:
    """The question without control and format characters (NUL, BEL, zero-width...)."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(" " if ch in "\t\n\r" else "")
        else:
            out.append(ch)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _row_run(word: str) -> int:
    """Longest run of the word that walks along one keyboard row."""
    best = 0
    w = word.lower()
    for row in _ROWS:
        for seq in (row, row[::-1]):
            run = 1
            for a, b in itertools.pairwise(w):
                run = run + 1 if a in seq and b in seq and seq.find(b) == seq.find(a) + 1 else 1
                best = max(best, run)
    return best


def _mashed(word: str) -> bool:
    w = word.lower()
    if len(w) < 3:
        return False
    if _row_run(w) >= 4:
        return True
    if not any(c in _VOWELS for c in w):
        return True
    run = longest = 0
    for c in w:
        run = 0 if c in _VOWELS else run + 1
        longest = max(longest, run)
    return longest >= 5 or len(set(w)) <= 1


def nonsense_reason(question: str) -> str | None:
    """Why ``question`` cannot be a question, or None when it may be one."""
    text = clean_question(question)
    letters = [c for c in text if c.isalnum()]
    if not letters:
        return "the question has no words"
    syllables = len(_SYLLABLE.findall(text))
    jamo = len(_JAMO.findall(text))
    if jamo and jamo >= syllables:
        return "the question is loose Hangul letters (ㅁㄴㅇㄹ), not words"
    if syllables >= 2 and len(set(_SYLLABLE.findall(text))) == 1:
        return "the question repeats one syllable"
    if syllables == 0 and not _CJK.search(text):
        # acronyms (TSMC, HBM) have no vowels and are still words
        words = [w for w in _LATIN_WORD.findall(text) if len(w) >= 3 and not (w.isupper() and len(w) <= 6)]
        if not words:
            return None if len(letters) >= 2 else "the question is too short"
        mashed = sum(_mashed(w) for w in words)
        if mashed * 2 >= len(words):
            return "the question looks like keyboard mashing"
    return None
