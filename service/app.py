"""The web layer: FastAPI routes over the engine in ``index/``. No retrieval logic here."""


import dataclasses
import json
import logging
import math
import secrets
import threading
import time
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Callable

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from index.clean import clean_html, clean_page, looks_like_html
from index.engine import SentenceIndex
from index.errors import DocumentNotFoundError, InvalidQueryError
from index.files import content_hash
from index.settings import Settings
from index.store import IndexStore, ensure_index
from index.types import Filters

from .schemas import (
    AskRequest,
    AskResponse,
    Citation,
    DocumentCreate,
    DocumentFacets,
    DocumentPublic,
    DocumentsPublic,
    DocumentSummary,
    DocumentWritten,
    SentenceSpan,
    SourceCount,
    Status,
)

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("newsqa")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


class Engine:
    """Holds the served index; loads it in the background so the process is up at once."""

    def __init__(self, settings: Settings, loader: Callable[[], SentenceIndex] | None = None):
        self.settings = settings
        self.index: SentenceIndex | None = None
        self.error: str | None = None
        self.ready = threading.Event()
        self._loader = loader or self._default_loader
        self.started = time.perf_counter()
        self.ready_after: float | None = None
        self.store = IndexStore(settings.index_dir)
        # One writer at a time; readers never wait: they use whichever complete
        # index object self.index pointed to when their request began.
        self.write_lock = threading.Lock()

    def replace(self, build: Callable[[SentenceIndex], SentenceIndex]) -> SentenceIndex:
        """Build a new index from the current one, persist it atomically, then swap it in."""
        with self.write_lock:
            new = build(self.require())
            self.store.publish(new)
            self.index = new
            return new

    def _default_loader(self) -> SentenceIndex:
        from index.analyze import morphemes
        from index.embedder import load_embedder

        s = self.settings
        # Kiwi loads its model lazily (~1 s at construction, ~1 s at the first
        # analysis); do both while torch and the embedder load.
        warm = threading.Thread(target=morphemes, args=("준비",), name="kiwi-loader")
        warm.start()
        # direct: the ONNX encoder without importing torch/sentence-transformers (start-up time).
        embedder = load_embedder(s.model, s.model_cache, log=log.info, backend=s.embedder_backend,
                                 threads=s.encoder_threads, direct=True, cache_size=s.query_cache_size)
        warm.join()
        index = ensure_index(self.store, s.seeds_dir, embedder, log=log.info)
        index.search("준비", k=1)  # first-call costs (torch kernels, BM25 caches) before we say ready
        return index

    def load(self) -> None:
        try:
            self.index = self._loader()
            self.ready_after = time.perf_counter() - self.started
            log.info(json.dumps({"event": "ready", "seconds": round(self.ready_after, 2),
                                 "sentences": len(self.index.sentences)}))
            self.ready.set()
        except Exception as e:  # reported by /readyz; the process keeps serving health checks
            self.error = f"{type(e).__name__}: {e}"
            log.exception("index failed to load")

    def require(self) -> SentenceIndex:
        if self.index is None:
            detail = f"index failed to load: {self.error}" if self.error else "index is loading: retry in a few seconds"
            raise HTTPException(503, detail, headers={"Retry-After": "5"})
        return self.index


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
    engine = Engine(settings, loader)
    limiter = RateLimiter(settings.rate_limit_per_minute)

    registry = CollectorRegistry()
    requests_total = Counter("newsqa_requests_total", "HTTP requests", ["route", "method", "status"],
                             registry=registry)
    latency = Histogram("newsqa_request_seconds", "Request latency", ["route"], registry=registry,
                        buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5))
    index_sentences = Gauge("newsqa_index_sentences", "Sentences in the served index", registry=registry)
    index_documents = Gauge("newsqa_index_documents", "Documents in the served index", registry=registry)
    index_sentences.set_function(lambda: len(engine.index.sentences) if engine.index else 0)
    # Benchmarks read these to prove a "cold" figure had no cache hits.
    for what in ("hits", "misses"):
        def cache_count(what: str = what) -> float:
            return getattr(engine.index.embedder, f"cache_{what}", 0) if engine.index else 0

        Gauge(f"newsqa_query_cache_{what}", f"Query-vector cache {what} since start",
              registry=registry).set_function(cache_count)
    index_documents.set_function(lambda: len(engine.index.documents) if engine.index else 0)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threading.Thread(target=engine.load, name="index-loader", daemon=True).start()
        yield

    app = FastAPI(
        title="한국 뉴스 Q&A",
        description="한국어 뉴스 기사에서 질문에 답하는 문장을 찾아 정확한 출처(문서, 제목, 날짜, 문자 오프셋)와 함께 돌려줍니다.",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.state.engine = engine
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

    IndexDep = Annotated[SentenceIndex, Depends(engine.require)]

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        # Browsers ask for /favicon.ico whatever the page links; every modern one renders an SVG icon.
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

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
            citations=[Citation(**h.__dict__, url=index.documents[h.doc_id].url) for h in res.hits],
            took_ms=round((time.perf_counter() - t0) * 1000, 2),
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
        if not settings.write_token:
            raise HTTPException(403, "writes are disabled: set NEWSQA_WRITE_TOKEN on the server to allow them")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), settings.write_token.encode()):
            raise HTTPException(401, "missing or wrong token: send Authorization: Bearer <token>",
                                headers={"WWW-Authenticate": "Bearer"})

    WriterDep = Annotated[None, Depends(require_writer)]

    def _written(index: SentenceIndex, doc_id: str, status: str) -> DocumentWritten:
        d = index.documents[doc_id]
        n = len(index.sentences_of(doc_id))
        return DocumentWritten(doc_id=d.doc_id, title=d.title, published=d.published, source=d.source,
                               url=d.url, n_sentences=n, status=status)

    @app.post("/documents", response_model=DocumentWritten, status_code=201, summary="문서 추가 (인증 필요)",
              responses={200: {"description": "같은 내용이 이미 있음"}, 401: {"description": "토큰 없음/틀림"},
                         403: {"description": "쓰기 비활성"}, 413: {"description": "너무 큼"}})
    def add_document(body: DocumentCreate, _: WriterDep, index: IndexDep):
        if len(body.text) > settings.max_document_chars:
            raise HTTPException(413, f"document text has {len(body.text)} characters, the limit is "
                                     f"{settings.max_document_chars}: split it")
        doc_id = body.doc_id or "doc-" + content_hash(body.text)[:16]
        doc = clean_html(body.text, doc_id) if looks_like_html(body.text) else clean_page(body.text, doc_id)
        if not doc.text.strip():
            raise HTTPException(422, "no article text left after cleaning: send the article body")
        doc = dataclasses.replace(doc, title=body.title or doc.title, published=body.published or doc.published,
                                  source=body.source or doc.source, url=body.url or doc.url)
        old = index.documents.get(doc_id)
        if old == doc:
            return JSONResponse(_written(index, doc_id, "unchanged").model_dump(), 200)
        new = engine.replace(lambda current: current.with_document(doc))
        return _written(new, doc_id, "updated" if old else "created")

    @app.delete("/documents/{doc_id}", response_model=DocumentWritten, summary="문서 삭제 (인증 필요)",
                responses={401: {"description": "토큰 없음/틀림"}, 403: {"description": "쓰기 비활성"},
                           404: {"description": "없는 문서"}})
    def delete_document(doc_id: str, _: WriterDep, index: IndexDep) -> DocumentWritten:
        if doc_id not in index.documents:
            raise HTTPException(404, f"document {doc_id!r} not found: GET /documents lists the ids")
        gone = _written(index, doc_id, "deleted")
        try:
            engine.replace(lambda current: current.without_document(doc_id))
        except DocumentNotFoundError:
            raise HTTPException(404, f"document {doc_id!r} not found: GET /documents lists the ids") from None
        return gone

    @app.get("/healthz", response_model=Status, summary="프로세스 생존 확인")
    def healthz() -> Status:
        return Status(status="ok")

    @app.get("/readyz", response_model=Status, summary="인덱스 준비 확인", responses={503: {"description": "준비 안 됨"}})
    def readyz():
        if engine.index is None:
            return JSONResponse({"status": "failed" if engine.error else "loading",
                                 "detail": engine.error or "index is loading"}, 503)
        return Status(status="ready")

    @app.get("/metrics", summary="Prometheus 지표", response_class=Response)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
