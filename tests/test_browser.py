"""The chat page in a real browser against a real server and the real model."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .paths import ROOT, SEEDS, models_dir

CHROMIUM = os.environ.get("NEWSQA_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The page is served by a real service process with the real embedder.
pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.fixture(scope="module")
def server(tmp_path_factory, real_embedder):  # real_embedder: the model is built before we start
    data = tmp_path_factory.mktemp("data")
    port = _free_port()
    env = dict(os.environ, NEWSQA_DATA_DIR=str(data), NEWSQA_MODELS_DIR=str(models_dir()),
               NEWSQA_SEEDS_DIR=str(SEEDS), NEWSQA_PORT=str(port), NEWSQA_HOST="127.0.0.1",
               NEWSQA_WRITE_TOKEN="browser-test-token")
    proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"server exited: {proc.stdout.read()}")
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError("server never became ready")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (make test does: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def test_ask_in_the_page_and_open_the_cited_source(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.fill("#question", "리벨리온은 첫 해외법인을 어디에 세웠나?")
    page.press("#question", "Enter")
    answer = page.locator(".answer").last
    answer.wait_for(timeout=30_000)
    assert answer.get_attribute("data-answered") == "true"
    first = answer.locator(".citation").first
    assert first.get_attribute("data-doc-id") == "003_e4fd56b795545594"
    assert "도쿄" in first.inner_text()

    first.click()
    mark = page.locator("#source-view #cited-sentence")
    mark.wait_for(timeout=10_000)
    doc = httpx.get(f"{server}/documents/003_e4fd56b795545594").json()
    start, end = int(first.get_attribute("data-start")), int(first.get_attribute("data-end"))
    assert mark.inner_text() == doc["text"][start:end]
    assert mark.evaluate("el => el.tagName") == "MARK"
    box, view = mark.bounding_box(), page.locator("#source-text").bounding_box()
    assert box and view and box["y"] < view["y"] + view["height"] and box["y"] + box["height"] > view["y"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-answer-and-source.png"))
    assert not errors, errors


def test_no_answer_is_said_clearly_and_shift_enter_adds_a_line(server, browser):
    page = browser.new_page(viewport={"width": 375, "height": 740})  # phone width
    page.goto(server + "/")
    page.fill("#question", "이더리움 시세는")
    page.press("#question", "Shift+Enter")
    page.type("#question", "얼마인가?")
    assert page.input_value("#question") == "이더리움 시세는\n얼마인가?"
    assert page.locator(".answer").count() == 0
    page.click("#send")
    answer = page.locator(".answer").last
    answer.wait_for(timeout=30_000)
    assert answer.get_attribute("data-answered") == "false"
    assert answer.locator(".no-answer").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-no-answer-phone.png"))


def test_html_document_with_script_is_shown_inert(server, browser):
    html = ("<html><head><title>퀀텀칩 기사</title><script>window.__pwned = 1</script></head><body><article>"
            "<h1>퀀텀칩 기사</h1><p>스타트업 퀀텀칩은 부산에 첫 연구소를 열었다고 밝혔다. 회사는 내년 양산을 목표로 한다.</p>"
            "<p>보안 담당자는 &lt;img src=x onerror=\"window.__pwned=2\"&gt; 같은 문자열을 막았다고 말했다.</p>"
            "<script>window.__pwned = 3</script></article></body></html>")
    r = httpx.post(f"{server}/documents", json={"doc_id": "inert-html", "text": html},
                   headers={"Authorization": "Bearer browser-test-token"})
    assert r.status_code == 201, r.text
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/")
    page.fill("#question", "보안 담당자는 어떤 문자열을 막았다고 말했나?")
    page.click("#send")
    answer = page.locator(".answer").last
    answer.wait_for(timeout=30_000)
    card = answer.locator('.citation[data-doc-id="inert-html"]').first
    assert "<img src=x" in card.inner_text()
    card.click()
    mark = page.locator("#cited-sentence")
    mark.wait_for(timeout=10_000)
    assert "<img src=x" in mark.inner_text()
    assert page.locator("#source-text img").count() == 0 and page.locator("#thread img").count() == 0
    assert page.evaluate("window.__pwned") is None and not dialogs
    page.screenshot(path=str(ARTIFACTS / "chat-inert-html.png"))
