"""Pages of any site that are no article: what the page says it is, else what its address
and shape say. Each raises ``NotAnArticle`` with a reason the crawl counts:

``error_page``
    a "not found" or error page served with a 200 (the title or the ``<h1>`` says so);
``live_blog``
    JSON-LD ``LiveBlogPosting``, or a ``/live/`` or ``/liveblog/`` address;
``video``, ``gallery``
    JSON-LD ``VideoObject`` or ``ImageGallery`` (and ``og:type`` ``video.*``) with no article
    object, or a ``/video(s)/``, ``/gallery/`` (``/galleries/``, ``/photos/``) address;
``listing``
    an index or section page: JSON-LD ``CollectionPage`` / ``ItemList`` with no article
    object, a page of many teasers (headlines that link elsewhere) and little prose, or a
    site's front page with many teasers whatever its prose (teasers with their standfirsts).
    A front page without them is the one page of a small site, and read.

A page that says it is an article (a JSON-LD article object, ``og:type`` ``article``,
schema.org ``Article`` microdata) is read as one whatever its address and shape say: only
an error page or a live blog is refused then.
"""

from __future__ import annotations

import re

from newscrawl.extraction.errors import NotAnArticle
from newscrawl.extraction.generic.page import GenericPage
from newscrawl.extraction.text import normalize_space

_ERROR_TITLE = re.compile(
    r"\b40[14]\b|\b410\b|^\s*not found\b|page not found|page (?:does not|doesn't) exist|"
    r"file not found|seite nicht gefunden|seite existiert nicht|page introuvable|"
    r"página no encontrada|pagina non trovata", re.I)
#: An error page says little: more paragraph text than this is a story about an error.
_ERROR_PROSE = 2000
_PATH_KINDS = (("live", "live_blog"), ("liveblog", "live_blog"), ("live-blog", "live_blog"),
               ("video", "video"), ("videos", "video"), ("gallery", "gallery"),
               ("galleries", "gallery"), ("photos", "gallery"), ("fotos", "gallery"),
               ("bildergalerie", "gallery"))
_NO_ARTICLE_LD = (("VideoObject", "video"), ("ImageGallery", "gallery"),
                  ("CollectionPage", "listing"), ("ItemList", "listing"))
#: A page of teasers: at least this many headline links ...
_TEASERS = 12
#: ... and less paragraph text than this many characters per teaser; a front page: this many.
_PROSE_PER_TEASER = 60
_FRONT_PAGE_TEASERS = 10


def reject_non_articles(page: GenericPage) -> None:
    """Raise ``NotAnArticle`` when ``page`` is no article (see the module's list)."""
    _reject_error_page(page)
    types = page.ld_types
    if "LiveBlogPosting" in types:
        raise NotAnArticle("a live blog (JSON-LD)", reason="live_blog")
    og_type = (page.head.first("og:type") or "").lower()
    if page.ld_article is not None or og_type == "article" or _article_microdata(page):
        return
    for ld_type, reason in _NO_ARTICLE_LD:
        if ld_type in types:
            raise NotAnArticle(f"a {reason} page (JSON-LD {ld_type})", reason=reason)
    if og_type.startswith("video"):
        raise NotAnArticle("a video page (og:type)", reason="video")
    _reject_by_path(page)
    _reject_listing(page)


def _article_microdata(page: GenericPage) -> bool:
    return bool(page.root.xpath('//*[contains(@itemtype, "schema.org/") and '
                                '(contains(@itemtype, "Article") or '
                                'contains(@itemtype, "BlogPosting"))]'))


def _reject_error_page(page: GenericPage) -> None:
    if page.ld_article is not None or page.visible_text_chars > _ERROR_PROSE:
        return
    for text in (page.head.title, page.h1):
        if text and len(text) < 120 and _ERROR_TITLE.search(text):
            raise NotAnArticle(f"an error page ({normalize_space(text)[:60]})",
                               reason="error_page")


def _reject_by_path(page: GenericPage) -> None:
    segments = [s.lower() for s in page.path.split("/") if s]
    for segment, reason in _PATH_KINDS:
        if segment in segments[:-1] or segments == [segment]:
            raise NotAnArticle(f"a {reason} page ({page.path})", reason=reason)


def _reject_listing(page: GenericPage) -> None:
    """Many headlines that link elsewhere and little prose: an index of other pages."""
    teasers = len(page.root.xpath("//h2[.//a] | //h3[.//a] | //h4[.//a]"))
    front_page = page.path.strip("/") == "" and not page.query  # "/?p=3289" is a blog post
    if front_page and teasers >= _FRONT_PAGE_TEASERS:
        raise NotAnArticle(f"the site's front page ({teasers} teasers)", reason="listing")
    if teasers >= _TEASERS and page.visible_text_chars < _PROSE_PER_TEASER * teasers:
        raise NotAnArticle(f"a listing page ({teasers} teasers)", reason="listing")
