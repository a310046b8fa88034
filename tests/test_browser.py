"""The chat page in a real browser (Debian chromium) against a real server and the real model.

One server and one browser for the module. axe-core (vendored under tests/vendor) checks every state the issue
names; the screenshots of those states go to artifacts/.
"""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .paths import ROOT, SEEDS, models_dir

ARTIFACTS = ROOT / "artifacts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TOKEN = "browser-test-token"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
RIVELION = "리벨리온은 첫 해외법인을 어디에 세웠나?"
OFF_TOPIC = "이더리움 시세는 얼마인가?"


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
               NEWSQA_WRITE_TOKEN=TOKEN)
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


def _page(browser, server, viewport=DESKTOP, axe=True):
    """A fresh page (empty localStorage) that fails the test on a script error.

    Injecting axe is an inline script, which the page's CSP refuses; contexts that run axe bypass the CSP, and
    test_csp_holds checks the CSP in a context that does not."""
    ctx = browser.new_context(viewport=viewport, bypass_csp=axe)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    # Chromium logs every 4xx as "Failed to load resource"; the tests that expect one check the page instead.
    page.on("console", lambda m: page.errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.goto(server + "/")
    return page


def _check_axe(page, name):
    """0 serious and 0 critical axe-core violations; saves a screenshot of the state as artifacts/<name>.png."""
    if page.evaluate("typeof axe") == "undefined":
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))""")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"


def _assert_steady(page):
    """The page itself never scrolls and the header stays in view."""
    m = page.evaluate("""() => ({top: document.scrollingElement.scrollTop, height: document.scrollingElement.scrollHeight,
        view: innerHeight, app: document.getElementById('app').scrollTop,
        header: document.querySelector('.site-header').getBoundingClientRect().top})""")
    assert m["top"] == 0 and m["app"] == 0 and m["height"] <= m["view"] and m["header"] == 0, m
    assert page.locator("#new-chat").is_visible()


def _ask(page, question):
    n = page.locator(".answer, .error").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.locator(".answer, .error").nth(n).wait_for(timeout=30_000)
    return page.locator(".answer, .error").nth(n)


def _add_document(server, **body):
    r = httpx.post(f"{server}/documents", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_empty_page(server, browser):
    page = _page(browser, server)
    assert page.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.svg"
    assert httpx.get(server + "/favicon.ico").status_code == 200
    assert page.locator("#welcome .example").count() == 2
    assert page.inner_text("#composer-count") == "0/500자"
    _assert_steady(page)
    _check_axe(page, "empty")
    assert not page.errors, page.errors


def test_csp_holds(server, browser):
    page = _page(browser, server, axe=False)
    page.evaluate("window.__violations = []; document.addEventListener('securitypolicyviolation', "
                  "e => window.__violations.push(e.violatedDirective))")
    answer = _ask(page, RIVELION)
    answer.locator(".citation .pill", has_text="원문 보기").first.click()
    page.locator("#cited-sentence").wait_for(timeout=10_000)
    page.click("#open-docs")
    page.locator(".doc-item").first.wait_for(timeout=10_000)
    assert page.evaluate("window.__violations") == [] and not page.errors, page.errors


def test_answer_citations_and_source_view(server, browser):
    page = _page(browser, server)
    answer = _ask(page, RIVELION)
    assert answer.get_attribute("data-answered") == "true"
    text = answer.inner_text()
    assert text.count("답변") == 1, text
    assert not re.search(r"점수|\d\.\d{3}", text), text  # no raw score
    first = answer.locator(".citation").first
    assert first.get_attribute("data-doc-id") == "003_e4fd56b795545594" and "도쿄" in first.inner_text()
    assert re.fullmatch(r"관련도 (높음|보통|낮음)", first.locator(".confidence").inner_text())

    # The answer phrase is highlighted exactly when the API returns its offsets.
    api = httpx.post(server + "/ask", json={"question": RIVELION}).json()
    top = api["citations"][0]
    doc = httpx.get(f"{server}/documents/{top['doc_id']}").json()
    if top["answer_start"] is not None:
        assert first.locator("mark.phrase").inner_text() == doc["text"][top["answer_start"]:top["answer_end"]]
    else:
        assert first.locator("mark.phrase").count() == 0

    # The sentence is text a reader can select by dragging over it.
    box = first.locator(".citation-text").bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 4, box["y"] + box["height"] - 8, steps=5)
    page.mouse.up()
    selected = page.evaluate("getSelection().toString()")
    assert len(selected) > 10 and selected.strip() in top["text"], selected

    # Copy: the sentence, title, date and a permalink.
    first.locator("button", has_text="복사").click()
    page.locator("#composer-status", has_text="복사했습니다").wait_for(timeout=5_000)
    copied = page.evaluate("navigator.clipboard.readText()")
    link = f"{server}/#doc={top['doc_id']}&s={top['sentence_index']}"
    assert copied.splitlines()[0] == top["text"] and top["title"] in copied and link in copied.splitlines()
    _check_axe(page, "answer")

    # The source view highlights the cited span, and opening and closing it does not move the page.
    opener = first.locator("button", has_text="원문 보기")
    opener.click()
    mark = page.locator("#source-view #cited-sentence")
    mark.wait_for(timeout=10_000)
    assert mark.inner_text() == doc["text"][top["start"]:top["end"]]
    box, view = mark.bounding_box(), page.locator("#source-text").bounding_box()
    assert box["y"] >= view["y"] and box["y"] + box["height"] <= view["y"] + view["height"]
    assert page.url == link and page.get_attribute("#source-view", "role") is None  # a side panel on desktop
    _assert_steady(page)
    _check_axe(page, "source")
    page.click("#source-view [data-close]")
    assert page.locator("#source-view").is_hidden()
    assert page.evaluate("document.activeElement.textContent") == "원문 보기"
    _assert_steady(page)
    page.emulate_media(color_scheme="dark")
    _check_axe(page, "answer-dark")

    # The permalink reopens the source view at that sentence.
    other = _page(browser, server)
    other.goto(link)
    other.locator("#cited-sentence").wait_for(timeout=10_000)
    assert other.inner_text("#cited-sentence") == top["text"]
    assert not page.errors and not other.errors, page.errors + other.errors


def test_answer_phrase_and_resolved_question_are_shown(server, browser):
    """The page's side of the contract, with the real response given the two fields the engine may leave null."""
    page = _page(browser, server)

    def with_fields(route):
        body = route.fetch().json()
        top = body["citations"][0]
        at = top["start"] + top["text"].index("도쿄")
        top["answer_start"], top["answer_end"] = at, at + 2
        body["resolved_question"] = "리벨리온은 첫 해외법인을 어느 도시에 세웠나?"
        route.fulfill(json=body)

    page.route("**/ask", with_fields)
    answer = _ask(page, RIVELION)
    assert answer.locator(".resolved").inner_text() == "검색한 질문: 리벨리온은 첫 해외법인을 어느 도시에 세웠나?"
    first = answer.locator(".citation").first
    assert first.locator("mark.phrase").inner_text() == "도쿄"
    # the engine fills the other citations' phrases itself: at most one each, inside its sentence
    for citation in answer.locator(".citation").all():
        assert citation.locator("mark.phrase").count() <= 1
    first.locator("button", has_text="원문 보기").click()
    page.locator("#cited-sentence mark.phrase").wait_for(timeout=10_000)
    assert page.inner_text("#cited-sentence mark.phrase") == "도쿄"
    assert "도쿄에 첫 해외법인" in page.inner_text("#cited-sentence")
    assert not page.errors, page.errors


