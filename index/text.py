"""Small text helpers shared by the cleaner, the analyser and the evaluation."""

from __future__ import annotations

import re

# Precomposed Hangul syllables (가-힣).
HANGUL = re.compile(r"[\uac00-\ud7a3]")
_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """The text without white space: the scrape's spacing is unreliable (`삼성 전자`), so
    answer keys and sentences are compared squashed."""
    return _WS.sub("", text)
