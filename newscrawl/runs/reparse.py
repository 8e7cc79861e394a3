"""Rebuild the archive's extracted fields from the WARC files of earlier crawls, fetching nothing.

When a parser improves (a new version, a fixed field), the pages it should read again are
already on disk: a crawl run with ``--warc`` keeps every response it fetched. ``reparse``
reads them back in WARC order and sends every article page through what a crawl does to it
after the download: the outlet's parser for the page's fetch time, then the same cleaning,
validation, duplicate linking and storing as the pipelines, with the plain functions they wrap.
Pages are replayed in the order they were fetched, so the revisions of a story are stored in
the order the crawls met them.

What a WARC file does not say is left as unknown: how the crawler found a page
(``discovered_via``) is kept from the archive's own row when it has one, else left empty.

The runs whose pages are read again are measured again: a page fetched between a finished
run's start and end belongs to that run, and what the run's stats say of its records (fill
rates, sources, parser versions, sections, the newest publication time; ``newscrawl.records
.measures``) is replaced by what the reparsed records say, so that ``newscrawl health`` judges
the run as the archive now holds it. What the crawl did (requests, drops, new and revised
stories) stays as it was; ``newscrawl/reparsed/pages`` and ``newscrawl/reparsed/at`` say that
the run was measured again.

No Scrapy here: the parser is a pure function of URL, HTML and fetch time, and the validation
rules (``newscrawl.records.validation``) are the validate pipeline's own.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from w3lib.encoding import html_to_unicode

from newscrawl import settings as project_defaults
from newscrawl.extraction.dates import utc_iso, utc_now
from newscrawl.extraction.errors import PageRejected
from newscrawl.items import to_record
from newscrawl.messages import mask_password
from newscrawl.records.cleaning import clean_record
from newscrawl.records.measures import field_coverage, record_counts, remeasured
from newscrawl.records.validation import problems
from newscrawl.runs.locks import RunLock, lock_holder
from newscrawl.store import StoreError, is_postgres_url, open_store
from newscrawl.warc import WarcResponse, iter_warc_responses, warc_files

if TYPE_CHECKING:
    from newscrawl.layout import DataDir
    from newscrawl.outlets.spec import Outlet
    from newscrawl.store import Archive

log = logging.getLogger(__name__)

#: The shortest body a crawl accepts (``NEWSCRAWL_MIN_BODY_CHARS``).
MIN_BODY_CHARS = project_defaults.NEWSCRAWL_MIN_BODY_CHARS


@dataclass
class ReparseReport:
    """What a reparse read and what it did with it."""

    files: int = 0
    responses: int = 0  # response records read, of every kind
    article_pages: int = 0  # of which the outlet's article URLs
    parsers: Counter[str] = field(default_factory=Counter)  # pages read, by parser version
    stored: Counter[str] = field(default_factory=Counter)  # new / revised / unchanged
    skipped: Counter[str] = field(default_factory=Counter)  # article pages not stored, by reason
    unreadable: Counter[str] = field(default_factory=Counter)  # WARC records passed over
    remeasured: Counter[int] = field(default_factory=Counter)  # pages read again, by run id

    def describe(self) -> str:
        lines = [f"responses read:   {self.responses} in {self.files} WARC file(s), "
                 f"{self.article_pages} of them article pages",
                 "parsed with:      " + (", ".join(f"{version} {count}" for version, count in
                                                  sorted(self.parsers.items())) or "nothing"),
                 f"articles stored:  {self.stored['new']} new, {self.stored['revised']} revised, "
                 f"{self.stored['unchanged']} unchanged"]
        skipped = ", ".join(f"{reason} {count}" for reason, count in
                            sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0])))
        lines.append(f"skipped:          {sum(self.skipped.values())}"
                     + (f" ({skipped})" if skipped else ""))
        if self.remeasured:
            lines.append("runs measured:    " + ", ".join(
                f"run {run} ({pages} pages)" for run, pages in sorted(self.remeasured.items())))
        if self.unreadable:
            lines.append(f"unreadable:       {sum(self.unreadable.values())} WARC record(s) ("
                         + ", ".join(f"{reason} {count}" for reason, count in
                                     sorted(self.unreadable.items())) + ")")
        return "\n".join(lines)


def reparse(outlet: Outlet, paths: Iterable[str | os.PathLike[str]], archive: Archive,
            *, min_body_chars: int = MIN_BODY_CHARS) -> ReparseReport:
    """Store every article page of ``paths`` (WARC files, in this order) into ``archive``."""
    report = ReparseReport()
    files = list(paths)
    report.files = len(files)
    runs = RunMeasures(archive.finished_runs(outlet.name))
    for response in _responses(files, report):
        if not outlet.is_article_url(response.url):
            continue
        report.article_pages += 1
        outcome, record = _store_page(outlet, response, archive, min_body_chars, report)
        if record is not None:
            report.stored[outcome] += 1
            runs.count(record)
        else:
            report.skipped[outcome] += 1
    archive.commit()
    report.remeasured = runs.write(archive)
    return report


class RunMeasures:
    """The records reparse stored, measured by the run that fetched their pages."""

    def __init__(self, runs: list[tuple[int, str, str, dict[str, Any]]]) -> None:
        self.runs = runs
        self.counts: dict[int, Counter[str]] = {}
        self.pages: Counter[int] = Counter()
        self.newest: dict[int, str] = {}

    def run_of(self, fetched_at: str) -> int | None:
        for run_id, started, finished, _ in reversed(self.runs):
            if started <= fetched_at <= finished:
                return run_id
        return None

    def count(self, record: dict[str, Any]) -> None:
        run_id = self.run_of(record["fetched_at"])
        if run_id is None:  # a page of no run on record (another archive's WARC file)
            return
        self.pages[run_id] += 1
        self.counts.setdefault(run_id, Counter()).update(record_counts(record))
        published = record.get("published_at")
        if published and published > self.newest.get(run_id, ""):
            self.newest[run_id] = published

    def write(self, archive: Archive) -> Counter[int]:
        """Each run's measurements replaced; the pages measured, by run."""
        for run_id, _, _, stats in self.runs:
            pages = self.pages.get(run_id)
            if not pages:
                continue
            again = remeasured(stats, self.counts[run_id], self.newest.get(run_id))
            again.update({"newscrawl/reparsed/pages": pages, "newscrawl/reparsed/at": utc_now()})
            archive.remeasure_run(run_id, stats=again,
                                  field_coverage=field_coverage(again, total=pages))
        return self.pages


