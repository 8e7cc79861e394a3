"""newscrawl.extraction.scripts: the text-search helpers behind the Apollo seek."""

from __future__ import annotations

import json

import pytest

from newscrawl.extraction import scripts

STATE = {"userService": {"ROOT_QUERY": {"me": None}},
         "contentService": {"ROOT_QUERY": {'content({"id":"1"})': {"type": "id",
                                                                    "id": "Article:1"}},
                            "Article:1": {"headline": "H", "tags": ["a", "b"]}}}
PAGE = ("<html><head><script>if (window.__APOLLO_STATE__ == null) {}</script></head><body>"
        "<script>var s = '__APOLLO_STATE__'; window.__APOLLO_STATE__ =\n "
        + json.dumps(STATE) + ";</script><p>after</p></body></html>")


def test_assigned_start_skips_comparisons_and_mentions() -> None:
    start = scripts.assigned_start(PAGE, "__APOLLO_STATE__")
    assert PAGE[start] == "{" and PAGE[start:].startswith('{"userService"')
    assert scripts.decode_at(PAGE, start) == STATE
    assert scripts.assigned_start(PAGE, "__NOTHING__") == -1
    text = "x.__S__ = 5; y.__S__ = [1, 2]"  # a number is no JSON state: the list is
    assert scripts.assigned_start(text, "__S__") == text.index("[")
    broken = "<script>window.__S__ = {broken</script>"
    assert scripts.decode_at(broken, scripts.assigned_start(broken, "__S__")) is scripts.MISSING


def test_decode_at_decodes_one_value_only() -> None:
    text = '{"a": 1}  [2, 3] {bad'
    assert scripts.decode_at(text, 0) == {"a": 1}
    assert scripts.decode_at(text, 8) == [2, 3]  # whitespace skipped
    assert scripts.decode_at(text, 17) is scripts.MISSING


def test_script_end() -> None:
    start = scripts.assigned_start(PAGE, "__APOLLO_STATE__")
    end = scripts.script_end(PAGE, start)
    assert PAGE[end:].startswith("</script><p>after")
    assert scripts.script_end("<script>x = 1</SCRIPT >", 8) == 13
    assert scripts.script_end("<script>x = 1", 8) == -1


def test_find_key_spells_keys_as_json_does() -> None:
    text = json.dumps(STATE)
    key = 'content({"id":"1"})'
    at = scripts.find_key(text, key, 0, len(text))
    assert at > 0 and scripts.decode_at(text, at) == {"type": "id", "id": "Article:1"}
    # A value equal to the key is not the key; a key spelt with escapes is not found.
    assert scripts.decode_at(text, scripts.find_key(text, "Article:1", 0, len(text)))[
        "headline"] == "H"
    escaped = text.replace('"Article:1":', '"Article\\u003a1":')
    assert json.loads(escaped) == STATE
    assert scripts.find_key(escaped, "Article:1", 0, len(escaped)) == -1
    assert scripts.seek_json(escaped, ("Article:1",)) is scripts.MISSING


@pytest.mark.parametrize("text, key, opens", [
    ('{"ROOT_QUERY": {}, "x": 1}', "ROOT_QUERY", 0),
    ('{"a": {\n  "ROOT_QUERY" : {}}}', "ROOT_QUERY", 6),
    ('{"a": {"b": 1, "ROOT_QUERY": {}}}', "ROOT_QUERY", -1),
    ('{"a": ["ROOT_QUERY", {"ROOT_QUERY": 1}]}', "ROOT_QUERY", 21),
])
def test_object_opened_by(text: str, key: str, opens: int) -> None:
    at = scripts.find_key(text, key, 0, len(text))
    assert at > 0
    assert scripts.object_opened_by(text, key, at) == opens
    if opens > 0:  # the object must start at or after ``start``
        assert scripts.object_opened_by(text, key, at, opens + 1) == -1
