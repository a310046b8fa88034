"""Run an ONNX sentence-transformers directory without importing torch.

The directory built by :mod:`index.onnx_export` is a sentence-transformers model
(``OnnxTransformer`` -> mean Pooling -> Normalize, with e5's prompts), and the
CLI loads it through sentence-transformers. Importing sentence-transformers
costs ~3.3 s of CPU (torch, transformers, scikit-learn) of the service's 5 s
start-up budget, so the service runs the same directory through
:class:`OnnxEmbedder`: the same tokenizer, session, prompts, pooling and
normalisation, in numpy. tests/test_onnx.py checks both give the same vectors.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np

# XLM-R's sentencepiece model, written beside tokenizer.json by index/e5convert.py.
SPM_FILE = "sentencepiece.bpe.model"
_SPACE = 6  # XLM-R's id of the piece "▁"


class XlmrTokenizer:
    """XLM-R token ids from the sentencepiece model itself.

    tokenizer.json describes the same pieces, normaliser and whitespace rules,
    but the tokenizers library holds ~285 MB for its 250k-piece Unigram trie;
    sentencepiece holds ~55 MB. Ids follow fairseq's order: <s>=0, <pad>=1,
    </s>=2, <unk>=3, then sentencepiece's pieces shifted by one. Seed passages
    and questions get tokenizer.json's ids exactly (tests/test_onnx.py); of
    60,758 movie reviews and questions, 208 differ: 174 only in the order of
    tied pieces in runs of punctuation ("....", "~~~~"), 34 around loose jamo
    ("있었는ㄷㅔ")."""

    def __init__(self, model_file: Path, max_length: int):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=str(model_file))
        self.max_length = max_length

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        out = []
        # one text at a time: a list goes through sentencepiece's thread pool (~90 us a call
        # against ~4 us), which only contends with the other requests here
        for text, pieces in zip(texts, map(self.sp.encode, texts)):
            ids = [3 if i == 0 else i + 1 for i in pieces]
            # tokenizer.json keeps a lone "▁" for whitespace at either end; sentencepiece strips it
            if text[:1].isspace():
                ids.insert(0, _SPACE)
            if text[-1:].isspace() and (len(text) > 1 or not ids):
                ids.append(_SPACE)
            out.append([0, *ids[:self.max_length - 2], 2])
        return out


class HfTokenizer:
    """The same ids from tokenizer.json (a model directory built before SPM_FILE was kept)."""

    def __init__(self, tokenizer_file: Path, max_length: int):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]


class OnnxSession:
    """Tokenizer plus ONNX Runtime session: texts -> token embeddings."""

    def __init__(self, model_dir: str | Path, model_file: str = "model.onnx", max_seq_length: int = 512,
                 threads: int | None = None, idle_threads: int = 1):
        import onnxruntime as ort

        self.model_dir = Path(model_dir)
        spm_file = self.model_dir / SPM_FILE
        self.tokenizer: XlmrTokenizer | HfTokenizer = (
            XlmrTokenizer(spm_file, max_seq_length) if spm_file.is_file()
            else HfTokenizer(self.model_dir / "tokenizer.json", max_seq_length))
        # One thread per run by default: queries are single short texts and
        # concurrent requests already run in parallel. threads=0 (builds) splits
        # each batch's rows over one single-threaded run per core instead of
        # threading inside each matrix product: small int8 GEMMs scale poorly
        # across threads, independent rows scale well.
        self.workers = (os.cpu_count() or 1) if threads == 0 else 1
        path = str(self.model_dir / model_file)
        self.session = ort.InferenceSession(path, self._options(ort, 1 if threads in (None, 0) else threads),
                                            providers=["CPUExecutionProvider"])
        # A question encoded while no other is running may use every core: a second
        # session with its own thread pool (~110 MB) takes it, concurrent ones take the
        # single-threaded session above. Measured on 2 cores: a lone query 4.5 -> 3.1 ms,
        # while 16 clients keep their throughput (one pool with 2 threads for every
        # request lost ~15% of it to threads contending).
        idle_threads = idle_threads or os.cpu_count() or 1
        self.idle_session = None
        if threads == 1 and idle_threads > 1:
            options = self._options(ort, idle_threads)
            # its threads spin only during a run, never after it
            options.add_session_config_entry("session.force_spinning_stop", "1")
            self.idle_session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self._busy = 0  # questions being answered, or else encodes running
        self._count = threading.Lock()
        self._local = threading.local()
        self._wants_types = "token_type_ids" in {i.name for i in self.session.get_inputs()}
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = self.tokenizer.encode_batch(texts)
        width = max((len(e) for e in encodings), default=0)
        ids = np.zeros((len(encodings), width), np.int64)
        mask = np.zeros((len(encodings), width), np.int64)
        for row, e in enumerate(encodings):
            ids[row, :len(e)] = e
            mask[row, :len(e)] = 1
        return ids, mask

    def token_embeddings(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Hidden states of each row, zero beyond its length.

        Each text runs alone, without padding: int8 activations are quantised per
        run, so a text batched with others would get a vector that depends on its
        neighbours and on how many cores split the batch. Alone, a passage's vector
        is the same in a build, in a POST and on any machine, and as close to fp32
        as a query's (seed_qa R@5 0.95 -> 1.0 against batches of 32). It is also
        faster here: no padding, and small runs stay in cache (85 passages/s on 2
        cores against 65 in batches of 32).
        """
        lengths = mask.sum(axis=1)

        def one(row: int) -> np.ndarray:
            n = int(lengths[row])
            return self._run(ids[row:row + 1, :n], mask[row:row + 1, :n])[0]

        rows = range(len(ids))
        # session.run releases the GIL, so texts run on separate cores.
        hidden = list(_pool(self.workers).map(one, rows)) if self.workers > 1 and len(ids) > 1 else map(one, rows)
        out = np.zeros((*ids.shape, self.dim), np.float32)
        for row, h in enumerate(hidden):
            out[row, :len(h)] = h
        return out

    @staticmethod
    def _options(ort, threads: int):
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        return options

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask}
        if self._wants_types:
            feed["token_type_ids"] = np.zeros_like(ids)
        if self.idle_session is None:
            return self.session.run(None, feed)[0]
        with self.answering():
            with self._count:
                alone = self._busy == 1
            return (self.idle_session if alone else self.session).run(None, feed)[0]

    @contextlib.contextmanager
    def answering(self):
        """Count a question as in progress for its whole answer, not only its encode: under
        load, questions overlap even when their encodes do not, and then the idle session's
        second thread would take the core another question's ranking needs."""
        if getattr(self._local, "inside", False):
            yield
            return
        with self._count:
            self._busy += 1
        self._local.inside = True
        try:
            yield
        finally:
            self._local.inside = False
            with self._count:
                self._busy -= 1