def _responses(files: list[str | os.PathLike[str]], report: ReparseReport) -> Iterator[WarcResponse]:
    for response in iter_warc_responses(files, report.unreadable):
        report.responses += 1
        yield response


def _store_page(outlet: Outlet, response: WarcResponse, archive: Archive,
                min_body_chars: int, report: ReparseReport) -> tuple[str, dict[str, Any] | None]:
    """Parse, clean, validate, link and store one article page: the outcome and the record
    stored, or a skip reason and None."""
    if response.status != 200:
        return f"status_{response.status}", None  # redirects, errors, 304s: no page to read
    content_type = next((v for k, v in response.headers if k.lower() == "content-type"), None)
    if content_type and not any(t in content_type.lower() for t in ("html", "xml", "text/")):
        return "not_html", None
    _, html = html_to_unicode(content_type, response.body)  # as Scrapy's response.text decodes
    fetched_at = response.fetched_at
    parser = outlet.parser_for(fetched_at)  # the version for the page's date, as in the crawl
    report.parsers[parser.version] += 1
    try:
        article = parser.parse(response.url, html, fetched_at)
    except PageRejected as exc:
        return exc.reason, None
    article.outlet = outlet.name
    article.fetched_at = utc_iso(fetched_at)
    article.http_status = response.status
    record = to_record(article)
    clean_record(record, outlet.furniture)
    found = problems(record, min_body_chars)
    if found:
        return f"invalid:{found[0]}", None
    stored = archive.article(outlet.name, record["article_id"])
    checked_at = record["fetched_at"]
    if stored is not None:
        record["discovered_via"] = stored.get("discovered_via")
        # Replaying an old page must not make the archive think the story was checked
        # longer ago than it was (the incremental crawl revisits by that time).
        checked_at = max(checked_at, stored.get("last_checked_at") or checked_at)
    record["duplicate_of"] = archive.link_duplicates(record)
    return archive.store_article(record, checked_at=checked_at).status, record


class ReparseError(Exception):
    """A reparse that cannot run; the message is one line for the user."""


def reparse_into(outlet: Outlet, files: DataDir, *, warc: list[str] | None = None,
                 db: str | None = None) -> tuple[str, ReparseReport]:
    """``newscrawl reparse``: the WARC files ``warc`` names (default the outlet's ``warc/``)
    into ``db`` (a SQLite file or a ``postgresql://`` URL; default the outlet's own archive,
    whose journal then stays in step and which no crawl may write meanwhile). Returns where
    it stored (password masked) and the report; ``ReparseError`` in one line."""
    sources: list[str | os.PathLike[str]] = list(warc) if warc else [files.warc]
    try:
        paths = warc_files(sources) if warc or files.warc.is_dir() else []
    except FileNotFoundError as exc:
        raise ReparseError(str(exc)) from None
    if not paths:
        raise ReparseError(f"no WARC files in {', '.join(map(str, sources))} "
                           "(crawls keep them with --warc)")
    own = not db or (not is_postgres_url(db) and Path(db).resolve() == files.archive.resolve())
    lock = RunLock(files.crawl_lock) if own else None
    if lock is not None and not lock.acquire():
        raise ReparseError(f"{lock_holder(lock).describe()}; try again when it ends")
    try:
        with open_store(None if own else db, files, journal=own) as archive:
            report = reparse(outlet, paths, archive)
    except StoreError as exc:
        raise ReparseError(str(exc)) from None
    finally:
        if lock is not None:
            lock.release()
    where = str(files.archive) if own or db is None else \
        (mask_password(db) if is_postgres_url(db) else db)
    return where, report


__all__ = ["MIN_BODY_CHARS", "ReparseError", "ReparseReport", "reparse", "reparse_into",
           "warc_files"]
