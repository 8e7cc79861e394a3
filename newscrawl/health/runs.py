"""What health reads of a run: its row in the ``runs`` table, measured from the stats the
crawl stored there (``newscrawl/stored/*``, ``filled/*``, ``sources/*``, ``dropped/*``,
``responses/*``, ``retries/total``, ``newest/published_at``, ...)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newscrawl.store.postgres import placeholders

if TYPE_CHECKING:
    from newscrawl.store.readers import Connection

#: Runs that did nothing by design are no measure of the site: a crawl refused by the lock.
NOT_A_RUN = ("crawl_in_progress",)
GENERIC_BODY = "generic_body"  # the generic fallback (newscrawl.extraction.generic.body)
OWN_BODY = "(outlet's own)"  # any source of the outlet's parser, in runs that did not say which
#: Totals kept beside their parts: ``dropped/invalid`` sums the validation drops by reason.
TOTALS = {"dropped": ("invalid",)}


@dataclass
class RunMeasure:
    """One finished run, in the quantities health compares."""

    id: int
    started_at: str
    finished_at: str
    finish_reason: str
    new: int  # stories stored new, revised and unchanged
    revised: int
    unchanged: int
    stats: dict[str, Any]  # the crawl's stats as the runs table keeps them
    coverage: dict[str, float]  # field -> share of stored articles that have it

    @property
    def stored(self) -> int:
        """Records this run committed: new, revised or checked unchanged."""
        return self.new + self.revised + self.unchanged

    @property
    def changes(self) -> int:
        return self.new + self.revised

    @property
    def requests(self) -> int:
        return int(self.stats.get("downloader/request_count", 0))

    def counted(self, kind: str) -> Counter[str]:
        """``newscrawl/<kind>/<reason>`` counts by reason (dropped, failed, sections, ...)."""
        prefix = f"newscrawl/{kind}/"
        totals = TOTALS.get(kind, ())
        return Counter({name: int(v) for k, v in self.stats.items()
                        if k.startswith(prefix) and isinstance(v, int | float)
                        and (name := k.removeprefix(prefix)) not in totals})

    @property
    def counts_body_sources(self) -> bool:
        """Whether the run counted each body's source (runs before health did not)."""
        return any(k.startswith("newscrawl/sources/body/") for k in self.stats)

    def body_sources(self, *, detailed: bool = True) -> Counter[str]:
        """Stored bodies by the source that gave them. Not ``detailed`` (what runs measured
        before sources were counted can tell): the fallback and ``(outlet's own)``."""
        if detailed and self.counts_body_sources:
            return self.counted("sources/body")
        bodies = int(self.stats.get("newscrawl/filled/body", 0))
        fallback = int(self.stats.get("newscrawl/fallback/body", 0))
        return +Counter({GENERIC_BODY: fallback, OWN_BODY: bodies - fallback})

    @property
    def responses(self) -> Counter[str]:
        """Responses by status class (``2xx`` ...); for runs from before the classes were
        stored, summed from Scrapy's counts per status."""
        stored = self.counted("responses")
        if stored:
            return stored
        classes: Counter[str] = Counter()
        for status, count in self.statuses.items():
            classes[f"{status // 100}xx"] += count
        return classes

    @property
    def statuses(self) -> Counter[int]:
        """Responses by HTTP status."""
        return Counter({int(status): count for status, count
                        in self.counted_raw("downloader/response_status_count/").items()
                        if status.isdigit()})

    @property
    def not_modified(self) -> int:
        """Conditional requests answered 304: stories checked without a download."""
        return self.statuses.get(304, 0)

    @property
    def retries(self) -> int:
        return int(self.stats.get("newscrawl/retries/total", 0))

    @property
    def newest_published(self) -> datetime | None:
        """The newest publication time among the records the run stored."""
        text = self.stats.get("newscrawl/newest/published_at")
        return _time(text) if isinstance(text, str) else None

    @property
    def ended(self) -> datetime | None:
        return _time(self.finished_at)

    def counted_raw(self, prefix: str) -> Counter[str]:
        return Counter({k.removeprefix(prefix): int(v) for k, v in self.stats.items()
                        if k.startswith(prefix) and isinstance(v, int | float)})

    @property
    def attempts(self) -> int:
        """Stories this run tried to store: stored, dropped or failed."""
        return self.stored + sum(self.counted("dropped").values()) \
            + sum(self.counted("failed").values())


def _time(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return {}
    return value or {}


def read_runs(db: Connection, outlet: str, *, limit: int,
              upto: int | None = None) -> list[RunMeasure]:
    """The outlet's last ``limit`` finished runs, oldest first; with ``upto``, the last up to
    the run of that id (a crawl judging itself while others go on)."""
    query = ("SELECT id, started_at, finished_at, finish_reason, stats, field_coverage, "
             "new_articles, new_revisions, unchanged FROM runs WHERE outlet = ? AND "
             f"finished_at IS NOT NULL AND finish_reason NOT IN ({', '.join('?' * len(NOT_A_RUN))}) "
             f"{'' if upto is None else 'AND id <= ? '}ORDER BY id DESC LIMIT ?")
    params = (outlet, *NOT_A_RUN, *(() if upto is None else (upto,)), limit)
    if isinstance(db, sqlite3.Connection):
        rows = db.execute(query, params).fetchall()
    else:
        rows = db.execute(placeholders(query), params).fetchall()
    runs = [RunMeasure(id=int(r[0]), started_at=r[1], finished_at=r[2], finish_reason=r[3] or "",
                       stats=_json(r[4]), coverage=_json(r[5]), new=int(r[6] or 0),
                       revised=int(r[7] or 0), unchanged=int(r[8] or 0)) for r in rows]
    return runs[::-1]
