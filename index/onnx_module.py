"""A sentence-transformers input module that runs the encoder with ONNX Runtime.

sentence-transformers' own ``backend="onnx"`` needs ``optimum-onnx``, whose only
release requires transformers < 4.58 and fails to import with the transformers
this project pins. So the ONNX model directory lists this class as its first
module in ``modules.json``, followed by the usual Pooling and Normalize modules:
``SentenceTransformer(path, trust_remote_code=True)`` then gives the same
``encode_query``/``encode_document`` API, prompts included, as the torch model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Sequence

import torch
from sentence_transformers.base.modules.input_module import InputModule

from .onnx_encoder import SPM_FILE, OnnxSession

CONFIG_FILE = "onnx_config.json"


class OnnxTransformer(InputModule):
    """XLM-R tokenizer plus an ONNX Runtime session giving token embeddings (see OnnxSession)."""

    config_file_name = CONFIG_FILE
    config_keys = ["model_file", "max_seq_length", "backend"]  # noqa: RUF012 (sentence-transformers' own attribute)
    save_in_root = True

    def __init__(self, model_dir: str | Path, model_file: str = "model.onnx", max_seq_length: int = 512,
                 backend: str = "onnx", threads: int | None = None):
        super().__init__()
        self.model_dir = Path(model_dir)
        self.model_file = model_file
        self.max_seq_length = max_seq_length
        self.backend = backend
        self.core = OnnxSession(self.model_dir, model_file, max_seq_length, threads)
        self.tokenizer = self.core.tokenizer

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs) -> dict[str, Any]:
        ids, mask = self.core.tokenize([(prompt or "") + str(t) for t in inputs])
        return {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        hidden = self.core.token_embeddings(features["input_ids"].numpy(), features["attention_mask"].numpy())
        features["token_embeddings"] = torch.from_numpy(hidden)
        return features

    def get_embedding_dimension(self) -> int:
        return self.core.dim

    def save(self, output_path: str, *args, safe_serialization: bool = True, **kwargs) -> None:
        out = Path(output_path)
        out.mkdir(parents=True, exist_ok=True)
        for name in (self.model_file, "tokenizer.json", SPM_FILE):
            if not (self.model_dir / name).is_file():
                continue
            if (self.model_dir / name).resolve() != (out / name).resolve():
                shutil.copyfile(self.model_dir / name, out / name)
        (out / CONFIG_FILE).write_text(json.dumps(self.get_config_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs) -> "OnnxTransformer":
        model_dir = Path(model_name_or_path) / subfolder
        config = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        threads = (kwargs.get("model_kwargs") or {}).get("intra_op_num_threads")
        return cls(model_dir, threads=threads, **{k: v for k, v in config.items() if k in cls.config_keys})
