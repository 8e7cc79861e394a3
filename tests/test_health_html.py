"""``newscrawl health --html FILE`` (issue 14): one self-contained page with the verdict and
plots of the runs, opened in real Chromium."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys

import pytest

from newscrawl.extraction.generic import GENERIC_BODY
from newscrawl.health import assess
from newscrawl.health.html import page
from newscrawl.items import REPORTED_FIELDS
from newscrawl.store import PostgresArchive, readers
from tests.test_health import archive_with, run_stats, story
from tests.utils.cli import run_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE_HEADLINE = "<script>window.pwned = 1</script>"
HOSTILE_SECTION = '<img src="http://127.0.0.1:9/x" onerror="window.pwned = 2">'
SECTIONS = (["News", "China", "Politics"], ["Business", "Banking"], ["Sport"],
            [HOSTILE_SECTION])
RUNS = 6


def stories() -> list[dict]:
    """The latest run's 24 stories over 4 days (a silent day among them) and 4 sections; 5
    share a hostile headline (template text, quoted in its finding)."""
    days = ("2026-06-01", "2026-06-02", "2026-06-04", "2026-06-05")
    return [story(n, published_at=f"{days[n % 4]}T0{n % 10}:00:00Z", section=SECTIONS[n // 6],
                  **({"headline": HOSTILE_HEADLINE} if n < 5 else {}))
            for n in range(24)]


def history() -> list[dict]:
    """Five ordinary runs, then one whose bodies come from the generic fallback and whose
    summaries are gone."""
    ordinary = [run_stats(new=20 + n, revised=n % 2, requests=30 + 3 * n) for n in range(RUNS - 1)]
    return [*ordinary, run_stats(new=24, body={GENERIC_BODY: 20, "next_data": 4},
                                 fill={"summary": 2}, requests=31)]


def colours(png: bytes) -> set[tuple[int, int, int]]:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {colour for _, colour in image.getcolors(image.width * image.height)}


@pytest.mark.browser
def test_the_page_shows_the_verdict_and_draws_every_plot_offline(tmp_path) -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    (tmp_path / "scmp").mkdir()
    archive_with(tmp_path / "scmp" / "archive.sqlite", history(), stories())
    out = tmp_path / "health.html"
    result = run_cli("health", "--data-dir", str(tmp_path), "--html", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    html = out.read_text(encoding="utf-8")
    assert HOSTILE_HEADLINE not in html and "<img" not in html  # escaped, never markup

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            view = browser.new_page(viewport={"width": 1100, "height": 900})
            requests: list[str] = []
            view.on("request", lambda request: requests.append(request.url))
            view.goto(out.as_uri(), wait_until="load")
            assert requests == [out.as_uri()]  # nothing fetched but the page itself
            assert view.evaluate("window.pwned") is None
            assert view.locator("script").count() == 0

            assert view.locator("h1 .verdict").inner_text() == "degraded"
            findings = view.locator("ul.findings li").all_inner_texts()
            assert "degraded: field summary: fill rate 8% of 24 stored (baseline 100%)" in findings
            assert any(f.startswith("degraded: body source: 83% of 24 bodies from generic_body")
                       for f in findings)
            assert any(HOSTILE_HEADLINE in f for f in findings)  # shown as text

            plots = view.locator("svg.plot")
            assert plots.count() == len(REPORTED_FIELDS) + 3
            for n in range(plots.count()):
                box = plots.nth(n).bounding_box()
                assert box and box["width"] > 100 and box["height"] > 50, n

            def series(plot: str) -> dict[str, int]:
                """Each series of a plot and how many points or bars it drew."""
                return view.eval_on_selector(f'svg[data-plot="{plot}"]', """svg =>
                    Object.fromEntries([...svg.querySelectorAll('g.series')].map(g => [
                        g.dataset.series, g.querySelectorAll('circle.point, rect.bar').length]))""")

            for name in REPORTED_FIELDS:  # every run stored stories: a point per run
                assert series(f"fill-rate-{name}") == {name: RUNS}
            flagged = view.locator(".fields figure.flagged").all()
            assert [f.get_attribute("data-field") for f in flagged] == ["summary"]
            assert series("requests") == {"requests": RUNS, "new": RUNS, "revised": RUNS}
            # next_data in every run, the fallback in the last only.
            assert series("body-sources") == {"next_data": RUNS, GENERIC_BODY: 1}
            # Each section's 6 stories fall on 4 of the 5 days (none on June 3).
            assert series("sections") == {"News > China": 4, "Business > Banking": 4,
                                          "Sport": 4, HOSTILE_SECTION: 4}
            days = view.eval_on_selector('svg[data-plot="sections"]',
                                         "svg => svg.querySelectorAll('rect.bar').length")
            assert days == 16
            generic_bar = view.locator(f'svg[data-plot="body-sources"] g[data-series='
                                       f'"{GENERIC_BODY}"] rect.bar title').text_content()
            assert generic_bar.startswith(f"{GENERIC_BODY}: 83% (run {RUNS}, ended ")

            shot = view.screenshot(full_page=True)
            assert Image.open(io.BytesIO(shot)).height > 1500
            assert len(colours(shot)) > 50  # not blank: text, lines, colours
            # The lines and bars themselves drew, in their colours.
            lines = view.locator('svg[data-plot="fill-rate-summary"]').screenshot()
            assert (0x00, 0x72, 0xB2) in colours(lines)
            bars = view.locator('svg[data-plot="body-sources"]').screenshot()
            assert (0xD5, 0x5E, 0x00) in colours(bars)
        finally:
            browser.close()


def test_a_missing_archive_writes_a_broken_page_and_an_unwritable_page_fails(tmp_path) -> None:
    out = tmp_path / "health.html"
    out.write_text("yesterday's healthy page")
    result = run_cli("health", "--data-dir", str(tmp_path), "--html", str(out))
    assert result.returncode == 2
    html = out.read_text(encoding="utf-8")
    assert '<span class="verdict broken">broken</span>' in html
    assert html.count("nothing measured yet") == 4

    (tmp_path / "scmp").mkdir()
    archive_with(tmp_path / "scmp" / "archive.sqlite", [run_stats(new=20)] * 4,
                 [story(n) for n in range(20)])
    missing = tmp_path / "no-such-dir" / "health.html"
    result = run_cli("health", "--data-dir", str(tmp_path), "--html", str(missing))
    assert result.returncode == 2
    assert result.stdout.startswith("health scmp: healthy")  # the verdict is still given
    assert result.stderr == f"newscrawl health: cannot write {missing}: No such file or " \
                            "directory\n"


def test_the_page_of_a_postgresql_archive(postgres) -> None:
    url = postgres.database()
    # A date no parser wrote (a hand-edited row) is left out of the plot, not a crash.
    archive_with(url, history(), [*stories(), story(99, published_at="2026-06-1 8:00")],
                 store=PostgresArchive)
    with readers.connect(url) as db:
        text = page(db, assess(db, "scmp"), runs=20)
    assert len(re.findall(r'<svg [^>]*class="plot"', text)) == len(REPORTED_FIELDS) + 3
    sections = text.split('data-plot="sections"')[1].split("</svg>")[0]
    assert sections.count('class="bar"') == 16
    assert "&lt;img src=&quot;http://127.0.0.1:9/x&quot;" in sections


def test_the_page_imports_no_scrapy() -> None:
    code = ("import sys, newscrawl.health.html; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')]; "
            "print(bad); assert not bad")
    subprocess.run([sys.executable, "-c", code], check=True)
