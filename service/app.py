"""The web layer: FastAPI routes over the engine in ``index/``. No retrieval logic here."""


import json
import logging
import secrets
import math
import threading
import time
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Callable

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from index.engine import SentenceIndex
from index.errors import DocumentNotFoundError, InputError, InvalidQueryError
from index.ingest import Article
from index.news import NewsIndex, WriteResult
from index.types import Filters
from index.settings import Settings

from .schemas import (AskRequest, AskResponse, Citation, DocumentBatch, DocumentCreate, DocumentPublic,
                      DocumentsWritten, DocumentSummary, DocumentWritten, SentenceSpan, Status)

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("newsqa")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class IndexHolder:
    """Holds the served ``NewsIndex``; opens it in the background so the process is up at once."""

    def __init__(self, settings: Settings, loader: Callable[[], SentenceIndex | NewsIndex] | None = None):
        self.settings = settings
        self.news: NewsIndex | None = None
        self.error: str | None = None
        self.ready = threading.Event()
        self._loader = loader or (lambda: NewsIndex.open(settings))
        self.started = time.perf_counter()
        self.ready_after: float | None = None

    @property
    def index(self) -> SentenceIndex | None:
        return self.news.index if self.news is not None else None

    def load(self) -> None:
        try:
            loaded = self._loader()
            news = loaded if isinstance(loaded, NewsIndex) else NewsIndex.of(loaded, self.settings)
            news.search("준비", k=1)  # first-call costs (torch kernels, caches) before we say ready
            self.news = news
            self.ready_after = time.perf_counter() - self.started
            log.info(json.dumps({"event": "ready", "seconds": round(self.ready_after, 2),
                                 "sentences": len(news.index.sentences)}))
            self.ready.set()
        except Exception as e:  # reported by /readyz; the process keeps serving health checks
            self.error = f"{type(e).__name__}: {e}"
            log.exception("index failed to load")

    def require(self) -> NewsIndex:
        if self.news is None:
            detail = f"index failed to load: {self.error}" if self.error else "index is loading: retry in a few seconds"
            raise HTTPException(503, detail, headers={"Retry-After": "5"})
        return self.news


