"""CSV feeds (``-O x.csv``, ``FEEDS``) as ``newscrawl export`` writes CSV: lists and objects
as JSON, flags ``true``/``false``, never a Python repr such as ``[ImageRef(url=...)]``
(Scrapy's ``CsvItemExporter`` joins lists with commas and writes nested items as reprs)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from scrapy.exporters import CsvItemExporter


class JsonCellCsvItemExporter(CsvItemExporter):
    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        if isinstance(value, list | tuple | dict):
            value = json.dumps(_plain(value), ensure_ascii=False)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        return super().serialize_field(field, name, value)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
