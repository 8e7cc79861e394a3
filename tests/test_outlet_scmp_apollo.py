"""The SCMP parser's Apollo seek: only the article's entries of ``__APOLLO_STATE__`` decoded.

``ScmpApollo.seek`` reads the node and the entries its refs reach out of the state's text; when
it cannot vouch for its answer it returns None and the parser decodes the whole state
(``ScmpApollo.find``). Either way the record must be the one a full decode gives: each test
compares with a parse whose seek is switched off, on replica pages and on pages changed so that
the seek must give up (an entry before ``ROOT_QUERY``, a dangling ref, a key spelt with an
escape, an entry only found after the script, a ref whose typename disagrees, a broken state).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest

from newscrawl.extraction import scripts
from newscrawl.extraction.errors import PageRejected
from newscrawl.outlets.scmp.page import ScmpApollo, ScmpPage
from newscrawl.outlets.scmp.parser import ScmpParserV1
from newscrawl.replica import ReplicaConfig, World
from newscrawl.replica.pages.article import render_article_page

BASE = "http://127.0.0.1:8000"
FETCHED_AT = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
STATE = re.compile(r"(window\.__APOLLO_STATE__ = )(\{.*?\})(;</script>)", re.S)


@pytest.fixture(scope="module")
def world() -> World:
    return World(ReplicaConfig(articles=300, seed=1))


@pytest.fixture(scope="module")
def apollo_pages(world: World) -> list[tuple[str, str]]:
    """(url, html) of every Apollo-generation article and opinion page of the world."""
    pages = []
    for index in range(world.count):
        spec = world.spec(index)
        if spec.generation == "apollo" and spec.is_article:
            content = world.content_at(index)
            pages.append((BASE + spec.path, render_article_page(world, content, base=BASE)))
    assert len(pages) >= 20, len(pages)
    return pages


def _record(url: str, html: str) -> dict[str, Any] | tuple[str, str]:
    try:
        return asdict(ScmpParserV1().parse(url, html, FETCHED_AT))
    except PageRejected as exc:
        return type(exc).__name__, exc.reason


def _full_decode_record(url: str, html: str,
                        monkeypatch: pytest.MonkeyPatch) -> dict[str, Any] | tuple[str, str]:
    """The record with the seek switched off: the whole state decoded, as before it."""
    with monkeypatch.context() as patch:
        patch.setattr(ScmpApollo, "seek", classmethod(lambda cls, text, start: None))
        return _record(url, html)


def _apollo(url: str, html: str) -> ScmpApollo | None:
    return ScmpPage(url, html).apollo


def _seek(html: str) -> ScmpApollo | None:
    start = scripts.assigned_start(html, "__APOLLO_STATE__")
    assert start >= 0
    return ScmpApollo.seek(html, start)


def _with_state(html: str, change) -> str:
    """The page with its state decoded, changed by ``change(state)`` and written back."""
    match = STATE.search(html)
    assert match, "no Apollo state in the page"
    state = json.loads(match.group(2))
    state = change(state) or state
    text = json.dumps(state, separators=(",", ":"), ensure_ascii=False)
    return html[: match.start(2)] + text + html[match.end(2):]


def _content_cache(state: dict[str, Any]) -> dict[str, Any]:
    return state["contentService"]


def _article_key(state: dict[str, Any]) -> str:
    root = _content_cache(state)["ROOT_QUERY"]
    return next(v["id"] for k, v in root.items() if k.startswith("content("))


# -- the seek path -----------------------------------------------------------------------------


def test_replica_apollo_pages_are_read_by_the_seek(apollo_pages, monkeypatch) -> None:
    for url, html in apollo_pages:
        apollo = _apollo(url, html)
        assert apollo is not None, url
        # Only the article's entries were decoded: no ROOT_QUERY, no trending list.
        assert "ROOT_QUERY" not in apollo.state, url
        assert not any(key.startswith("$ROOT_QUERY") for key in apollo.state), url
        assert apollo.node.get("entityId") == re.search(r"/article/(\d+)", url).group(1)
        record = _record(url, html)
        assert isinstance(record, dict) and record["field_sources"]["body"] == "apollo", url
        assert record == _full_decode_record(url, html, monkeypatch), url


def test_seek_reaches_nested_refs(apollo_pages) -> None:
    """Sections are a ref to a segment whose ``value`` lists refs to the sections."""
    url, html = apollo_pages[0]
    apollo = _apollo(url, html)
    assert any(key.startswith("Section:") for key in apollo.state)
    assert any(".sections." in key for key in apollo.state)
    sections = apollo.get("sections")
    names = [level["name"] for level in sections[0]["value"]]
    assert names and all(isinstance(name, str) and name for name in names)


def test_seek_reads_a_single_cache_state(apollo_pages, monkeypatch) -> None:
    """A state that is itself the cache (``ROOT_QUERY`` at the top) is sought too."""
    url, html = apollo_pages[1]
    changed = _with_state(html, _content_cache)
    apollo = _apollo(url, changed)
    assert apollo is not None and "ROOT_QUERY" not in apollo.state
    assert _record(url, changed) == _record(url, html)
    assert _record(url, changed) == _full_decode_record(url, changed, monkeypatch)


def test_seek_follows_apollo3_refs(apollo_pages, monkeypatch) -> None:
    """``{"__ref": key}`` refs (Apollo 3) are followed like ``{"type": "id", "id": key}``."""
    url, html = apollo_pages[2]

    def to_apollo3(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("type") == "id" and isinstance(value.get("id"), str):
                return {"__ref": value["id"]}
            return {k: to_apollo3(v) for k, v in value.items()}
        if isinstance(value, list):
            return [to_apollo3(v) for v in value]
        return value

    changed = _with_state(html, to_apollo3)
    assert '"__ref"' in changed
    apollo = _apollo(url, changed)
    assert apollo is not None and "ROOT_QUERY" not in apollo.state
    assert _record(url, changed) == _record(url, html)


# -- where the seek gives up, the full decode decides --------------------------------------------


def test_fallback_when_root_query_is_not_the_first_key(apollo_pages, monkeypatch) -> None:
    url, html = apollo_pages[3]

    def node_first(state: dict[str, Any]) -> None:
        cache = _content_cache(state)
        key = _article_key(state)
        state["contentService"] = {key: cache[key], **cache}

    changed = _with_state(html, node_first)
    assert _seek(changed) is None
    apollo = _apollo(url, changed)
    assert apollo is not None and "ROOT_QUERY" in apollo.state  # the whole cache
    assert _record(url, changed) == _record(url, html)


def test_entries_of_another_cache_are_never_used(apollo_pages, monkeypatch) -> None:
    """An entry of the same key in the user cache (before the content cache) is not the
    article's, whether the seek bounds its search (``ROOT_QUERY`` first) or gives up."""
    url, html = apollo_pages[3]
    author_keys: list[str] = []

    def decoy_in_user_cache(state: dict[str, Any], node_first: bool = False) -> None:
        cache = _content_cache(state)
        author_keys.append(next(k for k in cache if k.startswith("Author:")))
        state["userService"][author_keys[-1]] = {"__typename": "Author", "name": "Decoy Author"}
        if node_first:
            key = _article_key(state)
            state["contentService"] = {key: cache[key], **cache}

    changed = _with_state(html, decoy_in_user_cache)
    assert changed.index("Decoy Author") < changed.index('"contentService"')
    sought = _seek(changed)
    assert sought is not None and sought.state[author_keys[0]]["name"] != "Decoy Author"
    assert "Decoy Author" not in _record(url, changed)["authors"]
    assert _record(url, changed) == _record(url, html)

    changed = _with_state(html, lambda state: decoy_in_user_cache(state, node_first=True))
    assert _seek(changed) is None
    assert "Decoy Author" not in _record(url, changed)["authors"]
    assert _record(url, changed) == _record(url, html)


