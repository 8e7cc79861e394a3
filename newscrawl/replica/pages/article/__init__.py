"""Article, video and gallery pages of the replica, and their AMP copies (MARKUP.md 2-4, 7).

Two public functions, both pure functions of ``(world seed, content, base)``:

``render_article_page``
    The page of any item, chosen from ``content.spec``:

    * **Next.js generation** (``generation == "nextjs"``, :mod:`.nextjs`): ``__NEXT_DATA__``
      with the whole article, the server-rendered HTML with the ``data-qa`` hooks and all the
      furniture of the real site, JSON-LD and head meta. Variant ``nextdata_broken`` (or
      ``malformed_nextdata=True``, a fault the server injects) serves a ``__NEXT_DATA__``
      whose JSON is invalid; ``nextdata_missing`` serves none.
    * **Apollo generation** (:mod:`.apollo`, MARKUP 3): ``window.__APOLLO_STATE__`` with two
      client caches, normalised nodes and refs; the visible HTML has header chrome only and
      no body paragraphs; ``cse_*`` meta; the JSON-LD author is a JSON string inside the
      string on about a third of these pages, ``articleBody`` is present on about half.
    * **Video and gallery pages**: same chrome and the same headline hook, but
      ``__typename`` ``Video`` / ``Gallery`` in the data, JSON-LD ``VideoObject`` /
      ``ImageGallery`` and no article JSON-LD.

    * **The redesign** (``redesigned=True``, :mod:`.redesign`): article and opinion pages of
      any generation in the new markup generation the server switches to on
      ``POST /__replica__/redesign``; video and gallery pages keep theirs.

``render_amp_page``
    The AMP copy (:mod:`.amp`): simplified body with the paragraphs, ``amp-img``, ``amp-ad``
    slots, JSON-LD, and ``<link rel="canonical">`` back to the page.

What every generation renders from (the item's data, JSON-LD, head meta, page weight and the
deterministic choices among them) is in :mod:`.data`; the ``body.json`` trees and the walk
that writes them as HTML in :mod:`.body`.

Speed: everything that depends on the seed only (class names, furniture markup, the
serialised app configuration, the chrome's length) is built once; a page is a join of strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newscrawl.replica.pages.article.amp import render_amp_page
from newscrawl.replica.pages.article.apollo import apollo_page
from newscrawl.replica.pages.article.data import Item
from newscrawl.replica.pages.article.nextjs import nextjs_page
from newscrawl.replica.pages.article.redesign import redesigned_page

if TYPE_CHECKING:
    from newscrawl.replica.world import ArticleContent, World

__all__ = ["render_amp_page", "render_article_page", "render_article_parts"]


def render_article_page(world: World, content: ArticleContent, *, base: str,
                        malformed_nextdata: bool = False, redesigned: bool = False) -> str:
    """The HTML page of ``content``'s item (article, opinion, video or gallery).

    ``malformed_nextdata`` (a fault the server injects) makes the page's data script invalid
    JSON, as the ``nextdata_broken`` variant does; on an Apollo-generation page it breaks the
    Apollo state instead. ``redesigned`` serves an article or opinion page in the markup of
    the redesign (:mod:`.redesign`).
    """
    return "".join(render_article_parts(world, content, base=base,
                                        malformed_nextdata=malformed_nextdata,
                                        redesigned=redesigned))


def render_article_parts(world: World, content: ArticleContent, *, base: str,
                         malformed_nextdata: bool = False, redesigned: bool = False) -> list[str]:
    """``render_article_page`` as parts, for ``chrome.splice`` (what the server sends)."""
    item = Item(world, content, base)
    if redesigned and content.spec.is_article:
        return redesigned_page(item, malformed=malformed_nextdata)
    if content.spec.generation == "apollo":
        return apollo_page(item, malformed=malformed_nextdata)
    return nextjs_page(item, malformed=malformed_nextdata)
