"""Fault injection on the saved index: no document is ever lost, nothing damaged is served.

Each test runs the real store, write log and recovery (only the embedder is fake):
add documents through the API, damage the files, restart, and check that every
document is still served with the same text and every citation still holds.
"""

import errno
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.engine import SentenceIndex
from index.errors import IndexCorruptError
from index.settings import Settings
from index.store import IndexStore
from index.wal import WriteLog
from service.app import create_app
from service.config import ServiceSettings

from .fakes import FakeEmbedder
from .paths import SEEDS

TOKEN = "recovery-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEED_GONE = "000_43c50d81bab253fa"
ADDED = {
    "api-naver": "네이버클라우드가 사우디아라비아 리야드에 중동 첫 데이터센터를 짓는다. 회사는 현지 통신사와 합작법인을 세웠다.",
    "api-kakao": "카카오는 제주에 새 연구소를 열고 인공지능 인력 200명을 뽑는다고 밝혔다. 연구소는 내년 봄 문을 연다.",
    "api-lg": "LG전자는 인도 첸나이 공장에서 냉장고 생산을 두 배로 늘린다. 투자 규모는 3천억 원이다.",
}


def _app(data: Path):
    return create_app(Settings(data_dir=data, seeds_dir=SEEDS), service=ServiceSettings(write_token=TOKEN),
                      embedder=FakeEmbedder())


def _started(client: TestClient) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r = client.get("/readyz")
        if r.status_code == 200 or r.json().get("status") == "failed":
            return r.json()
        time.sleep(0.05)
    raise AssertionError("never ready")


def _snapshot(client: TestClient) -> dict[str, str]:
    ids = [d["doc_id"] for d in client.get("/documents", params={"limit": 100}).json()["items"]]
    return {i: client.get(f"/documents/{i}").json()["text"] for i in ids}


