"""/docs in a real browser: Swagger UI served from the swagger-ui-bundle package under the strict CSP."""


import pytest

from .servers import start_fake_server

pytestmark = pytest.mark.browser  # a real Chromium



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc, port = start_fake_server(tmp_path_factory.mktemp("docs"))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_docs_render_offline_under_the_csp(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, blocked, outside = [], [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server) else None)
    response = page.goto(server + "/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for(timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    for path in ["/ask", "/documents", "/documents/{doc_id}", "/healthz", "/readyz"]:
        assert path in [p.replace("\u200b", "") for p in paths], paths
    assert page.locator(".opblock-post").first.is_visible()
    assert "한국 뉴스 Q&A" in page.locator(".info .title").inner_text()
    # open one operation: its Korean example comes from our own schema
    page.locator(".opblock-post .opblock-summary").first.click()
    # Swagger UI fills the body after it appears: wait for the text, then check it
    page.locator(".opblock-body").first.wait_for(timeout=10_000)
    page.wait_for_function("document.querySelector('.opblock-body')?.innerText.includes('리벨리온')", timeout=10_000)
    assert "리벨리온" in page.locator(".opblock-body").first.inner_text()
    assert not outside, outside  # everything came from this server: works offline
    assert not errors, errors
    assert not blocked, blocked
