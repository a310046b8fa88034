"""The web layer: FastAPI routes over the engine in ``index/``. No retrieval logic here."""


import json
import logging
import math
import threading
import time
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Callable

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

from index.embedder import Embedder
from index.engine import SentenceIndex
from index.errors import DocumentNotFoundError, InputError, InvalidQueryError, SeedConflictError, StorageError
from index.ingest import Article
from index.news import NewsIndex, WriteResult
from index.settings import Settings
from index.store import IndexStore, Recovery
from index.types import Filters

from .config import ServiceSettings
from .guard import ClientLimiter, RequestGuard, client_of, token_problem
from .schemas import (
    AskRequest,
    AskResponse,
    Citation,
    DocumentBatch,
    DocumentCreate,
    DocumentFacets,
    DocumentPublic,
    DocumentsPublic,
    DocumentSummary,
    DocumentsWritten,
    DocumentWritten,
    SentenceSpan,
    SourceCount,
    Status,
)

STATIC = Path(__file__).parent / "static"
SWAGGER = Path(str(swagger_ui_path))
log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class IndexHolder:
    """Holds the served ``NewsIndex``; opens it in the background so the process is up at once."""

    def __init__(self, settings: Settings, loader: Callable[[], SentenceIndex | Recovery | NewsIndex] | None = None,
                 embedder: Embedder | None = None):
        self.settings = settings
        self.news: NewsIndex | None = None
        self.error: str | None = None
        self.embedder = embedder
        self.ready = threading.Event()
        # direct: the ONNX encoder without importing torch/sentence-transformers (start-up time);
        # one encoder thread per question suits concurrent queries.
        self._loader = loader or (lambda: NewsIndex.open(settings, self.embedder, direct=True,
                                                         threads=settings.encoder_threads))
        self.started = time.perf_counter()
        self.ready_after: float | None = None
        # where an index handed over by ``loader`` is published at the first write
        self.store = IndexStore(settings.index_dir, settings.wal_path)

    @property
    def index(self) -> SentenceIndex | None:
        return self.news.index if self.news is not None else None

    @property
    def degraded(self) -> str | None:
        """The store was damaged: what is served instead (None when healthy)."""
        return self.news.degraded if self.news is not None else None

    def load(self) -> None:
        try:
            loaded = self._loader()
            if isinstance(loaded, NewsIndex):
                news = loaded
            else:
                index = loaded.index if isinstance(loaded, Recovery) else loaded
                news = NewsIndex(self.store, index)
                news.degraded = loaded.degraded if isinstance(loaded, Recovery) else None
            news.max_document_chars = None  # the service checks the limit itself (413)
            news.search("준비", k=1)  # first-call costs (torch kernels, caches) before we say ready
            self.news = news
            self.ready_after = time.perf_counter() - self.started
            log.info(json.dumps({"event": "ready", "seconds": round(self.ready_after, 2),
                                 "sentences": news.index.stats.n_rows}))
            self.ready.set()
        except Exception as e:  # reported by /healthz and /readyz (503), and in the log
            self.error = f"{type(e).__name__}: {e}"
            log.exception("index failed to load")

    def require(self) -> NewsIndex:
        if self.news is None:
            detail = f"index failed to load: {self.error}" if self.error else "index is loading: retry in a few seconds"
            raise HTTPException(503, detail, headers={"Retry-After": "5"})
        return self.news


def _body_fields(request: Request) -> list[str]:
    """The fields the route's JSON body accepts, in declaration order (empty if unknown)."""
    field = getattr(request.scope.get("route"), "body_field", None)
    model = getattr(getattr(field, "field_info", None), "annotation", None)
    return list(getattr(model, "model_fields", None) or ())


def _human(errors, allowed: list[str]) -> str:
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
        elif kind == "string_unicode":
            msg = ("contains characters that are not valid Unicode (a lone surrogate such as \\ud800): "
                   "send valid Unicode text")
        elif kind == "extra_forbidden":
            msg = (f"unknown field: allowed fields are {', '.join(allowed)}" if allowed
                   else "unknown field: see GET /docs for this route's fields")
        msg = msg.removeprefix("Value error, ")
        msgs.append(f"{loc}: {msg}")
    return "; ".join(msgs) or "invalid request"