def test_phone_no_answer_and_source_dialog(server, browser):
    page = _page(browser, server, PHONE)
    _check_axe(page, "phone")
    page.fill("#question", "이더리움 시세는")
    page.press("#question", "Shift+Enter")
    page.type("#question", "얼마인가?")
    assert page.input_value("#question") == "이더리움 시세는\n얼마인가?"
    page.click("#send")
    answer = page.locator(".answer").last
    answer.wait_for(timeout=30_000)
    assert answer.get_attribute("data-answered") == "false"
    # "No answer" names what the corpus covers.
    facets = httpx.get(server + "/documents/facets").json()
    newest = httpx.get(server + "/documents", params={"limit": 1}).json()["items"][0]["title"]
    note = answer.locator(".coverage")
    note.wait_for()
    page.wait_for_function("document.querySelector('.answer .coverage').textContent.length > 0")
    assert f"기사 {facets['n_documents']}건" in note.inner_text() and newest in note.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _check_axe(page, "no-answer")

    # On a phone the source view is a modal dialog that keeps the focus.
    opener = answer.locator(".citation button", has_text="원문 보기").first
    opener.click()
    page.locator("#cited-sentence").wait_for(timeout=10_000)
    dialog = page.locator("#source-view")
    assert dialog.get_attribute("role") == "dialog" and dialog.get_attribute("aria-modal") == "true"
    assert page.evaluate("document.getElementById('chat').inert")
    for key in ["Tab"] * 6 + ["Shift+Tab"] * 6:
        page.keyboard.press(key)
        assert page.evaluate("document.getElementById('source-view').contains(document.activeElement)"), key
    _assert_steady(page)
    _check_axe(page, "phone-source")
    page.keyboard.press("Escape")
    assert dialog.is_hidden() and not page.evaluate("document.getElementById('chat').inert")
    assert page.evaluate("document.activeElement.textContent") == "원문 보기"
    _assert_steady(page)
    assert not page.errors, page.errors


