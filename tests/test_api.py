"""Reading the archive from Python and the versions of a story (issue 15): ``from newscrawl
import Archive``, ``newscrawl history`` and ``newscrawl diff`` on a crawl that saw edits."""

from __future__ import annotations

import json
from datetime import date

import pytest

from newscrawl import Archive
from newscrawl.items import Article, ImageRef
from tests.utils.cli import crawl, rows, run_cli
from tests.utils.client import Client


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """An archive of a replica crawled, edited 12 hours on, and crawled again."""
    from newscrawl.replica import ReplicaConfig
    from newscrawl.replica.server import ReplicaServer

    data_dir = tmp_path_factory.mktemp("api")
    with ReplicaServer(ReplicaConfig(articles=120, seed=5, crawl_delay=0)) as replica:
        crawl(replica, data_dir)
        Client(replica.base_url).request("/__replica__/clock/advance?minutes=720", method="POST")
        crawl(replica, data_dir)
    twice = [r[0] for r in rows(data_dir, "SELECT article_id FROM articles WHERE "
                                          "revision_count = 2 ORDER BY article_id")]
    assert twice, "the replica edited nothing"
    return data_dir, twice[0]


def test_archive_reads_typed_records(edited):
    data_dir, story = edited
    with Archive.open(data_dir / "scmp" / "archive.sqlite") as archive:
        stories = list(archive.articles())
        assert len(stories) == rows(data_dir, "SELECT count(*) FROM articles")[0][0]
        assert all(isinstance(s, Article) for s in stories)
        assert any(s.images and isinstance(s.images[0], ImageRef) for s in stories)
        days = sorted({s.published_at[:10] for s in stories})
        middle = days[len(days) // 2]
        later = list(archive.articles(since=date.fromisoformat(middle)))
        assert 0 < len(later) == sum(s.published_at >= middle for s in stories)
        china = list(archive.articles(section="news/china"))
        assert china and all(s.section[:2] == ["News", "China"] for s in china)
        assert list(archive.articles(outlet="nobody")) == []
        latest = archive.article(story)
        versions = archive.revisions(story)
        assert [v.revision for v in versions] == [1, 2]
        assert latest == versions[-1].article and versions[0].article.body != latest.body
        hits = archive.search(f'"{latest.headline}"')
        assert hits and hits[0].article_id == story


def test_history_and_diff_say_what_changed(edited):
    data_dir, story = edited
    history = run_cli("history", story, "--data-dir", str(data_dir))
    assert history.returncode == 0, history.stderr
    assert f"story {story}: 2 version(s)" in history.stdout
    assert "rev 2" in history.stdout and "body" in history.stdout.splitlines()[-1]
    lines = [json.loads(x) for x in run_cli("history", story, "--json", "--data-dir",
                                            str(data_dir)).stdout.splitlines()]
    assert [x["revision"] for x in lines] == [1, 2] and "body" in lines[1]["changed"]

    shown = run_cli("diff", story, "--data-dir", str(data_dir))
    assert shown.returncode == 0, shown.stderr
    assert "revision 1 -> 2" in shown.stdout
    assert "--- revision 1" in shown.stdout and "+++ revision 2" in shown.stdout
    change = json.loads(run_cli("diff", story, "1", "2", "--json", "--data-dir",
                                str(data_dir)).stdout)
    assert change["from"] == 1 and change["to"] == 2 and "body" in change["changed"]
    added = [x[1:] for x in change["body_diff"] if x.startswith("+") and not x.startswith("+++")]
    with Archive.open(data_dir / "scmp" / "archive.sqlite") as archive:
        assert all(p in archive.article(story).body for p in added)

    bad = run_cli("diff", story, "1", "9", "--data-dir", str(data_dir))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "no revision 9" in bad.stderr
    none = run_cli("history", "404404", "--data-dir", str(data_dir))
    assert none.returncode == 1 and "no story 404404" in none.stderr
