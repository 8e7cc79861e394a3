"""The extraction cascade (STYLE.md example 4): each field from the richest source that has it.

A page says things in several places, its *sources* (a script's JSON, JSON-LD, the DOM, head
metadata, the URL). Each ``Source`` subclass declares what it can read with ``@field``::

    class JsonLdSource(Source):
        @field("headline")
        def headline(self) -> str | None: ...

The decorator checks the name against ``newscrawl.items.Article``'s fields, so a misspelt
field fails (``ValueError``) when the module is imported, and ``Source.__init_subclass__``
builds each class's map of readers (its own and its bases') once, at class creation: reading
a field is a dict lookup and a call, and a source caches each value it gave.

A ``Cascade`` is an outlet's order, built once when its parser module is imported and checked
then: for each field, its sources richest first (``first``: the first non-empty value wins) or
all the sources that have an opinion on a flag (``votes``: any source saying ``wins`` decides).
``Cascade.read`` starts the reading of one page, a ``Reading``.

**Error policy.** A reader that raises inside an *optional* field costs that source that field
only: the exception is logged (a warning, the traceback at debug level), the cascade goes on
to the next source, and the record keeps every other field. ``Reading.field_sources`` says so:

* ``field_sources["<field>:failed"]`` names the source(s) whose reader raised (comma-separated,
  in cascade order), e.g. ``{"images:failed": "next_data"}``;
* ``field_sources["<field>"]`` names the source of the value as usual, or is ``"failed"`` when
  no source gave one after a failure, e.g. ``{"images": "dom"}`` or ``{"images": "failed"}``.

A reader that raises inside a *required* field (``Cascade.required``), and any ``PageRejected``
or ``UnparsableDocument`` (the page's fault, not one field's), propagates as before: the
parser turns it into a rejection.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from newscrawl.extraction.errors import ExtractionFailed, PageRejected
from newscrawl.extraction.html import UnparsableDocument
from newscrawl.items import Article

log = logging.getLogger(__name__)

#: The fields a reader may name: those of the record it fills.
ARTICLE_FIELDS = frozenset(f.name for f in dataclasses.fields(Article))
#: ``field_sources`` value of a field that no source gave after one failed.
FAILED = "failed"
#: Suffix of the ``field_sources`` key that lists the sources whose reader raised.
FAILED_SUFFIX = ":failed"
#: ``field_sources[SOURCE_FAILED]`` names a source that was on the page but unreadable (a
#: broken ``__NEXT_DATA__``): the record came from fallbacks, and the archive asks again.
SOURCE_FAILED = "source" + FAILED_SUFFIX
#: Never a field's own failure: the whole page is rejected.
PAGE_ERRORS: tuple[type[BaseException], ...] = (PageRejected, UnparsableDocument)

Reader = TypeVar("Reader", bound=Callable[..., Any])
_MARK = "_reads_field"  # the attribute ``@field`` sets on a reader
_EMPTY: tuple[Any, ...] = (None, "", [], {})  # what no source "has"


@contextmanager
def rejections() -> Iterator[None]:
    """Turn what reading a page may raise into the page's rejection: an unparsable document
    (``malformed_page``), and data of a shape the parser never met in a field a record cannot
    go without (``parser_error``: a record is lost, not the crawl; the reason says it is the
    parser's blind spot, not the page's fault)."""
    try:
        yield
    except UnparsableDocument as exc:
        raise ExtractionFailed(f"unparsable page: {exc}", reason="malformed_page") from exc
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise ExtractionFailed(f"unexpected page data: {type(exc).__name__}: {exc}",
                               reason="parser_error") from exc


def field(name: str) -> Callable[[Reader], Reader]:
    """Mark a ``Source`` method as the reader of the Article field ``name``; a name that is
    no field of ``Article`` raises ``ValueError`` at once (when the class body runs)."""
    if name not in ARTICLE_FIELDS:
        raise ValueError(f"@field({name!r}): Article has no field {name!r}")

    def mark(reader: Reader) -> Reader:
        reader.__dict__[_MARK] = name
        return reader

    return mark


class Source:
    """One source of a page's fields; subclasses declare readers with ``@field``.

    ``readers`` (field name -> function) is built once per class from the readers declared
    along its MRO, the most derived first, each resolved by attribute name: a subclass that
    overrides a reader's method (decorated or not) overrides the reader. ``value`` calls a
    reader once per instance and caches what it returned.
    """

    readers: ClassVar[Mapping[str, Callable[[Any], Any]]] = MappingProxyType({})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        attributes: dict[str, str] = {}  # field -> name of the method that reads it
        for klass in reversed(cls.__mro__):
            own: dict[str, str] = {}
            for attribute, value in vars(klass).items():
                name = getattr(value, _MARK, None)
                if not isinstance(name, str):
                    continue
                if name in own:
                    raise TypeError(f"{klass.__qualname__}: {own[name]} and {attribute} both "
                                    f"read the field {name!r}")
                own[name] = attribute
            attributes.update(own)
        cls.readers = MappingProxyType({name: getattr(cls, attribute)
                                        for name, attribute in attributes.items()})

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def value(self, name: str) -> Any:
        """The field ``name`` as this source gives it (None when it has no reader for it)."""
        try:
            return self._values[name]
        except KeyError:
            reader = self.readers.get(name)
            value = self._values[name] = reader(self) if reader is not None else None
            return value

    def knows_empty(self, name: str) -> bool:
        """True when this source carries the field and says it is empty: the cascade then
        stops there instead of asking poorer sources (an article without bullets)."""
        return False


@dataclass(frozen=True)
class Cascade:
    """Which sources give which field, richest first, and which fields a record needs."""

    sources: Mapping[str, type[Source]]  # name -> class ("next_data" -> NextDataSource)
    first: Mapping[str, tuple[str, ...]]  # field -> its sources; the first value wins
    votes: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    required: frozenset[str] = frozenset()  # fields whose failure fails the page

    def __post_init__(self) -> None:
        for name, order in (*self.first.items(), *self.votes.items()):
            if name not in ARTICLE_FIELDS:
                raise ValueError(f"cascade: Article has no field {name!r}")
            for source in order:
                if source not in self.sources:
                    raise ValueError(f"cascade: {name!r} names an unknown source {source!r}")
                if name not in self.sources[source].readers:
                    raise ValueError(f"cascade: source {source!r} "
                                    f"({self.sources[source].__qualname__}) has no reader "
                                    f"for {name!r}")
        both = set(self.first) & set(self.votes)
        if both:
            raise ValueError(f"cascade: {sorted(both)[0]!r} is both picked and voted on")
        unknown = self.required - set(self.first)
        if unknown:
            raise ValueError(f"cascade: required field {sorted(unknown)[0]!r} has no sources")

    def read(self, url: str, sources: Mapping[str, Source | None]) -> Reading:
        """The reading of one page; ``sources`` holds an instance (or None when the page lacks
        that source) under each name of ``self.sources``."""
        return Reading(self, url, sources)


class Reading:
    """The fields of one page, asked for one at a time, and where each came from."""

    def __init__(self, cascade: Cascade, url: str,
                 sources: Mapping[str, Source | None]) -> None:
        self.cascade = cascade
        self.url = url
        self.sources = sources
        self.field_sources: dict[str, str] = {}

    def pick(self, name: str) -> Any:
        """The first non-empty value of ``name`` in its sources' order (None if none has one,
        or when a richer source says the field is empty)."""
        failed: list[str] = []
        value = None
        for source_name, source, found in self._said(name, self.cascade.first[name], failed,
                                                  required=name in self.cascade.required):
            if found not in _EMPTY:
                self.field_sources[name] = source_name
                value = found
                break
            if source.knows_empty(name):
                break  # the richest source has the field, and it is empty
        if failed:
            self._record_failures(name, failed, found_value=value is not None)
        return value

    def fill(self, record: Any, *names: str) -> None:
        """Set each of ``names`` on ``record`` to its ``pick``; a field no source has keeps
        the record's default (None, or an empty list)."""
        for name in names:
            value = self.pick(name)
            if value is not None:
                setattr(record, name, value)

    def vote(self, name: str, wins: Any = True) -> tuple[Any, str | None]:
        """(value, source): ``wins`` if any source says so, else the first value said, else
        None."""
        failed: list[str] = []
        said: tuple[Any, str | None] = (None, None)
        for source_name, _, value in self._said(name, self.cascade.votes[name], failed):
            if value == wins:
                said = (value, source_name)
                break
            if value is not None and said[1] is None:
                said = (value, source_name)
        if said[1] is not None:
            self.field_sources[name] = said[1]
        if failed:
            self._record_failures(name, failed, found_value=said[1] is not None)
        return said

    def same_source(self, name: str, as_field: str) -> None:
        """Credit ``name`` to the source ``as_field`` came from (``word_count`` from ``body``)."""
        source = self.field_sources.get(as_field)
        if source is not None:
            self.field_sources[name] = source

    def _said(self, name: str, order: Iterable[str], failed: list[str], *,
              required: bool = False) -> Iterator[tuple[str, Any, Any]]:
        """(source name, source, value) of ``name`` from each source of the page, in ``order``.

        A source that fails is logged and added to ``failed`` (raised when ``required``); a
        page-level error is always raised.
        """
        for source_name in order:
            source = self.sources[source_name]
            if source is None:
                continue
            try:
                value = source.value(name)
            except PAGE_ERRORS:
                raise
            except Exception as exc:
                if required:
                    raise
                self._log_failure(name, source_name, exc, failed)
                continue
            yield source_name, source, value

    def _log_failure(self, name: str, source_name: str, exc: Exception,
                     failed: list[str]) -> None:
        log.warning("%s: reading %s from %s failed, %s: %s; trying the next source",
                    self.url, name, source_name, type(exc).__name__, exc)
        log.debug("%s: the failure of %s from %s", self.url, name, source_name, exc_info=exc)
        failed.append(source_name)

    def _record_failures(self, name: str, failed: list[str], found_value: bool) -> None:
        self.field_sources[name + FAILED_SUFFIX] = ",".join(failed)
        if not found_value:
            self.field_sources[name] = FAILED