def test_a_question_not_in_korean_says_why_it_is_not_answered(server, browser):
    page = _page(browser, server)
    answer = _ask(page, "Where did Rebellions open its first overseas office?")
    assert answer.get_attribute("data-answered") == "false"
    assert "한국어로 물어봐 주세요" in answer.locator(".answer-hint").inner_text()
    assert answer.locator(".citation").count() > 0  # the near sentences are still shown
    answer = _ask(page, "이더리움 시세는 얼마인가?")
    assert "한국어" not in answer.locator(".answer-hint").inner_text()
    assert not page.errors, page.errors


def test_documents_panel(server, browser):
    url = "https://news.example/quantum-chip"
    _add_document(server, doc_id="quantum-chip", title="퀀텀칩, 부산에 첫 연구소", published="2024-11-03",
                  source="예시일보", url=url, text="스타트업 퀀텀칩은 부산에 첫 연구소를 열었다. 회사는 내년 양산을 목표로 한다.")
    listing = httpx.get(server + "/documents", params={"limit": 5}).json()
    assert listing["total"] > 5  # two pages at the panel's page size
    page = _page(browser, server)
    _ask(page, RIVELION)
    page.click("#open-docs")
    items = page.locator("#docs-list .doc-item")
    items.first.wait_for(timeout=10_000)
    assert [t.split("\n")[0] for t in items.all_inner_texts()] == [d["title"] for d in listing["items"]]
    first = listing["items"][0]
    assert f"{first['n_sentences']}문장" in items.first.inner_text()
    assert page.inner_text("#docs-page") == f"1–5 / {listing['total']}건" and page.is_disabled("#docs-prev")
    assert "최근 기사" in page.inner_text("#docs-coverage")
    _check_axe(page, "documents")

    page.click("#docs-next")
    page.locator("#docs-page", has_text=f"6–{listing['total']}").wait_for(timeout=10_000)
    assert items.count() == listing["total"] - 5 and page.is_disabled("#docs-next")
    page.click("#docs-prev")
    page.locator("#docs-page", has_text="1–5").wait_for(timeout=10_000)

    # Searchable by title, spacing ignored, through the API.
    page.fill("#docs-q", "딜 레마")
    page.locator("#docs-page", has_text="/ 1건").wait_for(timeout=10_000)
    assert "딜레마" in items.first.inner_text()
    page.fill("#docs-q", "퀀텀칩")
    page.locator("#docs-page", has_text="/ 1건").wait_for(timeout=10_000)
    page.locator(".doc-item", has_text="퀀텀칩").click()
    page.locator("#source-title", has_text="퀀텀칩").wait_for(timeout=10_000)
    assert "부산에 첫 연구소를 열었다" in page.inner_text("#source-text")
    original = page.locator("#source-meta a", has_text="원문 기사")
    assert original.get_attribute("href") == url and original.get_attribute("rel") == "noopener noreferrer"
    _assert_steady(page)

    # The example questions stay reachable after the first question.
    page.click("#open-docs")
    page.locator("#docs-panel .example").first.wait_for()
    before = page.locator(".answer").count()
    page.locator("#docs-panel .example", has_text="일본은 AI 법률안").click()
    page.locator(".answer").nth(before).wait_for(timeout=30_000)
    # A citation of a document with a URL links to the original article.
    answer = _ask(page, "퀀텀칩은 어디에 첫 연구소를 열었나?")
    card = answer.locator('.citation[data-doc-id="quantum-chip"]').first
    assert card.locator("a", has_text="원문 기사").get_attribute("href") == url
    assert not page.errors, page.errors


