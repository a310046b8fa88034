"""Rebuild bench/corpus/*.txt from the Korean texts bundled in the konlpy wheel.

    pip download --no-deps konlpy==0.6.0 -d /tmp/k && unzip -q /tmp/k/konlpy-*.whl -d /tmp/k/w
    python -m bench.make_corpus /tmp/k/w/konlpy/data/corpus

Sources (see bench/corpus/SOURCES.md): the Constitution of the Republic of Korea
(kolaw/constitution.txt), split into one document per chapter, and the
"제안이유 및 주요내용" (reasons and main points) of nine bills of the 18th National
Assembly (kobill/*.txt) with their hard line wraps joined. Statutes and bills are
not protected works under Article 7 of the Korean Copyright Act.
Output format: first line the title, then paragraphs separated by blank lines.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus"
# 1809891 repeats 1809890 for another statute word for word; one copy is enough.
BILLS = ("1809890", "1809892", "1809893", "1809894", "1809895", "1809896", "1809897", "1809898", "1809899")


def constitution(text: str) -> list[tuple[str, str, list[str]]]:
    lines = [ln.strip() for ln in text.splitlines()]
    docs: list[tuple[str, str, list[str]]] = []
    title, paras = "대한민국헌법 전문", []
    for ln in lines[1:]:
        if not ln:
            continue
        m = re.match(r"^(제\d+장\s+.+|부칙)$", ln)
        if m:
            if paras:
                docs.append((title, paras))
            title, paras = f"대한민국헌법 {ln}", []
            continue
        if re.match(r"^제\d+절\s", ln):  # section headings carry no sentence
            continue
        paras.append(ln)
    docs.append((title, paras))
    return [(f"kolaw_{i:02d}", t, p) for i, (t, p) in enumerate(docs)]


def bill(text: str) -> tuple[str, list[str]]:
    raw = text.replace("\x0c", "").splitlines()
    title = re.sub(r"\s+", " ", raw[0]).strip()
    start = next(i for i, ln in enumerate(raw) if ln.strip().startswith("제안이유"))
    end = next(i for i in range(start, len(raw)) if re.match(r"^- \d+ -\s*$", raw[i]))
    paras: list[str] = []
    cur = ""
    for ln in raw[start:end]:
        if not ln.strip():
            continue
        head = ln.strip()
        if head.startswith(("제안이유", "주요내용")) and len(head) < 12:
            continue
        # An indented line opens a paragraph; others continue a hard-wrapped one.
        if ln.startswith("  ") and cur:
            paras.append(cur)
            cur = ""
        cur += ln.strip() if not cur else ln.rstrip() if cur.endswith(" ") else ln.strip()
        if ln.endswith(" ") and not cur.endswith(" "):
            cur += " "
    if cur:
        paras.append(cur)
    paras = [re.sub(r"\s{2,}", " ", p).strip() for p in paras]
    return title, [p for p in paras if p]


def main(corpus: Path) -> None:
    OUT.mkdir(exist_ok=True)
    for doc_id, title, paras in constitution((corpus / "kolaw" / "constitution.txt").read_text("utf-8")):
        (OUT / f"{doc_id}.txt").write_text(title + "\n\n" + "\n\n".join(paras) + "\n", "utf-8")
    for b in BILLS:
        title, paras = bill((corpus / "kobill" / f"{b}.txt").read_text("utf-8"))
        (OUT / f"kobill_{b}.txt").write_text(title + "\n\n" + "\n\n".join(paras) + "\n", "utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
