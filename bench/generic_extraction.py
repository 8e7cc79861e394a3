"""Benchmark: does the generic parser find the body of any page as well as trafilatura, as fast?

A benchmark, not a test. Side by side in one run, on the same saved pages of ``--corpus``
(default ``../shared/corpus/web-pages``: 789 real pages of many sites and languages, see its
README), each decoded once from its bytes as Scrapy decodes a response (``w3lib``'s
``html_to_unicode``: BOM, then the page's own ``<meta charset>``, else UTF-8):

* **generic**: ``GenericParserV1().parse(url, html, fetched_at).body``, the whole parser
  (metadata, page kinds and body); a page it rejects counts as an empty extraction;
* **trafilatura**: ``trafilatura.extract(html, url=url, favor_precision=True,
  include_comments=False)``, as trafilatura's own evaluation runs it;
* **readability**: readability-lxml's ``Document(html).summary()``, as text.

The extractors take turns page by page (the order rotates), so a busy moment of the machine
costs each the same. Per page: wall time (``perf_counter``) of the call, median and mean.

Scores, as ``web-pages/README.md`` says: a ``with`` snippet is a true positive when it occurs
in the extracted text, a false negative when not; a ``without`` snippet a false positive when
it occurs; precision, recall and F1 over all snippets. For corpora whose ``index.json``
entries carry the full ``"body"``, also the token-shingle F1 of the public article-extraction
benchmark: tokens are ``\\w+`` matches, per page TP/FP/FN over the multisets of 4-token
shingles normalised to sum to 1, precision and recall averaged over pages, F1 of the two.

Target: generic F1 >= trafilatura's, and generic median ms per page <= trafilatura's. Exit 0
when met, 1 when missed, 2 when it could not run (``pip install -e '.[bench]'`` for
readability-lxml).

    .venv/bin/python bench/generic_extraction.py                     # ../shared/corpus/web-pages
    .venv/bin/python bench/generic_extraction.py --corpus DIR --limit 200

Reads files only; no network.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "web-pages"
FETCHED_AT = datetime.now(UTC)
_TOKEN = re.compile(r"\w+", re.UNICODE)
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "td", "th",
           "blockquote", "pre", "section", "article", "dd", "dt")


@dataclass
class Page:
    url: str
    html: str
    expected: dict[str, Any]


@dataclass
class Tally:
    """One extractor's results over the corpus."""

    snippets: Counter[str] = field(default_factory=Counter)  # tp, fn, fp, tn
    shingles: list[tuple[float, float, float]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    empty: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    def add(self, page: Page, text: str, seconds: float) -> None:
        self.seconds.append(seconds)
        if not text:
            self.empty += 1
        found = snippet_counts(page.expected, text)
        self.snippets.update(found)
        if "body" in page.expected:
            self.shingles.append(shingle_matching(page.expected["body"] or "", text))

    def snippet_scores(self) -> tuple[float, float, float]:
        return prf(self.snippets["tp"], self.snippets["fp"], self.snippets["fn"])

    def shingle_scores(self) -> tuple[float, float, float] | None:
        return shingle_prf(self.shingles) if self.shingles else None


# -- scores ---------------------------------------------------------------------------------


def snippet_counts(expected: dict[str, Any], text: str) -> Counter[str]:
    """TP/FN over the ``with`` snippets and FP/TN over the ``without`` ones of one page."""
    counts: Counter[str] = Counter()
    for snippet in expected.get("with") or ():
        counts["tp" if text and snippet in text else "fn"] += 1
    for snippet in expected.get("without") or ():
        counts["fp" if text and snippet in text else "tn"] += 1
    return counts


def prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    grams = [tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))]
    return Counter(gram for gram in grams if gram)


