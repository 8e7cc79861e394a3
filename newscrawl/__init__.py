"""newscrawl: a Scrapy project that crawls news outlets into a clean, revisioned archive.

``from newscrawl import Archive`` reads an archive from Python (``newscrawl.api``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newscrawl.api import Archive

__all__ = ["Archive"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `import newscrawl` (the CLI, Scrapy) stays light.
    if name == "Archive":
        from newscrawl.api import Archive

        return Archive
    raise AttributeError(f"module 'newscrawl' has no attribute {name!r}")
