"""Request and response models, one per role."""

from __future__ import annotations

import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

QUESTION_MAX = 500
HISTORY_MAX = 10
FILTER_MAX = 50
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_LINE_BREAKS = "\t\n\r"
_PAGE_CONTROLS = "\t\n\r\x0b\x0c"


def check_chars(value: str, field: str, allowed_controls: str = _LINE_BREAKS) -> str:
    """Refuse lone surrogates (not encodable as UTF-8) and control characters."""
    for ch in value:
        cp = ord(ch)
        if 0xD800 <= cp <= 0xDFFF:
            raise ValueError(f"{field} contains a lone surrogate (U+{cp:04X}): send valid Unicode text")
        if (cp < 0x20 or 0x7F <= cp < 0xA0) and ch not in allowed_controls:
            raise ValueError(f"{field} contains the control character U+{cp:04X}: remove it")
    return value


class AskRequest(BaseModel):
    # Strict: "5" is not a number and 5 is not a question; say so instead of guessing.
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "리벨리온은 첫 해외법인을 어디에 세웠나?", "top_k": 5},
                {"question": "그럼 업스테이지는?", "top_k": 3, "history": ["리벨리온은 첫 해외법인을 어디에 세웠나?"]},
            ]
        },
    )

    question: str = Field(..., min_length=1, max_length=QUESTION_MAX,
                          description="질문 (1–500자)", examples=["리벨리온은 첫 해외법인을 어디에 세웠나?"])
    top_k: int = Field(5, ge=1, le=20, description="돌려받을 인용 문장 수 (1–20)")
    history: list[str] = Field(default_factory=list, max_length=HISTORY_MAX,
                               description="같은 대화의 이전 질문들 (최대 10개)",
                               examples=[["일본의 AI 시장 규모는?"]])
    published_from: str | None = Field(None, pattern=DATE_PATTERN, description="이 날짜(YYYY-MM-DD) 이후 기사만")
    published_to: str | None = Field(None, pattern=DATE_PATTERN, description="이 날짜(YYYY-MM-DD) 이전 기사만")
    sources: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=FILTER_MAX, description="이 출처의 기사만 (최대 50개)")
    doc_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=FILTER_MAX, description="이 문서들만 (최대 50개)")

    @field_validator("published_from", "published_to")
    @classmethod
    def _real_day(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                datetime.date.fromisoformat(v)
            except ValueError:
                raise ValueError(f"{v} is not a calendar date: use YYYY-MM-DD") from None
        return v

    @model_validator(mode="after")
    def _ordered_dates(self) -> "AskRequest":
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise ValueError("published_from is after published_to: swap the two dates")
        return self

    @field_validator("question")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        check_chars(v, "question")
        if not v.strip():
            raise ValueError("question is empty or whitespace: type a question")
        return v.strip()

    @field_validator("history")
    @classmethod
    def _short_items(cls, v: list[str]) -> list[str]:
        for item in v:
            if len(item) > QUESTION_MAX:
                raise ValueError(f"each history item must be at most {QUESTION_MAX} characters")
            check_chars(item, "history item")
        return v


class Citation(BaseModel):
    rank: int
    doc_id: str
    title: str
    published: str | None
    sentence_index: int
    start: int = Field(description="문서 text 안의 시작 오프셋 (코드 포인트)")
    end: int = Field(description="문서 text 안의 끝 오프셋 (미포함)")
    text: str
    score: float
    answer_start: int | None = Field(None, description="답이 되는 구절의 시작 오프셋 (문장 안, 문서 text 기준)")
    answer_end: int | None = Field(None, description="답이 되는 구절의 끝 오프셋 (미포함)")
    url: str | None = Field(None, description="원문 기사 주소 (문서에 있을 때)")


class AskResponse(BaseModel):
    question: str
    resolved_question: str | None = Field(None, description="후속 질문을 고쳐 쓴 실제 검색 질문")
    answered: bool
    answer: str | None
    citations: list[Citation]
    note: str | None = Field(None, description="답하지 않은 까닭이 질문 자체에 있을 때의 안내 (예: 한국어가 아닌 질문)")
    took_ms: float


class DocumentSummary(BaseModel):
    doc_id: str
    title: str
    published: str | None
    source: str | None
    url: str | None = Field(None, description="원문 기사 주소")
    n_sentences: int


class DocumentsPublic(BaseModel):
    """One page of the document list, newest first."""

    items: list[DocumentSummary]
    total: int = Field(description="검색 조건에 맞는 문서 수 (페이지와 무관)")
    offset: int
    limit: int


class SourceCount(BaseModel):
    source: str
    n_documents: int


class DocumentFacets(BaseModel):
    """What the corpus covers: for the page's filters and its "no answer" note."""

    n_documents: int
    published_min: str | None = Field(description="가장 이른 기사 날짜 (YYYY-MM-DD)")
    published_max: str | None = Field(description="가장 늦은 기사 날짜 (YYYY-MM-DD)")
    sources: list[SourceCount] = Field(description="출처별 문서 수, 많은 순")


class SentenceSpan(BaseModel):
    index: int
    start: int
    end: int


class DocumentPublic(BaseModel):
    doc_id: str
    title: str
    published: str | None
    source: str | None
    url: str | None = Field(None, description="원문 기사 주소")
    text: str
    sentences: list[SentenceSpan]


class Status(BaseModel):
    status: str = Field(description="ok | ready | degraded | loading | failed")
    detail: str | None = Field(None, description="what is wrong and how to fix it, when not ok")


class DocumentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{
            "doc_id": "naver-saudi-2024",
            "title": "네이버, 사우디에 클라우드 거점 세운다",
            "published": "2024-11-03",
            "text": "네이버클라우드가 사우디아라비아 리야드에 중동 첫 데이터센터를 짓는다. 회사는 3일 현지 통신사와 합작법인을 세웠다.",
        }]},
    )

    doc_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.\-]{1,100}$",
                               description="문서 id (영문, 숫자, _ . -); 없으면 내용 해시로 만듭니다")
    title: str | None = Field(None, max_length=300)
    published: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")
    source: str | None = Field(None, max_length=300)
    url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$",
                            description="원문 기사 주소 (http:// 또는 https://)")
    text: str = Field(..., min_length=1, description="기사 본문 (일반 텍스트 또는 HTML 페이지)")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        check_chars(v, "text", _PAGE_CONTROLS)
        if not v.strip():
            raise ValueError("text is empty or whitespace: send the article text")
        return v

    @field_validator("title", "source", "url")
    @classmethod
    def _clean_line(cls, v: str | None, info) -> str | None:
        return None if v is None else check_chars(v, info.field_name, "")

    @field_validator("doc_id")
    @classmethod
    def _not_a_route(cls, v: str | None) -> str | None:
        if v == "facets":
            raise ValueError("doc_id 'facets' is taken by GET /documents/facets: choose another id")
        return v


class DocumentWritten(BaseModel):
    doc_id: str
    title: str
    published: str | None
    source: str | None
    url: str | None = None
    n_sentences: int
    status: str = Field(description="created | updated | unchanged | deleted")


BATCH_MAX = 100


class DocumentBatch(BaseModel):
    """Several documents in one request, published together."""

    model_config = ConfigDict(extra="forbid")

    documents: list[DocumentCreate] = Field(..., min_length=1, max_length=BATCH_MAX,
                                            description="추가할 문서들 (1–100건)")


class DocumentsWritten(BaseModel):
    documents: list[DocumentWritten]
