import time

import pytest
from fastapi.testclient import TestClient

from index.settings import Settings
from service.app import create_app


def _client(tmp_path, index, **overrides):
    settings = Settings(data_dir=tmp_path, **overrides)
    app = create_app(settings, loader=lambda: index)
    return TestClient(app)


def _wait_ready(client):
    for _ in range(200):
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.01)
    raise AssertionError("never ready")


@pytest.fixture
def client(tmp_path, fake_index):
    with _client(tmp_path, fake_index) as c:
        _wait_ready(c)
        yield c


def test_ask_returns_true_citations(client):
    r = client.post("/ask", json={"question": "리벨리온은 첫 해외법인을 어디에 세웠나?", "top_k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["question"] == "리벨리온은 첫 해외법인을 어디에 세웠나?"
    assert len(body["citations"]) == 3 and body["took_ms"] >= 0
    for c in body["citations"]:
        doc = client.get(f"/documents/{c['doc_id']}").json()
        assert doc["text"][c["start"]:c["end"]] == c["text"]
        assert {"index": c["sentence_index"], "start": c["start"], "end": c["end"]} in doc["sentences"]
        assert c["title"] == doc["title"] and c["published"] == doc["published"]
    if body["answered"]:
        assert body["answer"] == body["citations"][0]["text"]


def test_unanswered_has_null_answer(client):
    body = client.post("/ask", json={"question": "테슬라의 올해 전기차 판매량은?"}).json()
    assert body["answered"] is False and body["answer"] is None
    assert len(body["citations"]) == 5  # default top_k


def test_history_is_accepted(client):
    r = client.post("/ask", json={"question": "그럼 한국은?", "history": ["일본의 벤처 투자 규모는?"]})
    assert r.status_code == 200


def test_documents_list_and_detail(client):
    docs = client.get("/documents").json()
    assert len(docs) == 5
    assert set(docs[0]) == {"doc_id", "title", "published", "source", "n_sentences"}
    detail = client.get(f"/documents/{docs[0]['doc_id']}").json()
    assert len(detail["sentences"]) == docs[0]["n_sentences"]


def test_unknown_document_is_404(client):
    r = client.get("/documents/nope")
    assert r.status_code == 404
    assert r.json()["detail"] == "document 'nope' not found: GET /documents lists the ids"


@pytest.mark.parametrize("payload,fragment", [
    ({"question": ""}, "question"),
    ({"question": "   \n"}, "question is empty or whitespace"),
    ({"question": "가" * 501}, "at most 500"),
    ({"question": "일본", "top_k": 0}, "top_k"),
    ({"question": "일본", "top_k": 21}, "top_k"),
    ({"question": "일본", "top_k": "5"}, "top_k"),
    ({"question": 12}, "question"),
    ({"question": "일본", "history": ["a"] * 11}, "history"),
    ({"question": "일본", "history": "not a list"}, "history"),
    ({}, "question: field required"),
    ({"question": "일본", "extra": 1}, "unknown field"),
])
def test_bad_input_is_422_with_message(client, payload, fragment):
    r = client.post("/ask", json=payload)
    assert r.status_code == 422
    assert fragment in r.json()["detail"]


def test_invalid_json_is_422(client):
    r = client.post("/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "not valid JSON" in r.json()["detail"]


def test_wrong_content_type_is_422(client):
    r = client.post("/ask", content="리벨리온?".encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 422
    assert "application/json" in r.json()["detail"]


def test_health_ready_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    client.post("/ask", json={"question": "일본"})
    text = client.get("/metrics").text
    assert 'newsqa_requests_total{method="POST",route="/ask",status="200"}' in text
    assert "newsqa_request_seconds_bucket" in text
    assert "newsqa_index_sentences" in text and "newsqa_index_sentences 0.0" not in text


def test_readyz_is_503_until_loaded(tmp_path, fake_index):
    import threading

    gate = threading.Event()

    def slow_loader():
        gate.wait(5)
        return fake_index

    with TestClient(create_app(Settings(data_dir=tmp_path), loader=slow_loader)) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").status_code == 503
        r = c.post("/ask", json={"question": "일본"})
        assert r.status_code == 503 and "loading" in r.json()["detail"]
        gate.set()
        _wait_ready(c)
        assert c.post("/ask", json={"question": "일본"}).status_code == 200


def test_failed_load_is_reported(tmp_path):
    def broken():
        raise ValueError("cannot load embedder 'x': set NEWSQA_MODEL")

    with TestClient(create_app(Settings(data_dir=tmp_path), loader=broken)) as c:
        for _ in range(100):
            r = c.get("/readyz")
            if r.json()["status"] == "failed":
                break
            time.sleep(0.01)
        assert r.status_code == 503 and "NEWSQA_MODEL" in r.json()["detail"]
        assert c.get("/healthz").status_code == 200


def test_page_and_docs_are_served(client):
    r = client.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "<script" in r.text and "http://" not in r.text and "https://" not in r.text
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "리벨리온" in str(schema["components"]["schemas"]["AskRequest"])


def test_oversized_body_is_413(client):
    r = client.post("/ask", content=b"x" * 3_000_000, headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_rate_limit_gives_429_with_retry_after(tmp_path, fake_index):
    with _client(tmp_path, fake_index, rate_limit_per_minute=3) as c:
        _wait_ready(c)
        codes = [c.post("/ask", json={"question": "일본"}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        r = c.post("/ask", json={"question": "일본"})
        assert int(r.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200  # other routes unaffected


def test_ask_filters(client):
    r = client.post("/ask", json={"question": "일본의 AI 인재 양성 투자", "published_from": "2025-08-01",
                                  "published_to": "2025-08-31"})
    assert r.status_code == 200, r.text
    assert {c["doc_id"] for c in r.json()["citations"]} == {"002_76483b81068cf569"}
    r = client.post("/ask", json={"question": "일본의 AI 인재 양성 투자", "doc_ids": ["nope"]})
    assert r.status_code == 200 and r.json()["answered"] is False and r.json()["citations"] == []


@pytest.mark.parametrize("body, fragment", [
    ({"published_from": "2025-13-40"}, "calendar date"),
    ({"published_from": "2025-09-01", "published_to": "2025-01-01"}, "swap"),
    ({"published_to": "yesterday"}, "published_to"),
])
def test_ask_bad_filters_are_422(client, body, fragment):
    r = client.post("/ask", json={"question": "일본", **body})
    assert r.status_code == 422 and fragment in r.json()["detail"]
