"""Retrieval metrics over a question file (format of shared/eval/seed_qa.jsonl).

A returned sentence is a hit when, with all whitespace removed from both, its
text contains one of the question's keys.

``absent``: each answerable question is also asked of the index without its article
(the one article holding its key; questions whose key two articles hold are skipped).
Whatever it then cites is wrong, so it should be refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .answers import FACTOID, question_type
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
        if not row["keys"] and not row.get("unanswerable"):
            # it could never be found, and would count as a miss
            raise InputError(f'{path}:{n} ({row["id"]}) has no "keys": list the fragments of its answer '
                             f'sentence, or mark it "unanswerable": true')
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
    unanswered: list[str] = field(default_factory=list)  # answerable, but reported as no answer
    # Factoid questions (who, when, where, which, how many, how much): how many have an
    # answer phrase highlighted in a first hit that holds the key, inside the key fragment.
    n_factoid: int = 0
    phrase_in_key: int = 0
    phrase_outside_sentence: int = 0  # must stay 0
    phrases: list[tuple[str, str | None]] = field(default_factory=list)  # (id, phrase) per factoid question
    # Asked without their article (``absent``): (id, correctly refused).
    absent: list[tuple[str, bool]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"answerable questions: {self.n_answerable}",
            f"R@1     {self.r1:.3f}",
            f"R@5     {self.r5:.3f}",
            f"MRR@10  {self.mrr10:.3f}",
            f"answered (of answerable): {self.answered_rate:.3f}",
        ]
        ok = sum(1 for _, good in self.unanswerable if good)
        if self.unanswered:
            out.append("answerable but reported as no answer: " + ", ".join(self.unanswered))
        if self.n_factoid:
            out.append(f"answer phrase inside the key (factoid questions): {self.phrase_in_key}/{self.n_factoid}"
                       f" = {self.phrase_in_key / self.n_factoid:.3f}"
                       + "".join(f"\n  {qid}: {p!r}" for qid, p in self.phrases))
        out.append(f"answer phrases outside their cited sentence: {self.phrase_outside_sentence}")
        out.append(f"unanswerable reported as no answer: {ok}/{len(self.unanswerable)}"
                   + "".join(f"\n  {qid}: {'no answer (correct)' if good else 'ANSWERED (wrong)'}"
                             for qid, good in self.unanswerable))
        if self.absent:
            ok = sum(1 for _, good in self.absent if good)
            out.append(f"asked without their article, reported as no answer: {ok}/{len(self.absent)}"
                       f" = {ok / len(self.absent):.3f}"
                       + (" (answered: " + ", ".join(q for q, good in self.absent if not good) + ")"
                          if ok < len(self.absent) else ""))
        if self.misses:
            out.append("not found in top 5: " + ", ".join(self.misses))
        return out


def article_of(texts: dict[str, str], keys: list[str]) -> str | None:
    """The one article whose (squashed) text holds a key; None when none or several do."""
    holders = [d for d, text in texts.items() if any(_squash(k) in text for k in keys)]
    return holders[0] if len(holders) == 1 else None


def evaluate(index, questions: list[dict], k: int = 10, absent: bool = False) -> Report:
    """``absent`` needs an index with ``with_changes`` (the local engine, not a Milvus view)."""
    rep = Report()
    texts = {d: _squash(doc.text) for d, doc in index.documents.items()} if absent else {}
    rr_sum = r1 = r5 = answered = 0
    for q in questions:
        res = index.search(q["q"], k=k)
        rep.phrase_outside_sentence += sum(
            1 for h in res.hits
            if h.answer_start is not None and not (h.start <= h.answer_start < h.answer_end <= h.end))
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
        if not res.answered:
            rep.unanswered.append(q["id"])
        gold = article_of(texts, q["keys"]) if absent else None
        if gold is not None:
            rep.absent.append((q["id"], not index.with_changes(delete=[gold]).search(q["q"], k=k).answered))
        if question_type(q["q"]) in FACTOID:
            rep.n_factoid += 1
            phrase = None
            top = res.hits[0] if rank == 1 else None
            if top is not None and top.answer_start is not None:
                # the hit's text is its document's text[start:end] (citations are exact)
                phrase = top.text[top.answer_start - top.start:top.answer_end - top.start]
                rep.phrase_in_key += bool(_squash(phrase)) and any(_squash(phrase) in key for key in keys)
            rep.phrases.append((q["id"], phrase))
    n = max(1, rep.n_answerable)
    rep.r1, rep.r5, rep.mrr10, rep.answered_rate = r1 / n, r5 / n, rr_sum / n, answered / n
    return rep
