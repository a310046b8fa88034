/* 한국 뉴스 Q&A — chat page.
 *
 * Plain DOM code, no framework. Server data (questions, answers, titles, article text, error details) is inserted
 * with textContent or text nodes, never as HTML. The page runs under a strict CSP: no inline script, style or
 * event handler anywhere.
 */
"use strict";

(function () {
  const TOP_K = 5;
  const HISTORY_MAX = 10;
  const QUESTION_MAX = 500;
  const DOCS_PAGE = 5;
  const MAX_TURNS = 30;
  const TIMEOUT_MS = 30000;
  const STORE_KEY = "newsqa.conversation.v1";
  const wide = window.matchMedia("(min-width: 900px)");

  const state = {
    busy: false,
    turns: [],            // [{question, data, scope}] of this conversation, kept in localStorage
    docs: new Map(),      // doc_id -> Promise<document>
    coverage: null,       // Promise<{facets, titles}>
    panel: null,          // the open <aside>, if any
    trigger: null,        // what opened it, to give focus back
    openToken: 0,         // drops document loads that finished after another was opened
    docsToken: 0,
    docsOffset: 0,
    seq: 0,
    wasOver: false,
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

  function button(text, className) {
    const b = make("button", className, text);
    b.type = "button";
    return b;
  }

  function dateNode(published) {
    if (!published) return make("span", "is-missing", "날짜 없음");
    const t = make("time", null, published);
    t.dateTime = published;
    return t;
  }

  /** Words for a citation score; 0.40 is the calibrated answer threshold of the engine. */
  function confidence(score) {
    const level = score >= 0.6 ? ["high", "높음"] : score >= 0.4 ? ["mid", "보통"] : ["low", "낮음"];
    const node = make("span", "confidence", "관련도 " + level[1]);
    node.dataset.level = level[0];
    return node;
  }

  function motion() {
    return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  }

  function permalink(docId, sentence) {
    const p = new URLSearchParams({ doc: docId });
    if (sentence !== undefined && sentence !== null) p.set("s", String(sentence));
    return "#" + p.toString();
  }

  /**
   * `text` (which starts at document offset `base`) as nodes, with the answer phrase [aStart, aEnd) marked.
   * Offsets are Python code points, so slice with Array.from, not UTF-16 units.
   */
  function withPhrase(text, base, aStart, aEnd) {
    if (aStart === null || aStart === undefined) return [document.createTextNode(text)];
    const cps = Array.from(text);
    const phrase = make("mark", "phrase", cps.slice(aStart - base, aEnd - base).join(""));
    return [document.createTextNode(cps.slice(0, aStart - base).join("")), phrase,
      document.createTextNode(cps.slice(aEnd - base).join(""))];
  }

  // ---------------------------------------------------------------- the API

  const FIELDS = { question: "질문", top_k: "인용 수", history: "이전 질문", published_from: "시작 날짜",
    published_to: "끝 날짜", sources: "출처", doc_ids: "문서" };

  /** The 422's `errors` in Korean, for the fields this page sends. */
  function koreanProblems(body) {
    if (!body.errors) return body.detail || "";
    return body.errors.map(function (e) {
      const field = e.loc[1];
      if (field === "question") {
        return e.type === "string_too_long" ? "질문은 " + QUESTION_MAX + "자까지 보낼 수 있습니다. 줄여서 다시 보내 주세요."
          : "질문을 입력해 주세요.";
      }
      if (field === "published_from" || field === "published_to") {
        return FIELDS[field] + "는 2025-08-25처럼 달력에 있는 날짜여야 합니다.";
      }
      if (field === undefined) return "시작 날짜가 끝 날짜보다 늦습니다. 두 날짜를 바꿔 주세요.";
      if (field === "history") return "이전 질문이 너무 많거나 깁니다. ‘새 대화’로 다시 시작해 주세요.";
      return (FIELDS[field] || field) + " 값을 확인해 주세요.";
    }).join(" ");
  }

  function failureOf(status, body, retryAfter) {
    const wait = parseInt(retryAfter, 10) || 0;
    const later = wait ? " " + wait + "초 후에 다시 시도해 주세요." : " 잠시 후 다시 시도해 주세요.";
    const f = { status: status, wait: wait, retryable: true, detail: body.detail || "" };
    if (status === 422) {
      return Object.assign(f, { title: "입력을 확인해 주세요.", detail: koreanProblems(body), retryable: false });
    }
    if (status === 404) return Object.assign(f, { title: "문서를 찾을 수 없습니다.", retryable: false });
    if (status === 413) return Object.assign(f, { title: "요청이 너무 큽니다. 줄여서 다시 보내 주세요.", retryable: false });
    if (status === 429) return Object.assign(f, { title: "요청이 너무 많습니다." + later });
    if (status === 503) return Object.assign(f, { title: "서버가 아직 준비 중입니다." + later });
    return Object.assign(f, { title: "서버 오류가 발생했습니다 (HTTP " + status + ")." + later });
  }

  /** JSON from the API, or throws a failure {title, detail, retryable, wait, status}. */
  async function api(url, options) {
    const controller = new AbortController();
    const timer = window.setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    let res;
    try {
      res = await fetch(url, Object.assign({ signal: controller.signal }, options));
    } catch (err) {
      throw { status: 0, wait: 0, retryable: true, detail: "",
        title: err.name === "AbortError" ? "응답 시간이 초과되었습니다. 잠시 후 다시 시도해 주세요."
          : "서버에 연결할 수 없습니다. 네트워크를 확인한 뒤 다시 시도해 주세요." };
    } finally {
      window.clearTimeout(timer);
    }
    const body = await res.json().catch(function () { return {}; });  // a proxy's HTML error page
    if (!res.ok) throw failureOf(res.status, body, res.headers.get("Retry-After"));
    return body;
  }

  function loadDocument(docId) {
    if (!state.docs.has(docId)) {
      const promise = api("/documents/" + encodeURIComponent(docId));
      promise.catch(function () { state.docs.delete(docId); });
      state.docs.set(docId, promise);
    }
    return state.docs.get(docId);
  }

  /** What the corpus covers: for the filters, the documents panel and "no answer". Retried after a failure. */
  function coverage() {
    if (!state.coverage) {
      state.coverage = Promise.all([api("/documents/facets"), api("/documents?limit=3")]).then(function (r) {
        fillFilters(r[0]);
        const c = { facets: r[0], titles: r[1].items.map(function (d) { return "「" + d.title + "」"; }) };
        els.docsCoverage.textContent = coverageText(c);
        return c;
      });
      state.coverage.catch(function () { state.coverage = null; });
    }
    return state.coverage;
  }

  function coverageText(c) {
    const f = c.facets;
    const span = f.published_min ? " (" + f.published_min + " ~ " + f.published_max + ")" : "";
    const more = f.n_documents > c.titles.length ? " 외 " + (f.n_documents - c.titles.length) + "건" : "";
    return "기사 " + f.n_documents + "건" + span + "에서만 답을 찾습니다. 최근 기사: " + c.titles.join(", ") + more + ".";
  }

  // ---------------------------------------------------------------- filters

  function fillFilters(facets) {
    facets.sources.forEach(function (s) {
      const option = make("option", null, s.source + " (" + s.n_documents + ")");
      option.value = s.source;
      els.filterSource.append(option);
    });
    [els.filterFrom, els.filterTo].forEach(function (input) {
      if (facets.published_min) { input.min = facets.published_min; input.max = facets.published_max; }
    });
  }

  function filters() {
    const f = {};
    if (els.filterFrom.value) f.published_from = els.filterFrom.value;
    if (els.filterTo.value) f.published_to = els.filterTo.value;
    if (els.filterSource.value) f.sources = [els.filterSource.value];
    return f;
  }

  function scopeText() {
    const parts = [];
    const from = els.filterFrom.value, to = els.filterTo.value;
    if (from || to) parts.push((from || "처음") + " ~ " + (to || "최근"));
    if (els.filterSource.value) parts.push(els.filterSource.value);
    return parts.join(", ");
  }

  function updateScope() {
    els.filterSummary.textContent = scopeText() || "모든 기사";
  }

  // ---------------------------------------------------------------- thread

  function citationItem(c, kind) {
    const li = make("li", "citation " + kind);
    li.dataset.docId = c.doc_id;
    li.dataset.start = String(c.start);
    li.dataset.end = String(c.end);
    li.dataset.sentence = String(c.sentence_index);
    const rank = make("span", "citation-rank", c.rank);
    rank.setAttribute("aria-hidden", "true");

    const body = make("div", "citation-body");
    const text = make("p", "citation-text");
    text.append.apply(text, withPhrase(c.text, c.start, c.answer_start, c.answer_end));
    const meta = make("p", "citation-meta");
    meta.append(make("span", "citation-title", c.title), dateNode(c.published), confidence(c.score));

    const actions = make("div", "citation-actions");
    const open = button("원문 보기", "pill small");
    open.addEventListener("click", function () { openSource(c.doc_id, c, open); setActiveCard(li); });
    const copy = button("복사", "pill small");
    copy.addEventListener("click", function () { copyCitation(c, copy); });
    const link = make("a", "pill small", "링크");
    link.href = permalink(c.doc_id, c.sentence_index);
    link.title = "원문에서 이 문장을 여는 주소";
    actions.append(open, copy, link);
    if (c.url) actions.append(externalLink(c.url));

    body.append(text, meta, actions);
    li.append(rank, body);
    return li;
  }

  function externalLink(url) {
    const a = make("a", "pill small external", "원문 기사 ↗");
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function citationList(citations, kind) {
    const list = make("ol", "citations");
    list.start = citations.length ? citations[0].rank : 1;
    citations.forEach(function (c) { list.append(citationItem(c, kind)); });
    return list;
  }

  function renderAnswer(turn) {
    const data = turn.data;
    const block = make("article", "answer");
    block.dataset.answered = String(data.answered);
    const label = make("h2", data.answered ? "answer-label" : "no-answer",
      data.answered ? "답변" : "관련 문장을 찾지 못했습니다");
    label.id = "answer-" + (++state.seq);
    block.setAttribute("aria-labelledby", label.id);
    block.append(label);
    if (data.resolved_question && data.resolved_question !== data.question) {
      block.append(make("p", "resolved", "검색한 질문: " + data.resolved_question));
    }
    const cits = data.citations;
    if (data.answered) {
      block.append(citationList(cits.slice(0, 1), "primary"));
      if (cits.length > 1) block.append(make("h3", "muted-label", "다른 근거"), citationList(cits.slice(1), "support"));
    } else {
      block.append(noAnswerNote(turn.scope, data.note));
      if (cits.length) block.append(make("h3", "muted-label", "가까운 문장"), citationList(cits, "near"));
    }
    block.append(make("p", "answer-foot", "검색 " + Math.round(data.took_ms) + " ms"));
    return block;
  }

  function noAnswerNote(scope, reason) {
    const note = make("div", "answer-hint");
    const lead = reason || (scope ? "검색 범위(" + scope + ") 안에서는 찾지 못했습니다. 범위를 넓히거나 질문을 바꿔 보세요."
      : "질문을 바꾸거나 더 구체적으로 물어보세요.");
    const covers = make("p", "coverage");
    coverage().then(function (c) { covers.textContent = coverageText(c); }, function () {});
    const more = button("기사 목록 보기", "pill small");
    more.addEventListener("click", function () { openDocs(more); });
    note.append(make("p", null, lead), covers, more);
    return note;
  }

  function renderError(failure, question) {
    const block = make("div", "error");
    block.dataset.status = String(failure.status);
    block.append(make("p", "error-title", failure.title));
    if (failure.detail) block.append(make("p", "error-detail", failure.detail));
    if (failure.retryable) {
      const retry = button("다시 시도", "pill retry-button");
      let remaining = failure.wait;
      const tick = function () {
        retry.disabled = remaining > 0;
        retry.textContent = remaining > 0 ? "다시 시도 (" + remaining + "초)" : "다시 시도";
        if (remaining-- <= 0) window.clearInterval(timer);
      };
      const timer = window.setInterval(tick, 1000);
      tick();
      retry.addEventListener("click", function () {
        window.clearInterval(timer);
        ask(question, block);
      });
      block.append(retry);
    }
    return block;
  }

  function appendUserBubble(question) {
    const item = make("div", "message user");
    item.setAttribute("role", "group");
    item.setAttribute("aria-label", "내 질문");
    item.append(make("p", "bubble", question));
    els.thread.append(item);
    return item;
  }

  function appendPending() {
    const p = make("div", "pending");
    const dots = make("span", "pending-dots");
    dots.setAttribute("aria-hidden", "true");
    dots.append(make("span"), make("span"), make("span"));
    p.append(dots, make("span", null, "찾는 중…"));
    els.thread.append(p);
    return p;
  }

  /** Show the whole new turn when it fits, else its start. */
  function reveal(anchor, result) {
    const wrap = els.threadWrap;
    const tall = result.getBoundingClientRect().bottom - anchor.getBoundingClientRect().top > wrap.clientHeight;
    wrap.scrollTo({ top: tall ? anchor.offsetTop - 12 : wrap.scrollHeight, behavior: motion() });
  }

  // ---------------------------------------------------------------- asking

  function setBusy(busy) {
    state.busy = busy;
    els.send.disabled = busy;
    els.newChat.disabled = busy;
    els.form.setAttribute("aria-busy", String(busy));
  }

  function flashStatus(text) {
    window.clearTimeout(state.statusTimer);
    els.status.textContent = text;
    if (text) state.statusTimer = window.setTimeout(function () { els.status.textContent = ""; }, 4000);
  }

  function updateCount() {
    const n = Array.from(els.question.value).length;  // the server counts code points
    const over = n > QUESTION_MAX;
    els.count.textContent = n + "/" + QUESTION_MAX + "자";
    els.count.classList.toggle("is-over", over);
    if (over && !state.wasOver) flashStatus("질문은 " + QUESTION_MAX + "자까지 보낼 수 있습니다. 줄여 주세요.");
    state.wasOver = over;
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
    updateCount();
    ask(question, null);
  }

  /** Ask `question`; `replace` is an error block to retry in place. */
  async function ask(question, replace) {
    if (state.busy) return;
    setBusy(true);
    const welcome = els.thread.querySelector(".welcome");
    if (welcome) welcome.remove();
    let anchor = replace && replace.previousElementSibling;
    if (replace) replace.remove();
    else anchor = appendUserBubble(question);
    const pending = appendPending();
    els.threadWrap.scrollTo({ top: els.threadWrap.scrollHeight, behavior: motion() });

    const scope = scopeText();
    const request = Object.assign({ question: question, top_k: TOP_K,
      history: state.turns.map(function (t) { return t.question; }).slice(-HISTORY_MAX) }, filters());
    let result;
    try {
      const data = await api("/ask", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request) });
      const turn = { question: question, data: data, scope: scope };
      state.turns.push(turn);
      save();
      result = renderAnswer(turn);
    } catch (failure) {
      result = renderError(failure, question);
      if (failure.status === 422 && !els.question.value) {
        els.question.value = question;  // give the text back to fix
        updateCount();
      }
    }
    pending.remove();
    els.thread.append(result);
    setBusy(false);
    reveal(anchor, result);
  }

  function save() {
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify(state.turns.slice(-MAX_TURNS)));
    } catch (e) {
      // Storage full or disabled (private mode): the page works on, it only forgets on reload.
    }
  }

  function restore() {
    try {
      state.turns = JSON.parse(localStorage.getItem(STORE_KEY)) || [];
    } catch (e) {
      state.turns = [];
    }
    if (!state.turns.length) return;
    els.welcome.remove();
    state.turns.forEach(function (turn) {
      appendUserBubble(turn.question);
      els.thread.append(renderAnswer(turn));
    });
    els.threadWrap.scrollTop = els.threadWrap.scrollHeight;
  }

  function newConversation() {
    if (state.busy) return;
    state.turns = [];
    localStorage.removeItem(STORE_KEY);
    closePanel();
    els.thread.replaceChildren(els.welcome);
    els.question.value = "";
    updateCount();
    els.threadWrap.scrollTop = 0;
    flashStatus("새 대화를 시작했습니다.");
    els.question.focus();
  }

  async function copyText(text) {
    if (navigator.clipboard) return navigator.clipboard.writeText(text);
    // Plain http on a LAN address is not a secure context: no Clipboard API there.
    const area = make("textarea", "visually-hidden");
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    if (!ok) throw new Error("copy refused");
  }

  function copyCitation(c, btn) {
    const lines = [c.text, "— " + c.title + (c.published ? ", " + c.published : ""),
      location.origin + location.pathname + permalink(c.doc_id, c.sentence_index)];
    if (c.url) lines.push("원문: " + c.url);
    copyText(lines.join("\n")).then(function () {
      btn.textContent = "복사됨";
      flashStatus("인용을 복사했습니다.");
    }, function () {
      flashStatus("복사하지 못했습니다. 문장을 직접 선택해 복사해 주세요.");
    });
    window.setTimeout(function () { btn.textContent = "복사"; }, 2000);
  }

  // ---------------------------------------------------------------- panels

  /** On phones a panel covers the page: a modal dialog, with the chat behind it inert. */
  function applyPanelMode() {
    const modal = Boolean(state.panel) && !wide.matches;
    [els.docsPanel, els.sourceView].forEach(function (panel) {
      if (modal && panel === state.panel) {
        panel.setAttribute("role", "dialog");
        panel.setAttribute("aria-modal", "true");
      } else {
        panel.removeAttribute("role");
        panel.removeAttribute("aria-modal");
      }
    });
    els.chat.inert = modal;
    els.app.classList.toggle("has-panel", Boolean(state.panel));
  }

  function openPanel(panel, trigger) {
    // Opened from inside the other panel: focus goes back to what opened that one.
    if (!trigger || (state.panel && state.panel.contains(trigger))) trigger = state.trigger;
    if (state.panel && state.panel !== panel) state.panel.hidden = true;
    state.panel = panel;
    state.trigger = trigger;
    panel.hidden = false;
    applyPanelMode();
    panel.querySelector("[data-close]").focus({ preventScroll: true });
  }

  function closePanel() {
    if (!state.panel) return;
    state.openToken += 1;
    state.panel.hidden = true;
    state.panel = null;
    applyPanelMode();
    setActiveCard(null);
    history.replaceState(null, "", location.pathname + location.search);
    const back = state.trigger && state.trigger.isConnected && !state.trigger.closest("[hidden]")
      ? state.trigger : els.question;
    state.trigger = null;
    back.focus({ preventScroll: true });
  }

  function trapTab(event, box) {
    const items = Array.from(box.querySelectorAll("button, a[href], input, select, [tabindex='0']"))
      .filter(function (el) { return !el.disabled && el.getClientRects().length; });
    const first = items[0], last = items[items.length - 1];
    if (!box.contains(document.activeElement)) {
      event.preventDefault();
      first.focus();
    } else if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function setActiveCard(li) {
    els.thread.querySelectorAll(".citation.is-active").forEach(function (n) { n.classList.remove("is-active"); });
    if (li) li.classList.add("is-active");
  }

  // ---------------------------------------------------------------- documents panel

  function openDocs(trigger) {
    openPanel(els.docsPanel, trigger);
    coverage().catch(function () {});
    showDocs(0, null);
  }

  async function showDocs(offset, pressed) {
    const token = ++state.docsToken;
    const q = els.docsQ.value.trim();
    let page;
    try {
      page = await api("/documents?" + new URLSearchParams({ offset: offset, limit: DOCS_PAGE, q: q }));
    } catch (failure) {
      els.docsList.replaceChildren(make("li", "docs-empty", "목록을 불러오지 못했습니다. " + failure.title));
      return;
    }
    if (token !== state.docsToken) return;
    state.docsOffset = offset;
    els.docsList.replaceChildren.apply(els.docsList, page.items.map(docItem));
    if (!page.items.length) {
      els.docsList.append(make("li", "docs-empty", q ? "제목에 ‘" + q + "’이(가) 들어간 기사가 없습니다." : "기사가 없습니다."));
    }
    els.docsPage.textContent = page.total
      ? (offset + 1) + "–" + (offset + page.items.length) + " / " + page.total + "건" : "0건";
    els.docsPrev.disabled = offset === 0;
    els.docsNext.disabled = offset + page.items.length >= page.total;
    if (pressed && pressed.disabled) (pressed === els.docsPrev ? els.docsNext : els.docsPrev).focus();
  }

  function docItem(d) {
    const li = make("li");
    const b = button(null, "doc-item");
    const meta = make("span", "doc-meta");
    meta.append(dateNode(d.published), make("span", null, d.source || "출처 없음"),
      make("span", null, d.n_sentences + "문장"));
    b.append(make("span", "doc-title", d.title), meta);
    b.addEventListener("click", function () { openSource(d.doc_id, null, b); });
    li.append(b);
    return li;
  }

  // ---------------------------------------------------------------- source view

  function setSourceStatus(text, isError) {
    els.sourceStatus.textContent = text;
    els.sourceStatus.hidden = !text;
    els.sourceStatus.classList.toggle("is-error", Boolean(isError));
  }

  /** Open a document; `spot` names its sentence (a citation, or {sentence_index} from a permalink). */
  async function openSource(docId, spot, trigger) {
    const token = ++state.openToken;
    setActiveCard(null);
    els.sourceTitle.textContent = spot && spot.title ? spot.title : "";
    els.sourceMeta.replaceChildren();
    els.sourceText.replaceChildren();
    setSourceStatus("원문을 불러오는 중…");
    openPanel(els.sourceView, trigger);
    history.replaceState(null, "", permalink(docId, spot ? spot.sentence_index : null));
    let doc;
    try {
      doc = await loadDocument(docId);
    } catch (failure) {
      if (token === state.openToken) setSourceStatus("원문을 불러오지 못했습니다. " + failure.title, true);
      return;
    }
    if (token === state.openToken) renderDocument(doc, spot);
  }

  function renderDocument(doc, spot) {
    els.sourceTitle.textContent = doc.title;
    els.sourceMeta.append(dateNode(doc.published), make("span", null, doc.source || "출처 없음"));
    if (doc.url) els.sourceMeta.append(externalLink(doc.url));
    setSourceStatus("");
    const sentence = spot && doc.sentences.find(function (s) { return s.index === spot.sentence_index; });
    if (!sentence) {
      els.sourceText.textContent = doc.text;
      els.sourceText.scrollTop = 0;
      if (spot) setSourceStatus("링크의 문장이 이 기사에 없습니다. 기사가 바뀌었을 수 있습니다.", true);
      return;
    }
    const cps = Array.from(doc.text);
    const mark = make("mark", "cited");
    mark.id = "cited-sentence";
    mark.append.apply(mark, withPhrase(cps.slice(sentence.start, sentence.end).join(""), sentence.start,
      spot.answer_start, spot.answer_end));
    els.sourceText.replaceChildren(document.createTextNode(cps.slice(0, sentence.start).join("")), mark,
      document.createTextNode(cps.slice(sentence.end).join("")));
    // Scroll the article pane only: scrollIntoView would scroll the page as well.
    els.sourceText.scrollTop = mark.offsetTop - els.sourceText.clientHeight / 3;
  }

  function openFromHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    if (!p.get("doc")) return;
    const trigger = document.activeElement !== document.body ? document.activeElement : null;
    openSource(p.get("doc"), p.has("s") ? { sentence_index: Number(p.get("s")) } : null, trigger);
  }

  // ---------------------------------------------------------------- wiring

  function init() {
    const byId = function (id) { return document.getElementById(id); };
    els = {
      app: byId("app"), chat: byId("chat"), thread: byId("thread"), threadWrap: byId("thread-wrap"),
      welcome: byId("welcome"), form: byId("ask-form"), question: byId("question"), send: byId("send"),
      status: byId("composer-status"), count: byId("composer-count"), newChat: byId("new-chat"),
      filterFrom: byId("filter-from"), filterTo: byId("filter-to"), filterSource: byId("filter-source"),
      filterSummary: byId("filter-summary"),
      docsPanel: byId("docs-panel"), docsCoverage: byId("docs-coverage"), docsQ: byId("docs-q"),
      docsList: byId("docs-list"), docsPage: byId("docs-page"), docsPrev: byId("docs-prev"),
      docsNext: byId("docs-next"),
      sourceView: byId("source-view"), sourceTitle: byId("source-title"), sourceMeta: byId("source-meta"),
      sourceStatus: byId("source-status"), sourceText: byId("source-text"),
    };

    els.form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitFromBox();
    });
    let composing = false;
    els.question.addEventListener("compositionstart", function () { composing = true; });
    els.question.addEventListener("compositionend", function () { composing = false; });
    els.question.addEventListener("keydown", function (event) {
      // Enter that confirms a Korean (IME) syllable must not send; Shift+Enter is a new line.
      if (event.key !== "Enter" || event.isComposing || event.keyCode === 229 || composing || event.shiftKey) return;
      event.preventDefault();
      submitFromBox();
    });
    els.question.addEventListener("input", updateCount);

    [els.filterFrom, els.filterTo, els.filterSource].forEach(function (f) { f.addEventListener("change", updateScope); });
    byId("filter-reset").addEventListener("click", function () {
      els.filterFrom.value = els.filterTo.value = els.filterSource.value = "";
      updateScope();
    });

    document.addEventListener("click", function (event) {
      const example = event.target.closest(".example");
      if (!example || state.busy) return;
      if (state.panel && !wide.matches) closePanel();
      ask(example.textContent, null);
    });
    byId("open-docs").addEventListener("click", function (event) { openDocs(event.currentTarget); });
    els.newChat.addEventListener("click", newConversation);
    document.querySelectorAll("[data-close]").forEach(function (b) { b.addEventListener("click", closePanel); });
    let searchTimer = 0;
    els.docsQ.addEventListener("input", function () {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(function () { showDocs(0, null); }, 250);
    });
    els.docsPrev.addEventListener("click", function () { showDocs(Math.max(0, state.docsOffset - DOCS_PAGE), els.docsPrev); });
    els.docsNext.addEventListener("click", function () { showDocs(state.docsOffset + DOCS_PAGE, els.docsNext); });

    document.addEventListener("keydown", function (event) {
      if (!state.panel) return;
      if (event.key === "Escape" && !event.isComposing) {
        event.preventDefault();
        closePanel();
      } else if (event.key === "Tab" && state.panel.getAttribute("aria-modal")) {
        trapTab(event, state.panel);
      }
    });
    wide.addEventListener("change", applyPanelMode);
    window.addEventListener("hashchange", openFromHash);

    restore();
    coverage().catch(function () {});  // the server may still be loading; the panels retry
    openFromHash();
    if (wide.matches && !state.panel) els.question.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