def _check_citations(client: TestClient, texts: dict[str, str], ask: list[str] | None = None) -> None:
    """Ask for the first sentence of every document (or of ``ask``); every citation must be exact."""
    for doc_id in ask or list(texts):
        text = texts[doc_id]
        question = text.split(".")[0][:200]
        body = client.post("/ask", json={"question": question, "top_k": 5}).json()
        assert body["citations"], doc_id
        assert any(c["doc_id"] == doc_id for c in body["citations"]), doc_id
        for c in body["citations"]:
            assert texts[c["doc_id"]][c["start"]:c["end"]] == c["text"]


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A data folder written through the API: the seeds minus one, plus three added documents."""
    data = tmp_path_factory.mktemp("populated")
    with TestClient(_app(data)) as c:
        assert _started(c)["status"] == "ready"
        for doc_id, text in ADDED.items():
            assert c.post("/documents", json={"doc_id": doc_id, "text": text}, headers=AUTH).status_code == 201
        assert c.delete(f"/documents/{SEED_GONE}", headers=AUTH).status_code == 200
        expected = _snapshot(c)
    assert set(ADDED) <= set(expected) and SEED_GONE not in expected
    return data, expected


def _copy(populated, tmp_path) -> tuple[Path, dict, IndexStore]:
    import shutil

    src, expected = populated
    data = tmp_path / "data"
    shutil.copytree(src, data, symlinks=True)
    return data, expected, IndexStore(data / "index", data / "writes.jsonl")


def _current(store: IndexStore) -> Path:
    return store.pointer.resolve()


def _drop_manifest(store):
    (_current(store) / "manifest.json").unlink()


def _dangling_current(store):
    link = store.root / ".tmp-link"
    os.symlink("versions/v0-missing", link)
    os.replace(link, store.pointer)


def _segment_with(store, doc_id=None) -> Path:
    """The folder of a segment the current version lists (the one holding ``doc_id``, or the last)."""
    manifest = json.loads((_current(store) / "manifest.json").read_text(encoding="utf-8"))
    root = _current(store) / manifest["segments_dir"]
    folders = [root / e["id"] for e in manifest["segments"]]
    if doc_id is None:
        return folders[-1]
    return next(f for f in folders if doc_id in (f / "documents.jsonl").read_text(encoding="utf-8"))


def _truncate_sentences(store):
    p = _segment_with(store) / "sentences.npy"
    p.write_bytes(p.read_bytes()[:-40])


def _random_vectors(store):
    p = _segment_with(store) / "vectors.npy"
    v = np.load(p)
    np.save(p, np.random.default_rng(0).standard_normal(v.shape).astype(v.dtype))


def _alter_document_text(store):
    p = _segment_with(store, "api-lg") / "documents.jsonl"
    rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        if row["doc_id"] == "api-lg":
            row["text"] = row["text"].replace("냉장고", "세탁기", 1)
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


DAMAGE = {"deleted manifest": _drop_manifest, "dangling current": _dangling_current,
          "truncated sentences.npy": _truncate_sentences, "random vectors.npy": _random_vectors,
          "altered document text": _alter_document_text}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_current_version_loses_nothing(populated, tmp_path, damage):
    data, expected, store = _copy(populated, tmp_path)
    damaged = _current(store)
    DAMAGE[damage](store)
    with TestClient(_app(data)) as c:
        status = _started(c)
        assert status["status"] == "degraded", status
        assert "damaged" in status["detail"] and "python -m index repair" in status["detail"]
        assert _snapshot(c) == expected  # every document by id and text, API-added ones included
        _check_citations(c, expected)
    # nothing was rebuilt over the damage: `current` and the damaged folder are as we left them
    assert store.pointer.resolve() == _current(store) and (damage == "dangling current" or damaged.is_dir())

    # a write publishes a good version: healthy again, and still nothing lost across a restart
    with TestClient(_app(data)) as c:
        _started(c)
        assert c.post("/documents", json={"doc_id": "api-after", "text": ADDED["api-naver"] + " 후속."},
                      headers=AUTH).status_code == 201
        assert c.get("/readyz").json()["status"] == "ready"
    with TestClient(_app(data)) as c:
        assert _started(c)["status"] == "ready"
        after = _snapshot(c)
        assert {k: v for k, v in after.items() if k != "api-after"} == expected and "api-after" in after


def test_lost_index_is_rebuilt_from_seeds_and_write_log(populated, tmp_path):
    import shutil

    data, expected, store = _copy(populated, tmp_path)
    shutil.rmtree(store.root)
    with TestClient(_app(data)) as c:
        assert _started(c)["status"] == "ready"
        assert _snapshot(c) == expected
        _check_citations(c, expected)
    assert store.current_path() is not None  # nothing was damaged, so the rebuild was published


def test_every_version_damaged_rebuilds_in_memory_without_loss(populated, tmp_path):
    data, expected, store = _copy(populated, tmp_path)
    for v in store.version_paths():
        (v / "manifest.json").unlink()
    before = sorted(p.name for p in store.version_paths())
    with TestClient(_app(data)) as c:
        assert _started(c)["status"] == "degraded"
        assert _snapshot(c) == expected
    assert sorted(p.name for p in store.version_paths()) == before  # nothing pruned or replaced


def _cli(data: Path, *argv: str) -> int:
    from unittest import mock

    from index.__main__ import main

    with mock.patch("index.embedder.load_embedder", return_value=FakeEmbedder()):
        return main([*argv, "--data-dir", str(data), "--seeds", str(SEEDS)])


def test_repair_command_publishes_a_good_version(populated, tmp_path):
    data, expected, store = _copy(populated, tmp_path)
    _truncate_sentences(store)
    assert _cli(data, "repair") == 0
    loaded = store.load(FakeEmbedder())
    assert {d: loaded.documents[d].text for d in loaded.documents} == expected


def test_build_command_keeps_api_documents(populated, tmp_path):
    data, expected, store = _copy(populated, tmp_path)
    before = _current(store)
    assert _cli(data, "build") == 0
    assert _current(store) != before  # a fresh version, every sentence re-embedded
    loaded = store.load(FakeEmbedder())
    assert {d: loaded.documents[d].text for d in loaded.documents} == expected


def test_an_index_of_the_first_format_is_upgraded_without_loss(populated, tmp_path):
    """Before segments, a version was one documents.jsonl and a FAISS file: it is re-read and rebuilt."""
    from index.wal import document_to_dict

    data, expected, store = _copy(populated, tmp_path)
    docs, manifest = store.read_documents(_current(store))
    old = store.root / "versions" / "v1"
    old.mkdir()
    (old / "documents.jsonl").write_text(
        "".join(json.dumps(document_to_dict(d), ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    (old / "manifest.json").write_text(json.dumps(
        {"format_version": 1, "embedder": manifest["embedder"], "wal_seq": manifest["wal_seq"],
         "source_hashes": manifest["source_hashes"], "deleted_sources": manifest["deleted_sources"],
         "documents": {}}), encoding="utf-8")
    for v in store.version_paths():
        if v != old:
            shutil.rmtree(v)
    link = store.root / ".tmp-link"
    os.symlink("versions/v1", link)
    os.replace(link, store.pointer)
    with TestClient(_app(data)) as c:
        assert _started(c)["status"] == "ready"
        assert _snapshot(c) == expected
        _check_citations(c, expected, ask=list(ADDED))
    assert _current(store) != old  # published in the current format


def test_load_refuses_each_damage_with_a_reason(populated, tmp_path):
    _, _, store = _copy(populated, tmp_path)
    path = _current(store)
    (_segment_with(store) / "vocab.json").write_text("[]", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=r"vocab\.json"):
        SentenceIndex.load(path, FakeEmbedder())


def test_write_log_survives_a_torn_last_line(tmp_path):
    wal = WriteLog(tmp_path / "writes.jsonl")
    wal.append("delete", doc_id="a")
    wal.append("delete", doc_id="b")
    with open(wal.path, "ab") as f:
        f.write(b'{"seq": 3, "op": "del')  # a crash mid-append
    records, problems = WriteLog(wal.path).read()
    assert [r["doc_id"] for r in records] == ["a", "b"] and problems == []
    # an altered line in the middle is reported, not silently replayed
    lines = wal.path.read_bytes().split(b"\n")
    lines[0] = lines[0].replace(b'"a"', b'"z"')
    wal.path.write_bytes(b"\n".join(lines))
    records, problems = WriteLog(wal.path).read()
    assert [r["doc_id"] for r in records] == ["b"] and "line 1" in problems[0]


def test_seed_id_is_refused_and_a_deleted_seed_stays_deleted(populated, tmp_path):
    data, expected, _ = _copy(populated, tmp_path)
    seed = "003_e4fd56b795545594"
    with TestClient(_app(data)) as c:
        _started(c)
        for doc_id in (seed, SEED_GONE):  # a live seed, and one deleted through the API
            r = c.post("/documents", json={"doc_id": doc_id, "text": ADDED["api-kakao"]}, headers=AUTH)
            assert r.status_code == 409 and "seed" in r.json()["detail"] and "another doc_id" in r.json()["detail"]
    with TestClient(_app(data)) as c:
        _started(c)
        assert _snapshot(c) == expected  # the seed is untouched, the deleted seed still deleted


@pytest.mark.parametrize("code,status", [(errno.ENOSPC, 507), (errno.EIO, 503)])
def test_disk_errors_give_a_clear_5xx_and_keep_the_old_index(populated, tmp_path, monkeypatch, code, status):
    import index.engine

    data, expected, store = _copy(populated, tmp_path)
    before = _current(store)
    versions = sorted(p.name for p in store.version_paths())
    wal_size = store.wal.path.stat().st_size

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    with TestClient(_app(data)) as c:
        _started(c)
        monkeypatch.setattr(index.engine, "write_json", refuse)  # the manifest write hits the disk error
        r = c.post("/documents", json={"doc_id": "api-full", "text": ADDED["api-kakao"] + " 추가."}, headers=AUTH)
        assert r.status_code == status, r.text
        assert ("disk is full" if code == errno.ENOSPC else "writable") in r.json()["detail"]
        assert "served index is intact" in r.json()["detail"]
        r = c.delete("/documents/api-naver", headers=AUTH)
        assert r.status_code == status
        monkeypatch.undo()
        assert _snapshot(c) == expected  # the old index is still served
        _check_citations(c, expected, list(ADDED))
    assert _current(store) == before and sorted(p.name for p in store.version_paths()) == versions
    assert store.wal.path.stat().st_size == wal_size  # refused writes were taken back from the log
    with TestClient(_app(data)) as c:
        assert _started(c)["status"] == "ready" and _snapshot(c) == expected


def test_write_log_full_disk_is_507(populated, tmp_path, monkeypatch):
    data, expected, _ = _copy(populated, tmp_path)

    def full(self, op, **fields):
        raise OSError(errno.ENOSPC, "No space left on device")

    with TestClient(_app(data)) as c:
        _started(c)
        monkeypatch.setattr(WriteLog, "append", full)
        r = c.post("/documents", json={"doc_id": "api-full", "text": ADDED["api-kakao"] + " 추가."}, headers=AUTH)
        assert r.status_code == 507 and "disk is full" in r.json()["detail"]
        assert _snapshot(c) == expected


def test_a_lost_write_log_does_not_restart_its_numbering(populated, tmp_path):
    data, expected, store = _copy(populated, tmp_path)
    store.wal.path.unlink()
    with TestClient(_app(data)) as c:
        _started(c)
        assert c.post("/documents", json={"doc_id": "api-late", "text": ADDED["api-lg"] + " 후속."},
                      headers=AUTH).status_code == 201
        expected = _snapshot(c)
    _drop_manifest(store)  # the version holding api-late is damaged: only the log still has it
    with TestClient(_app(data)) as c:
        assert _started(c)["status"] == "degraded"
        assert _snapshot(c) == expected and "api-late" in expected
