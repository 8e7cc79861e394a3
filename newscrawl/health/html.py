"""The health page (``newscrawl health --html FILE``): the verdict and its findings on top, then
what the runs measured, as plots: the fill rate of each field over runs, stories per day by
section, requests against new and changed stories per run, the sources of the body over runs.

One self-contained file: the styles inline, the plots inline SVG (``newscrawl/health/plots.py``),
no script, nothing fetched when it is viewed, so it can be mailed or served as it is. Every
text that comes from the archive (a finding quoting a headline, a section, a source) is
escaped.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl.health.baseline import median
from newscrawl.health.judge import Verdict
from newscrawl.health.plots import Series, line_chart, stacked_bars
from newscrawl.health.runs import GENERIC_BODY, read_runs
from newscrawl.store.postgres import placeholders

if TYPE_CHECKING:
    from newscrawl.health.runs import RunMeasure
    from newscrawl.store.readers import Connection

#: Stories per day: the days plotted, up to the newest publication the latest run could see.
DAYS = 30
#: Sections plotted by name; the rest are summed as "other sections".
MAX_SECTIONS = 8
OTHER_SECTIONS = "other sections"
COLOURS = {GENERIC_BODY: "#d55e00", "requests": "#7f7f7f", "new": "#0072b2",
           "revised": "#e69f00"}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1000px; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.4em; margin-bottom: .2em; }
h2 { font-size: 1.1em; margin: 1.6em 0 .3em; border-bottom: 1px solid #ddd; }
.verdict { display: inline-block; padding: .1em .6em; border-radius: .3em; color: #fff; }
.verdict.healthy { background: #1a7f37; } .verdict.degraded { background: #b35900; }
.verdict.broken { background: #c62828; }
ul.findings { padding-left: 1.2em; } ul.findings li { margin: .2em 0; }
li.degraded::marker { color: #b35900; } li.broken::marker { color: #c62828; }
.note { color: #555; } .caption { color: #555; margin: .2em 0 .6em; font-size: .9em; }
table.run { border-collapse: collapse; font-size: .9em; }
table.run td, table.run th { padding: .15em .6em; border-bottom: 1px solid #eee; text-align: left; }
.fields { display: flex; flex-wrap: wrap; gap: .4em 1em; }
.fields figure { margin: 0; } .fields figcaption { font-size: .85em; }
.fields figure.flagged figcaption { color: #b35900; font-weight: bold; }
.empty { color: #777; font-style: italic; }
"""