def test_fallback_on_a_dangling_ref(apollo_pages, monkeypatch) -> None:
    url, html = apollo_pages[4]
    dropped: list[str] = []

    def drop_a_topic(state: dict[str, Any]) -> None:
        cache = _content_cache(state)
        key = next(k for k in cache if k.startswith("Topic:"))
        dropped.append(cache.pop(key)["name"])

    changed = _with_state(html, drop_a_topic)
    assert _seek(changed) is None
    assert "ROOT_QUERY" in _apollo(url, changed).state
    record = _record(url, changed)
    assert record == _full_decode_record(url, changed, monkeypatch)
    assert record["headline"] == _record(url, html)["headline"]
    assert dropped[0] not in record["topics"]


def test_fallback_on_a_key_spelt_with_an_escape(apollo_pages, monkeypatch) -> None:
    """``"Author\\u003a1"`` is the key ``Author:1`` to a decoder, not to a text search."""
    url, html = apollo_pages[5]
    key = next(k for k in json.loads(STATE.search(html).group(2))["contentService"]
               if k.startswith("Author:"))
    spelt = json.dumps(key).replace(":", "\\u003a")
    changed = html.replace(f'"{key}":', spelt + ":", 1)
    assert changed != html
    assert _seek(changed) is None
    record = _record(url, changed)
    assert record == _record(url, html)  # the author is still resolved, by the full decode
    assert record["authors"]


