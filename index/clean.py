"""Turn a raw Korean news page scrape into a clean Document.

The rules are line-level signals, not a list of any site's lines:

* shape of a line: length, share of Hangul, digit and symbol density, whether it
  ends like a sentence (``…다.``, ``…요?``), list bullets;
* known widget shapes: weather (``℃``), counters (``좋아요0``), photo credits
  (``(사진=…)``, ``▲…``), date and byline lines;
* repetition: text shown twice on a page (author boxes, captions) is chrome;
* position: the article is the run from its first to its last body paragraph,
  headed by a title and optional deck lines; a "related news" list header ends it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .text import HANGUL as _HANGUL
from .types import Block, Document

_BULLETS = "•·∙◦▪■□●○-*–"
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"\d")
_SYMBOL = re.compile(r"[^\w\s]")
# A sentence end: terminal punctuation (optionally closed by quotes/brackets)
# before a space or the end of the line, or a bare final "다" that a scrape
# lost its full stop after.
_SENT_END = re.compile(r"[.!?。…][\"'”’」』)\]]*(?=\s|$)|[가-힣]다[\"'”’]?\s*$")
_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[년./-]\s*(?P<m>\d{1,2})\s*[월./-]\s*(?P<d>\d{1,2})\s*일?"
)
_DATE_LABEL = r"(?:date|published|updated|입력|등록|기사입력|최초입력|발행|게재|승인|송고|작성)"
# "date 2025-08-25 본문…": a dateline glued to the first paragraph.
_DATE_PREFIX = re.compile(
    rf"^\s*{_DATE_LABEL}\s*[:：]?\s*{_DATE.pattern}(?:\s*\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?\s+",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^[가-힣]{2,4}(?:\s*[/·,]\s*[가-힣]{2,4})*\s*(?:기자|특파원|객원기자|선임기자|논설위원|통신원)"
    r"(?:\s*[\w.+-]+@[\w.-]+)?$"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PROFILE_LABELS = {"real name": "name", "name": "name", "이름": "name", "position": "role", "직책": "role"}
_WEATHER = re.compile(r"-?\d+(?:\.\d+)?\s*(?:℃|°C|도)\b")
_CAPTION = re.compile(
    r"\(?\[?(?:사진|그래픽|이미지|자료|출처)\s*[=:／/]|캡처\)|ⓒ|©|"
    r"/\s*(?:뉴시스|뉴스1|연합뉴스|AP|AFP|로이터|EPA|신화)\S*\s*$"
)
# Headers of widgets that list other stories; the article never continues after one.
_RELATED_HEADER = re.compile(
    r"^(?:HOT|TOP|BEST|많이\s*본|주요\s*뉴스|주요\s*기사|관련\s*기사|관련\s*뉴스|인기\s*기사|"
    r"추천\s*기사|최신\s*기사|실시간|랭킹|더보기|오늘의|이\s*시각|다른\s*기사)",
    re.IGNORECASE,
)


@dataclass
class _Line:
    text: str
    bulleted: bool
    kind: str = "short"  # bad | good | short, then title | heading | body

    @property
    def n(self) -> int:
        return sum(1 for c in self.text if not c.isspace())


def _normalize(raw: str) -> str:
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    # Non-breaking and zero-width spaces are scraping artefacts, not content.
    # NFC: decomposed Hangul jamo would tokenise badly and never match a query.
    raw = unicodedata.normalize("NFC", raw)
    return raw.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")


def _split_lines(raw: str) -> list[_Line]:
    lines = []
    for line in _normalize(raw).split("\n"):
        text = line.strip()
        bulleted = False
        if text and text[0] in _BULLETS and (len(text) == 1 or text[1].isspace()):
            text, bulleted = text[1:].strip(), True
        if text:
            lines.append(_Line(text, bulleted))
    return lines


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _ratio(pattern: re.Pattern, text: str, n: int) -> float:
    return len(pattern.findall(text)) / n if n else 0.0


def has_sentence_end(text: str) -> bool:
    return bool(_SENT_END.search(text))


def _ends_like_sentence(text: str) -> bool:
    return bool(_SENT_END.search(text[-4:])) or bool(re.search(r"[.!?…][\"'”’)]*$", text))


def _is_chrome(line: _Line) -> bool:
    text, n = line.text, line.n
    letters = len(_HANGUL.findall(text)) + len(_LATIN.findall(text)) + len(_CJK.findall(text))
    ends = has_sentence_end(text)
    if n <= 40 and _WEATHER.search(text) and ("℃" in text or "°C" in text):
        return True  # weather widget
    if _CAPTION.search(text) and (n <= 150 or text.startswith(("▲", "△"))):
        return True
    if text.startswith(("▲", "△")) and not ends:
        return True
    if n and (len(_DIGIT.findall(text)) + len(_SYMBOL.findall(text))) / n > 0.5:
        return True  # prices, scores, tickers
    if n <= 15 and _DIGIT.search(text[-1:]) and not ends:
        return True  # counters: 좋아요0, 댓글 12
    if letters and not _HANGUL.search(text) and not _CJK.search(text) and (n < 40 or not ends):
        return True  # Latin-only UI text in a Korean page: "Skip to main content"
    if line.bulleted and not ends and n <= 80:
        return True  # navigation, font-size buttons, headline lists
    parts = [p.strip() for p in re.split(r"\s[|｜/·]\s", text)]
    if len(parts) >= 2 and all(0 < len(p) <= 8 for p in parts):
        return True  # "로그인 | 회원가입": a menu row
    return False


def _is_body(line: _Line) -> bool:
    if line.n >= 12 and re.search(r"[가-힣](다|요)[.!?][\"'”’)]*$", line.text):
        return True  # a short paragraph that still ends a Korean sentence
    if line.n < 30 or not has_sentence_end(line.text):
        return False
    # Mostly Hangul, or a mixed-script paragraph that still ends Korean sentences.
    return _ratio(_HANGUL, line.text, line.n) >= 0.3 or bool(re.search(r"[가-힣][.!?]", line.text))


def _headline_like(line: _Line) -> bool:
    """A line that may be a headline above its deck: not a breadcrumb ("홈 > 경제") or a
    section name, which are shorter."""
    return line.n >= 10 and not re.search(r"[>›»|｜]", line.text)


def _deck_like(line: _Line) -> bool:
    """A line under the headline made of fragments joined by "…", with no full stop."""
    return line.n <= 100 and ("…" in line.text or "···" in line.text) and not line.text.rstrip().endswith(".")


def parse_date(text: str) -> str | None:
    m = _DATE.search(text)
    if not m:
        return None
    y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _is_date_line(text: str) -> bool:
    """A short line that is mostly a date: "2025년 09월 02일 화요일", "입력 2026-01-07 05:00"."""
    m = _DATE.search(text)
    if not m or parse_date(text) is None:
        return False
    rest = _DATE.sub("", text)
    rest = re.sub(rf"{_DATE_LABEL}|[월화수목금토일]요일|\d{{1,2}}:\d{{2}}(:\d{{2}})?|[:：|()\s]",
                  "", rest, flags=re.IGNORECASE)
    return len(rest) <= 6


def clean_page(raw: str, doc_id: str) -> Document:
    """Clean one raw page. ``doc_id`` is usually the file stem."""
    lines = _split_lines(raw)
    published: str | None = None
    source: str | None = None
    profile: dict[str, str] = {}

    # 1. Metadata lines: dates, bylines, profile boxes. They are never indexed.
    for i, line in enumerate(lines):
        prefix = _DATE_PREFIX.match(line.text)
        if prefix:
            published = published or parse_date(prefix.group(0))
            line.text = line.text[prefix.end():]
        elif _is_date_line(line.text):
            published = published or parse_date(line.text)
            line.kind = "bad"
        elif _BYLINE.match(line.text):
            source = source or line.text
            line.kind = "bad"
        elif line.text.lower() in _PROFILE_LABELS and i + 1 < len(lines):
            profile.setdefault(_PROFILE_LABELS[line.text.lower()], lines[i + 1].text)
    if source is None and "name" in profile:
        source = " ".join(v for v in (profile["name"], profile.get("role")) if v)

    # 2. Shape of each line on its own.
    counts: dict[str, int] = {}
    for line in lines:
        counts[_key(line.text)] = counts.get(_key(line.text), 0) + 1
    for line in lines:
        if line.kind == "bad":
            continue
        if _is_chrome(line):
            line.kind = "bad"
        elif _is_body(line):
            line.kind = "good"

    # 3. The title: the longest headline-like line before the first body paragraph
    # (menus, section names and "기상청 제공" are shorter than any headline).
    goods = [i for i, line in enumerate(lines) if line.kind == "good"]
    first_good = goods[0] if goods else len(lines)
    candidates = [i for i in range(first_good) if lines[i].kind == "short" and not lines[i].bulleted
                  and lines[i].n >= 8 and _HANGUL.search(lines[i].text)]
    title_i = max(candidates, key=lambda i: lines[i].n, default=None)
    # A deck can be longer than its headline ("인천 경전철 ‘해누리선’ 28일 개통…송도~청라 38분"
    # over "총연장 21.4㎞·정거장 16곳, 사업비 1조 2,600억 원…첫 달 요금 50% 할인"): headline-like
    # lines right above the longest are the headline and its decks, and the first is the title.
    while title_i is not None and title_i - 1 in candidates and _headline_like(lines[title_i - 1]):
        title_i -= 1
    if title_i is not None and first_good == title_i + 1 < len(lines) and _deck_like(lines[first_good]):
        # "계약 기간 2029년 6월까지 4년…“유럽 무대에서 실력으로 증명하겠다”" right under the
        # headline ends like a sentence, but it is a deck: fragments joined by "…", no full stop
        lines[first_good].kind = "short"
        first_good = next((i for i in range(first_good + 1, len(lines)) if lines[i].kind == "good"), len(lines))
    title_key = _key(lines[title_i].text) if title_i is not None else None

    # 4. Repeated text is chrome (author boxes, captions), except the title itself.
    for i, line in enumerate(lines):
        if i != title_i and counts[_key(line.text)] > 1:
            line.kind = "bad"
        if i != title_i and title_key is not None and _key(line.text) == title_key:
            line.kind = "bad"

    # 5. The article ends at a "related stories" header or after the last paragraph;
    # a last paragraph cut off mid-sentence is a teaser of another story.
    end = len(lines)
    for i in range(first_good + 1, len(lines)):
        if lines[i].kind != "good" and _RELATED_HEADER.match(lines[i].text):
            end = i
            break
    goods = [i for i in range(end) if lines[i].kind == "good"]
    while goods and not _ends_like_sentence(lines[goods[-1]].text) and len(goods) > 1:
        lines[goods.pop()].kind = "bad"
    last_good = goods[-1] if goods else -1

    blocks_src: list[tuple[str, str]] = []
    if title_i is not None:
        blocks_src.append(("title", lines[title_i].text))
    for i, line in enumerate(lines):
        if i == title_i or line.kind == "bad" or i > last_good:
            continue
        if i < first_good:
            # Deck lines between the title and the first paragraph.
            if title_i is not None and i > title_i and line.n >= 5 and not line.bulleted:
                blocks_src.append(("heading", line.text))
        elif line.kind == "good":
            blocks_src.append(("body", line.text))
        elif line.n >= 4:
            blocks_src.append(("body" if line.n >= 40 else "heading", line.text))

    text_parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    for kind, block_text in blocks_src:
        if text_parts:
            text_parts.append("\n\n")
            pos += 2
        blocks.append(Block(pos, pos + len(block_text), kind))
        text_parts.append(block_text)
        pos += len(block_text)
    text = "".join(text_parts)

    if title_i is not None:
        title = lines[title_i].text
    else:
        title = _fallback_title(text) or doc_id
    return Document(doc_id, title, text, published, source, tuple(blocks))


def _fallback_title(text: str, limit: int = 60) -> str:
    """No headline on the page: use the opening of the first sentence."""
    first = re.split(r"(?<=[.!?])\s", text.split("\n", 1)[0], maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def load_documents(folder: Path) -> list[Document]:
    """Clean every ``*.txt`` file of a folder; the doc_id is the file stem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder: pass a folder of .txt articles")
    paths = sorted(folder.glob("*.txt"))
    if not paths:
        raise InputError(f"no .txt files in {folder}: put one article per .txt file there")
    docs = []
    for path in paths:
        try:
            raw = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{path} is not UTF-8 text ({e}); convert it to UTF-8") from e
        docs.append(clean_page(raw, path.stem))
    return docs


def looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head or bool(re.search(r"<(p|div|body|article)[\s>]", head))


def clean_html(html: str, doc_id: str) -> Document:
    """Clean an HTML page: trafilatura extracts the main text (scripts, styles and
    navigation never become text), then the same line rules as for scrapes apply."""
    import trafilatura

    body = trafilatura.extract(html, output_format="txt", include_comments=False, include_tables=False,
                               favor_recall=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = (meta.title or "").strip() if meta else ""
    header = "\n".join(x for x in (title, f"입력 {meta.date}" if meta and meta.date else "") if x)
    return clean_page(f"{header}\n{body}" if header else body, doc_id)