def _query(db: Connection, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    if isinstance(db, sqlite3.Connection):
        return db.execute(query, params).fetchall()
    return db.execute(placeholders(query), params).fetchall()


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _newest_day(db: Connection, outlet: str, until: str, *, tries: int = 10) -> date | None:
    """The day of the newest publication at or before ``until``, passing over a few dates
    that are no ISO 8601 (a hand-edited row sorts anywhere)."""
    query = "SELECT max(published_at) FROM articles WHERE outlet = ? AND published_at {} ?"
    (newest,) = _query(db, query.format("<="), (outlet, until))[0]
    for _ in range(tries):
        day = _day(newest)
        if newest is None or day is not None:
            return day
        (newest,) = _query(db, query.format("<"), (outlet, newest))[0]
    return None


def stories_per_day(db: Connection, outlet: str, *, until: str,
                    days: int = DAYS) -> tuple[list[str], dict[str, list[int]]]:
    """The outlet's stories by day of publication and section (its first two levels), over
    the ``days`` days up to the newest publication at or before ``until`` (a date after the
    fetch is a finding of its own, not the end of the plot), from the first day with a
    story; the days, then the counts of each section per day, biggest section first."""
    last = _newest_day(db, outlet, until)
    if last is None:
        return [], {}
    rows = _query(db, "SELECT substr(published_at, 1, 10), section_path, count(*) FROM "
                      "articles WHERE outlet = ? AND published_at >= ? AND published_at <= ? "
                      "GROUP BY 1, 2",
                  (outlet, (last - timedelta(days=days - 1)).isoformat(), until))
    counts: dict[str, Counter[str]] = {}
    for day, path, count in rows:
        if _day(day) is not None:  # a stored date is ISO 8601; anything else is not plotted
            section = " > ".join((path or "").split(" > ")[:2]) or "(no section)"
            counts.setdefault(section, Counter())[day] += int(count)
    if not counts:
        return [], {}
    # From the first day with a story: a young archive is not drawn as weeks of silence.
    first = min(date.fromisoformat(day) for c in counts.values() for day in c)
    labels = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    ranked = sorted(counts, key=lambda s: (-sum(counts[s].values()), s))
    # One section left over is named rather than summed as "other".
    named = ranked if len(ranked) <= MAX_SECTIONS + 1 else ranked[:MAX_SECTIONS]
    series = {name: [counts[name][day] for day in labels] for name in named}
    rest = [name for name in ranked if name not in series]
    if rest:
        series[OTHER_SECTIONS] = [sum(counts[s][day] for s in rest) for day in labels]
    return labels, series


def _run_notes(history: list[RunMeasure]) -> tuple[list[str], list[str]]:
    labels = [f"#{run.id}" for run in history]
    notes = [f"run {run.id}, ended {run.finished_at}, {run.finish_reason}" for run in history]
    return labels, notes


def fill_rate_plots(history: list[RunMeasure], flagged: set[str]) -> str:
    """One small chart per field: its fill rate in each run that stored something, the
    baseline's median as a dashed line."""
    fields = list(dict.fromkeys(name for run in history for name in run.coverage))
    labels, notes = _run_notes(history)
    figures = []
    for name in fields:
        values = [float(run.coverage[name]) if run.stored and name in run.coverage else None
                  for run in history]
        base = [v for v in values[:-1] if v is not None]
        chart = line_chart(f"fill-rate-{name}", f"fill rate of {name}", labels,
                           [Series(name, values, "#0072b2")], percent=True, notes=notes,
                           reference=median(base) if base else None, width=230, height=120,
                           legend=False)
        mark = ' class="flagged"' if name in flagged else ""
        figures.append(f'<figure{mark} data-field="{escape(name)}">{chart}<figcaption>'
                       f'{escape(name)}{" (fell)" if name in flagged else ""}'
                       f'</figcaption></figure>')
    return f'<div class="fields">{"".join(figures)}</div>'


def requests_plot(history: list[RunMeasure]) -> str:
    labels, notes = _run_notes(history)
    series = [Series("requests", [float(r.requests) for r in history], COLOURS["requests"]),
              Series("new", [float(r.new) for r in history], COLOURS["new"]),
              Series("revised", [float(r.revised) for r in history], COLOURS["revised"])]
    return line_chart("requests", "requests against new and changed stories per run", labels,
                      series, notes=notes)


def body_source_plot(history: list[RunMeasure]) -> str:
    """Each run's bodies by source, as shares of the run's bodies."""
    labels, notes = _run_notes(history)
    counts = [run.body_sources() for run in history]
    sources = list(dict.fromkeys(s for c in counts for s, _ in c.most_common()))
    series = []
    for source in sources:
        shares = [c[source] / total if (total := sum(c.values())) else None for c in counts]
        series.append(Series(source, shares, COLOURS.get(source, "")))
    return stacked_bars("body-sources", "sources of the body per run", labels, series,
                        percent=True, notes=notes)


def sections_plot(labels: list[str], counts: dict[str, list[int]]) -> str:
    series = [Series(name, [float(v) for v in values]) for name, values in counts.items()]
    return stacked_bars("sections", "stories per day by section", [d[5:] for d in labels],
                        series, notes=labels)


def _verdict_html(verdict: Verdict) -> str:
    status = verdict.status
    parts = [f'<h1>newscrawl health: {escape(verdict.outlet)} '
             f'<span class="verdict {status}">{status}</span></h1>',
             f'<p class="headline">{escape(verdict.headline())}</p>']
    if verdict.findings:
        items = "".join(f'<li class="{escape(f.severity)}">{escape(f.line())}</li>'
                        for f in verdict.findings)
        parts.append(f'<ul class="findings">{items}</ul>')
    else:
        parts.append('<p class="findings">No finding.</p>')
    parts += [f'<p class="note">note: {escape(note)}</p>' for note in verdict.notes]
    run = verdict.run
    if run is not None:
        cells = (("run", run.id), ("started", run.started_at), ("ended", run.finished_at),
                 ("finish reason", run.finish_reason), ("stored", run.stored),
                 ("new", run.new), ("revised", run.revised), ("unchanged", run.unchanged),
                 ("requests", run.requests))
        rows = "".join(f"<tr><th>{name}</th><td>{escape(str(value))}</td></tr>"
                       for name, value in cells)
        parts.append(f'<table class="run">{rows}</table>')
    return "\n".join(parts)


def _section(title: str, caption: str, content: str) -> str:
    content = content or '<p class="empty">nothing measured yet</p>'
    return (f'<section><h2>{escape(title)}</h2><p class="caption">{escape(caption)}</p>'
            f"{content}</section>")


def render(verdict: Verdict, history: list[RunMeasure],
           daily: tuple[list[str], dict[str, list[int]]]) -> str:
    """The page: ``verdict``, then the plots of ``history`` (the runs judged, oldest first)
    and ``daily`` (``stories_per_day``)."""
    flagged = {f.subject for f in verdict.findings if f.check == "fill_rate"}
    sections = [
        _section("Fill rate per field", "The share of each run's stored stories that have the "
                 "field; the dashed line is the median of the runs before the latest.",
                 fill_rate_plots(history, flagged) if history else ""),
        _section("Stories per day by section", f"Stories in the archive by day of publication "
                 f"(UTC) and section, over at most the last {DAYS} days.",
                 sections_plot(*daily) if daily[0] else ""),
        _section("Requests against new and changed stories", "Requests each run made, and "
                 "the new and revised stories it stored.",
                 requests_plot(history) if history else ""),
        _section("Sources of the body", "Which source gave each run's bodies; "
                 f"{GENERIC_BODY} is the generic fallback.",
                 body_source_plot(history) if history else ""),
    ]
    title = f"newscrawl health: {verdict.outlet}: {verdict.status}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            f"{_verdict_html(verdict)}\n{''.join(sections)}\n"
            f"<p class=\"note\">written {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}</p>"
            "</body></html>\n")


def page(db: Connection, verdict: Verdict, *, runs: int = 20) -> str:
    """The page of ``verdict`` (``newscrawl.health.assess``) on the archive ``db``: the
    judged run and the ``runs`` before it, and the stories of the last days."""
    run = verdict.run
    history = read_runs(db, verdict.outlet, limit=runs + 1, upto=run.id if run else None)
    until = run.finished_at if run else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return render(verdict, history, stories_per_day(db, verdict.outlet, until=until))


def write_page(path: str | Path, html: str) -> None:
    """Write the page whole or not at all (a reader never sees half a page); ``OSError``
    when it cannot be written."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(html, encoding="utf-8")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
