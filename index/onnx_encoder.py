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

import functools
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np
from tokenizers import Tokenizer


class OnnxSession:
    """Tokenizer plus ONNX Runtime session: texts -> token embeddings."""

    def __init__(self, model_dir: str | Path, model_file: str = "model.onnx", max_seq_length: int = 512,
                 threads: int | None = None):
        import onnxruntime as ort

        self.model_dir = Path(model_dir)
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_seq_length)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread per run by default: queries are single short texts and
        # concurrent requests already run in parallel. threads=0 (builds) splits
        # each batch's rows over one single-threaded run per core instead of
        # threading inside each matrix product: small int8 GEMMs scale poorly
        # across threads, independent rows scale well.
        self.workers = (os.cpu_count() or 1) if threads == 0 else 1
        options.intra_op_num_threads = 1 if threads in (None, 0) else threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(self.model_dir / model_file), options,
                                            providers=["CPUExecutionProvider"])
        self._wants_types = "token_type_ids" in {i.name for i in self.session.get_inputs()}
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max((len(e.ids) for e in encodings), default=0)
        ids = np.zeros((len(encodings), width), np.int64)
        mask = np.zeros((len(encodings), width), np.int64)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        return ids, mask

    def token_embeddings(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.workers > 1 and len(ids) > 1:
            parts = np.array_split(np.arange(len(ids)), min(self.workers, len(ids)))
            # session.run releases the GIL, so the parts run on separate cores.
            return np.concatenate(list(_pool(self.workers).map(
                lambda rows: self._run(ids[rows], mask[rows]), parts)))
        return self._run(ids, mask)

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask}
        if self._wants_types:
            feed["token_type_ids"] = np.zeros_like(ids)
        return self.session.run(None, feed)[0]


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

    def __init__(self, model_dir: Path, threads: int | None = None, batch_size: int = 32):
        config = read_config(model_dir)
        self.prompts: dict[str, str] = config["prompts"]
        self.backend: str = config["backend"]
        self.batch_size = batch_size
        self.core = OnnxSession(model_dir, config["model_file"], config["max_seq_length"], threads)
        self.dim = self.core.dim

    def encode(self, texts: Sequence[str], prompt_name: str) -> np.ndarray:
        prompt = self.prompts.get(prompt_name, "")
        out = np.zeros((len(texts), self.dim), np.float32)
        # Batches of similar length waste little on padding (as sentence-transformers does).
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