def test_filters_reach_the_api(server, browser):
    question = "일본의 AI 인재 양성 투자"
    unfiltered = {c["doc_id"] for c in httpx.post(server + "/ask", json={"question": question}).json()["citations"]}
    # Without filters the citations come from elsewhere, so the filtered results below are the filters' doing.
    assert unfiltered - {"002_76483b81068cf569"} and unfiltered - {"000_43c50d81bab253fa"}
    page = _page(browser, server)
    page.click("#filters summary")
    page.locator("#filter-source option[value='김영욱 연구원']").wait_for(state="attached", timeout=10_000)
    page.fill("#filter-from", "2025-08-01")
    page.fill("#filter-to", "2025-08-31")
    assert page.inner_text("#filter-summary") == "2025-08-01 ~ 2025-08-31"
    answer = _ask(page, question)
    ids = {c.get_attribute("data-doc-id") for c in answer.locator(".citation").all()}
    assert ids == {"002_76483b81068cf569"}

    page.click("#filter-reset")
    page.select_option("#filter-source", "김영욱 연구원")
    answer = _ask(page, question)
    ids = {c.get_attribute("data-doc-id") for c in answer.locator(".citation").all()}
    assert ids == {"000_43c50d81bab253fa"}

    # A filter the API refuses comes back in Korean, naming the fix.
    page.click("#filter-reset")
    page.fill("#filter-from", "2025-09-01")
    page.fill("#filter-to", "2025-01-01")
    error = _ask(page, question)
    assert error.get_attribute("data-status") == "422"
    assert "시작 날짜가 끝 날짜보다 늦습니다" in error.inner_text()
    assert not re.search(r"[A-Za-z]{4,}", error.inner_text()), error.inner_text()
    assert not page.errors, page.errors


def test_counter_and_korean_validation(server, browser):
    page = _page(browser, server)
    page.click("#send")
    assert page.inner_text("#composer-status") == "질문을 입력해 주세요."
    page.fill("#question", "가" * 501)  # pasted text is not cut silently
    assert page.input_value("#question") == "가" * 501
    count = page.locator("#composer-count")
    assert count.inner_text() == "501/500자" and "is-over" in count.get_attribute("class")
    assert "500자까지" in page.inner_text("#composer-status")
    page.click("#send")
    error = page.locator(".error").last
    error.wait_for(timeout=30_000)
    assert error.get_attribute("data-status") == "422" and "500자까지 보낼 수 있습니다" in error.inner_text()
    assert "at most" not in error.inner_text()
    assert page.input_value("#question") == "가" * 501  # given back to shorten
    assert not page.errors, page.errors


def test_conversation_survives_reload_and_follow_up_shows_what_was_searched(server, browser):
    page = _page(browser, server)
    _ask(page, RIVELION)
    follow = "그럼 업스테이지는?"
    answer = _ask(page, follow)
    api = httpx.post(server + "/ask", json={"question": follow, "history": [RIVELION]}).json()
    resolved = api["resolved_question"]
    if resolved and resolved != follow:
        assert answer.locator(".resolved").inner_text() == f"검색한 질문: {resolved}"
    else:
        assert answer.locator(".resolved").count() == 0

    page.reload()
    page.locator(".answer").nth(1).wait_for(timeout=10_000)
    assert page.locator(".message.user").all_inner_texts() == [RIVELION, follow]
    assert page.locator("#welcome").count() == 0
    page.click("#new-chat")
    assert page.locator(".answer").count() == 0 and page.locator("#welcome").is_visible()
    page.reload()
    page.locator("#welcome").wait_for()
    assert page.locator(".answer").count() == 0
    assert not page.errors, page.errors


def test_html_document_with_script_is_shown_inert(server, browser):
    html = ("<html><head><title>퀀텀칩 기사</title><script>window.__pwned = 1</script></head><body><article>"
            "<h1>퀀텀칩 기사</h1><p>스타트업 퀀텀칩은 부산에 첫 연구소를 열었다고 밝혔다. 회사는 내년 양산을 목표로 한다.</p>"
            "<p>보안 담당자는 &lt;img src=x onerror=\"window.__pwned=2\"&gt; 같은 문자열을 막았다고 말했다.</p>"
            "<script>window.__pwned = 3</script></article></body></html>")
    _add_document(server, doc_id="inert-html", text=html)
    page = _page(browser, server, axe=False)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    answer = _ask(page, "보안 담당자는 어떤 문자열을 막았다고 말했나?")
    card = answer.locator('.citation[data-doc-id="inert-html"]').first
    assert "<img src=x" in card.inner_text()
    card.locator("button", has_text="원문 보기").click()
    mark = page.locator("#cited-sentence")
    mark.wait_for(timeout=10_000)
    assert "<img src=x" in mark.inner_text()
    assert page.locator("#source-text img").count() == 0 and page.locator("#thread img").count() == 0
    assert page.evaluate("window.__pwned") is None and not dialogs
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inert-html.png"))
