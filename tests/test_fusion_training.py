"""The fusion's training maths (bench/train_fusion.py) on synthetic questions: no model,
no index. The shipped model's own figures are checked by tests/test_quality.py."""

import numpy as np

from bench import train_fusion as T
from index import fusion

N_FEATURES = len(fusion.RANK_FEATURES)


def _item(rng, qid: str, kind: str, informative: bool = True) -> T.Item:
    """Ten candidates; for an answerable question candidate 0 is gold and, when
    ``informative``, the only one with a high first ("dense") feature."""
    x = rng.normal(0.0, 0.1, (10, N_FEATURES))
    if kind == "answerable" and informative:
        x[0, 0] += 1.0
    if kind != "answerable":
        x[:, 0] -= 0.5  # nothing close: what the verdict should learn to refuse
    hits = np.zeros(10, bool)
    hits[0] = kind == "answerable"
    order = rng.permutation(10)
    return T.Item(qid, qid, qid, kind, x[order], hits[order], 0.0, True)


def _items(seed: int, n: int = 60, informative: bool = True) -> list[T.Item]:
    rng = np.random.default_rng(seed)
    return ([_item(rng, f"a{i}", "answerable", informative) for i in range(n)]
            + [_item(rng, f"u{i}", "unanswerable") for i in range(n // 3)])


def test_the_ranker_learns_the_feature_that_marks_the_gold_sentence():
    w = T.fit_ranker(_items(0))
    assert w[0] > 0 and abs(w[0]) > 3 * np.abs(w[1:]).max()


def test_cross_validation_scores_the_fold_models_on_the_tested_items():
    items = _items(1)
    clean = T.cross_validate(items)
    assert clean["answerable"] == 60 and clean["unanswerable"] == 20
    assert clean["r1"] >= 0.9 and clean["refused_unanswerable"] >= 0.9
    # The same folds' models, asked about other questions in which the feature says nothing:
    # the figures are those of the tested items, not of the training ones.
    noisy = T.cross_validate(items, _items(2, informative=False))
    assert noisy["answerable"] == 60
    assert noisy["r1"] <= 0.4


def test_each_kind_of_text_weighs_the_same_in_the_ranker():
    rng = np.random.default_rng(3)
    items = [_item(rng, f"n{i}", "answerable") for i in range(2)]
    items += [_item(rng, f"l{i}", "answerable") for i in range(6)]
    for it in items:
        it.corpus = "seeds" if it.qid.startswith("n") else "corpus"
    c = T.balance(items)
    assert np.isclose(c.mean(), 1.0)
    assert np.isclose(c[:2].sum(), c[2:].sum())  # two news questions weigh as much as six legal ones


def test_the_ranker_learns_a_rare_kind_of_text_as_much_as_a_common_one():
    # 10 questions of one kind, whose gold has a high feature 0; 40 of another, with feature 1
    rng = np.random.default_rng(4)
    items = []
    for i in range(50):
        it = _item(rng, f"q{i}", "answerable", informative=False)
        gold = int(np.flatnonzero(it.hits)[0])
        it.features[gold, 0 if i < 10 else 1] += 1.0
        it.corpus = "seeds" if i < 10 else "corpus"
        items.append(it)
    w = T.fit_ranker(items)
    assert 0.85 < w[0] / w[1] < 1.15  # unweighted: 0.78


def test_the_verdict_sees_a_missing_number_only_for_number_questions():
    feats = np.zeros((2, N_FEATURES))
    feats[0, fusion.COLUMN["shape_no"]] = 1.0
    scores = np.array([1.0, 0.0])
    at = fusion.VERDICT_FEATURES.index("number_missing")
    assert fusion.verdict_features(scores, feats, 0, 0.0, True, "count")[at] == 1.0
    assert fusion.verdict_features(scores, feats, 0, 0.0, True, "person")[at] == 0.0  # names are found less surely
    assert fusion.verdict_features(scores, feats, 1, 0.0, True, "count")[at] == 0.0  # the best sentence holds one


def test_the_verdict_sees_a_missing_focus():
    feats, scores = np.zeros((2, N_FEATURES)), np.array([1.0, 0.0])
    at = fusion.VERDICT_FEATURES.index("focus_missing")
    assert fusion.verdict_features(scores, feats, 0, 0.0, True, None, True)[at] == 1.0
    assert fusion.verdict_features(scores, feats, 0, 0.0, True)[at] == 0.0
    assert fusion.current().verdict[at] < 0  # a best sentence that never names the focus lowers P


def test_the_verdict_sees_names_the_article_never_mentions():
    feats, scores = np.zeros((2, N_FEATURES)), np.array([1.0, 0.0])
    at = fusion.VERDICT_FEATURES.index("name_missing")
    assert fusion.verdict_features(scores, feats, 0, 0.0, True, None, False, 0.5)[at] == 0.5
    assert fusion.verdict_features(scores, feats, 0, 0.0, True)[at] == 0.0
    assert fusion.current().verdict[at] < 0  # an article that never names the question's names lowers P
