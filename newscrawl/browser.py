"""What the browser needs to page a listing, and what it does not.

Paging a section in Chromium needs the page's HTML, its scripts and the "load more" API; not
its pictures, videos or fonts. ``skip_heavy_resources`` is scrapy-playwright's
``PLAYWRIGHT_ABORT_REQUEST`` predicate: the site is spared ~18 requests per listing page
(bench/browser_cost.py).
"""

from __future__ import annotations

from typing import Any

HEAVY_RESOURCES = frozenset({"image", "media", "font"})


def skip_heavy_resources(request: Any) -> bool:
    """True for a Playwright request the browser may drop (an image, a video, a font)."""
    return request.resource_type in HEAVY_RESOURCES