def shingle_matching(truth: str, extracted: str) -> tuple[float, float, float]:
    """(TP, FP, FN) of one page over 4-token shingles, normalised to sum to 1."""
    want, got = shingles(truth), shingles(extracted)
    tp = float(sum((want & got).values()))
    fp = float(sum((got - want).values()))
    fn = float(sum((want - got).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def shingle_prf(pages: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Precision and recall averaged over pages (a page with nothing to say about one is left
    out of that average), F1 of the two averages."""
    precisions = [_page_precision(*page) for page in pages if page[0] + page[1] > 0]
    recalls = [_page_recall(*page) for page in pages if page[0] + page[2] > 0]
    precision = statistics.fmean(precisions) if precisions else 0.0
    recall = statistics.fmean(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _page_precision(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else tp / (tp + fp)


def _page_recall(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else tp / (tp + fn)


# -- the extractors ---------------------------------------------------------------------------


def extractors() -> dict[str, Callable[[Page], tuple[str, str | None]]]:
    """name -> (page -> (text, rejection reason or None))."""
    import trafilatura
    from lxml import html as lxml_html
    from readability import Document

    from newscrawl.extraction.errors import PageRejected
    from newscrawl.extraction.generic import GenericParserV1

    parser = GenericParserV1()

    def generic(page: Page) -> tuple[str, str | None]:
        try:
            return parser.parse(page.url, page.html, FETCHED_AT).body, None
        except PageRejected as exc:
            return "", exc.reason

    def trafilatura_precision(page: Page) -> tuple[str, str | None]:
        text = trafilatura.extract(page.html, url=page.url, favor_precision=True,
                                   include_comments=False)
        return text or "", None

    def readability(page: Page) -> tuple[str, str | None]:
        try:
            summary = Document(page.html).summary(html_partial=True)
            tree = lxml_html.fromstring(summary)
        except Exception as exc:  # readability raises on pages it cannot score
            return "", type(exc).__name__
        for element in tree.iter(*_BLOCKS):
            element.tail = "\n" + (element.tail or "")
        return tree.text_content(), None

    return {"generic": generic, "trafilatura": trafilatura_precision,
            "readability": readability}


# -- the run --------------------------------------------------------------------------------


def load(corpus: Path, limit: int | None) -> list[Page]:
    from w3lib.encoding import html_to_unicode

    entries = json.loads((corpus / "index.json").read_text(encoding="utf-8"))
    pages = []
    for entry in entries[:limit] if limit else entries:
        raw = (corpus / entry["file"]).read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        _, html = html_to_unicode(None, raw)
        url = entry.get("url") or ""
        if not url.startswith(("http://", "https://")):  # a label ("hard::name"), no address
            url = "https://corpus.invalid/" + re.sub(r"[^\w.-]+", "-", url or entry["file"])
        pages.append(Page(url, html, entry))
    return pages


def run(pages: list[Page], names: list[str]) -> dict[str, Tally]:
    functions = extractors()
    tallies = {name: Tally() for name in names}
    for name in names:  # warm-up: imports and first-call caches are not a page's cost
        functions[name](pages[0])
    for number, page in enumerate(pages):
        order = names[number % len(names):] + names[:number % len(names)]
        for name in order:
            started = time.perf_counter()
            text, rejected = functions[name](page)
            tallies[name].add(page, text, time.perf_counter() - started)
            if rejected:
                tallies[name].rejected[rejected] += 1
    return tallies


def report(tallies: dict[str, Tally], corpus: Path, pages: int) -> tuple[str, bool]:
    lines = [f"corpus {corpus} ({pages} pages), fetched_at {FETCHED_AT:%Y-%m-%d}",
             f"  {'extractor':<12} {'precision':>9} {'recall':>7} {'F1':>7}   "
             f"{'shingle P/R/F1':<20} {'median ms':>9} {'mean ms':>8}  empty  rejected"]
    for name, tally in tallies.items():
        p, r, f = tally.snippet_scores()
        shingle = tally.shingle_scores()
        shingle_text = "/".join(f"{x:.3f}" for x in shingle) if shingle else "-"
        rejected = ", ".join(f"{k} {v}" for k, v in tally.rejected.most_common()) or "-"
        lines.append(f"  {name:<12} {p:>9.4f} {r:>7.4f} {f:>7.4f}   {shingle_text:<20} "
                     f"{statistics.median(tally.seconds) * 1000:>9.1f} "
                     f"{statistics.fmean(tally.seconds) * 1000:>8.1f}  {tally.empty:>5}  {rejected}")
    generic, baseline = tallies["generic"], tallies["trafilatura"]
    f1, base_f1 = generic.snippet_scores()[2], baseline.snippet_scores()[2]
    ms, base_ms = (statistics.median(t.seconds) * 1000 for t in (generic, baseline))
    met = f1 >= base_f1 and ms <= base_ms
    lines.append(f"summary: generic F1 {f1:.4f} vs trafilatura(favor_precision) {base_f1:.4f}, "
                 f"{ms:.1f} vs {base_ms:.1f} ms median per page"
                 + (f"; readability F1 {tallies['readability'].snippet_scores()[2]:.4f}"
                    if "readability" in tallies else "")
                 + f": {'PASS' if met else 'FAIL'}")
    return "\n".join(lines), met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="a directory with index.json (default ../shared/corpus/web-pages)")
    parser.add_argument("--limit", type=int, help="the first N pages only")
    parser.add_argument("--extractors", default="generic,trafilatura,readability",
                        help="comma-separated, of generic, trafilatura, readability")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # trafilatura and readability log every odd page
    names = [n.strip() for n in args.extractors.split(",") if n.strip()]
    if not {"generic", "trafilatura"} <= set(names):
        parser.error("--extractors must include generic and trafilatura (the target)")
    try:
        import readability  # noqa: F401
        import trafilatura  # noqa: F401
    except ImportError as exc:
        print(f"generic_extraction: {exc}; pip install -U pip && pip install -e '.[bench]'", file=sys.stderr)
        return 2
    if not (args.corpus / "index.json").is_file():
        print(f"generic_extraction: no index.json in {args.corpus}", file=sys.stderr)
        return 2
    pages = load(args.corpus, args.limit)
    text, met = report(run(pages, names), args.corpus, len(pages))
    print(text)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
