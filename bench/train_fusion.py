"""Train the learned fusion (index/fusion.py) and report it cross-validated by document.

    python -m bench.train_fusion            # cross-validate, then write index/fusion_model.json
    python -m bench.train_fusion --dry-run  # cross-validate only
    python -m bench.train_fusion --dry-run --distractors 10000
        # also: the same folds' models on the same questions, with 10,000 movie reviews
        # (../shared/corpora, read in place, embedded for real) added to both indexes

Data: bench/dev_qa.jsonl over the seeds, and bench/qa.jsonl over the seeds plus
bench/corpus/. Each answerable question is asked twice: of the full index (its gold
sentence is a positive for the ranker) and of the index without its article (the
"article not in the index" negative for the verdict, kept only when no other article
holds the key). The written unanswerable questions are negatives too. The public
seed questions (../shared/eval/seed_qa.jsonl) are never trained on.

Folds split by document: every question about one article, and its absent-article
copy, is in the same fold. Questions without an article (written unanswerables) are
spread by their id. The models are small and fitted here with numpy: a listwise
linear ranker (softmax over each question's candidates, L2; the news questions and
the legal texts' questions weigh the same in total), a logistic verdict
(Newton, L2) and a one-feature logistic calibration of the ranker's score.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FOLDS = 5
RANK_L2 = 0.1
VERDICT_L2 = 0.3
TARGET_ANSWERED = 0.97  # in-sample share of answerable questions the threshold keeps answered (0.95 cross-validated)


@dataclass
class Item:
    qid: str
    question: str
    group: str  # the fold key: the gold article, or the question id
    kind: str  # "answerable", "absent" (its article removed) or "unanswerable"
    features: np.ndarray  # (n, len(RANK_FEATURES)), shape features for the top 30
    hits: np.ndarray  # (n,) bool: the sentence holds a key (answerable only)
    unseen: float
    korean: bool
    corpus: str = ""  # where the gold article comes from ("seeds": news, "corpus": legal texts)
    qtype: str | None = None  # the answer shape the question asks for (answers.question_type)
    focus_missing: np.ndarray | None = None  # (n,) the question's focus noun is not in the sentence or its title
    rows: list[tuple[str, int]] | None = None  # (doc_id, sentence index) of each candidate (bench.dense_variants)
    name_missing: np.ndarray | None = None  # (n,) share of the question's proper names the article never mentions
    texts: list[str] | None = None  # each candidate's sentence (fusion.missing_answer reads the best one's)

    def focus_missing_at(self, j: int) -> bool:
        return bool(self.focus_missing[j]) if self.focus_missing is not None else False

    def name_missing_at(self, j: int) -> float:
        return float(self.name_missing[j]) if self.name_missing is not None else 0.0

    def verdict_input(self, scores: np.ndarray, top: int) -> np.ndarray:
        """The verdict's features with ``top`` the best candidate under ``scores``."""
        from index import fusion

        return fusion.verdict_features(scores, self.features, top, self.unseen, self.korean, self.qtype,
                                       self.focus_missing_at(top), self.name_missing_at(top))


def _index(seeds: Path, data_dir: Path):
    from bench.scale import models_dir
    from index.__main__ import _open
    from index.settings import Settings

    return _open(Settings(data_dir=data_dir, seeds_dir=seeds, models_dir=models_dir()))


def _items(index, questions: list[dict], name: str, seed_ids: frozenset[str] = frozenset()) -> list[Item]:
    from index import fusion
    from index.backend import LOCAL
    from index.evaluate import article_of
    from index.text import squash

    texts = {d: squash(index.documents[d].text) for d in index.documents}
    out = []
    for q in questions:
        keys = [squash(k) for k in q.get("keys", [])]
        alone = article_of(texts, keys)  # the one article holding the key, if only one does
        gold = q.get("doc") or alone or next((d for d, t in texts.items() if any(k in t for k in keys)), None)
        runs = [("answerable" if keys else "unanswerable", index)]
        if alone is not None:
            runs.append(("absent", index.with_changes(delete=[alone])))
        for kind, snap in runs:
            query = snap.query(q["q"])
            cands = LOCAL.candidates(snap, query, 50, None)
            if not cands.keys:
                continue
            # No weights, so the features do not depend on a model: every score ties and the
            # answer shape is read for the first 30 candidates in the backend's order (dense best first).
            ranked = snap.rank(query, cands, shape_top=30, model=fusion.NEUTRAL)
            hits = np.array([kind == "answerable" and any(k in squash(s.text) for k in keys)
                             for s in ranked.sentences])
            out.append(Item(f"{name}:{q['id']}", q["q"], gold or q["id"], kind, ranked.features, hits,
                            ranked.unseen, ranked.korean, "seeds" if gold in seed_ids else "corpus", ranked.qtype,
                            ranked.focus_missing, [(s.doc_id, s.index) for s in ranked.sentences],
                            ranked.name_missing, [s.text for s in ranked.sentences]))
    return out


