"""Property test of the API from its own OpenAPI schema: no input gets a 5xx.

Run alone it prints how many cases ran (at least 1000 are required)."""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from index.analyze import morphemes
from index.clean import load_documents
from index.engine import SentenceIndex
from index.settings import Settings
from index.store import IndexStore, source_hashes
from service.app import create_app
from service.config import ServiceSettings

from .conftest import SEEDS, FakeEmbedder

CASES = {"n": 0, "by_status": {}}
MIN_CASES = 1000


def _build():
    return SentenceIndex.build(load_documents(SEEDS), FakeEmbedder(), source_hashes=source_hashes(SEEDS))


# Creating the app is cheap; the index is built by the fixture below, when the tests run.
# A write token is configured and sent, so the write routes are fuzzed past authentication.
app = create_app(Settings(data_dir=Path("unused-fuzz-data")), loader=_build,
                 service=ServiceSettings(rate_limit_per_minute=0, write_token="fuzz-token", max_document_chars=3000))
# Kiwi's first analysis holds the GIL for seconds; do it before the schema request,
# which runs the app's lifespan (the index build) and has a 10 s timeout.
morphemes("준비")
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def loaded(tmp_path_factory):
    data = tmp_path_factory.mktemp("fuzz")
    app.state.holder.store = IndexStore(data / "index", data / "writes.jsonl")
    app.state.holder.load()  # the ASGI transport does not run the lifespan
    assert app.state.holder.index is not None


@schema.parametrize()
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call(headers={"Authorization": "Bearer fuzz-token"})
    CASES["n"] += 1
    CASES["by_status"][response.status_code] = CASES["by_status"].get(response.status_code, 0) + 1
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])


def test_report_case_count():
    print(f"\nschemathesis cases run: {CASES['n']}, by status: {dict(sorted(CASES['by_status'].items()))}")
    assert CASES["n"] >= MIN_CASES, f"only {CASES['n']} cases ran: raise max_examples"
