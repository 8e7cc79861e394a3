-- The newscrawl archive (SQLite). Documented in docs/archive.md; readable without newscrawl.
-- Lists and objects are JSON text; times are ISO 8601 UTC strings ending in "Z".

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per story: its latest version.
CREATE TABLE IF NOT EXISTS articles (
    id              INTEGER PRIMARY KEY,   -- row id (the FTS index points at it)
    outlet          TEXT NOT NULL,
    article_id      TEXT NOT NULL,         -- the outlet's own id of the story
    url             TEXT NOT NULL,         -- canonical URL (tracking parameters stripped)
    fetched_url     TEXT,                  -- the URL the latest version was fetched from
    kind            TEXT,
    headline        TEXT,
    social_headline TEXT,
    subheadline     TEXT,                  -- JSON list of bullets
    summary         TEXT,
    authors         TEXT,                  -- JSON list
    published_at    TEXT,
    published_raw   TEXT,
    updated_at      TEXT,
    updated_raw     TEXT,
    section         TEXT,                  -- JSON list, top first
    section_path    TEXT,                  -- the same joined with " > " ("News > China")
    topics          TEXT,                  -- JSON list
    body            TEXT,                  -- paragraphs separated by a blank line
    images          TEXT,                  -- JSON list of {url, caption, credit}
    language        TEXT,
    word_count      INTEGER,
    is_paywalled    INTEGER,
    is_truncated    INTEGER,
    is_sponsored    INTEGER,
    http_status     INTEGER,
    discovered_via  TEXT,
    parser_version  TEXT,
    field_sources   TEXT,                  -- JSON object field -> source
    duplicate_of    TEXT,                  -- article_id of the original of a near-duplicate
    content_hash    TEXT NOT NULL,         -- hash of the latest revision's content
    body_hash       TEXT,                  -- hash of the body's words, for exact copies
    revision_count  INTEGER NOT NULL,
    first_fetched_at TEXT NOT NULL,        -- when the first revision was fetched
    fetched_at      TEXT NOT NULL,         -- when the latest revision was fetched
    last_checked_at TEXT NOT NULL,         -- the last time the page was seen, changed or not
    UNIQUE (outlet, article_id)
);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published_at);
CREATE INDEX IF NOT EXISTS articles_section ON articles (section_path, published_at);
CREATE INDEX IF NOT EXISTS articles_url ON articles (url);
CREATE INDEX IF NOT EXISTS articles_body_hash ON articles (body_hash);
CREATE INDEX IF NOT EXISTS articles_duplicate_of ON articles (duplicate_of)
    WHERE duplicate_of IS NOT NULL;

-- Every distinct version of every story, in order; the full record of each.
CREATE TABLE IF NOT EXISTS revisions (
    id           INTEGER PRIMARY KEY,
    outlet       TEXT NOT NULL,
    article_id   TEXT NOT NULL,
    revision     INTEGER NOT NULL,         -- 1, 2, ... per story
    content_hash TEXT NOT NULL,
    updated_at   TEXT,
    fetched_at   TEXT NOT NULL,
    record       TEXT NOT NULL,            -- the whole Article record as JSON
    UNIQUE (outlet, article_id, revision)
);

-- What the last fetch of each URL said (for conditional requests and revisit policy).
CREATE TABLE IF NOT EXISTS fetch_state (
    url             TEXT PRIMARY KEY,
    article_id      TEXT,
    etag            TEXT,
    last_modified   TEXT,
    last_status     INTEGER,
    last_fetched_at TEXT,
    content_hash    TEXT,
    fetch_count     INTEGER NOT NULL DEFAULT 0,
    not_article     TEXT                   -- why the page is no article (video, gallery, ...)
);

CREATE INDEX IF NOT EXISTS fetch_state_article ON fetch_state (article_id);

-- Stories an archive sitemap lists with a <lastmod>: their edits are dated there, so the
-- revisit rule leaves them to it (RevisitRule in newscrawl/spiders/admission.py).
CREATE TABLE IF NOT EXISTS dated (
    outlet     TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (outlet, article_id)
);

-- Stories that failed (retries ran out, a broken page) or were stored degraded (their
-- preferred sources failed): asked for again by later runs until they succeed or are lost.
CREATE TABLE IF NOT EXISTS failures (
    outlet          TEXT NOT NULL,
    article_id      TEXT NOT NULL,
    url             TEXT NOT NULL,
    reason          TEXT NOT NULL,          -- the last failure: http_503, timeout, degraded, ...
    attempts        INTEGER NOT NULL DEFAULT 1,
    first_failed_at TEXT NOT NULL,
    last_failed_at  TEXT NOT NULL,
    lost_at         TEXT,                   -- when later runs stopped asking (still failing)
    PRIMARY KEY (outlet, article_id)
);

-- Where and when each URL was first and last seen.
CREATE TABLE IF NOT EXISTS discovery (
    url           TEXT PRIMARY KEY,
    article_id    TEXT,
    first_via     TEXT,
    first_seen_at TEXT NOT NULL,
    last_via      TEXT,
    last_seen_at  TEXT NOT NULL,
    times_seen    INTEGER NOT NULL DEFAULT 1
);

-- One row per crawl run.
CREATE TABLE IF NOT EXISTS runs (
    id             INTEGER PRIMARY KEY,
    outlet         TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    finish_reason  TEXT,                   -- NULL while running (or if the run was killed)
    arguments      TEXT,                   -- JSON object
    stats          TEXT,                   -- JSON object (Scrapy's stats)
    field_coverage TEXT,                   -- JSON object field -> share of articles filled
    new_articles   INTEGER NOT NULL DEFAULT 0,
    new_revisions  INTEGER NOT NULL DEFAULT 0,
    unchanged      INTEGER NOT NULL DEFAULT 0,
    high_water     TEXT                    -- the newest publication or change time listed
);

-- Near-duplicate index: MinHash signatures and their LSH bands (newscrawl.fingerprints).
CREATE TABLE IF NOT EXISTS fingerprints (
    outlet       TEXT NOT NULL,
    article_id   TEXT NOT NULL,
    published_at TEXT,
    signature    BLOB NOT NULL,
    PRIMARY KEY (outlet, article_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fingerprint_bands (
    bucket     INTEGER NOT NULL,           -- band number folded into the band's hash
    outlet     TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (bucket, outlet, article_id)
) WITHOUT ROWID;

-- Full-text search over headline, summary and body (external content: the articles table).
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    headline, summary, body,
    -- Written as datasette and sqlite-utils look for it, so they find the index by themselves.
    content="articles", content_rowid="id",
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, headline, summary, body)
    VALUES (new.id, new.headline, new.summary, new.body);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, headline, summary, body)
    VALUES ('delete', old.id, old.headline, old.summary, old.body);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE OF headline, summary, body
ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, headline, summary, body)
    VALUES ('delete', old.id, old.headline, old.summary, old.body);
    INSERT INTO articles_fts (rowid, headline, summary, body)
    VALUES (new.id, new.headline, new.summary, new.body);
END;
-- Merge index segments in bigger, rarer steps: a third faster to write (bench/store_speed.py);
-- each run ends with a bounded 'merge' so searches stay fast.
INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 16);
INSERT INTO articles_fts (articles_fts, rank) VALUES ('crisismerge', 64);
