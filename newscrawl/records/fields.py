"""What each field of a record means, read from the docstrings under the fields of
``newscrawl/items.py`` (the one place they are written), for the datasette metadata, the
JSON Schema and ``docs/records.md``."""

from __future__ import annotations

import ast
import inspect
from functools import cache

from newscrawl.items import Article, ImageRef

#: Columns the archive adds to a record's fields (``articles``), and what they mean.
ARCHIVE_COLUMNS = {
    "id": "Row id (the full-text index points at it).",
    "fetched_url": "The URL the stored version was fetched from (``url`` is the canonical one).",
    "section_path": 'The section path as one string ("News > China").',
    "content_hash": "Hash of everything a reader sees: a new value is a new revision.",
    "body_hash": "Hash of the body alone (exact copies share it).",
    "revision_count": "How many distinct versions of the story the archive holds.",
    "last_checked_at": "When the story was last fetched or answered 304, ISO 8601 UTC.",
}


@cache
def field_docs(cls: type = Article) -> dict[str, str]:
    """``{field: its docstring}`` in declaration order."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in zip(body, [*body[1:], None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant) \
                and isinstance(following.value.value, str):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def image_docs() -> dict[str, str]:
    return field_docs(ImageRef)
