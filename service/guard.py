"""Pure ASGI guards that run before any route reads a request body.

``RequestGuard`` refuses ambiguous framing (both ``Content-Length`` and
``Transfer-Encoding``), counts the body bytes actually received (chunked ones
included) and stops at the limit with 413, and checks the write token of
``POST``/``DELETE /documents`` before a single body byte is read, throttling
wrong tokens per client.
"""

from __future__ import annotations

import json
import math
import secrets
import time

from fastapi import HTTPException
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ClientLimiter:
    """Requests per client in a sliding window (the ``limits`` library).

    Its memory storage drops a client's counters once they expire, so idle
    clients cost nothing."""

    def __init__(self, item: RateLimitItem | None):
        self.item = item
        self.storage = MemoryStorage()
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)

    @classmethod
    def per_minute(cls, n: int) -> "ClientLimiter":
        return cls(RateLimitItemPerMinute(n) if n > 0 else None)

    def _wait(self, client: str) -> float:
        assert self.item is not None  # only called when a limit is set
        reset, _ = self.strategy.get_window_stats(self.item, client)
        return max(1.0, reset - time.time())

    def take(self, client: str) -> float:
        """Count one request: 0 when allowed, else the seconds to wait."""
        if self.item is None or self.strategy.hit(self.item, client):
            return 0.0
        return self._wait(client)

    def blocked(self, client: str) -> float:
        """Without counting: 0 when a request would be allowed, else the seconds to wait."""
        if self.item is None or self.strategy.test(self.item, client):
            return 0.0
        return self._wait(client)


class _BodyTooLarge(HTTPException):
    """Raised from ``receive`` so FastAPI's body reader stops and answers 413."""


def client_of(scope: Scope) -> str:
    # uvicorn has already replaced the client by X-Forwarded-For when, and only
    # when, the connection came from NEWSQA_TRUSTED_PROXIES (service/__main__.py).
    client = scope.get("client")
    return client[0] if client else "unknown"


def is_write(scope: Scope) -> bool:
    path = scope.get("path", "")
    return scope.get("method") in ("POST", "DELETE") and (path == "/documents" or path.startswith("/documents/"))


def token_problem(authorization: str | None, token: str | None) -> tuple[int, str] | None:
    """(status, detail) when a write must be refused; None when the token is right."""
    if not token:
        return 403, "writes are disabled: set NEWSQA_WRITE_TOKEN on the server to allow them"
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.encode(), token.encode()):
        return 401, "missing or wrong token: send Authorization: Bearer <token>"
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, write_token: str | None,
                 auth_failures: ClientLimiter):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.write_token = write_token
        self.auth_failures = auth_failures

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, list[bytes]] = {}
        for k, v in scope.get("headers", ()):
            headers.setdefault(k.lower(), []).append(v)
        lengths = headers.get(b"content-length", [])
        if lengths and b"transfer-encoding" in headers:
            return await _reply(send, 400, "send Content-Length or Transfer-Encoding, not both")
        if lengths:
            if len(set(lengths)) != 1 or not lengths[0].isdigit():
                return await _reply(send, 400, "Content-Length must be one whole number of bytes")
            if int(lengths[0]) > self.max_body_bytes:
                return await _reply(send, 413, self._too_large())

        if is_write(scope):
            client = client_of(scope)
            wait = self.auth_failures.blocked(client)
            if wait:
                return await _reply(send, 429, "too many wrong tokens from this client: wait and retry with the "
                                               "right token", {"Retry-After": str(math.ceil(wait))})
            auth = headers.get(b"authorization", [b""])[0].decode("latin-1")
            problem = token_problem(auth, self.write_token)
            if problem:
                if problem[0] == 401:
                    self.auth_failures.take(client)
                return await _reply(send, *problem, {"WWW-Authenticate": "Bearer"} if problem[0] == 401 else {})

        received = 0
        started = over = False

        async def counted_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    over = True
                    raise _BodyTooLarge(413, self._too_large())
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if over:  # the rest of the body is never read: end the connection after this reply
                    message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyTooLarge as e:
            if started:
                raise
            await _reply(send, 413, e.detail)

    def _too_large(self) -> str:
        return f"request body is larger than {self.max_body_bytes} bytes: send less"


async def _reply(send: Send, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           (b"connection", b"close")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
