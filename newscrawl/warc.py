"""WARC files: written as a crawl fetches (``RotatingWarcWriter``), read back for reparsing
(``iter_warc_responses``). Format I/O only; the downloader middleware that feeds the writer is
``newscrawl.downloadermiddlewares.warc``.

Files are gzipped WARC 1.0, named ``<outlet>-<UTC timestamp>-<serial>.warc.gz``, with a request
and a response record per fetch. A killed crawl leaves readable files: each record pair is one
gzip member written with one unbuffered write, so a file ends at its last complete record or,
at worst, in a torn last member that ``iter_warc_responses`` reports and skips.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import logging
import os
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import (
    StatusAndHeaders,
    StatusAndHeadersParser,
    StatusAndHeadersParserException,
)
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from newscrawl.messages import one_line

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1_000_000_000  # 1 GB, the customary size of a WARC file
SOFTWARE = "newscrawl/0.1"


class WarcResponse(NamedTuple):
    """One response read back from a WARC file."""

    url: str
    status: int
    headers: list[tuple[str, str]]  # as stored, less Content-Encoding when the body was decoded
    body: bytes  # decoded of its Content-Encoding: what a parser wants
    fetched_at: datetime  # WARC-Date, aware, UTC


# -- writing ----------------------------------------------------------------------------------
class RotatingWarcWriter:
    """Append gzipped WARC records to ``<directory>/<prefix>-<timestamp>-<serial>.warc.gz``,
    starting a new file when the next records would take the current one past ``max_bytes``
    (a file holds at least one record pair, however large)."""

    def __init__(self, directory: str | os.PathLike[str], prefix: str,
                 max_bytes: int = DEFAULT_MAX_BYTES, *, software: str = SOFTWARE) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {max_bytes}")
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.software = software
        self.paths: list[Path] = []  # every file opened, oldest first
        self.records = 0
        self.bytes_written = 0
        self._file: io.FileIO | None = None
        self._size = 0
        self._records_in_file = 0
        self._serial = 0
        self._builder = WARCWriter(None, gzip=True)  # makes records; never writes itself

    @property
    def path(self) -> Path | None:
        """The file being written, or None when none is open."""
        return self.paths[-1] if self._file else None

    def write_exchange(self, *, url: str, fetched_at: datetime, method: str,
                       request_headers: list[tuple[str, str]], request_body: bytes,
                       protocol: str, status: int, response_headers: list[tuple[str, str]],
                       body: bytes, extra: dict[str, str] | None = None) -> None:
        """Write a response record and the request record that asked for it."""
        date = datetime_to_iso_date(fetched_at.astimezone(UTC).replace(tzinfo=None))
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if not any(name.lower() == "host" for name, _ in request_headers):
            request_headers = [("Host", parts.netloc), *request_headers]
        warc_headers = {"WARC-Date": date, **(extra or {})}
        response = self._builder.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body),
            warc_headers_dict=warc_headers,
            http_headers=StatusAndHeaders(_status_line(status), response_headers,
                                          protocol=protocol))
        request = self._builder.create_warc_record(
            url, "request", payload=io.BytesIO(request_body), length=len(request_body),
            warc_headers_dict={"WARC-Date": date},
            http_headers=StatusAndHeaders(f"{method} {target} {protocol}", request_headers,
                                          is_http_request=True))
        buffer = io.BytesIO()
        WARCWriter(buffer, gzip=True).write_request_response_pair(request, response)
        self._append(buffer.getvalue(), records=2)

    def _append(self, data: bytes, records: int) -> None:
        if self._file is not None and self._records_in_file and \
                self._size + len(data) > self.max_bytes:
            self.close()
        if self._file is None:
            self._open()
        assert self._file is not None
        _write_fully(self._file, data)
        self._size += len(data)
        self.bytes_written += len(data)
        self._records_in_file += records
        self.records += records

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            path = self.directory / f"{self.prefix}-{stamp}-{self._serial:05d}.warc.gz"
            self._serial += 1
            try:
                # "x": never overwrite a file another run or a clock step left there.
                self._file = open(path, "xb", buffering=0)  # closed in close()
                break
            except FileExistsError:
                continue
        self.paths.append(path)
        self._size = self._records_in_file = 0
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {
            "software": self.software, "format": "WARC File Format 1.0",
            "isPartOf": self.prefix,
            "description": "response bodies as received (compressed as the server sent them)",
        }))
        data = buffer.getvalue()
        _write_fully(self._file, data)
        self._size += len(data)
        self.bytes_written += len(data)

    def close(self) -> None:
        """Flush the current file to disk and close it; writing again opens a new file."""
        if self._file is None:
            return
        try:
            os.fsync(self._file.fileno())
        finally:
            self._file.close()
            self._file = None


def _write_fully(file: io.FileIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = file.write(view)
        view = view[written or 0:]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


# -- reading ----------------------------------------------------------------------------------
WARC_SUFFIXES = (".warc.gz", ".warc")


def warc_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The WARC files named by ``paths``, in order; a directory gives its WARC files by name.

    Files written by a crawl are named ``<outlet>-<UTC timestamp>-<serial>.warc.gz``, so name
    order is the order they were written in. ``FileNotFoundError`` for a path that is neither.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir()
                                if p.is_file() and p.name.endswith(WARC_SUFFIXES)))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no WARC file or directory at {path}")
    return found


class DamagedWarc(ValueError):
    """A WARC file that is not whole; the message is one line naming the file and the place."""


def check_warc(path: str | os.PathLike[str]) -> int:
    """The number of records of ``path``, every one read to its end and its block digest
    checked; ``DamagedWarc`` when the file is no WARC, holds no record, or is not whole (a
    torn tail, a flipped byte, bytes after the last record). ``OSError`` when it cannot be
    read.

    Stricter than ``iter_warc_responses``, which reads past damage: a file to be handed on
    whole (``newscrawl wacz``) must be checked whole. warcio writes what it cannot
    decompress to stderr and reads on; that is caught and reported here instead.
    """
    path = Path(path)
    size = path.stat().st_size
    records, end = 0, 0
    complaints = io.StringIO()
    with open(path, "rb") as stream, contextlib.redirect_stderr(complaints):
        iterator = ArchiveIterator(stream, no_record_parse=True)
        try:
            for record in iterator:
                block = record.raw_stream.read()
                if record.length is not None and len(block) != int(record.length):
                    raise DamagedWarc(f"record {records + 1} is cut short "
                                      f"({len(block)} of {record.length} bytes)")
                if not _digest_matches(record.rec_headers.get_header("WARC-Block-Digest"), block):
                    raise DamagedWarc(f"record {records + 1} does not match its block digest")
                end = iterator.get_record_offset() + iterator.get_record_length()
                decompressor = iterator.reader.decompressor
                if decompressor is not None and not decompressor.eof:  # no gzip trailer
                    raise DamagedWarc(f"record {records + 1} ends in a torn gzip member")
                records += 1
        except DamagedWarc as exc:
            raise DamagedWarc(f"{path}: {exc}") from None
        except Exception as exc:  # warcio and zlib raise many kinds for one damaged file
            raise _unreadable(path, records, exc, complaints.getvalue()) from None
        # An uncompressed file ends in the blank lines after its last record, which warcio
        # leaves out of the record's length.
        stream.seek(end)
        tail = stream.read(4096)
    problem = complaints.getvalue().strip()
    if problem:
        raise DamagedWarc(f"{path}: damaged after {records} records "
                          f"({_printable(one_line(problem, 160))})")
    if not records:
        raise DamagedWarc(f"{path}: holds no WARC record")
    if tail.strip(b"\r\n") or end + len(tail) != size:
        raise DamagedWarc(f"{path}: {size - end} bytes after its last whole record "
                          f"(at byte {end})")
    return records


def _unreadable(path: Path, records: int, exc: Exception, complaints: str) -> DamagedWarc:
    if complaints.strip():  # zlib's words, which warcio wrote to stderr, say what broke
        cause = complaints
    elif isinstance(exc, ArchiveLoadFailed):  # warcio quotes the bytes it met there
        if not records:
            return DamagedWarc(f"{path}: is no WARC file (no WARC record at its start)")
        cause = f"record {records + 1} is damaged"
    else:
        cause = str(exc)
    where = f"after {records} records" if records else "at its start"
    return DamagedWarc(f"{path}: unreadable {where} ({_printable(one_line(cause, 160))})")


def _printable(text: str) -> str:
    """warcio quotes the bytes it could not read: control characters become "?"."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _digest_matches(digest: str | None, block: bytes) -> bool:
    """Whether ``block`` has the ``WARC-Block-Digest`` ``digest`` (``sha1:<base32>`` as
    warcio writes it, or another hashlib algorithm, base32 or hex); True when there is none
    or its algorithm is unknown."""
    algorithm, _, value = (digest or "").partition(":")
    try:
        hashed = hashlib.new(algorithm.lower().replace("-", ""), block).digest()
    except ValueError:
        return True
    return value.upper() in (base64.b32encode(hashed).decode(), hashed.hex().upper())


