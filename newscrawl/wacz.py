"""WACZ packages: a crawl's WARC files, their index and its page list in one ZIP file that
ReplayWeb.page opens as it is and pywb adds to a collection (``wb-manager add --unpack-wacz``).
Format I/O only, no Scrapy; which pages a crawl has is ``newscrawl.commands.wacz``'s business.

A package follows WACZ 1.1.1 (https://specs.webrecorder.net/wacz/1.1.1/)::

    archive/<name>.warc.gz   the WARC files, byte for byte, stored (not deflated): a reader
                             fetches one record by its offset without unpacking the rest
    indexes/index.cdx.gz     the CDXJ index of every response, revision, resource and metadata
                             record, sorted by SURT key, as gzip blocks of 1024 lines (stored)
    indexes/index.idx        the first key of each block and where the block is (a ZipNum
                             index: a replayer reads this, then only the blocks it needs)
    pages/pages.jsonl        the pages a reader starts from, with their title and text
    datapackage.json         every file above with its size and SHA-256 (a Frictionless
                             data package)
    datapackage-digest.json  the SHA-256 of datapackage.json

The index lines are made by ``cdxj_indexer`` (Webrecorder's indexer, the one py-wacz and
ReplayWeb.page's tools use), so a key is what pywb and ReplayWeb.page look a URL up by. Each
WARC file is read whole first (``newscrawl.warc.check_warc``): a damaged file is refused
rather than packaged, since warcio reads past damage.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cdxj_indexer.main import CDXJIndexer, CompressedWriter
from warcio.timeutils import timestamp_to_iso_date

from newscrawl.warc import check_warc

WACZ_VERSION = "1.1.1"
BLOCK_LINES = 1024  # CDXJ lines per gzip block, as py-wacz and ArchiveWeb.page write them
HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHUNK = 1 << 20


class WaczError(ValueError):
    """What keeps a package from being written, in one line."""


@dataclass(frozen=True)
class Capture:
    """One indexed record: a URL as it was at one time."""

    url: str
    timestamp: str  # 14 digits, UTC (the record's WARC-Date)
    status: str  # the HTTP status, "" for a record without one
    mime: str

    @property
    def is_html_page(self) -> bool:
        return self.status == "200" and self.mime in HTML_TYPES

    @property
    def captured_at(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    """One line of pages.jsonl: a capture a reader opens, with what it says."""

    id: str
    url: str
    timestamp: str  # the capture's, so the page opens that capture
    title: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)  # more fields of the line

    def line(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "ts": timestamp_to_iso_date(self.timestamp),
                "title": self.title, "text": self.text, **self.extra}


@dataclass
class WarcIndex:
    """The sorted CDXJ index of some WARC files, compressed in blocks, and what it lists."""

    paths: list[Path]
    blocks: IO[bytes]  # indexes/index.cdx.gz
    idx: str  # indexes/index.idx
    captures: list[Capture]
    lines: int

    @classmethod
    def build(cls, paths: Sequence[str | os.PathLike[str]]) -> WarcIndex:
        """Check and index ``paths``; WaczError (one line) for none or two files of one name
        (a package keeps files by name), ``DamagedWarc`` for a damaged one."""
        files = [Path(p) for p in paths]
        if not files:
            raise WaczError("no WARC files to package")
        names = [p.name for p in files]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise WaczError(f"two WARC files are named {twice[0]} (a package keeps files by "
                            "name)")
        for path in files:
            check_warc(path)
        blocks = tempfile.TemporaryFile()
        sink = _IndexSink(blocks)
        CDXJIndexer(sink, [str(p) for p in files], post_append=True, sort=True,
                    fields="referrer", digest_records=True).process_all()
        if not sink.lines:
            raise WaczError("the WARC files hold no response or resource record to replay")
        blocks.seek(0)
        return cls(files, blocks, sink.idx.getvalue(), sink.captures, sink.lines)


class _IndexSink:
    """Where the indexer writes its sorted lines: compressed into blocks, and read for the
    captures they list."""

    def __init__(self, blocks: IO[bytes]) -> None:
        self.idx = io.StringIO()
        self.writer = CompressedWriter(self.idx, data_out=blocks, num_lines=BLOCK_LINES,
                                       data_out_name="index.cdx.gz", digest_records=True)
        self.captures: list[Capture] = []
        self.lines = 0

    def write(self, line: str) -> None:
        self.writer.write(line)
        self.lines += 1
        _key, timestamp, fields = line.split(" ", 2)
        entry = json.loads(fields)
        self.captures.append(Capture(entry.get("url", ""), timestamp,
                                     str(entry.get("status", "")), entry.get("mime", "")))

    def flush(self) -> None:
        if self.writer.block:  # the last, short block
            self.writer.flush()


@dataclass
class WaczReport:
    path: Path
    warc_files: int
    warc_bytes: int
    records: int  # index lines
    pages: int
    bytes: int


def write_wacz(out: str | os.PathLike[str], index: WarcIndex, pages: Iterable[Page], *,
               title: str, description: str, software: str) -> WaczReport:
    """Write the package to ``out`` (through a temporary file beside it, so ``out`` is whole
    or untouched); OSError when it cannot be written."""
    out = Path(out)
    temp = tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp",
                                       delete=False)
    try:
        with temp, zipfile.ZipFile(temp, "w") as package:
            count = _write_members(package, index, pages)
            datapackage = _datapackage(package, title=title, description=description,
                                       software=software)
            package.writestr("datapackage.json", datapackage, zipfile.ZIP_DEFLATED)
            package.writestr("datapackage-digest.json", json.dumps({
                "path": "datapackage.json",
                "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest()}, indent=2),
                zipfile.ZIP_DEFLATED)
        os.replace(temp.name, out)
    except BaseException:
        Path(temp.name).unlink(missing_ok=True)
        raise
    return WaczReport(out, len(index.paths), sum(p.stat().st_size for p in index.paths),
                      index.lines, count, out.stat().st_size)


def _write_members(package: zipfile.ZipFile, index: WarcIndex, pages: Iterable[Page]) -> int:
    for path in index.paths:
        package.write(path, f"archive/{path.name}", zipfile.ZIP_STORED)
    with package.open(zipfile.ZipInfo("indexes/index.cdx.gz", _now()), "w") as member:
        while chunk := index.blocks.read(_CHUNK):
            member.write(chunk)
    package.writestr("indexes/index.idx", index.idx, zipfile.ZIP_DEFLATED)
    count = 0
    info = zipfile.ZipInfo("pages/pages.jsonl", _now())
    info.compress_type = zipfile.ZIP_DEFLATED
    with package.open(info, "w") as member:
        header = {"format": "json-pages-1.0", "id": "pages", "title": "Pages", "hasText": True}
        member.write(json.dumps(header).encode() + b"\n")
        for page in pages:
            member.write(json.dumps(page.line(), ensure_ascii=False).encode() + b"\n")
            count += 1
    return count


def _datapackage(package: zipfile.ZipFile, *, title: str, description: str,
                 software: str) -> bytes:
    resources = []
    for info in package.infolist():
        digest = hashlib.sha256()
        with package.open(info) as member:
            while chunk := member.read(_CHUNK):
                digest.update(chunk)
        resources.append({"name": Path(info.filename).name.lower(), "path": info.filename,
                          "hash": f"sha256:{digest.hexdigest()}", "bytes": info.file_size})
    return json.dumps({
        "profile": "data-package", "resources": resources, "title": title,
        "description": description, "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wacz_version": WACZ_VERSION, "software": software,
    }, indent=2).encode()


def _now() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


__all__ = ["WACZ_VERSION", "Capture", "Page", "WarcIndex", "WaczError", "WaczReport",
           "write_wacz"]
