"""Retrieval metrics over a question file (format of shared/eval/seed_qa.jsonl).

A returned sentence is a hit when, with all whitespace removed from both, its
text contains one of the question's keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .text import squash as _squash


def load_questions(path: Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"question file {path} not found: pass --qa FILE.jsonl")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{n} is not JSON ({e.msg}): one JSON object per line") from e
        if not isinstance(row, dict) or not isinstance(row.get("q"), str):
            raise InputError(f'{path}:{n} needs a "q" string and a "keys" list')
        row.setdefault("keys", [])
        row.setdefault("id", f"line{n}")
        rows.append(row)
    if not rows:
        raise InputError(f"{path} holds no questions")
    return rows


@dataclass
class Report:
    n_answerable: int = 0
    r1: float = 0.0
    r5: float = 0.0
    mrr10: float = 0.0
    answered_rate: float = 0.0  # answerable questions with answered == True
    unanswerable: list[tuple[str, bool]] = field(default_factory=list)  # (id, correctly refused)
    misses: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"answerable questions: {self.n_answerable}",
            f"R@1     {self.r1:.3f}",
            f"R@5     {self.r5:.3f}",
            f"MRR@10  {self.mrr10:.3f}",
            f"answered (of answerable): {self.answered_rate:.3f}",
        ]
        ok = sum(1 for _, good in self.unanswerable if good)
        out.append(f"unanswerable reported as no answer: {ok}/{len(self.unanswerable)}"
                   + "".join(f"\n  {qid}: {'no answer (correct)' if good else 'ANSWERED (wrong)'}"
                             for qid, good in self.unanswerable))
        if self.misses:
            out.append("not found in top 5: " + ", ".join(self.misses))
        return out


def evaluate(index, questions: list[dict], k: int = 10) -> Report:
    rep = Report()
    rr_sum = r1 = r5 = answered = 0
    for q in questions:
        res = index.search(q["q"], k=k)
        if q.get("unanswerable"):
            rep.unanswerable.append((q["id"], not res.answered))
            continue
        rep.n_answerable += 1
        keys = [_squash(key) for key in q["keys"]]
        rank = next((h.rank for h in res.hits if any(key in _squash(h.text) for key in keys)), None)
        if rank is not None:
            rr_sum += 1.0 / rank
            r1 += rank == 1
            r5 += rank <= 5
        if rank is None or rank > 5:
            rep.misses.append(q["id"])
        answered += res.answered
    n = max(1, rep.n_answerable)
    rep.r1, rep.r5, rep.mrr10, rep.answered_rate = r1 / n, r5 / n, rr_sum / n, answered / n
    return rep
