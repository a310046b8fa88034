/* 한국 뉴스 Q&A — chat page.
 *
 * Plain DOM code, no framework. Every piece of server data (questions, answers,
 * titles, article text, error details) is inserted with textContent or text nodes,
 * never as HTML. The page runs under a strict CSP, so there is no inline script,
 * no inline style and no inline event handler anywhere.
 */
"use strict";

(function () {
  const TOP_K = 5;
  const HISTORY_MAX = 10;
  const ASK_TIMEOUT_MS = 60000;
  const DOC_TIMEOUT_MS = 30000;
  const WIDE_QUERY = "(min-width: 900px)";

  const state = {
    busy: false,
    questions: [],          // earlier questions of this conversation (answered by the server)
    docs: new Map(),        // doc_id -> Promise<document>
    openToken: 0,           // guards against out-of-order document loads
    lastTrigger: null,      // citation card that opened the source view
    statusTimer: 0,
  };

  let els = null;

  // ---------------------------------------------------------------- helpers

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function prefersReducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function isWide() {
    return window.matchMedia ? window.matchMedia(WIDE_QUERY).matches : true;
  }

  function dateText(published) {
    return typeof published === "string" && published.trim() ? published.trim() : "날짜 없음";
  }

  function dateNode(published, className) {
    if (typeof published === "string" && published.trim()) {
      const t = make("time", className, published.trim());
      t.dateTime = published.trim();
      return t;
    }
    return make("span", className + " is-missing", "날짜 없음");
  }

  function scoreText(score) {
    const n = typeof score === "number" ? score : Number(score);
    return Number.isFinite(n) ? n.toFixed(3) : "–";
  }

  /** Human text for a FastAPI `detail`: a string, or a list of {loc, msg, ...} objects. */
  function detailText(detail) {
    if (detail === undefined || detail === null) return "";
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map(function (d) {
        if (d && typeof d === "object") {
          const loc = Array.isArray(d.loc) ? d.loc.filter(function (p) { return p !== "body"; }).join(".") : "";
          const msg = typeof d.msg === "string" ? d.msg : safeJson(d);
          return loc ? loc + ": " + msg : msg;
        }
        return String(d);
      }).filter(Boolean).join("; ");
    }
    if (typeof detail === "object" && typeof detail.msg === "string") return detail.msg;
    return safeJson(detail);
  }

  function safeJson(value) {
    try { return JSON.stringify(value); } catch (e) { return String(value); }
  }

  /** Seconds from a Retry-After header (delta-seconds or HTTP date), or null. */
  function retryAfterSeconds(value) {
    if (!value) return null;
    const s = String(value).trim();
    if (/^\d+$/.test(s)) return parseInt(s, 10);
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return Math.max(0, Math.ceil((t - Date.now()) / 1000));
    return null;
  }

  async function readBody(res) {
    let raw = "";
    try { raw = await res.text(); } catch (e) { raw = ""; }
    if (!raw) return { json: null, raw: "" };
    try { return { json: JSON.parse(raw), raw: raw }; } catch (e) { return { json: null, raw: raw }; }
  }

  /** A readable Korean description of a failed HTTP response. */
  function describeFailure(status, body, headers, what) {
    let detail = "";
    if (body.json && typeof body.json === "object" && "detail" in body.json) {
      detail = detailText(body.json.detail);
    } else if (body.raw) {
      detail = body.raw.replace(/\s+/g, " ").trim().slice(0, 300);
    }
    const wait = retryAfterSeconds(headers && headers.get("Retry-After"));
    const later = wait !== null ? " " + wait + "초 후에 다시 시도해 주세요." : " 잠시 후 다시 시도해 주세요.";
    let title;
    let retryable = true;
    if (status === 422 || status === 400) {
      title = what === "doc" ? "문서 요청이 올바르지 않습니다." : "질문을 처리할 수 없습니다. 입력 내용을 확인해 주세요.";
      retryable = false;
    } else if (status === 404) {
      title = what === "doc" ? "문서를 찾을 수 없습니다." : "요청한 주소를 찾을 수 없습니다 (HTTP 404).";
      retryable = false;
    } else if (status === 413) {
      title = "질문이 너무 깁니다. 줄여서 다시 보내 주세요.";
      retryable = false;
    } else if (status === 429) {
      title = "요청이 너무 많습니다." + later;
    } else if (status === 503) {
      title = "서버가 아직 준비 중입니다 (HTTP 503)." + later;
    } else if (status >= 500) {
      title = "서버 오류가 발생했습니다 (HTTP " + status + ")." + later;
    } else {
      title = "요청이 실패했습니다 (HTTP " + status + ").";
    }
    return { title: title, detail: detail, retryable: retryable, wait: wait, status: status };
  }

  function networkFailure(err) {
    if (err && err.name === "AbortError") {
      return { title: "응답 시간이 초과되었습니다. 잠시 후 다시 시도해 주세요.", detail: "", retryable: true, wait: null, status: 0 };
    }
    return {
      title: "서버에 연결할 수 없습니다. 네트워크 상태를 확인한 뒤 다시 시도해 주세요.",
      detail: err && err.message ? String(err.message) : "",
      retryable: true, wait: null, status: 0,
    };
  }

  async function fetchWithTimeout(url, options, timeoutMs) {
    const controller = new AbortController();
    const timer = window.setTimeout(function () { controller.abort(); }, timeoutMs);
    try {
      return await fetch(url, Object.assign({}, options, { signal: controller.signal, credentials: "same-origin" }));
    } finally {
      window.clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------- thread

  function removeWelcome() {
    const w = els.thread.querySelector(".welcome");
    if (w) w.remove();
  }

  function scrollThread(node, align) {
    const wrap = els.threadWrap;
    const behavior = prefersReducedMotion() ? "auto" : "smooth";
    let top = wrap.scrollHeight;
    if (node && align === "start") {
      const offset = node.getBoundingClientRect().top - wrap.getBoundingClientRect().top;
      top = wrap.scrollTop + offset - 12;
    }
    wrap.scrollTo({ top: Math.max(0, top), behavior: behavior });
  }

  function appendUserBubble(question) {
    const item = make("div", "message user");
    item.append(make("p", "visually-hidden", "내 질문:"));
    item.append(make("p", "bubble", question));
    els.thread.append(item);
    return item;
  }

  function appendPending() {
    const p = make("div", "pending");
    p.id = "pending";
    const dots = make("span", "pending-dots");
    dots.setAttribute("aria-hidden", "true");
    dots.append(make("span"), make("span"), make("span"));
    p.append(dots, make("span", "pending-text", "찾는 중…"));
    els.thread.append(p);
    return p;
  }

  function separator() {
    const sep = make("span", "citation-sep", "·");
    sep.setAttribute("aria-hidden", "true");
    return sep;
  }

  function citationCard(c, kind) {
    const card = make("button", "citation" + (kind ? " " + kind : ""));
    card.type = "button";
    const rank = Number.isFinite(Number(c.rank)) ? String(c.rank) : "";
    const title = typeof c.title === "string" && c.title.trim() ? c.title : "제목 없음";
    card.dataset.docId = c.doc_id === undefined || c.doc_id === null ? "" : String(c.doc_id);
    card.dataset.start = String(c.start);
    card.dataset.end = String(c.end);
    card.dataset.rank = rank;
    if (c.sentence_index !== undefined && c.sentence_index !== null) card.dataset.sentenceIndex = String(c.sentence_index);
    card.title = "원문에서 이 문장 보기";

    const rankEl = make("span", "citation-rank");
    rankEl.append(make("span", "visually-hidden", "순위 "), document.createTextNode(rank));

    const body = make("span", "citation-body");
    if (kind === "primary") body.append(make("span", "citation-badge", "답변"));
    body.append(make("span", "citation-text", typeof c.text === "string" ? c.text : ""));

    const meta = make("span", "citation-meta");
    meta.append(
      make("span", "citation-title", title), separator(),
      dateNode(c.published, "citation-date"), separator(),
      make("span", "citation-score", "점수 " + scoreText(c.score))
    );
    body.append(meta);

    card.append(rankEl, body);
    card.addEventListener("click", function () { openSource(card, c); });
    return card;
  }

  function citationList(citations, kind) {
    const list = make("ol", "citations " + kind);
    citations.forEach(function (c) {
      const li = make("li", "citation-item");
      li.append(citationCard(c, kind));
      list.append(li);
    });
    return list;
  }

  function sortedCitations(data) {
    if (!Array.isArray(data.citations)) return [];
    return data.citations
      .filter(function (c) { return c && typeof c === "object"; })
      .map(function (c, i) { return { c: c, i: i }; })
      .sort(function (a, b) {
        const ra = Number(a.c.rank), rb = Number(b.c.rank);
        const fa = Number.isFinite(ra), fb = Number.isFinite(rb);
        if (fa && fb && ra !== rb) return ra - rb;
        if (fa !== fb) return fa ? -1 : 1;
        return a.i - b.i;
      })
      .map(function (x) { return x.c; });
  }

  function renderAnswer(data) {
    const answered = data.answered === true;
    const block = make("article", "answer");
    block.dataset.answered = answered ? "true" : "false";
    const cits = sortedCitations(data);

    if (answered) {
      block.setAttribute("aria-label", "답변");
      block.append(make("p", "answer-label", "답변"));
      const primary = cits[0];
      if (typeof data.answer === "string" && data.answer && (!primary || data.answer !== primary.text)) {
        block.append(make("p", "answer-text", data.answer));
      }
      if (primary) {
        block.append(citationList([primary], "primary"));
      }
      if (cits.length > 1) {
        block.append(make("p", "muted-label", "다른 근거"));
        block.append(citationList(cits.slice(1), "support"));
      }
    } else {
      block.setAttribute("aria-label", "답변 없음");
      block.append(make("p", "no-answer", "관련 문장을 찾지 못했습니다."));
      block.append(make("p", "answer-hint", "질문을 바꾸거나 더 구체적으로 물어보세요."));
      if (cits.length) {
        block.append(make("p", "muted-label", "가까운 문장"));
        block.append(citationList(cits, "near"));
      }
    }

    const took = Number(data.took_ms);
    if (Number.isFinite(took)) {
      block.append(make("p", "answer-foot", "검색 " + (took < 10 ? took.toFixed(1) : Math.round(took)) + " ms"));
    }
    return block;
  }

  function renderError(failure, question) {
    const block = make("div", "error");
    if (failure.status) block.dataset.status = String(failure.status);
    block.append(make("p", "error-title", failure.title));
    if (failure.detail) {
      const d = make("p", "error-detail");
      d.append(make("span", "error-detail-label", "자세한 내용: "), document.createTextNode(failure.detail));
      block.append(d);
    }
    if (failure.retryable) {
      const retry = make("button", "retry-button", "다시 시도");
      retry.type = "button";
      let remaining = failure.wait || 0;
      let timer = 0;
      const tick = function () {
        if (remaining > 0) {
          retry.disabled = true;
          retry.textContent = "다시 시도 (" + remaining + "초)";
          remaining -= 1;
        } else {
          retry.disabled = false;
          retry.textContent = "다시 시도";
          window.clearInterval(timer);
        }
      };
      if (remaining > 0) {
        tick();
        timer = window.setInterval(tick, 1000);
      }
      retry.addEventListener("click", function () {
        if (state.busy) return;
        window.clearInterval(timer);
        ask(question, block);
      });
      block.append(retry);
    }
    return block;
  }

  // ---------------------------------------------------------------- asking

  function setBusy(busy) {
    state.busy = busy;
    els.send.disabled = busy;
    els.newChat.disabled = busy;
    els.form.classList.toggle("is-busy", busy);
    els.form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function flashStatus(text) {
    window.clearTimeout(state.statusTimer);
    els.status.textContent = text;
    if (text) state.statusTimer = window.setTimeout(function () { els.status.textContent = ""; }, 4000);
  }

  function submitFromBox() {
    if (state.busy) return;
    const question = els.question.value.trim();
    if (!question) {
      flashStatus("질문을 입력해 주세요.");
      els.question.focus();
      return;
    }
    flashStatus("");
    els.question.value = "";
    ask(question, null);
  }

  /** Ask `question`. `replace` is an error block to replace (retry) instead of adding a bubble. */
  async function ask(question, replace) {
    if (state.busy) return;
    setBusy(true);
    removeWelcome();

    let anchor;
    if (replace && replace.isConnected) {
      anchor = replace.previousElementSibling || replace;
      replace.remove();
    } else {
      anchor = appendUserBubble(question);
    }
    const pending = appendPending();
    scrollThread(pending, "end");

    const history = state.questions.slice(-HISTORY_MAX);
    let result;
    try {
      const res = await fetchWithTimeout("/ask", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        body: JSON.stringify({ question: question, top_k: TOP_K, history: history }),
      }, ASK_TIMEOUT_MS);
      const body = await readBody(res);
      if (!res.ok) {
        result = renderError(describeFailure(res.status, body, res.headers, "ask"), question);
      } else if (!body.json || typeof body.json !== "object" || typeof body.json.answered !== "boolean") {
        result = renderError({ title: "서버 응답을 해석할 수 없습니다.", detail: body.raw.slice(0, 200), retryable: true, wait: null, status: res.status }, question);
      } else {
        state.questions.push(question);
        if (state.questions.length > HISTORY_MAX) state.questions = state.questions.slice(-HISTORY_MAX);
        result = renderAnswer(body.json);
      }
    } catch (err) {
      result = renderError(networkFailure(err), question);
    }

    pending.remove();
    els.thread.append(result);
    setBusy(false);

    const view = els.threadWrap.clientHeight;
    const span = result.getBoundingClientRect().bottom - anchor.getBoundingClientRect().top;
    if (span > view) scrollThread(anchor, "start");
    else scrollThread(result, "end");
  }

  function newConversation() {
    if (state.busy) return;
    state.questions = [];
    closeSource(false);
    els.thread.replaceChildren(els.welcome);
    els.question.value = "";
    els.threadWrap.scrollTop = 0;
    flashStatus("새 대화를 시작했습니다.");
    els.question.focus();
  }

  // ---------------------------------------------------------------- source view

  function loadDocument(docId) {
    if (state.docs.has(docId)) return state.docs.get(docId);
    const promise = (async function () {
      let res;
      try {
        res = await fetchWithTimeout("/documents/" + encodeURIComponent(docId),
          { headers: { "Accept": "application/json" } }, DOC_TIMEOUT_MS);
      } catch (err) {
        throw networkFailure(err);
      }
      const body = await readBody(res);
      if (!res.ok) throw describeFailure(res.status, body, res.headers, "doc");
      if (!body.json || typeof body.json.text !== "string") {
        throw { title: "문서 응답을 해석할 수 없습니다.", detail: "", status: res.status };
      }
      return body.json;
    })();
    state.docs.set(docId, promise);
    promise.catch(function () { state.docs.delete(docId); });
    return promise;
  }

  function setSourceStatus(text, kind) {
    els.sourceStatus.textContent = text || "";
    els.sourceStatus.hidden = !text;
    els.sourceStatus.classList.toggle("is-error", kind === "error");
    els.sourceStatus.classList.toggle("is-note", kind === "note");
  }

  function setActiveCard(card) {
    document.querySelectorAll(".citation.is-active").forEach(function (b) {
      b.classList.remove("is-active");
      b.removeAttribute("aria-current");
    });
    if (card) {
      card.classList.add("is-active");
      card.setAttribute("aria-current", "true");
    }
  }

  function showSourceView() {
    els.sourceView.hidden = false;
    els.app.classList.add("has-source");
    document.body.classList.add("source-open");
  }

  function closeSource(restoreFocus) {
    if (els.sourceView.hidden) return;
    state.openToken += 1;
    els.sourceView.hidden = true;
    els.app.classList.remove("has-source");
    document.body.classList.remove("source-open");
    setActiveCard(null);
    const trigger = state.lastTrigger;
    state.lastTrigger = null;
    if (restoreFocus !== false) {
      if (trigger && trigger.isConnected) trigger.focus();
      else els.question.focus();
    }
  }

  async function openSource(card, c) {
    const token = ++state.openToken;
    state.lastTrigger = card;
    setActiveCard(card);

    els.sourceTitle.textContent = typeof c.title === "string" && c.title.trim() ? c.title : "제목 없음";
    els.sourceDate.textContent = dateText(c.published);
    els.sourceSource.replaceChildren(document.createTextNode("…"));
    els.sourceText.replaceChildren();
    setSourceStatus("원문을 불러오는 중…", "note");
    showSourceView();
    els.sourceClose.focus({ preventScroll: true });

    const docId = card.dataset.docId;
    if (!docId) {
      setSourceStatus("이 인용에는 문서 정보가 없습니다.", "error");
      els.sourceSource.textContent = "출처 없음";
      return;
    }

    let doc;
    try {
      doc = await loadDocument(docId);
    } catch (failure) {
      if (token !== state.openToken) return;
      const msg = (failure && failure.title ? failure.title : "원문을 불러오지 못했습니다.") +
        (failure && failure.detail ? " (" + failure.detail + ")" : "");
      setSourceStatus("원문을 불러오지 못했습니다. " + msg, "error");
      els.sourceSource.textContent = "출처 없음";
      // Still show the cited sentence itself so the reader is not left empty-handed.
      if (typeof c.text === "string" && c.text) {
        const mark = citedMark(c.text);
        els.sourceText.replaceChildren(mark);
      }
      return;
    }
    if (token !== state.openToken) return;
    renderDocument(doc, c);
  }

  function citedMark(text) {
    const mark = document.createElement("mark");
    mark.className = "cited";
    mark.id = "cited-sentence";
    mark.tabIndex = -1;
    mark.textContent = text;
    return mark;
  }

  function renderSource(source) {
    const holder = els.sourceSource;
    if (typeof source !== "string" || !source.trim()) {
      holder.textContent = "출처 없음";
      return;
    }
    const value = source.trim();
    let url = null;
    try {
      const u = new URL(value);
      if (u.protocol === "http:" || u.protocol === "https:") url = u;
    } catch (e) { url = null; }
    if (url) {
      const a = make("a", "source-link", value);
      a.href = url.href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      holder.replaceChildren(a);
    } else {
      holder.textContent = value;
    }
  }

  /**
   * Split `text` around the cited sentence. Offsets from the server are Python
   * code point offsets, so slice by code points (Array.from), not UTF-16 units.
   */
  function splitByCodePoints(text, start, end) {
    const cps = Array.from(text);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > cps.length) {
      return null;
    }
    return {
      before: cps.slice(0, start).join(""),
      cited: cps.slice(start, end).join(""),
      after: cps.slice(end).join(""),
    };
  }

  function renderDocument(doc, c) {
    els.sourceTitle.textContent = typeof doc.title === "string" && doc.title.trim() ? doc.title : "제목 없음";
    els.sourceDate.textContent = dateText(doc.published);
    renderSource(doc.source);
    setSourceStatus("", null);

    const text = doc.text;
    let parts = splitByCodePoints(text, Number(c.start), Number(c.end));
    if (!parts || !parts.cited) {
      // Offsets do not fit this text: fall back to finding the sentence itself.
      const needle = typeof c.text === "string" ? c.text : "";
      const at = needle ? text.indexOf(needle) : -1;
      if (at >= 0) {
        parts = { before: text.slice(0, at), cited: needle, after: text.slice(at + needle.length) };
        setSourceStatus("인용 위치가 본문과 맞지 않아 문장을 찾아 표시했습니다.", "note");
      } else {
        parts = null;
      }
    }

    if (!parts) {
      els.sourceText.replaceChildren(document.createTextNode(text));
      setSourceStatus("인용 문장의 위치를 본문에서 찾지 못했습니다.", "error");
      els.sourceText.scrollTop = 0;
      return;
    }

    const mark = citedMark(parts.cited);
    const nodes = [];
    if (parts.before) nodes.push(document.createTextNode(parts.before));
    nodes.push(mark);
    if (parts.after) nodes.push(document.createTextNode(parts.after));
    els.sourceText.replaceChildren.apply(els.sourceText, nodes);
    els.sourceText.scrollTop = 0;
    mark.scrollIntoView({ block: "center" });
  }

  // ---------------------------------------------------------------- wiring

  function init() {
    els = {
      app: document.getElementById("app"),
      thread: document.getElementById("thread"),
      threadWrap: document.getElementById("thread-wrap"),
      welcome: document.getElementById("welcome"),
      form: document.getElementById("ask-form"),
      question: document.getElementById("question"),
      send: document.getElementById("send"),
      status: document.getElementById("composer-status"),
      newChat: document.getElementById("new-chat"),
      sourceView: document.getElementById("source-view"),
      sourceTitle: document.getElementById("source-title"),
      sourceDate: document.getElementById("source-date"),
      sourceSource: document.getElementById("source-source"),
      sourceStatus: document.getElementById("source-status"),
      sourceText: document.getElementById("source-text"),
      sourceClose: document.getElementById("source-close"),
    };
    setSourceStatus("", null);

    els.form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitFromBox();
    });

    let composing = false;
    els.question.addEventListener("compositionstart", function () { composing = true; });
    els.question.addEventListener("compositionend", function () { composing = false; });
    els.question.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      // Enter that confirms a Korean (IME) syllable must not send the question.
      if (event.isComposing || event.keyCode === 229 || composing) return;
      if (event.shiftKey) return;            // Shift+Enter: new line
      event.preventDefault();
      submitFromBox();
    });
    els.question.addEventListener("input", function () {
      if (els.status.textContent) flashStatus("");
    });

    els.welcome.addEventListener("click", function (event) {
      const btn = event.target.closest(".example");
      if (!btn || state.busy) return;
      ask(btn.dataset.question || btn.textContent, null);
    });

    els.newChat.addEventListener("click", newConversation);
    els.sourceClose.addEventListener("click", function () { closeSource(true); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.isComposing && !els.sourceView.hidden) {
        event.preventDefault();
        closeSource(true);
      }
    });

    if (isWide()) els.question.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