class RateLimiter:
    """Token bucket per client: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int):
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = defaultdict(lambda: (self.capacity, time.monotonic()))
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when allowed, else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            tokens, last = self._buckets[client]
            now = time.monotonic()
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate


def _human(errors) -> str:
    """One sentence per problem, naming the field: what a person can act on."""
    msgs = []
    for e in errors:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        kind, msg = e.get("type", ""), e.get("msg", "")
        if kind == "json_invalid":
            msg = "request body is not valid JSON: send a JSON object like {\"question\": \"...\"}"
            loc = "body"
        elif kind in ("model_type", "model_attributes_type", "dict_type") and loc == "body":
            msg = "send a JSON object with Content-Type: application/json, like {\"question\": \"...\"}"
        elif kind == "missing":
            msg = "field required"
        elif kind == "extra_forbidden":
            msg = "unknown field: allowed fields are question, top_k, history"
        msg = msg.removeprefix("Value error, ")
        msgs.append(f"{loc}: {msg}")
    return "; ".join(msgs) or "invalid request"


def create_app(settings: Settings | None = None,
               loader: Callable[[], SentenceIndex] | None = None) -> FastAPI:
    settings = settings or Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(message)s")
    holder = IndexHolder(settings, loader)
    limiter = RateLimiter(settings.rate_limit_per_minute)

    registry = CollectorRegistry()
    requests_total = Counter("newsqa_requests_total", "HTTP requests", ["route", "method", "status"],
                             registry=registry)
    latency = Histogram("newsqa_request_seconds", "Request latency", ["route"], registry=registry,
                        buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5))
    index_sentences = Gauge("newsqa_index_sentences", "Sentences in the served index", registry=registry)
    index_documents = Gauge("newsqa_index_documents", "Documents in the served index", registry=registry)
    index_sentences.set_function(lambda: len(holder.index.sentences) if holder.index else 0)
    index_documents.set_function(lambda: len(holder.index.documents) if holder.index else 0)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threading.Thread(target=holder.load, name="index-loader", daemon=True).start()
        yield

    app = FastAPI(
        title="한국 뉴스 Q&A",
        description="한국어 뉴스 기사에서 질문에 답하는 문장을 찾아 정확한 출처(문서, 제목, 날짜, 문자 오프셋)와 함께 돌려줍니다.",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.holder = holder
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])

    @app.middleware("http")
    async def observe(request: Request, call_next):
        t0 = time.perf_counter()
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            response = JSONResponse(
                {"detail": f"request body is larger than {settings.max_body_bytes} bytes: send less"}, 413)
        else:
            try:
                response = await call_next(request)
            except Exception:
                log.exception("unhandled error")
                response = JSONResponse({"detail": "internal error"}, 500)
        route = request.scope.get("route")
        route_path = getattr(route, "path", "unmatched")
        dt = time.perf_counter() - t0
        requests_total.labels(route_path, request.method, str(response.status_code)).inc()
        latency.labels(route_path).observe(dt)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", CSP)
        log.info(json.dumps({"method": request.method, "path": request.url.path, "route": route_path,
                             "status": response.status_code, "ms": round(dt * 1000, 2),
                             "client": request.client.host if request.client else None}))
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        return JSONResponse({"detail": _human(errors), "errors": json.loads(json.dumps(errors, default=str))}, 422)

    NewsDep = Annotated[NewsIndex, Depends(holder.require)]

    def current_index(news: NewsDep) -> SentenceIndex:
        return news.index  # one snapshot for the whole request

    IndexDep = Annotated[SentenceIndex, Depends(current_index)]

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.post("/ask", response_model=AskResponse, summary="질문하기",
              responses={422: {"description": "잘못된 입력"}, 429: {"description": "요청이 너무 많음"},
                         503: {"description": "인덱스 로딩 중"}})
    def ask(body: AskRequest, request: Request, index: IndexDep) -> AskResponse:
        wait = limiter.take(request.client.host if request.client else "unknown")
        if wait:
            raise HTTPException(429, "too many questions: slow down and retry later",
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})
        t0 = time.perf_counter()
        try:
            res = index.search(body.question, k=body.top_k, history=body.history,
                               threshold=settings.answer_threshold,
                               filters=Filters(body.published_from, body.published_to,
                                               tuple(body.sources), tuple(body.doc_ids)))
        except InvalidQueryError as e:
            raise HTTPException(422, str(e)) from e
        return AskResponse(
            question=body.question, resolved_question=res.resolved_question, answered=res.answered, answer=res.answer,
            citations=[Citation(**h.__dict__) for h in res.hits],
            took_ms=round((time.perf_counter() - t0) * 1000, 2),
        )

    @app.get("/documents", response_model=list[DocumentSummary], summary="문서 목록")
    def documents(index: IndexDep) -> list[DocumentSummary]:
        return [DocumentSummary(doc_id=d.doc_id, title=d.title, published=d.published, source=d.source,
                                n_sentences=len(index.sentences_of(d.doc_id))) for d in index.documents.values()]

    @app.get("/documents/{doc_id}", response_model=DocumentPublic, summary="문서 본문과 문장 오프셋",
             responses={404: {"description": "없는 문서"}})
    def document(doc_id: str, index: IndexDep) -> DocumentPublic:
        doc = index.documents.get(doc_id)
        if doc is None:
            raise HTTPException(404, f"document {doc_id!r} not found: GET /documents lists the ids")
        spans = [SentenceSpan(index=s.index, start=s.start, end=s.end) for s in index.sentences_of(doc_id)]
        return DocumentPublic(doc_id=doc.doc_id, title=doc.title, published=doc.published, source=doc.source,
                              url=doc.url, text=doc.text, sentences=spans)

    def require_writer(authorization: Annotated[str | None, Header()] = None) -> None:
        if not settings.write_token:
            raise HTTPException(403, "writes are disabled: set NEWSQA_WRITE_TOKEN on the server to allow them")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), settings.write_token.encode()):
            raise HTTPException(401, "missing or wrong token: send Authorization: Bearer <token>",
                                headers={"WWW-Authenticate": "Bearer"})

    WriterDep = Annotated[None, Depends(require_writer)]

    def _written(res: WriteResult) -> DocumentWritten:
        d = res.document
        return DocumentWritten(doc_id=d.doc_id, title=d.title, published=d.published, source=d.source,
                               url=d.url, n_sentences=res.n_sentences, status=res.status)

    def _article(body: DocumentCreate, where: str = "") -> Article:
        if len(body.text) > settings.max_document_chars:
            raise HTTPException(413, f"{where}document text has {len(body.text)} characters, the limit is "
                                     f"{settings.max_document_chars}: split it")
        return Article(text=body.text, doc_id=body.doc_id, title=body.title, published=body.published,
                       source=body.source, url=body.url)

    @app.post("/documents", response_model=DocumentWritten | DocumentsWritten, status_code=201,
              summary="문서 추가, 한 건 또는 최대 100건 묶음 (인증 필요)",
              responses={200: {"description": "같은 내용이 이미 있음"}, 401: {"description": "토큰 없음/틀림"},
                         403: {"description": "쓰기 비활성"}, 413: {"description": "너무 큼"}})
    def add_document(body: DocumentCreate | DocumentBatch, _: WriterDep, news: NewsDep):
        if isinstance(body, DocumentBatch):
            docs = []
            for i, item in enumerate(body.documents):
                try:
                    docs.append(news.prepare(_article(item, f"documents.{i}: ")))
                except InputError as e:
                    raise HTTPException(422, f"documents.{i}: {e}") from None
            before = news.index
            statuses = []
            for d in docs:
                old = before.documents.get(d.doc_id)
                statuses.append("unchanged" if old == d else "updated" if old is not None else "created")
            try:
                news.add_many(docs)
            except InvalidQueryError as e:
                raise HTTPException(422, str(e)) from e
            after = news.index
            results = [DocumentWritten(doc_id=d.doc_id, title=d.title, published=d.published, source=d.source,
                                       url=d.url, n_sentences=len(after.sentences_of(d.doc_id)), status=st)
                       for d, st in zip(docs, statuses)]
            code = 201 if any(st != "unchanged" for st in statuses) else 200
            return JSONResponse(DocumentsWritten(documents=results).model_dump(), code)
        try:
            res = news.add(_article(body))
        except InputError as e:
            raise HTTPException(422, str(e)) from e
        if res.status == "unchanged":
            return JSONResponse(_written(res).model_dump(), 200)
        return _written(res)

    @app.delete("/documents/{doc_id}", response_model=DocumentWritten, summary="문서 삭제 (인증 필요)",
                responses={401: {"description": "토큰 없음/틀림"}, 403: {"description": "쓰기 비활성"},
                           404: {"description": "없는 문서"}})
    def delete_document(doc_id: str, _: WriterDep, news: NewsDep) -> DocumentWritten:
        try:
            return _written(news.delete(doc_id))
        except DocumentNotFoundError as e:
            raise HTTPException(404, str(e)) from None

    @app.get("/healthz", response_model=Status, summary="프로세스 생존 확인")
    def healthz() -> Status:
        return Status(status="ok")

    @app.get("/readyz", response_model=Status, summary="인덱스 준비 확인", responses={503: {"description": "준비 안 됨"}})
    def readyz():
        if holder.index is None:
            return JSONResponse({"status": "failed" if holder.error else "loading",
                                 "detail": holder.error or "index is loading"}, 503)
        return Status(status="ready")

    @app.get("/metrics", summary="Prometheus 지표", response_class=Response)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