def _public_errors(errors) -> list[dict]:
    """Where and what, never the input: inputs can be huge, or not JSON-encodable (NaN)."""
    return [{"loc": [p if isinstance(p, (int, str)) else str(p) for p in e.get("loc", ())],
             "type": str(e.get("type", "")), "msg": str(e.get("msg", ""))[:300]} for e in errors]


_SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                     ("X-Frame-Options", "DENY"), ("Content-Security-Policy", CSP))


class Observe:
    """Security headers on every response, request metrics and one JSON log line per
    request, and a JSON 500 for an unhandled error.

    Pure ASGI: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware("http")``) runs the
    app in a task with memory streams, which cost ~2 ms of a ~9 ms cold ``/ask``."""

    def __init__(self, app: ASGIApp, requests_total: Counter, latency: Histogram):
        self.app, self.requests_total, self.latency = app, requests_total, latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled error")
            if started:
                raise
            await JSONResponse({"detail": "internal error"}, 500)(scope, receive, send_with_headers)
        finally:
            # the router puts the matched route into the request's scope
            route_path = getattr(scope.get("route"), "path", "unmatched")
            dt = time.perf_counter() - t0
            self.requests_total.labels(route_path, scope["method"], str(status)).inc()
            self.latency.labels(route_path).observe(dt)
            if log.isEnabledFor(logging.INFO):  # the JSON line costs a little on every request
                client = scope.get("client")
                log.info(json.dumps({"method": scope["method"], "path": scope["path"], "route": route_path,
                                     "status": status, "ms": round(dt * 1000, 2),
                                     "client": client[0] if client else None}))


