"""Where the tests find the repository's files and the real embedder."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_EVAL = ROOT.parent / "shared" / "eval" / "seed_qa.jsonl"


def models_dir() -> Path:
    return Path(os.environ.get("NEWSQA_MODELS_DIR", ROOT / "data" / "models"))