def iter_warc_responses(paths: Iterable[str | os.PathLike[str]],
                        skipped: Counter[str] | None = None) -> Iterator[WarcResponse]:
    """The HTTP response records of ``paths``, in file order, bodies decoded.

    A record that is not one (a response record holding no HTTP message, one whose block
    does not match its digest) is skipped and counted in ``skipped`` by reason, and reading
    goes on; a file torn by a killed process yields its complete records, then a warning is
    logged (``torn``) and the next file is read.
    """
    skipped = Counter() if skipped is None else skipped
    for path in paths:
        with open(path, "rb") as stream:
            count = 0
            # Records are read unparsed, so one that holds no HTTP message costs that record
            # only (warcio's own parsing would end the file there).
            records = iter(ArchiveIterator(stream, no_record_parse=True))
            while True:
                try:
                    record = next(records)
                    if record.rec_type != "response":
                        continue
                    item = _read_response(record)
                except StopIteration:
                    break
                except _Unreadable as exc:
                    skipped[exc.reason] += 1
                    log.warning("%s: skipped a record after %d responses (%s)", path, count, exc)
                    continue
                except Exception as exc:  # a torn tail has no single error type
                    skipped["torn"] += 1
                    log.warning("%s: unreadable after %d responses (%s); skipping the rest",
                                path, count, one_line(exc, 200))
                    break
                count += 1
                yield item