@functools.lru_cache(maxsize=None)
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="onnx-encode")


def read_config(model_dir: Path) -> dict:
    """The parts of a sentence-transformers directory this runtime honours; refuses others."""
    model_dir = Path(model_dir)
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds != ["OnnxTransformer", "Pooling", "Normalize"]:
        raise ValueError(f"{model_dir} has modules {kinds}: expected OnnxTransformer, Pooling, Normalize")
    pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    if pooling.get("pooling_mode") != "mean" or not pooling.get("include_prompt", True):
        raise ValueError(f"{model_dir}: only mean pooling over the whole input (prompt included) is supported")
    st = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    onnx = json.loads((model_dir / "onnx_config.json").read_text(encoding="utf-8"))
    return {"prompts": st.get("prompts", {}), **onnx}


class OnnxEmbedder:
    """``encode_query``/``encode_document`` of the ONNX directory, in numpy."""

    def __init__(self, model_dir: Path, threads: int | None = None, batch_size: int = 32, idle_threads: int = 1):
        config = read_config(model_dir)
        self.prompts: dict[str, str] = config["prompts"]
        self.backend: str = config["backend"]
        self.batch_size = batch_size
        self.core = OnnxSession(model_dir, config["model_file"], config["max_seq_length"], threads, idle_threads)
        self.dim = self.core.dim

    def encode(self, texts: Sequence[str], prompt_name: str) -> np.ndarray:
        prompt = self.prompts.get(prompt_name, "")
        out = np.zeros((len(texts), self.dim), np.float32)
        # Longest first, so the texts of a batch share the cores evenly (each runs alone).
        order = np.argsort([-len(t) for t in texts], kind="stable")
        for at in range(0, len(texts), self.batch_size):
            rows = order[at:at + self.batch_size]
            ids, mask = self.core.tokenize([prompt + texts[i] for i in rows])
            hidden = self.core.token_embeddings(ids, mask)
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
        return out