def create_app(settings: Settings | None = None,
               loader: Callable[[], SentenceIndex | Recovery | NewsIndex] | None = None,
               service: ServiceSettings | None = None, *, embedder: Embedder | None = None) -> FastAPI:
    """The app. ``loader`` replaces the whole index loading (tests); ``embedder``
    replaces only the model, keeping the real store, write log and recovery."""
    settings = settings or Settings()
    service = service or ServiceSettings()
    holder = IndexHolder(settings, loader, embedder)
    limiter = ClientLimiter.per_minute(service.rate_limit_per_minute)
    auth_failures = ClientLimiter.per_minute(service.auth_failures_per_minute)

    registry = CollectorRegistry()
    requests_total = Counter("newsqa_requests_total", "HTTP requests", ["route", "method", "status"],
                             registry=registry)
    latency = Histogram("newsqa_request_seconds", "Request latency", ["route"], registry=registry,
                        buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5))
    index_sentences = Gauge("newsqa_index_sentences", "Sentences in the served index", registry=registry)
    index_documents = Gauge("newsqa_index_documents", "Documents in the served index", registry=registry)
    index_sentences.set_function(lambda: len(holder.index.sentences) if holder.index else 0)
    index_documents.set_function(lambda: len(holder.index.documents) if holder.index else 0)
    # Benchmarks read these to prove a "cold" figure had no cache hits.
    def cache_count(what: str) -> Callable[[], float]:
        return lambda: getattr(holder.index.embedder, f"cache_{what}", 0) if holder.index else 0

    for what in ("hits", "misses"):
        Gauge(f"newsqa_query_cache_{what}", f"Query-vector cache {what} since start",
              registry=registry).set_function(cache_count(what))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threading.Thread(target=holder.load, name="index-loader", daemon=True).start()
        yield

    app = FastAPI(
        title="한국 뉴스 Q&A",
        description="한국어 뉴스 기사에서 질문에 답하는 문장을 찾아 정확한 출처(문서, 제목, 날짜, 문자 오프셋)와 함께 돌려줍니다.",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,  # served below from the swagger-ui-bundle package: the CSP allows no CDN
        redoc_url=None,
    )
    app.state.holder = holder
    app.state.settings = settings
    app.state.service = service
    app.state.limiter = limiter
    app.state.auth_failures = auth_failures
    app.add_middleware(RequestGuard, max_body_bytes=service.max_body_bytes, write_token=service.write_token,
                       auth_failures=auth_failures)
    if service.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=service.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization", "Content-Type"])

    # Outermost, so it also sees the guard's 413s and 401s.
    app.add_middleware(Observe, requests_total=requests_total, latency=latency)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        return JSONResponse({"detail": _human(errors, _body_fields(request)), "errors": _public_errors(errors)},
                            422)

    @app.exception_handler(StorageError)
    async def storage_error(request: Request, exc: StorageError):
        log.error("write refused by the disk: %s", exc)
        status = 507 if exc.disk_full else 503
        return JSONResponse({"detail": str(exc)}, status, headers={"Retry-After": "60"})

    @app.exception_handler(SeedConflictError)
    async def seed_conflict(request: Request, exc: SeedConflictError):
        return JSONResponse({"detail": str(exc)}, 409)

    # The dependencies do no I/O and return at once: as coroutines they run on the event
    # loop, where a plain function would cost a trip to the thread pool each.
    async def require_news() -> NewsIndex:
        return holder.require()

    NewsDep = Annotated[NewsIndex, Depends(require_news)]

    async def current_index(news: NewsDep) -> SentenceIndex:
        return news.index  # one snapshot for the whole request

    IndexDep = Annotated[SentenceIndex, Depends(current_index)]

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs-assets", StaticFiles(directory=SWAGGER), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs():
        # No inline script (the CSP forbids it): static/docs.js starts Swagger UI.
        return HTMLResponse(
            '<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>한국 뉴스 Q&amp;A API</title>'
            '<link rel="stylesheet" href="/docs-assets/swagger-ui.css"></head><body>'
            '<div id="swagger-ui"></div><script src="/docs-assets/swagger-ui-bundle.js"></script>'
            '<script src="/static/docs.js"></script></body></html>')

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        # Browsers ask for /favicon.ico whatever the page links; every modern one renders an SVG icon.
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    @app.post("/ask", response_model=AskResponse, summary="질문하기",
              responses={422: {"description": "잘못된 입력"}, 429: {"description": "요청이 너무 많음"},
                         503: {"description": "인덱스 로딩 중"}})
    async def ask(body: AskRequest, request: Request, index: IndexDep) -> AskResponse:
        # Only the search (CPU: the encoder, Kiwi, the ranking) goes to the thread pool; the
        # rate limit and the response are built on the event loop. A plain function would
        # also send FastAPI's check of the response there: two trips a question instead of one.
        wait = limiter.take(client_of(request.scope))
        if wait:
            raise HTTPException(429, "too many questions: slow down and retry later",
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})
        t0 = time.perf_counter()
        try:
            res = await run_in_threadpool(index.search, body.question, k=body.top_k, history=body.history,
                                          threshold=settings.answer_threshold,
                                          filters=Filters(body.published_from, body.published_to,
                                                          tuple(body.sources), tuple(body.doc_ids)))
        except InvalidQueryError as e:
            raise HTTPException(422, str(e)) from e
        return AskResponse(
            question=body.question, resolved_question=res.resolved_question, answered=res.answered, answer=res.answer,
            citations=[Citation(**h.__dict__, url=index.documents[h.doc_id].url) for h in res.hits],
            note=res.note, took_ms=round((time.perf_counter() - t0) * 1000, 2),
        )

    def _summary(index: SentenceIndex, d) -> DocumentSummary:
        return DocumentSummary(doc_id=d.doc_id, title=d.title, published=d.published, source=d.source, url=d.url,
                               n_sentences=len(index.sentences_of(d.doc_id)))

    @app.get("/documents", response_model=DocumentsPublic, summary="문서 목록 (최신순, 제목 검색, 페이지)")
    def documents(index: IndexDep,
                  offset: Annotated[int, Query(ge=0, description="건너뛸 문서 수")] = 0,
                  limit: Annotated[int, Query(ge=1, le=100, description="한 번에 돌려받을 문서 수 (1–100)")] = 20,
                  q: Annotated[str | None, Query(max_length=200, description="제목에 들어 있는 말 (띄어쓰기 무시)",
                                                 examples=["일본"])] = None) -> DocumentsPublic:
        docs = list(index.documents.values())
        if q and q.strip():
            # The scraped titles' spacing is unreliable ("삼성 전자"), so match without spaces.
            needle = "".join(q.split()).casefold()
            docs = [d for d in docs if needle in "".join(d.title.split()).casefold()]
        docs.sort(key=lambda d: d.title)
        docs.sort(key=lambda d: d.published or "", reverse=True)  # newest first, undated last
        return DocumentsPublic(items=[_summary(index, d) for d in docs[offset:offset + limit]],
                               total=len(docs), offset=offset, limit=limit)

    @app.get("/documents/facets", response_model=DocumentFacets, summary="문서 범위: 출처와 날짜 구간")
    def facets(index: IndexDep) -> DocumentFacets:
        docs = index.documents.values()
        dates = sorted(d.published for d in docs if d.published)
        counts: dict[str, int] = defaultdict(int)
        for d in docs:
            if d.source:
                counts[d.source] += 1
        sources = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return DocumentFacets(n_documents=len(index.documents), published_min=dates[0] if dates else None,
                              published_max=dates[-1] if dates else None,
                              sources=[SourceCount(source=k, n_documents=n) for k, n in sources])

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
        # RequestGuard already refused wrong tokens before the body was read; this
        # repeats the check so the route is safe on its own and documents the header.
        problem = token_problem(authorization, service.write_token)
        if problem:
            raise HTTPException(*problem, headers={"WWW-Authenticate": "Bearer"} if problem[0] == 401 else None)

    WriterDep = Annotated[None, Depends(require_writer)]

    def _written(res: WriteResult) -> DocumentWritten:
        d = res.document
        return DocumentWritten(doc_id=d.doc_id, title=d.title, published=d.published, source=d.source,
                               url=d.url, n_sentences=res.n_sentences, status=res.status)

    def _article(body: DocumentCreate, where: str = "") -> Article:
        if len(body.text) > service.max_document_chars:
            raise HTTPException(413, f"{where}document text has {len(body.text)} characters, the limit is "
                                     f"{service.max_document_chars}: split it")
        return Article(text=body.text, doc_id=body.doc_id, title=body.title, published=body.published,
                       source=body.source, url=body.url)

    @app.post("/documents", response_model=DocumentWritten | DocumentsWritten, status_code=201,
              summary="문서 추가, 한 건 또는 최대 100건 묶음 (인증 필요)",
              responses={200: {"description": "같은 내용이 이미 있음"}, 401: {"description": "토큰 없음/틀림"},
                         403: {"description": "쓰기 비활성"}, 409: {"description": "시드 문서의 id"},
                         413: {"description": "너무 큼"}, 507: {"description": "디스크 가득 참"}})
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
                before.check_not_seed(d.doc_id)
                old = before.documents.get(d.doc_id)
                statuses.append("unchanged" if old == d else "updated" if old is not None else "created")
            try:
                report = news.add_many(docs)
            except InvalidQueryError as e:
                raise HTTPException(422, str(e)) from e
            if report.skipped:  # a seed id taken in the meantime
                raise SeedConflictError(report.skipped[0].reason)
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
                           404: {"description": "없는 문서"}, 507: {"description": "디스크 가득 참"}})
    def delete_document(doc_id: str, _: WriterDep, news: NewsDep) -> DocumentWritten:
        try:
            return _written(news.delete(doc_id))
        except DocumentNotFoundError as e:
            raise HTTPException(404, str(e)) from None

    @app.get("/healthz", response_model=Status, response_model_exclude_none=True, summary="프로세스가 서비스할 수 있는지",
             responses={503: {"description": "인덱스를 불러오지 못함"}})
    def healthz():
        # 503 once loading has failed (Docker's HEALTHCHECK then says unhealthy);
        # still 200 while loading, which the HEALTHCHECK start period covers.
        if holder.index is None and holder.error:
            return JSONResponse({"status": "failed", "detail": f"index failed to load: {holder.error}"}, 503)
        return Status(status="ok")

    @app.get("/readyz", response_model=Status, response_model_exclude_none=True,
             summary="인덱스 준비 확인", responses={503: {"description": "준비 안 됨"}})
    def readyz():
        if holder.index is None:
            return JSONResponse({"status": "failed" if holder.error else "loading",
                                 "detail": holder.error or "index is loading"}, 503)
        if holder.degraded:
            return Status(status="degraded", detail=holder.degraded)
        return Status(status="ready")

    @app.get("/metrics", summary="Prometheus 지표", response_class=Response)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
