"""Serve the API and chat page: ``python -m service``."""

import ctypes
import logging

import uvicorn

from index.settings import Settings

from .app import create_app
from .config import ServiceSettings


def uvicorn_options(service: ServiceSettings) -> dict:
    """uvicorn believes X-Forwarded-For only from NEWSQA_TRUSTED_PROXIES (its own
    default trusts 127.0.0.1, which let any local client pick its rate-limit key)."""
    return {
        "host": service.host,
        "port": service.port,
        "log_level": service.log_level.lower(),
        "access_log": False,
        "proxy_headers": bool(service.trusted_proxies),
        "forwarded_allow_ips": ",".join(service.trusted_proxies) if service.trusted_proxies else "",
    }


def serve(app, service: ServiceSettings) -> None:
    uvicorn.run(app, **uvicorn_options(service))


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own arena (up to 8 per core), and
    the request thread pool then keeps tens of partly empty arenas: on a 1.2M-sentence
    index, one bulk POST left ~120 MB behind. Two arenas keep what is freed reusable."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def main() -> None:
    limit_malloc_arenas()
    service = ServiceSettings()
    logging.basicConfig(level=service.log_level.upper(), format="%(message)s")
    serve(create_app(Settings(), service=service), service)


if __name__ == "__main__":
    main()