# ----------------------------------------------------------------- fitting
def balance(items: list[Item]) -> np.ndarray:
    """Weights under which each kind of text (``Item.corpus``) weighs the same in total,
    with mean 1: the legal texts' 243 questions would otherwise teach the ranker their
    style over the news questions' 147."""
    kinds = [it.corpus for it in items]
    count = {k: kinds.count(k) for k in set(kinds)}
    return np.array([len(items) / (len(count) * count[k]) for k in kinds])


def fit_ranker(items: list[Item], l2: float = RANK_L2) -> np.ndarray:
    """Listwise: maximise log(sum of softmax over the gold sentences) per question, each
    question weighted so that every kind of text counts the same (``balance``)."""
    answerable = [it for it in items if it.kind == "answerable" and it.hits.any()]
    data = [(it.features, it.hits, c) for it, c in zip(answerable, balance(answerable))]
    w = np.zeros(data[0][0].shape[1])

    def loss_grad(w):
        loss, grad = l2 * w @ w, 2 * l2 * w
        for x, h, c in data:
            s = x @ w
            s = s - s.max()
            e = np.exp(s)
            p = e / e.sum()
            ph = np.where(h, e, 0.0) / e[h].sum()
            loss += c * (np.log(e.sum()) - np.log(e[h].sum()))
            grad += c * (x.T @ (p - ph))
        return loss, grad

    step = 1.0
    loss, grad = loss_grad(w)
    for _ in range(3000):
        while True:
            w2 = w - step * grad
            loss2, grad2 = loss_grad(w2)
            if loss2 <= loss - 0.25 * step * grad @ grad or step < 1e-8:
                break
            step /= 2
        if loss - loss2 < 1e-9:
            w, loss, grad = w2, loss2, grad2
            break
        w, loss, grad = w2, loss2, grad2
        step *= 2
    return w


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = VERDICT_L2) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method; the bias is not penalised."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -40, 40)))
        grad = xb.T @ (p - y) + reg * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        delta = np.linalg.solve(hess, grad)
        w -= delta
        if np.abs(delta).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def verdict_rows(w: np.ndarray, items: list[Item]) -> tuple[np.ndarray, np.ndarray]:
    x, y = [], []
    for it in items:
        s = it.features @ w
        top = int(np.argmax(s))
        x.append(it.verdict_input(s, top))
        y.append(it.kind == "answerable")
    return np.array(x), np.array(y, float)


def fit_all(items: list[Item]):
    from index.fusion import FusionModel

    w = fit_ranker(items)
    x, y = verdict_rows(w, items)
    v, b = fit_logistic(x, y)
    # calibration: P(a candidate holds the answer) from its score, over the answerable questions' top 10
    sc, lab = [], []
    for it in items:
        if it.kind != "answerable":
            continue
        s = it.features @ w
        top = np.argsort(-s, kind="stable")[:10]
        sc.extend(s[top])
        lab.extend(it.hits[top])
    a, c = fit_logistic(np.array(sc)[:, None], np.array(lab, float), l2=1e-3)
    p = 1 / (1 + np.exp(-(x @ v + b)))
    threshold = float(np.quantile(p[y == 1], 1 - TARGET_ANSWERED)) if (y == 1).any() else 0.5
    return FusionModel(w, v, b, (float(a[0]), c), threshold)


def outcomes(model, items: list[Item]) -> list[tuple[str, bool, bool, bool]]:
    """(kind, hit at 1, hit in 5, answered) of each item under ``model``."""
    from index import fusion
    from index.analyze import has_hangul

    out = []
    for it in items:
        s = model.score(it.features)
        if it.texts and it.rows:
            s = fusion.hand_over(s, it.texts, it.rows, it.question)  # as SentenceIndex.rank does
        order = np.argsort(-s, kind="stable")
        p = model.answerable(it.verdict_input(s, int(order[0])))
        out.append((it.kind, bool(it.hits[order[:1]].any()), bool(it.hits[order[:5]].any()),
                    fusion.answered(p, model.threshold, has_hangul(it.question),
                                    fusion.missing_answer(it.question, it.texts[int(order[0])] if it.texts else "",
                                                          it.features, int(order[0]),
                                                          it.focus_missing_at(int(order[0]))))))
    return out


def summary(rows: list[tuple[str, bool, bool, bool]]) -> dict:
    ans = [r for r in rows if r[0] == "answerable"]
    un = [r for r in rows if r[0] == "unanswerable"]
    ab = [r for r in rows if r[0] == "absent"]

    def share(xs):
        return round(float(np.mean(xs)), 3) if xs else None

    return {"answerable": len(ans), "r1": share([r[1] for r in ans]), "r5": share([r[2] for r in ans]),
            "answered": share([r[3] for r in ans]),
            "unanswerable": len(un), "refused_unanswerable": share([not r[3] for r in un]),
            "absent_article": len(ab), "refused_absent_article": share([not r[3] for r in ab])}


def fold_of(group: str) -> int:
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % FOLDS


def cross_validate(items: list[Item], tested: list[Item] | None = None) -> dict:
    """Each fold's model, fitted on the other folds of ``items``, tested on its fold of
    ``tested`` (default: of ``items``)."""
    rows = []
    for f in range(FOLDS):
        model = fit_all([it for it in items if fold_of(it.group) != f])
        rows += outcomes(model, [it for it in (items if tested is None else tested) if fold_of(it.group) == f])
    return summary(rows)


