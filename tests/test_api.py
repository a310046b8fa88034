import time

import pytest
from fastapi.testclient import TestClient

from index.settings import Settings
from service.app import create_app
from service.config import ServiceSettings


def _client(tmp_path, index, **overrides):
    app = create_app(Settings(data_dir=tmp_path), loader=lambda: index, service=ServiceSettings(**overrides))
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
    assert body["note"] is None  # nothing to say about the question itself


def test_a_question_not_in_korean_gets_a_note(client):
    body = client.post("/ask", json={"question": "Where did Rebellions open its first overseas office?"}).json()
    assert body["answered"] is False and body["answer"] is None and body["citations"]
    assert "한국어" in body["note"]


def test_history_is_accepted(client):
    r = client.post("/ask", json={"question": "그럼 한국은?", "history": ["일본의 벤처 투자 규모는?"]})
    assert r.status_code == 200


def test_documents_list_and_detail(client):
    body = client.get("/documents").json()
    assert set(body) == {"items", "total", "offset", "limit"}
    assert body["total"] == 5 and body["offset"] == 0 and body["limit"] == 20 and len(body["items"]) == 5
    docs = body["items"]
    assert set(docs[0]) == {"doc_id", "title", "published", "source", "url", "n_sentences"}
    dated = [d["published"] for d in docs if d["published"]]
    assert dated == sorted(dated, reverse=True) and docs[-1]["published"] is None  # newest first, undated last
    detail = client.get(f"/documents/{docs[0]['doc_id']}").json()
    assert len(detail["sentences"]) == docs[0]["n_sentences"]


def test_documents_are_paginated(client):
    everything = [d["doc_id"] for d in client.get("/documents").json()["items"]]
    pages = [client.get("/documents", params={"offset": o, "limit": 2}).json() for o in (0, 2, 4)]
    assert [len(p["items"]) for p in pages] == [2, 2, 1] and {p["total"] for p in pages} == {5}
    assert [d["doc_id"] for p in pages for d in p["items"]] == everything
    assert client.get("/documents", params={"offset": 10}).json()["items"] == []


def test_documents_title_search_ignores_spacing_and_case(client):
    body = client.get("/documents", params={"q": "일본의 딜 레마"}).json()
    assert body["total"] == 1 and body["items"][0]["doc_id"] == "000_43c50d81bab253fa"
    assert {d["doc_id"] for d in client.get("/documents", params={"q": "일본"}).json()["items"]} == {
        "000_43c50d81bab253fa", "003_e4fd56b795545594"}
    assert client.get("/documents", params={"q": "ai"}).json()["total"] == 2  # "AI" in two titles
    assert client.get("/documents", params={"q": "비트코인"}).json() == {"items": [], "total": 0, "offset": 0,
                                                                       "limit": 20}


@pytest.mark.parametrize("params, fragment", [
    ({"limit": 0}, "query.limit"), ({"limit": 101}, "query.limit"), ({"offset": -1}, "query.offset"),
    ({"q": "가" * 201}, "query.q"),
])
def test_documents_bad_page_is_422(client, params, fragment):
    r = client.get("/documents", params=params)
    assert r.status_code == 422 and fragment in r.json()["detail"]


def test_documents_facets(client):
    body = client.get("/documents/facets").json()
    assert body["n_documents"] == 5
    assert (body["published_min"], body["published_max"]) == ("2025-08-25", "2026-01-07")
    assert body["sources"] == [{"source": "김영욱 연구원", "n_documents": 1},
                               {"source": "정지은/최지희/고은이 기자 jeong@hankyung.com", "n_documents": 1}]


def test_document_url_round_trip(tmp_path, fake_index):
    with _client(tmp_path, fake_index, write_token="t") as c:
        _wait_ready(c)
        auth = {"Authorization": "Bearer t"}
        text = "퀀텀칩은 부산에 첫 연구소를 열었다. 회사는 내년 양산을 목표로 한다."
        r = c.post("/documents", json={"doc_id": "linked", "url": "https://news.example/a/1", "text": text},
                   headers=auth)
        assert r.status_code == 201 and r.json()["url"] == "https://news.example/a/1"
        assert c.get("/documents/linked").json()["url"] == "https://news.example/a/1"
        assert c.get("/documents", params={"q": "퀀텀칩"}).json()["items"][0]["url"] == "https://news.example/a/1"
        r = c.post("/documents", json={"url": "javascript:alert(1)", "text": text}, headers=auth)
        assert r.status_code == 422 and "url" in r.json()["detail"]
        r = c.post("/documents", json={"doc_id": "facets", "text": text}, headers=auth)
        assert r.status_code == 422 and "GET /documents/facets" in r.json()["detail"]


