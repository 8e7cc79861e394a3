"""Article records made by hand, for the store tests: text that breaks naive code, and the
upsert scenario both stores must pass."""

from __future__ import annotations

TRICKY = [
    "He said: \u201cIt\u2019s \u2018done\u2019\u201d \u2014 and 'plain' \"quotes\" too",
    "Emoji \U0001F600\U0001F1ED\U0001F1F0 and a family \U0001F468\u200D\U0001F469\u200D\U0001F467",
    "'; DROP TABLE articles; -- OR 1=1 /* %_ \\ */ ' \" ` NULL \x00 end",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u05e2\u05d1\u05e8\u05d9\u05ea mixed with \u4e2d\u6587 \u202eRTL override\u202c",
    "Tabs\tand\r\nnewlines\n\nand trailing spaces   ",
]


def record(article_id: str, body: str, **fields) -> dict:
    base = {
        "url": f"https://www.scmp.com/news/article/{article_id}/x?utm_source=a",
        "canonical_url": f"https://www.scmp.com/news/article/{article_id}/x",
        "outlet": "scmp", "article_id": article_id, "kind": "article",
        "headline": f"Headline {article_id}", "social_headline": None,
        "subheadline": ["one", "two"], "summary": "A summary.", "authors": ["A B", "C D"],
        "published_at": "2026-06-01T08:00:00Z", "published_raw": "1780300800000",
        "updated_at": "2026-06-01T08:00:00Z", "updated_raw": None,
        "section": ["News", "Hong Kong"], "topics": ["Housing"], "body": body,
        "images": [{"url": "https://img/1.jpg", "caption": "A caption", "credit": "Photo"}],
        "language": "en", "word_count": len(body.split()), "is_paywalled": False,
        "is_truncated": False, "is_sponsored": False, "fetched_at": "2026-06-02T00:00:00Z",
        "http_status": 200, "discovered_via": "https://www.scmp.com/news", "parser_version":
        "scmp.V1", "duplicate_of": None, "field_sources": {"headline": "next_data"},
        "revision": None, "first_fetched_at": None,  # the archive sets them as it stores
    }
    base.update(fields)
    return base


def check_upserts(archive) -> None:
    """The same content again is a check; an edit is one revision, whatever the store."""
    rec = record("3200001", "First paragraph.\n\nSecond paragraph.")
    assert archive.store_article(rec).status == "new"
    again = dict(rec, fetched_at="2026-06-03T00:00:00Z", url=rec["canonical_url"],
                 http_status=200, discovered_via="https://www.scmp.com/rss/feed")
    assert archive.store_article(again).status == "unchanged"
    row = archive.article("scmp", "3200001")
    assert row["fetched_at"] == "2026-06-02T00:00:00Z"  # only the check time moved
    assert row["last_checked_at"] == "2026-06-03T00:00:00Z"
    edited = dict(rec, body="First paragraph.\n\nSecond paragraph, corrected.",
                  updated_at="2026-06-02T09:00:00Z", fetched_at="2026-06-04T00:00:00Z")
    result = archive.store_article(edited)
    assert (result.status, result.revision) == ("revised", 2)
    assert archive.store_article(edited).status == "unchanged"
    assert archive.count("revisions") == 2 and archive.count("articles") == 1
    row = archive.article("scmp", "3200001")
    assert row["body"].endswith("corrected.") and row["revision_count"] == 2
    assert row["first_fetched_at"] == "2026-06-02T00:00:00Z"


def check_signature_renewal(open_archive) -> None:
    """Signatures an older release made another way are made again when a writer opens the
    archive: until then a copy of a stored story is not found, afterwards it is."""
    from newscrawl.records.fingerprints import SCHEME, Signature

    body = " ".join(f"Word{i} said the minister on Tuesday, in paragraph {i % 7}." for i in range(80))
    copy = record("3300002", body.replace("Tuesday", "Wednesday", 3),
                  published_at="2026-06-02T08:00:00Z")
    with open_archive() as archive:
        original = record("3300001", body)
        assert archive.link_duplicates(original) is None
        archive.store_article(original)
        archive.commit()
        # What a release with another scheme left: other values, other bands, its name.
        for statement in ("UPDATE fingerprints SET signature=?", "DELETE FROM fingerprint_bands",
                          "UPDATE meta SET value='minhash-sha1' WHERE key='signature_scheme'"):
            archive.db.execute(archive._sql(statement), (bytes(512),) if "?" in statement else ())
        assert archive.find_original("scmp", "3300002", copy["published_at"], None,
                                     Signature.of(copy["body"])) is None
    with open_archive() as archive:
        stored = archive.db.execute(archive._sql(
            "SELECT signature FROM fingerprints WHERE article_id=?"), ("3300001",)).fetchone()
        assert bytes(stored[0]) == Signature.of(body).to_bytes()
        assert archive.count("fingerprint_bands") == 42
        assert archive._signature_scheme() == SCHEME
        assert archive.link_duplicates(copy) == "3300001"
        assert archive.renew_signatures() == 0  # once
