"""Property test of the API from its own OpenAPI schema: no input gets a 5xx."""

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings

from index.clean import load_documents
from index.engine import SentenceIndex
from index.settings import Settings
from service.app import create_app

from .conftest import SEEDS, FakeEmbedder

_index = SentenceIndex.build(load_documents(SEEDS), FakeEmbedder())
# A write token is configured and sent, so the write routes are fuzzed past authentication.
app = create_app(Settings(data_dir=tempfile.mkdtemp(), rate_limit_per_minute=0, write_token="fuzz-token",
                          max_document_chars=3000), loader=lambda: _index)
app.state.holder.load()  # the ASGI transport does not run the lifespan
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
CASES = {"n": 0, "by_status": {}}


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
