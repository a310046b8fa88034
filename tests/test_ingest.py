"""Bulk ingest: folders and JSONL files, invalid lines reported, resumable, urls kept."""

import json

import pytest

from index.__main__ import main
from index.engine import SentenceIndex
from index.errors import InputError
from index.ingest import Article, Skipped, read_paths, to_document
from index.news import NewsIndex
from index.settings import Settings

from .fakes import FakeEmbedder
from .paths import SEEDS

ARTICLE = ("네이버클라우드가 사우디아라비아 리야드에 중동 첫 데이터센터를 짓는다. "
           "회사는 3일 현지 통신사와 합작법인을 세우고 내년 상반기 착공한다고 밝혔다.")


def _corpus(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a1.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "b2.html").write_text(
        "<html><head><title>카카오 AI 발표</title></head><body><article><h1>카카오 AI 발표</h1>"
        "<p>카카오가 새 AI 모델을 공개했다. 회사는 연내 서비스에 적용한다고 밝혔다.</p></article></body></html>",
        encoding="utf-8")
    lines = [
        json.dumps({"doc_id": "j1", "title": "삼성 HBM", "published": "2025-03-04", "source": "테스트일보",
                    "url": "https://example.com/j1", "text": "삼성전자가 HBM4 양산을 시작했다. 고객사는 엔비디아다."},
                   ensure_ascii=False),
        "{not json",
        json.dumps({"doc_id": "j2", "text": "LG전자가 로봇 사업을 키운다. 올해 매출 목표는 1조원이다.", "extra": 1},
                   ensure_ascii=False),
        "",
        json.dumps({"doc_id": "j3", "published": "어제", "text": "내용이 있다."}, ensure_ascii=False),
        json.dumps({"html": "<html><body><article><p>SK하이닉스가 새 공장을 짓는다. 투자액은 20조원이다.</p>"
                            "</article></body></html>", "url": "https://example.com/j4"}, ensure_ascii=False),
    ]
    (folder / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_read_paths_reports_bad_lines_with_their_number(tmp_path):
    folder = _corpus(tmp_path)
    items = list(read_paths([folder]))
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [s.where.rsplit(":", 1)[1] for s in skipped] == ["2", "3"]
    assert "not JSON" in skipped[0].reason and "unknown field" in skipped[1].reason
    articles = [i for i in items if isinstance(i, Article)]
    assert {a.doc_id for a in articles} >= {"a1", "b2", "j1", "j3"} and len(articles) == 5


def test_to_document_checks_and_keeps_url():
    doc = to_document(Article(text=ARTICLE, url="https://example.com/x", source="뉴스", published="2024-11-03"))
    assert doc.url == "https://example.com/x" and doc.doc_id.startswith("doc-") and doc.published == "2024-11-03"
    assert to_document(Article(text=ARTICLE)).doc_id == doc.doc_id  # ids come from the content
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        to_document(Article(text=ARTICLE, published="어제"))
    with pytest.raises(InputError, match="limit is 10"):
        to_document(Article(text=ARTICLE), max_chars=10)
    with pytest.raises(InputError, match="no article text"):
        to_document(Article(text="좋아요0\n더보기\n"))


def test_add_many_is_resumable_and_reports_skips(tmp_path):
    folder = _corpus(tmp_path)
    emb = FakeEmbedder()
    news = NewsIndex.of(SentenceIndex.build([], emb), Settings(data_dir=tmp_path / "data"))
    report = news.add_many(read_paths([folder]), batch_chars=60)
    assert report.created == 4 and len(report.skipped) == 3  # bad JSON, unknown field, bad date
    assert any(s.where.endswith("feed.jsonl:5") and "YYYY-MM-DD" in s.reason for s in report.skipped)
    assert news.index.documents["j1"].url == "https://example.com/j1"
    hit = news.search("삼성전자 HBM4 양산", k=1).hits[0]
    assert hit.doc_id == "j1"
    # a second run (as after Ctrl-C) finds everything in and changes nothing
    versions = sorted(p.name for p in news.store.versions.iterdir())
    again = news.add_many(read_paths([folder]))
    assert again.created == again.updated == 0 and again.unchanged == 4
    assert sorted(p.name for p in news.store.versions.iterdir()) == versions
    reopened = news.store.load(emb)
    assert set(reopened.documents) == set(news.index.documents)


def test_cli_add(tmp_path, capsys, monkeypatch):
    folder = _corpus(tmp_path)
    monkeypatch.setenv("NEWSQA_DATA_DIR", str(tmp_path / "data"))
    import index.news as news_mod

    real_open = news_mod.NewsIndex.open.__func__
    monkeypatch.setattr(news_mod.NewsIndex, "open",
                        classmethod(lambda cls, s, embedder=None, **kw: real_open(cls, s, FakeEmbedder(), **kw)))
    assert main(["add", str(folder), "--seeds", str(SEEDS)]) == 0
    out, err = capsys.readouterr()
    assert "added 4" in out and "skipped 3" in out
    assert "feed.jsonl:2" in err and "sentences/s" in err
    assert main(["add", str(folder), "--seeds", str(SEEDS)]) == 0
    assert "added 0, updated 0, unchanged 4" in capsys.readouterr().out
    assert main(["add", str(tmp_path / "missing")]) == 1
    assert "does not exist" in capsys.readouterr().err
