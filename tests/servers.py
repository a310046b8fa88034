"""A real uvicorn server in a subprocess, with the fake embedder: for tests that need real HTTP."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .paths import ROOT, SEEDS

TOKEN = "server-test-token"
_SCRIPT = """
from tests.fakes import FakeEmbedder
from index.settings import Settings
from service.__main__ import serve
from service.app import create_app
from service.config import ServiceSettings

service = ServiceSettings()
serve(create_app(Settings(), service=service, embedder=FakeEmbedder()), service)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake_server(data: Path, **env) -> tuple[subprocess.Popen, int]:
    """Start ``service`` (through service.__main__.serve) on a free port; wait until ready."""
    port = free_port()
    full = dict(os.environ, NEWSQA_DATA_DIR=str(data), NEWSQA_SEEDS_DIR=str(SEEDS), NEWSQA_PORT=str(port),
                NEWSQA_HOST="127.0.0.1", NEWSQA_WRITE_TOKEN=TOKEN, NEWSQA_LOG_LEVEL="WARNING", **env)
    proc = subprocess.Popen([sys.executable, "-c", _SCRIPT], cwd=ROOT, env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError("server exited")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait(10)
    raise AssertionError("server never became ready")
