"""Research extracts of the archive: JSON Lines, CSV (lists as JSON) and typed Parquet."""

from __future__ import annotations

import csv
import dataclasses
import errno
import json
import os
import stat
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from newscrawl.extraction.dates import parse_utc
from newscrawl.items import Article
from newscrawl.records.schema import INSTANTS
from newscrawl.store.readers import RECORD_FIELDS
from newscrawl.store.statements import JSON_FIELDS

if TYPE_CHECKING:
    import pyarrow as pa

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
#: Columns of an extract, in order: the fields of a record (``newscrawl.items.Article``), as
#: the journal and the feeds have them (``newscrawl.store.readers.select_records``).
EXPORT_COLUMNS = RECORD_FIELDS
STDOUT = "-"


def export(rows: Iterator[dict[str, Any]], fmt: str, out: str | Path, *,
           make_parents: bool = False) -> int:
    """Write ``rows`` to ``out`` (a path, or ``-`` for stdout) as JSON Lines, CSV (lists and
    objects as JSON, flags ``true``/``false``) or Parquet (typed); return how many.

    A file is written beside its final name and moved there when complete, so a failed
    export leaves any earlier file as it was. A missing directory is an error unless
    ``make_parents``. Raises ``OSError`` naming the path.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    records = ({name: row.get(name) for name in EXPORT_COLUMNS} for row in rows)
    if str(out) == STDOUT:
        if fmt == "parquet":
            raise ValueError("Parquet is a file format: give --out a file name")
        return _write_text(records, fmt, sys.stdout)
    out = Path(out)
    if not out.parent.is_dir():
        if not make_parents:
            raise FileNotFoundError(errno.ENOENT, "no such directory (--parents creates it)",
                                    str(out.parent))
        out.parent.mkdir(parents=True, exist_ok=True)
    # A device or a pipe (/dev/stdout, /dev/full) is written as it is, never replaced.
    target = out.with_name(f".{out.name}.partial") if _regular(out) else out
    try:
        if fmt == "parquet":
            count = _write_parquet(records, target)
        else:
            with target.open("w", encoding="utf-8", newline="") as fh:
                count = _write_text(records, fmt, fh)
        if target != out:
            os.replace(target, out)
    except OSError as exc:
        if target != out:
            target.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(out)) from None
    return count


def _regular(path: Path) -> bool:
    """Whether ``path`` is, or will be, a regular file."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except FileNotFoundError:
        return True


def _write_text(records: Iterator[dict[str, Any]], fmt: str, fh: TextIO) -> int:
    count = 0
    if fmt == "jsonl":
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    else:
        writer = csv.DictWriter(fh, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for record in records:
            writer.writerow({k: _csv_value(k, v) for k, v in record.items()})
            count += 1
    fh.flush()
    return count


def _csv_value(name: str, value: Any) -> Any:
    """A CSV cell: lists and objects as JSON, flags as ``true``/``false``, never a repr."""
    if name in JSON_FIELDS or isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def parquet_schema() -> pa.Schema:
    """The Parquet columns of a record, typed from ``newscrawl/items.py``: instants as
    ``timestamp[us, tz=UTC]``, lists and images as lists and structs, flags boolean, counts
    int64; ``field_sources`` (an object whose keys vary) as Arrow's JSON type, which DuckDB
    reads as JSON and ``datasets`` as a dict."""
    import pyarrow as pa

    def arrow(hint: Any) -> pa.DataType:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            return arrow(args[0])
        if origin is list:
            return pa.list_(arrow(args[0]))
        if origin is dict:
            return pa.json_()
        if dataclasses.is_dataclass(hint):
            hints = typing.get_type_hints(hint)
            return pa.struct([(f.name, arrow(hints[f.name])) for f in dataclasses.fields(hint)])
        return {str: pa.string(), int: pa.int64(), bool: pa.bool_()}[hint]

    hints = typing.get_type_hints(Article)
    return pa.schema([(name, pa.timestamp("us", tz="UTC") if name in INSTANTS
                       else arrow(hints[name])) for name in EXPORT_COLUMNS])


def _write_parquet(records: Iterator[dict[str, Any]], out: Path, batch: int = 2000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    objects = [f.name for f in schema if isinstance(f.type, pa.JsonType)]
    count = 0
    with pq.ParquetWriter(out, schema) as writer:
        chunk: list[dict[str, Any]] = []
        for record in records:
            for name in INSTANTS:
                record[name] = parse_utc(record[name])
            for name in objects:
                if record[name] is not None:
                    record[name] = json.dumps(record[name], ensure_ascii=False)
            chunk.append(record)
            if len(chunk) >= batch:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                count += len(chunk)
                chunk = []
        if chunk or count == 0:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            count += len(chunk)
    return count
