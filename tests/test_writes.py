import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from fastapi.testclient import TestClient

from index.engine import SentenceIndex
from index.settings import Settings
from index.store import IndexStore
from service.app import create_app
from service.config import ServiceSettings

from .conftest import ROOT, FakeEmbedder

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ARTICLE = ("네이버클라우드가 사우디아라비아 리야드에 중동 첫 데이터센터를 짓는다. "
           "회사는 3일 현지 통신사와 합작법인을 세우고 내년 상반기 착공한다고 밝혔다.")


@pytest.fixture(scope="module")
def fake_index(seed_docs):
    return SentenceIndex.build(seed_docs, FakeEmbedder())


def _ready(c):
    for _ in range(300):
        if c.get("/readyz").status_code == 200:
            return c
        time.sleep(0.01)
    raise AssertionError("not ready")


@pytest.fixture
def client(tmp_path, fake_index):
    app = create_app(Settings(data_dir=tmp_path), loader=lambda: fake_index,
                     service=ServiceSettings(write_token=TOKEN, max_document_chars=5000))
    with TestClient(app) as c:
        yield _ready(c)


def test_writes_refused_without_configured_token(tmp_path, fake_index):
    with TestClient(create_app(Settings(data_dir=tmp_path), loader=lambda: fake_index)) as c:
        _ready(c)
        r = c.post("/documents", json={"text": ARTICLE}, headers=AUTH)
        assert r.status_code == 403 and "NEWSQA_WRITE_TOKEN" in r.json()["detail"]
        assert c.delete("/documents/003_e4fd56b795545594", headers=AUTH).status_code == 403
        assert c.get("/documents").status_code == 200  # reads stay open


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_unauthorised_writes_are_401(client, headers):
    r = client.post("/documents", json={"text": ARTICLE}, headers=headers)
    assert r.status_code == 401 and "Bearer" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"
    assert client.delete("/documents/003_e4fd56b795545594", headers=headers).status_code == 401


def test_add_search_readd_delete(client):
    r = client.post("/documents", json={"doc_id": "naver-saudi", "title": "네이버 사우디 진출",
                                        "published": "2024-11-03", "text": ARTICLE}, headers=AUTH)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "created" and r.json()["n_sentences"] == 2
    body = client.post("/ask", json={"question": "네이버클라우드 사우디 리야드 데이터센터"}).json()
    top = body["citations"][0]
    assert top["doc_id"] == "naver-saudi" and top["title"] == "네이버 사우디 진출"
    doc = client.get("/documents/naver-saudi").json()
    assert doc["text"][top["start"]:top["end"]] == top["text"]

    again = client.post("/documents", json={"doc_id": "naver-saudi", "title": "네이버 사우디 진출",
                                            "published": "2024-11-03", "text": ARTICLE}, headers=AUTH)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"

    gone = client.delete("/documents/naver-saudi", headers=AUTH)
    assert gone.status_code == 200 and gone.json()["status"] == "deleted"
    assert client.get("/documents/naver-saudi").status_code == 404
    assert client.delete("/documents/naver-saudi", headers=AUTH).status_code == 404


def test_html_page_is_cleaned_and_script_is_inert(client):
    html = ("<html><head><title>AI 반도체 기사</title><script>alert('x')</script></head><body>"
            "<nav><a href='/'>홈</a> <a href='/news'>뉴스</a></nav><article><h1>AI 반도체 기사</h1>"
            "<p>리벨리온이 새로운 AI 반도체를 공개했다. 회사는 내년 양산을 목표로 한다고 밝혔다.</p>"
            "<p>업계는 &lt;script&gt;alert(1)&lt;/script&gt; 같은 문자열도 본문에 그대로 남아야 한다고 본다.</p>"
            "<script>document.title='pwned'</script></article></body></html>")
    r = client.post("/documents", json={"doc_id": "html-doc", "text": html}, headers=AUTH)
    assert r.status_code == 201, r.text
    doc = client.get("/documents/html-doc").json()
    assert "리벨리온이 새로운 AI 반도체를 공개했다." in doc["text"]
    assert "pwned" not in doc["text"] and "alert('x')" not in doc["text"]
    assert "<script>alert(1)</script>" in doc["text"]  # text about a tag stays text


