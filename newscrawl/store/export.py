"""Research extracts of the archive: JSON Lines, CSV (lists as JSON) and Parquet."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newscrawl.store.statements import JSON_FIELDS

EXPORT_FORMATS = ("jsonl", "csv", "parquet")
#: Columns of an extract, in order (the Article fields plus what the archive knows).
EXPORT_COLUMNS = ("article_id", "url", "fetched_url", "outlet", "kind", "headline",
                  "social_headline", "subheadline", "summary", "authors", "published_at",
                  "published_raw", "updated_at", "updated_raw", "section", "section_path",
                  "topics", "body", "images", "language", "word_count", "is_paywalled",
                  "is_truncated", "is_sponsored", "duplicate_of", "revision_count",
                  "first_fetched_at", "fetched_at", "last_checked_at", "parser_version",
                  "discovered_via", "content_hash")


def export(rows: Iterator[dict[str, Any]], fmt: str, out: Path) -> int:
    """Write ``rows`` to ``out`` as JSON Lines, CSV (lists as JSON) or Parquet; return count."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    records = ({name: row.get(name) for name in EXPORT_COLUMNS} for row in rows)
    count = 0
    if fmt == "jsonl":
        with out.open("w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
    elif fmt == "csv":
        with out.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            for record in records:
                writer.writerow({k: json.dumps(v, ensure_ascii=False) if k in JSON_FIELDS else v
                                 for k, v in record.items()})
                count += 1
    else:
        count = _write_parquet(records, out)
    return count


def _write_parquet(records: Iterator[dict[str, Any]], out: Path, batch: int = 2000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    image = pa.struct([("url", pa.string()), ("caption", pa.string()), ("credit", pa.string())])
    types = {"subheadline": pa.list_(pa.string()), "authors": pa.list_(pa.string()),
             "section": pa.list_(pa.string()), "topics": pa.list_(pa.string()),
             "images": pa.list_(image), "word_count": pa.int64(), "revision_count": pa.int64(),
             "is_paywalled": pa.bool_(), "is_truncated": pa.bool_(), "is_sponsored": pa.bool_()}
    schema = pa.schema([(name, types.get(name, pa.string())) for name in EXPORT_COLUMNS])
    count = 0
    with pq.ParquetWriter(out, schema) as writer:
        chunk: list[dict[str, Any]] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= batch:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                count += len(chunk)
                chunk = []
        if chunk or count == 0:
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            count += len(chunk)
    return count


