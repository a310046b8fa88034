"""Follow-up questions: resolve "그럼 한국은?" against the conversation so far."""

from __future__ import annotations

import re
from typing import Sequence

from .analyze import morphemes

_FOLLOW_UP = re.compile(r"^(그럼|그러면|그렇다면|그건|그것은|그래서|또|그리고|and|what about|how about)\b",
                        re.IGNORECASE)


def resolve_question(question: str, history: Sequence[str] | None = None) -> str:
    """The question to search for.

    A question with few content words of its own, or one that opens with a
    connective, inherits the previous question's topic.
    """
    question = question.strip()
    if not history:
        return question
    prev = next((h.strip() for h in reversed(history) if h and h.strip()), "")
    if not prev:
        return question
    own = morphemes(question)
    follow_up = len(own) <= 2 or bool(_FOLLOW_UP.match(question))
    return f"{prev} {question}" if follow_up else question