@pytest.mark.parametrize("payload,status,fragment", [
    ({"text": ""}, 422, "text"),
    ({"text": "   "}, 422, "text is empty"),
    ({"text": "가" * 5001}, 413, "limit is 5000"),
    ({"text": ARTICLE, "doc_id": "../etc/passwd"}, 422, "doc_id"),
    ({"text": ARTICLE, "published": "yesterday"}, 422, "published"),
    ({"text": "좋아요0\n더보기\n"}, 422, "no article text"),
])
def test_bad_documents(client, payload, status, fragment):
    r = client.post("/documents", json=payload, headers=AUTH)
    assert r.status_code == status, r.text
    assert fragment in r.json()["detail"]


def test_binary_and_oversized_bodies(client):
    r = client.post("/documents", content=b"\xff\xfe\x00\x81binary", headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/documents", content=b"{" + b" " * 2_100_000 + b"}", headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 413
    assert client.get("/healthz").status_code == 200


def test_writes_while_queries_run(client):
    failures, done = [], threading.Event()

    def reader():
        while not done.is_set():
            r = client.post("/ask", json={"question": "리벨리온은 첫 해외법인을 어디에 세웠나?", "top_k": 3})
            if r.status_code != 200:
                failures.append(r.status_code)
                continue
            for c in r.json()["citations"]:
                d = client.get(f"/documents/{c['doc_id']}")
                # a citation's document may be deleted right after the answer; never a wrong text
                if d.status_code == 200 and d.json()["text"][c["start"]:c["end"]] != c["text"]:
                    failures.append("bad citation")

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(4):
            assert client.post("/documents", json={"doc_id": f"live-{i}", "text": ARTICLE + f" 번호 {i}."},
                               headers=AUTH).status_code == 201
            assert client.delete(f"/documents/live-{i}", headers=AUTH).status_code == 200
    finally:
        done.set()
        for t in threads:
            t.join()
    assert not failures, failures[:5]


KILLED_BUILD = """
import sys, time
sys.path.insert(0, {root!r})
from tests.conftest import FakeEmbedder
from index.clean import load_documents
from index.engine import SentenceIndex
from index.store import IndexStore

class Slow(FakeEmbedder):
    def encode_documents(self, texts):
        time.sleep(0.002 * len(texts))
        return super().encode_documents(texts)

docs = load_documents({seeds!r})
docs = [d.__class__(**{{**d.__dict__, "text": d.text.replace("리벨리온", "NEWNAME")}}) for d in docs]
store = IndexStore({store!r})
print("building", flush=True)
store.publish(SentenceIndex.build(docs, Slow()))
print("published", flush=True)
"""


@pytest.mark.parametrize("kill_after", [0.5, 1.5, 2.5, 3.5])
def test_killed_build_leaves_old_index_served(tmp_path, fake_index, kill_after):
    store = IndexStore(tmp_path / "index")
    store.publish(fake_index)
    before = store.current_path()
    script = KILLED_BUILD.format(root=str(ROOT), seeds=str(ROOT / "seeds"), store=str(store.root))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    current = store.current_path()
    loaded = store.load(FakeEmbedder())
    if current == before:
        assert all("NEWNAME" not in d.text for d in loaded.documents.values())
        assert len(loaded.sentences) == len(fake_index.sentences)
    else:  # the kill came after the atomic swap: the new index is complete
        assert any("NEWNAME" in d.text for d in loaded.documents.values())
    res = loaded.search("리벨리온은 첫 해외법인을 어디에 세웠나?", k=10)
    for h in res.hits:
        assert loaded.documents[h.doc_id].text[h.start:h.end] == h.text
    manifest = json.loads((current / "manifest.json").read_text())
    assert manifest["n_sentences"] == len(loaded.sentences)


def test_concurrent_writers_and_readers_cite_correctly(client):
    """Two writers (single and batch POSTs, deletes) and three readers: every citation
    the readers get matches its document's text, or the document is gone."""
    failures, done = [], threading.Event()
    questions = ["리벨리온은 첫 해외법인을 어디에 세웠나?", "네이버클라우드 사우디 데이터센터", "합작법인 착공"]

    def reader(q):
        while not done.is_set():
            r = client.post("/ask", json={"question": q, "top_k": 5})
            if r.status_code != 200:
                failures.append(r.status_code)
                continue
            for c in r.json()["citations"]:
                d = client.get(f"/documents/{c['doc_id']}")
                if d.status_code == 200:
                    body = d.json()
                    if body["text"][c["start"]:c["end"]] != c["text"]:
                        failures.append(("bad citation", c["doc_id"]))
                elif d.status_code != 404:
                    failures.append(d.status_code)

    def writer(w):
        for i in range(3):
            one = client.post("/documents", json={"doc_id": f"w{w}-{i}", "text": ARTICLE + f" 작성자 {w} 번호 {i}."},
                              headers=AUTH)
            if one.status_code != 201:
                failures.append(("post", one.status_code, one.text))
            batch = client.post("/documents", headers=AUTH, json={"documents": [
                {"doc_id": f"w{w}-b{i}-{j}", "text": f"{ARTICLE} 묶음 {w}-{i}-{j}.", "url": "https://example.com/a"}
                for j in range(3)]})
            if batch.status_code != 201 or len(batch.json()["documents"]) != 3:
                failures.append(("batch", batch.status_code, batch.text[:200]))
            if client.delete(f"/documents/w{w}-{i}", headers=AUTH).status_code != 200:
                failures.append("delete")

    readers = [threading.Thread(target=reader, args=(q,)) for q in questions]
    writers = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert not failures, failures[:5]
    docs = {d["doc_id"] for d in client.get("/documents", params={"limit": 100}).json()["items"]}
    assert {f"w{w}-b{i}-{j}" for w in range(2) for i in range(3) for j in range(3)} <= docs
    assert not any(f"w{w}-{i}" in docs for w in range(2) for i in range(3))
    assert client.get("/documents/w0-b0-0").json()["url"] == "https://example.com/a"


def test_batch_limits_and_errors(client):
    too_many = {"documents": [{"text": ARTICLE + str(i)} for i in range(101)]}
    r = client.post("/documents", json=too_many, headers=AUTH)
    assert r.status_code == 422 and "documents" in r.json()["detail"]
    r = client.post("/documents", json={"documents": [{"text": ARTICLE}, {"text": ARTICLE, "published": "어제"}]},
                    headers=AUTH)
    assert r.status_code == 422 and "published" in r.json()["detail"]
    r = client.post("/documents", json={"documents": [{"text": ARTICLE}, {"text": "가" * 5001}]}, headers=AUTH)
    assert r.status_code == 413 and "documents.1" in r.json()["detail"]
    assert client.get("/documents").json()["total"] == 5


@pytest.mark.parametrize("filters", [{"published_from": "2030-01-01"}, {"sources": ["없는 출처"]},
                                     {"doc_ids": ["nope"]},
                                     {"published_from": "2025-01-01", "published_to": "2025-01-02"}])
def test_filter_matching_nothing_is_unanswered(client, filters):
    r = client.post("/ask", json={"question": "리벨리온은 첫 해외법인을 어디에 세웠나?", **filters})
    assert r.status_code == 200
    assert r.json()["answered"] is False and r.json()["citations"] == [] and r.json()["answer"] is None


def test_each_filter_through_the_api(client):
    q = "일본의 AI 인재 양성 투자"
    cases = [({"doc_ids": ["002_76483b81068cf569"]}, lambda c: c["doc_id"] == "002_76483b81068cf569"),
             ({"published_from": "2025-09-01"}, lambda c: c["published"] >= "2025-09-01"),
             ({"published_to": "2025-08-31"}, lambda c: c["published"] <= "2025-08-31"),
             ({"sources": ["김영욱 연구원"]}, lambda c: c["doc_id"] == "000_43c50d81bab253fa")]
    for filters, ok in cases:
        body = client.post("/ask", json={"question": q, "top_k": 5, **filters}).json()
        assert body["citations"] and all(ok(c) for c in body["citations"]), filters
