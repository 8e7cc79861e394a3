"""Article pages parsed in a second process: the same records and the same rejections as in
the crawl's own process, nothing lost when that process dies, and a crawl that uses it stores
what a crawl without it stores."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from scrapy.http import HtmlResponse

from newscrawl.extraction.errors import PageRejected
from newscrawl.outlets import generic_parser, get_outlet
from newscrawl.spiders.parsing import Parsing
from tests.utils.cli import crawl, rows

NOW = datetime(2026, 6, 2, tzinfo=UTC)


def pages(client, count: int) -> list[HtmlResponse]:
    """Article pages of the session replica, as Scrapy hands them to the spider."""
    items = [i for i in client.json("/__replica__/articles.json")["articles"]
             if i["kind"] in ("article", "opinion")][:count]
    out = []
    for item in items:
        status, _, body = client.get(item["url"].removeprefix(client.base))
        assert status == 200
        out.append(HtmlResponse(item["url"], body=body, encoding="utf-8"))
    return out


async def through_process(parser, responses, kill_after: int | None = None):
    """Parse ``responses`` (each with ``parser``, or with its own: ``(parser, response)``)
    through a second process (killed after ``kill_after`` answers); returns each page's
    outcome and the counts the crawl would keep."""
    jobs = [job if isinstance(job, tuple) else (parser, job) for job in responses]
    counts: Counter[str] = Counter()
    parsing = Parsing(enabled=True, after=0, inc=lambda key: counts.update([key]))
    try:
        await parsing.parse(*jobs[0], NOW)  # parsed here; starts the process
        for _ in range(600):  # the process imports the parsers (bounded: 30 s)
            if parsing._ready:
                break
            await asyncio.sleep(0.05)
        assert parsing._ready, "the parse process never said it was ready"

        async def one(parser, response):
            try:
                return await parsing.parse(parser, response, NOW)
            except PageRejected as exc:
                return type(exc).__name__, exc.reason

        tasks = [asyncio.ensure_future(one(*job)) for job in jobs]
        if kill_after is not None:
            while sum(t.done() for t in tasks) < kill_after:
                await asyncio.sleep(0.005)
            os.kill(parsing._process.pid, signal.SIGKILL)
        return await asyncio.gather(*tasks), counts
    finally:
        parsing.close()


def expected(parser, responses):
    out = []
    for job in responses:
        parser, response = job if isinstance(job, tuple) else (parser, job)
        try:
            out.append(parser.parse(response.url, response.text, NOW))
        except PageRejected as exc:
            out.append((type(exc).__name__, exc.reason))
    return out


def test_the_second_process_gives_the_records_and_rejections_the_crawl_would(client):
    parser = get_outlet("scmp").parser_for(NOW)
    responses = pages(client, 12)
    # Rejections cross too: a page cut short, an empty one, one of another publisher's.
    article = responses[0]
    responses += [article.replace(body=article.body[: len(article.body) // 2]),
                  article.replace(body=b" "),
                  article.replace(body=article.body.replace(b"South China Morning Post",
                                                            b"The Other Daily"))]
    # Any outlet's parser, the generic one of sites no module describes too.
    responses += [(generic_parser(), response) for response in responses[:3]]
    got, counts = asyncio.run(through_process(parser, responses))
    want = expected(parser, responses)
    assert got == want
    assert {w[1] for w in want[12:15] if isinstance(w, tuple)} >= {"truncated_page", "empty_page"}
    assert all(r.parser_version.endswith("generic.V1") for r in want[15:]), want[15:]
    assert counts["newscrawl/parse_process/pages"] == len(responses)


def test_a_parse_process_killed_mid_crawl_loses_no_page(client):
    parser = get_outlet("scmp").parser_for(NOW)
    responses = pages(client, 30)
    got, counts = asyncio.run(through_process(parser, responses, kill_after=3))
    assert got == expected(parser, responses)  # every page answered, as here
    assert counts["newscrawl/parse_process/died"] == 1
    assert counts["newscrawl/parse_process/parsed_again"] >= 1


def test_a_crawl_through_the_parse_process_stores_what_one_without_it_does(replica,
                                                                             tmp_path: Path):
    columns = "article_id, headline, body, duplicate_of, field_sources, published_at, authors"
    stored = {}
    for name, setting in (("process", "NEWSCRAWL_PARSE_PROCESS_AFTER=0"),
                          ("here", "NEWSCRAWL_PARSE_PROCESS=False")):
        result = crawl(replica, tmp_path / name, "-s", setting, "-v")
        stored[name] = sorted(rows(tmp_path / name, f"SELECT {columns} FROM articles"))
        there = re.search(r"'newscrawl/parse_process/pages': (\d+)", result.stderr)
        assert (name == "process") == bool(there and int(there.group(1)) > 100), there
    assert len(stored["here"]) > 250 and stored["process"] == stored["here"]


def test_a_script_without_a_main_guard_crawls_once(replica, tmp_path: Path):
    """The second process is a fresh interpreter, not multiprocessing's spawn, which imports
    the program's main module again: a script calling run_crawl at its top level would crawl
    twice, once inside the parse process."""
    script = tmp_path / "crawl_once.py"
    script.write_text(
        "from newscrawl.runs.crawl import run_crawl\n"
        "print('crawl starts', flush=True)\n"
        f"result = run_crawl('scmp', {{'base_url': {replica.base_url!r}, "
        f"'data_dir': {str(tmp_path / 'data')!r}, 'max_articles': 120, 'pagination': 'api'}}, "
        "{'NEWSCRAWL_PARSE_PROCESS_AFTER': 0, 'NEWSCRAWL_PROGRESS_INTERVAL': 0})\n"
        "print('in the parse process:', result.stats.get('newscrawl/parse_process/pages'))\n",
        encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("crawl starts") == 1, done.stdout
    parsed_there = int(re.search(r"in the parse process: (\d+)", done.stdout).group(1))
    assert parsed_there >= 1, done.stdout  # (how many depends on how fast it started)


def test_the_ring_never_lends_a_span_still_in_use():
    import random

    from newscrawl.spiders.parsing import Ring

    rng = random.Random(4)
    ring = Ring(1000)
    live: list[tuple[tuple[int, int], bytes]] = []
    refused = 0
    try:
        for step in range(5000):
            if live and (rng.random() < 0.45 or len(live) > 8):
                span, data = live.pop(0)  # the process answers in order
                assert ring.map[span[0]:span[1]] == data  # untouched while in use
                ring.free_oldest()
                continue
            data = bytes([step % 251]) * rng.randint(1, 400)
            span = ring.put(data)
            if span is None:
                refused += 1
                continue
            for other, _ in live:
                assert span[1] <= other[0] or other[1] <= span[0], (span, other)
            live.append((span, data))
        assert ring.put(b"x" * 1001) is None and refused > 0
    finally:
        ring.close()