class _Unreadable(Exception):
    """One record that is no readable HTTP response; ``reason`` says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


_HTTP = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0"], verify=False)


def _read_response(record: ArcWarcRecord) -> WarcResponse:
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    block = record.raw_stream.read()
    # A record torn by a kill reads as merely short: compare with the length its WARC
    # header promised, then with its digest.
    if record.length is not None and len(block) < int(record.length):
        raise EOFError(f"record of {uri} is cut short ({len(block)} of {record.length} bytes)")
    digest = record.rec_headers.get_header("WARC-Block-Digest")
    if digest and digest.startswith("sha1:") and \
            base64.b32encode(hashlib.sha1(block).digest()).decode() != digest[5:]:
        raise _Unreadable("bad_digest", f"the block of {uri} does not match its digest")
    if not uri.startswith(("http:", "https:")):
        raise _Unreadable("not_http", f"{uri or 'a record'} is no HTTP response")
    stream = io.BytesIO(block)
    try:
        http = _HTTP.parse(stream)
        status = int(http.get_statuscode())
    except (StatusAndHeadersParserException, ValueError, TypeError) as exc:
        raise _Unreadable("not_http", f"{uri} holds no HTTP message ({one_line(exc, 120)})") \
            from None
    payload = stream.read()
    headers = list(http.headers)
    encodings = [e.strip().lower() for value in (v for k, v in headers
                 if k.lower() == "content-encoding") for e in value.split(",") if e.strip()]
    body = payload
    if encodings:
        decoded = _decode(payload, encodings)
        if decoded is not None:
            body = decoded
            headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
    fetched_at = iso_date_to_datetime(record.rec_headers.get_header("WARC-Date"))
    return WarcResponse(
        url=uri, status=status, headers=headers, body=body,
        fetched_at=fetched_at.replace(tzinfo=UTC) if fetched_at.tzinfo is None else fetched_at,
    )


def _decode(payload: bytes, encodings: list[str]) -> bytes | None:
    """Undo ``Content-Encoding`` (applied in order, so undone last first); None if we can't."""
    body = payload
    for encoding in reversed(encodings):
        try:
            if encoding in ("gzip", "x-gzip"):
                body = _gunzip(body)
            elif encoding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:  # raw deflate, as some servers send it
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif encoding == "br":
                import brotli  # type: ignore[import-not-found]

                body = brotli.decompress(body)
            elif encoding == "zstd":
                import zstandard  # type: ignore[import-not-found]

                body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
            elif encoding != "identity":
                return None
        except (ImportError, zlib.error, OSError, ValueError, EOFError):
            return None
        except Exception:  # brotli and zstandard raise errors of their own
            return None
    return body


def _gunzip(data: bytes) -> bytes:
    out = bytearray()
    while data:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out += decoder.decompress(data)
        data = decoder.unused_data if decoder.eof else b""
    return bytes(out)


__all__ = ["DEFAULT_MAX_BYTES", "WARC_SUFFIXES", "DamagedWarc", "RotatingWarcWriter",
           "WarcResponse", "check_warc", "iter_warc_responses", "warc_files"]
