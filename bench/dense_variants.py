"""Which text the dense half embeds, measured alone and inside the learned fusion.

    python -m bench.dense_variants      # ~3 min on 2 cores

The index embeds each sentence as a passage: its article's title, the sentence before
it and the sentence (index/segments.py). Variants of that text:

    passage   title. previous sentence + sentence (what the index embeds)
    sentence  the sentence alone
    title     title. sentence
    previous  previous sentence + sentence
    pooled    the passage's one run, mean-pooled over the sentence's own tokens only
              (no second encode; ONNX backends only)

Each is measured **alone** (the question's cosine ranks every sentence of the index) and
**fused**: bench.train_fusion's ranker and verdict refitted with the variant's cosine as
the ``dense`` feature, or with it as a second dense feature beside the passage's.
Fused figures are cross-validated by document on the training questions (the same folds
as ``python -m bench.train_fusion``), and, fitted on all of them, measured on the sets
never trained on: seed_qa and bench/heldout/'s three sets, over the seed index. The
candidates are the shipped ones (the passage's dense top 50 and BM25's top 50). Texts
are respaced as the index respaces them; the passage variant is checked to be the
index's own text. Encoding rates are in-process, on every core, one text per run.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import train_fusion as tf

VARIANTS = ("passage", "sentence", "title", "previous", "pooled")
NEVER_TRAINED = {"seed_qa": tf.ROOT.parent / "shared" / "eval" / "seed_qa.jsonl", "heldout": tf.ROOT / "bench/heldout/qa.jsonl",
                 "heldout2": tf.ROOT / "bench/heldout/qa2.jsonl", "heldout3": tf.ROOT / "bench/heldout/qa3.jsonl"}


def variant_texts(documents) -> tuple[list, dict[str, list[str]]]:
    """Every sentence of ``documents`` (index order) and its text under each variant but pooled."""
    from index.analyze import respace_many
    from index.segments import passage_text
    from index.split import split_sentences

    sentences, owner = [], []
    for i, doc in enumerate(documents):
        for s in split_sentences(doc):
            sentences.append(s)
            owner.append(i)
    spaced = respace_many([s.text for s in sentences])
    titles = respace_many([d.title for d in documents])
    texts: dict[str, list[str]] = {v: [] for v in VARIANTS if v != "pooled"}
    for i, s in enumerate(sentences):
        before = i and owner[i - 1] == owner[i] and sentences[i - 1].kind == "body"
        prev = spaced[i - 1] if before else None
        texts["passage"].append(passage_text(titles[owner[i]], s, spaced[i], prev))
        texts["sentence"].append(spaced[i])
        heading = s.kind == "title"
        texts["title"].append(spaced[i] if heading else f"{titles[owner[i]]}. {spaced[i]}")
        texts["previous"].append(f"{prev} {spaced[i]}" if prev is not None and not heading else spaced[i])
    return sentences, texts


def pooled_vectors(model, passages: list[str], sentences: list[str]) -> np.ndarray:
    """Each passage run once; the mean of its sentence's token states (the passage ends with it)."""
    core, prompt = model.core, model.prompts.get("document", "")
    out = np.zeros((len(passages), model.dim), np.float32)
    for i, (passage, sentence) in enumerate(zip(passages, sentences)):
        text = prompt + passage
        ids, mask = core.tokenize([text])
        hidden = core.token_embeddings(ids, mask)[0]
        start = 1  # after <s>
        if passage != sentence and passage.endswith(sentence):
            # the prefix's tokens without its </s>; sentencepiece pieces never cross a space
            start = core.tokenize([text[:len(text) - len(sentence)].rstrip()])[0].shape[1] - 1
        v = hidden[start:ids.shape[1] - 1].mean(axis=0)
        out[i] = v / max(float(np.linalg.norm(v)), 1e-12)
    return out


