"""SCMP page furniture: the phrases, ``data-qa`` hooks, classes and tags that are never article
text (MARKUP.md 2.2). The body readers skip them; ``FURNITURE`` is the same list of phrases
for the clean pipeline's safety net (``Outlet.furniture``)."""

from __future__ import annotations

from newscrawl.records.cleaning import Furniture

# Page furniture whose text must never reach a record (MARKUP.md 2.2).
FURNITURE_EXACT = frozenset({
    "Advertisement", "More on this", "Link Copied", "+ FOLLOW", "+ Follow", "FOLLOW",
    "READ FULL ARTICLE", "Read full article", "Select Voice", "Choose your listening speed",
    "Get through articles 2x faster", "1.25x", "1.5x", "2x", "0.75x", "1x", "250 WPM",
    "Slow", "Average", "Fast", "Why you can trust SCMP", "Share", "Print", "Comments",
})
FURNITURE_PREFIXES = (
    "Reading Time", "READ MORE", "Read more:", "By registering, you agree",
    "Why you can trust SCMP", "This story has been made freely available",
    "Get through articles 2x faster", "Choose your listening speed", "Select Voice",
    "More on this:", "Link Copied",
)
#: The same furniture, for the clean pipeline's safety net (newscrawl.records.cleaning).
FURNITURE = Furniture(exact=FURNITURE_EXACT, prefixes=FURNITURE_PREFIXES)

#: The notice that opens a freely available Plus story's ``articleBody``.
PUBLIC_SERVICE_NOTICE = "This story has been made freely available"

#: data-qa fragments (lower case) of furniture inside and around the body container.
FURNITURE_QA = ("adslot", "advert", "trustlabel", "speech", "furtherreading", "share",
                "actionbar", "paywall", "registration", "register", "follow", "readmore",
                "relatedlink", "related-", "caption", "bio", "quote", "widget", "tracker",
                "readingtime", "newsletter", "social", "comment", "tooltip", "topics")
#: Class fragments of embeds and furniture (Drupal and AMP pages have no data-qa hooks).
FURNITURE_CLASSES = ("twitter-tweet", "instagram-media", "tiktok-embed", "fb-post",
                     "paywall", "advert", "ad-slot", "ad-container", "ad-label", "read-more",
                     "pull-quote", "pullquote", "caption", "related", "share", "newsletter")
#: Elements whose subtree is never body text.
FURNITURE_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg",
                            "button", "form", "nav", "aside", "figcaption", "footer",
                            "header", "video", "audio", "object", "embed", "select"})
#: Hosts of social embeds (a blockquote linking to one is an embed, not a quotation).
EMBED_HOSTS = ("twitter.com", "x.com", "instagram.com", "facebook.com", "tiktok.com",
               "threads.net", "youtube.com", "youtu.be", "weibo.com")


def is_furniture(text: str) -> bool:
    """A paragraph that is furniture, as printed."""
    return text in FURNITURE_EXACT or text.startswith(FURNITURE_PREFIXES)
