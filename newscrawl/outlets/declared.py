"""Outlets declared as data, without code: the entries of an ``outlets.toml`` file.

Each ``[[outlet]]`` entry becomes a generic outlet (``newscrawl.outlets.site``) and, once
registered, a spider of its name (``scrapy crawl NAME``, ``newscrawl crawl NAME``)::

    [[outlet]]
    name = "harbour_gazette"                       # required: a-z, 0-9, _
    base_url = "https://news.example.com"          # required
    domains = ["news.example.com", "example.com"]  # default: the host and its www. twin
    sections = ["news", "sport"]                   # section paths, read as pages of links
    feeds = ["/feed.xml"]                          # RSS or Atom; the first is the main one
    sitemaps = ["/sitemap_news.xml", "/sitemap_index.xml"]  # "news" in the name: a news sitemap
    article_url = '/\\d{4}/\\d{2}/\\d{2}/'            # a regex searched in path and query
    tracking_params = ["ref", "src"]               # besides utm_* and the usual ones
    politeness = { crawl_delay = 5, concurrency = 2 }  # until robots.txt says otherwise

An entry that declares neither feeds nor sitemaps finds them at the start of each run (as
``--site`` does). A bad entry is one line naming the entry and the key
(``OutletsFileError``). The file is read with ``tomllib``; nothing here imports Scrapy.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newscrawl.outlets.site import POLITENESS, site_outlet
from newscrawl.outlets.spec import Outlet, Politeness

#: What an outlet name may be: a spider's name, a directory's, a Python identifier's.
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
KEYS = ("name", "base_url", "domains", "sections", "feeds", "sitemaps", "article_url",
        "tracking_params", "politeness")
POLITENESS_KEYS = ("crawl_delay", "concurrency")


class OutletsFileError(ValueError):
    """An outlets file that cannot be used; the message is one line for the user."""


def read_outlets(path: str | Path) -> list[Outlet]:
    """The outlets a file declares (not registered). ``OutletsFileError`` for a file that
    cannot be read, is no TOML, or has a bad entry (naming the entry and the key)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OutletsFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise OutletsFileError(f"{path}: not TOML ({exc})") from None
    unknown = [k for k in data if k != "outlet"]
    if unknown:
        raise OutletsFileError(f"{path}: unknown table {unknown[0]!r} (entries are [[outlet]])")
    entries = data.get("outlet", [])
    if not isinstance(entries, list):
        raise OutletsFileError(f"{path}: 'outlet' must be an array of tables ([[outlet]])")
    outlets: list[Outlet] = []
    for number, entry in enumerate(entries, 1):
        outlet = _outlet(entry, f"{path}: entry {number}")
        if any(o.name == outlet.name for o in outlets):
            raise OutletsFileError(f"{path}: entry {number} ({outlet.name}): key 'name': "
                                   "declared twice")
        outlets.append(outlet)
    return outlets


def _outlet(entry: Any, where: str) -> Outlet:
    if not isinstance(entry, dict):
        raise OutletsFileError(f"{where}: not a table")
    name = entry.get("name")
    if isinstance(name, str) and name:
        where = f"{where} ({name})"

    def bad(key: str, problem: str) -> OutletsFileError:
        return OutletsFileError(f"{where}: key {key!r}: {problem}")

    for key in entry:
        if key not in KEYS:
            raise bad(key, f"unknown key (known: {', '.join(KEYS)})")
    if not isinstance(name, str) or not NAME.match(name) or name == "generic":
        raise bad("name", "required: a name of a-z, 0-9 and _ that starts with a letter "
                  "(not 'generic')")
    base_url = entry.get("base_url")
    if not isinstance(base_url, str) or urlsplit(base_url).scheme not in ("http", "https") \
            or not urlsplit(base_url).hostname:
        raise bad("base_url", "required: an http(s) URL")
    lists = {key: _strings(entry, key, bad) for key in
             ("domains", "sections", "feeds", "sitemaps", "tracking_params")}
    for key in ("feeds", "sitemaps"):
        if any(not p.startswith("/") for p in lists[key]):
            raise bad(key, "paths on the site, each starting with /")
    article_url = _pattern(entry.get("article_url"), bad)
    outlet = site_outlet(base_url, name, domains=tuple(d.lower() for d in lists["domains"]),
                         sections=lists["sections"], feeds=lists["feeds"],
                         sitemaps=lists["sitemaps"], article_url=article_url,
                         tracking_params=lists["tracking_params"],
                         politeness=_politeness(entry.get("politeness"), bad))
    if lists["feeds"] or lists["sitemaps"]:
        outlet = _declared_only(outlet)
    return outlet


def _pattern(value: Any, bad: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad("article_url", "must be a regular expression (a string)")
    try:
        re.compile(value)
    except re.error as exc:
        raise bad("article_url", f"not a regular expression ({exc})") from None
    return value


def _declared_only(outlet: Outlet) -> Outlet:
    return dataclasses.replace(outlet, discovery=None)


def _strings(entry: dict[str, Any], key: str, bad: Any) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise bad(key, "must be a list of strings")
    return tuple(v.strip() for v in value)


def _politeness(value: Any, bad: Any) -> Politeness:
    if value is None:
        return POLITENESS
    if not isinstance(value, dict):
        raise bad("politeness", "must be a table: { crawl_delay = 5, concurrency = 2 }")
    for key in value:
        if key not in POLITENESS_KEYS:
            raise bad(f"politeness.{key}", f"unknown key (known: {', '.join(POLITENESS_KEYS)})")
    delay = value.get("crawl_delay", POLITENESS.crawl_delay)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not delay >= 0:
        raise bad("politeness.crawl_delay", "must be a number of seconds, 0 or more")
    concurrency = value.get("concurrency", POLITENESS.concurrency_per_domain)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise bad("politeness.concurrency", "must be a whole number, at least 1")
    return Politeness(crawl_delay=float(delay), concurrency_per_domain=concurrency,
                      autothrottle_target=POLITENESS.autothrottle_target)


_LOADED: set[str] = set()


def load_outlets(path: str | Path) -> list[Outlet]:
    """Read a file and register its outlets (once per file in a process: the option and the
    environment may name the same one). ``OutletsFileError`` also for an entry the registry
    refuses (a name or a domain taken)."""
    from newscrawl.outlets import load_modules, register

    load_modules()
    key = str(Path(path).resolve())
    outlets = read_outlets(path)
    if key in _LOADED:
        return outlets
    for number, outlet in enumerate(outlets, 1):
        try:
            register(outlet)
        except ValueError as exc:
            raise OutletsFileError(f"{path}: entry {number} ({outlet.name}): "
                                   f"key {_refused_key(str(exc))!r}: {exc}") from None
    _LOADED.add(key)
    return outlets


def _refused_key(message: str) -> str:
    return "domains" if message.startswith("domain") else "name"