def test_fallback_when_an_entry_is_only_found_after_the_script(apollo_pages,
                                                               monkeypatch) -> None:
    """A key met in a later script is no entry of the state: it must not be used."""
    url, html = apollo_pages[6]
    moved: list[str] = []

    def drop_a_topic(state: dict[str, Any]) -> None:
        cache = _content_cache(state)
        moved.append(next(k for k in cache if k.startswith("Topic:")))
        cache.pop(moved[0])

    changed = _with_state(html, drop_a_topic)
    decoy = (f'<script>var other = {{"{moved[0]}":{{"__typename":"Topic","name":"Decoy topic",'
             f'"urlAlias":"/topics/decoy"}}}};</script>')
    at = changed.index("</body>")
    changed = changed[:at] + decoy + changed[at:]
    assert _seek(changed) is None
    record = _record(url, changed)
    assert "Decoy topic" not in record["topics"]
    assert record == _full_decode_record(url, changed, monkeypatch)


def test_fallback_when_a_ref_typename_disagrees(apollo_pages, monkeypatch) -> None:
    url, html = apollo_pages[7]

    def retype_authors(state: dict[str, Any]) -> None:
        node = _content_cache(state)[_article_key(state)]
        for ref in node["authors"]:
            ref["typename"] = "Topic"

    changed = _with_state(html, retype_authors)
    assert _seek(changed) is None
    # The full decode does not check typenames: the authors are still read.
    assert _record(url, changed) == _record(url, html)


def test_broken_state_is_no_source_either_way(world: World, monkeypatch) -> None:
    index = next(i for i in range(world.count)
                 if world.spec(i).generation == "apollo" and world.spec(i).is_article)
    content = world.content_at(index)
    url = BASE + content.spec.path
    html = render_article_page(world, content, base=BASE, malformed_nextdata=True)
    assert _seek(html) is None
    assert _apollo(url, html) is None
    record = _record(url, html)
    assert record == _full_decode_record(url, html, monkeypatch)
    if isinstance(record, dict):
        assert "apollo" not in record["field_sources"].values()


def test_odd_values_in_the_sought_entries_match_the_full_decode(apollo_pages,
                                                                monkeypatch) -> None:
    """Refs of odd shapes in the node (a ref to nothing, a ``__ref`` that is no string, a
    ref to another kind of node) give the record of a full decode, seek or no seek."""
    odd_refs = ({"type": "id", "id": "nope"}, {"__ref": 5}, {"__ref": "PaywallConfig:web"},
                {"type": "id", "id": "PaywallType:491", "typename": "PaywallType"}, None, [])
    checked = 0
    for (url, html), odd in zip(apollo_pages[8:], odd_refs * 3, strict=False):
        for field in ("authors", "topics", "paywallTypes"):
            def change(state: dict[str, Any], field: str = field, odd: Any = odd) -> None:
                node = _content_cache(state)[_article_key(state)]
                node[field] = [odd, *node.get(field, [])]

            changed = _with_state(html, change)
            assert _record(url, changed) == _full_decode_record(url, changed, monkeypatch)
            checked += 1
    assert checked >= 18