def test_favicon_is_served(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml") and b"<svg" in r.content


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


def test_an_unhandled_error_is_a_json_500_and_the_service_keeps_serving(tmp_path, fake_index, monkeypatch):
    with _client(tmp_path, fake_index) as c:
        _wait_ready(c)
        real = fake_index.search
        monkeypatch.setattr(fake_index, "search", lambda *a, **kw: 1 / 0)
        with TestClient(c.app, raise_server_exceptions=False) as raw:
            r = raw.post("/ask", json={"question": "일본"})
            assert r.status_code == 500 and r.json() == {"detail": "internal error"}
            assert r.headers["x-content-type-options"] == "nosniff" and "content-security-policy" in r.headers
            monkeypatch.setattr(fake_index, "search", real)
            assert raw.post("/ask", json={"question": "일본"}).status_code == 200
            assert 'newsqa_requests_total{method="POST",route="/ask",status="500"} 1.0' in raw.get("/metrics").text


def test_every_response_carries_the_security_headers(client):
    for r in (client.get("/healthz"), client.get("/nope"), client.post("/ask", json={})):
        assert r.headers["x-frame-options"] == "DENY" and r.headers["referrer-policy"] == "no-referrer", r.url


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
        health = c.get("/healthz")  # Docker's HEALTHCHECK must see the failure
        assert health.status_code == 503 and "NEWSQA_MODEL" in health.json()["detail"]


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
@pytest.mark.parametrize("raw,fragment", [
    (b'{"question": NaN}', "question"),
    (b'{"question": "x", "top_k": NaN}', "top_k"),
    (b'{"question": "x", "top_k": 1e309}', "top_k"),
    (b'{"question": "x", "top_k": -Infinity}', "top_k"),
    (b'{"question": "\\ud800"}', "valid Unicode"),
    (b'{"question": "a\\udfff b"}', "valid Unicode"),
    (b'{"question": "x", "history": ["\\ud83d"]}', "valid Unicode"),
    (b'{"question": "\\u0000\\u0007"}', "control character"),
    (b'{"question": "x\\u001b[31m"}', "control character"),
])
def test_hostile_values_are_422_not_500(client, raw, fragment):
    r = client.post("/ask", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert fragment in body["detail"]
    assert all("input" not in e for e in body["errors"])


def test_hostile_document_fields_are_422(tmp_path, fake_index):
    with _client(tmp_path, fake_index, write_token="t") as c:
        _wait_ready(c)
        for raw in (b'{"text": "\\ud800 \xea\xb8\xb0\xec\x82\xac"}', b'{"text": "x", "title": "a\\u0000b"}',
                    b'{"text": "x", "source": "\\udc00"}'):
            r = c.post("/documents", content=raw, headers={"content-type": "application/json",
                                                           "Authorization": "Bearer t"})
            assert r.status_code == 422, r.text


def test_422_never_echoes_a_large_input(client):
    item = "가" * 1_000
    r = client.post("/ask", json={"question": "일본", "history": [item] * 11})
    assert r.status_code == 422
    assert item not in r.text and len(r.content) < 2_000


def test_unknown_field_names_the_routes_own_fields(tmp_path, fake_index):
    with _client(tmp_path, fake_index, write_token="t") as c:
        _wait_ready(c)
        r = c.post("/ask", json={"question": "일본", "foo": 1})
        assert r.status_code == 422 and "question, top_k, history" in r.json()["detail"]
        r = c.post("/documents", json={"text": "기사 본문이다.", "foo": 1}, headers={"Authorization": "Bearer t"})
        assert r.status_code == 422
        assert "question" not in r.json()["detail"] and "text" in r.json()["detail"], r.json()["detail"]
