"""Property test of the API from its own OpenAPI schema: no input gets a 5xx."""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from index.engine import SentenceIndex
from index.settings import Settings
from index.store import IndexStore
from service.app import create_app

from .fakes import FakeEmbedder

pytestmark = pytest.mark.slow
CASES: dict = {"n": 0, "by_status": {}}
SERVED: dict = {}  # the index, built by the fixture below when the tests run, not at import

# A write token is configured and sent, so the write routes are fuzzed past authentication.
app = create_app(Settings(data_dir=Path("unused-fuzz-data"), rate_limit_per_minute=0, write_token="fuzz-token",
                          max_document_chars=3000), loader=lambda: SERVED["index"])
# Read from the app object: no request, so no lifespan and nothing loaded at import.
schema = schemathesis.openapi.from_dict(app.openapi())
schema.app = app


@pytest.fixture(scope="module", autouse=True)
def loaded(tmp_path_factory, seed_docs):
    SERVED["index"] = SentenceIndex.build(seed_docs, FakeEmbedder())
    app.state.engine.store = IndexStore(tmp_path_factory.mktemp("fuzz") / "index")
    app.state.engine.load()
    assert app.state.engine.index is not None


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    response = case.call(headers={"Authorization": "Bearer fuzz-token"})
    CASES["n"] += 1
    CASES["by_status"][response.status_code] = CASES["by_status"].get(response.status_code, 0) + 1
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])


def test_report_case_count():
    print(f"\nschemathesis cases run: {CASES['n']}, by status: {dict(sorted(CASES['by_status'].items()))}")
    assert CASES["n"] > 0