def alone(questions: list[dict], rows: np.ndarray, vectors: np.ndarray, qv: dict, texts: list[str]) -> np.ndarray:
    """Hits at 1, hits in 5 and answerable questions, of the cosine alone over ``rows`` (the
    sentences of the questions' index)."""
    from index.text import squash

    r1 = r5 = n = 0
    for q in questions:
        keys = [squash(k) for k in q.get("keys", [])]
        if not keys:
            continue
        top = rows[np.argsort(-(vectors[rows] @ qv[q["q"]]), kind="stable")[:5]]
        hits = [any(k in texts[r] for k in keys) for r in top]
        n, r1, r5 = n + 1, r1 + hits[0], r5 + any(hits)
    return np.array([r1, r5, n])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.dense_variants", description=__doc__.split("\n\n")[0])
    p.parse_args(argv)
    from bench.scale import models_dir
    from index import fusion
    from index.embedder import load_embedder
    from index.engine import index_passages
    from index.evaluate import load_questions
    from index.settings import Settings
    from index.text import squash

    tf.neutral_if_stale()
    indexes: list = []
    with tempfile.TemporaryDirectory(prefix="newsqa-variants-") as tmp:
        items = tf._all_items(Path(tmp), indexes=indexes)
    seeds, wide = indexes
    seed_ids = frozenset(seeds.documents)
    sets = {"dev": load_questions(tf.ROOT / "bench/dev_qa.jsonl"), "qa": load_questions(tf.ROOT / "bench/qa.jsonl"),
            **{name: load_questions(path) for name, path in NEVER_TRAINED.items()}}
    tests = {name: tf._items(seeds, sets[name], name, seed_ids) for name in NEVER_TRAINED}
    documents = [wide.documents[d] for d in sorted(wide.documents)]
    sentences, texts = variant_texts(documents)
    if texts["passage"] != index_passages(documents):
        raise SystemExit("the passage variant is not the index's text: update variant_texts")

    s = Settings(models_dir=models_dir())
    embedder = load_embedder(s.model, s.model_cache, log=print, backend=s.embedder_backend, threads=0, direct=True)
    vectors, rates = {}, {}
    for v, t in texts.items():
        t0 = time.perf_counter()
        vectors[v] = embedder.encode_documents(t)
        rates[v] = f"{len(t) / (time.perf_counter() - t0):.0f}/s, {np.mean([len(x) for x in t]):.0f} chars"
    if hasattr(embedder.model, "core"):
        t0 = time.perf_counter()
        vectors["pooled"] = pooled_vectors(embedder.model, texts["passage"], texts["sentence"])
        rates["pooled"] = f"{len(sentences) / (time.perf_counter() - t0):.0f}/s (the passage's run)"
    print("encoding, sentences/s and mean length:", rates)

    row = {(x.doc_id, x.index): i for i, x in enumerate(sentences)}
    squashed = [squash(x.text) for x in sentences]
    asked = sorted({q["q"] for qs in sets.values() for q in qs})  # every item's question among them
    qv = dict(zip(asked, embedder.encode_queries(asked)))
    seed_rows = np.array([i for i, x in enumerate(sentences) if x.doc_id in seed_ids])
    all_rows = np.arange(len(sentences))

    print("\n| variant | alone, training questions (dev_qa + qa.jsonl) R@1 / R@5 | alone, never trained R@1: "
          + " / ".join(NEVER_TRAINED) + " |\n|---|---|---|")
    for v in vectors:
        r1, r5, n = (alone(sets["dev"], seed_rows, vectors[v], qv, squashed)
                     + alone(sets["qa"], all_rows, vectors[v], qv, squashed))
        held = [alone(sets[name], seed_rows, vectors[v], qv, squashed) for name in NEVER_TRAINED]
        print(f"| {v} | {r1 / n:.3f} / {r5 / n:.3f} | {' / '.join(f'{h[0] / h[2]:.3f}' for h in held)} |")

    def cosines(it, v):
        return vectors[v][[row[r] for r in it.rows]] @ qv[it.question]

    def with_features(its, make):
        out = []
        for it in its:
            new = copy.copy(it)
            new.features = make(it)
            out.append(new)
        return out

    def instead(v):
        return lambda it: np.column_stack([fusion.dense_part(cosines(it, v)), it.features[:, 1:]])

    def beside(v):
        return lambda it: np.column_stack([it.features, fusion.dense_part(cosines(it, v))])

    others = [v for v in vectors if v != "passage"]
    configs = {"passage (shipped)": lambda it: it.features, **{f"{v} instead": instead(v) for v in others},
               **{f"passage + {v}": beside(v) for v in others}}
    print("\n| fused | CV R@1 / R@5 | CV answered / near misses refused / absent refused | CV Korean R@1 | "
          "never trained R@1: " + " / ".join(NEVER_TRAINED) + " |\n|---|---|---|---|---|")
    from index.analyze import has_hangul

    for name, make in configs.items():
        its = with_features(items, make)
        cv = tf.cross_validate(its)
        korean = tf.cross_validate(its, [it for it in its if has_hangul(it.question)])
        model = tf.fit_all(its)
        held = [tf.summary(tf.outcomes(model, with_features(t, make)))["r1"] for t in tests.values()]
        print(f"| {name} | {cv['r1']:.3f} / {cv['r5']:.3f} | {cv['answered']:.3f} / {cv['refused_unanswerable']:.3f}"
              f" / {cv['refused_absent_article']:.3f} | {korean['r1']:.3f} | {' / '.join(f'{x:.2f}' for x in held)} |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