def _all_items(tmp: Path, distractors: list | None = None, indexes: list | None = None) -> list[Item]:
    """Training items of both question files; with ``distractors`` (segments of other
    text) added to both indexes, the same questions in a noisier collection. The two
    indexes (the seeds', the seeds' with bench/corpus/) are appended to ``indexes``."""
    from index.evaluate import load_questions

    both = tmp / "texts"
    both.mkdir()
    for f in sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "bench" / "corpus").glob("*.txt")):
        (both / f.name).symlink_to(f)
    seeds_index = _index(ROOT / "seeds", tmp / "a")
    wide = _index(both, tmp / "b")
    if distractors:
        seeds_index, wide = seeds_index.with_changes(distractors), wide.with_changes(distractors)
    if indexes is not None:
        indexes += [seeds_index, wide]
    seed_ids = frozenset(seeds_index.documents)
    items = _items(seeds_index, load_questions(ROOT / "bench" / "dev_qa.jsonl"), "dev", seed_ids)
    return items + _items(wide, load_questions(ROOT / "bench" / "qa.jsonl"), "qa", seed_ids)


def _distractors(n_reviews: int) -> list:
    """Segments of ``n_reviews`` movie reviews, embedded with the real model. They are
    read from far into the corpus (review 200,001 on), away from the slice the scale
    bench's quality check uses (its first reviews)."""
    from bench.scale import documents, models_dir
    from index.embedder import load_embedder
    from index.segments import Segment
    from index.settings import Settings

    # the embedder the training indexes use (the CLI's), without building an index for it
    s = Settings(models_dir=models_dir())
    embedder = load_embedder(s.model, s.model_cache, log=lambda m: None, backend=s.embedder_backend, threads=0)
    docs = list(documents(200_000, n_reviews, 60))
    return [Segment.build(docs[a:a + 200], embedder) for a in range(0, len(docs), 200)]


def neutral_if_stale() -> None:
    """Extract features with the neutral model when the shipped file belongs to other features
    (they just changed): the indexes built here only extract features, so their manifests
    may name the neutral model."""
    from index import fusion

    try:
        fusion.current()
    except RuntimeError as e:
        print(f"{e.__cause__}; extracting features with the neutral model")
        fusion.current = lambda: fusion.NEUTRAL


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.train_fusion", description=__doc__.split("\n\n")[0])
    p.add_argument("--dry-run", action="store_true", help="cross-validate only; do not write the model")
    p.add_argument("--out", default=None, help="model file (default: index/fusion_model.json)")
    p.add_argument("--distractors", type=int, default=0, metavar="N",
                   help="also report the cross-validated figures with N movie reviews added to the indexes")
    args = p.parse_args(argv)
    from index import fusion

    neutral_if_stale()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsqa-train-") as tmp:
        items = _all_items(Path(tmp))
    print(f"{len(items)} training questions ({sum(i.kind == 'answerable' for i in items)} answerable, "
          f"{sum(i.kind == 'unanswerable' for i in items)} unanswerable, "
          f"{sum(i.kind == 'absent' for i in items)} with their article removed) in {time.perf_counter() - t0:.0f}s")
    cv = cross_validate(items)
    print("cross-validated by document, %d folds: %s" % (FOLDS, json.dumps(cv)))
    from index.analyze import has_hangul

    # English questions are never answered (fusion.answered): the figures of the Korean ones alone
    korean = cross_validate(items, [it for it in items if has_hangul(it.question)])
    print("the same folds, Korean questions only:", json.dumps(korean))
    if args.distractors:
        t0 = time.perf_counter()
        segments = _distractors(args.distractors)
        with tempfile.TemporaryDirectory(prefix="newsqa-train-") as tmp:
            noisy = _all_items(Path(tmp), segments)
        added = sum(seg.n_rows for seg in segments)
        print(f"the same folds' models, asked with {added} review sentences added to both indexes "
              f"({time.perf_counter() - t0:.0f}s): {json.dumps(cross_validate(items, noisy))}")
    model = fit_all(items)
    fitted = summary(outcomes(model, items))
    print("fitted on everything (not a test figure):", json.dumps(fitted))
    print("ranker:", dict(zip(fusion.RANK_FEATURES, np.round(model.rank, 3).tolist())))
    print("verdict:", dict(zip(fusion.VERDICT_FEATURES, np.round(model.verdict, 3).tolist())),
          "bias", round(model.verdict_bias, 3), "threshold", round(model.threshold, 3))
    if args.dry_run:
        return 0
    out = Path(args.out) if args.out else fusion.MODEL_FILE
    model = fusion.FusionModel(model.rank, model.verdict, model.verdict_bias, model.calibration, model.threshold,
                               {"command": "python -m bench.train_fusion", "cross_validated": cv,
                                "cross_validated_korean": korean,
                                "folds": FOLDS, "target_answered": TARGET_ANSWERED,
                                "rank_l2": RANK_L2, "verdict_l2": VERDICT_L2})
    out.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
