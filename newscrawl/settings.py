"""The one settings module: polite defaults first, then the ordered pipeline, then feeds.

Project settings carry a ``NEWSCRAWL_`` prefix and are parsed once into
``newscrawl.config.CrawlConfig``, which rejects nonsense before the crawl starts.
"""

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"

# --- Politeness: the defaults are for the real site --------------------------------------
ROBOTSTXT_OBEY = True
# Scrapy parses robots.txt's Crawl-delay but does not apply it; CrawlDelayMiddleware does.
NEWSCRAWL_ROBOTS_CACHE_HOURS = 24  # 0: ask for robots.txt at every run
NEWSCRAWL_CONTACT = ""  # an e-mail or URL, appended to the User-Agent when set
NEWSCRAWL_USER_AGENT = "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0  # per-host delays come from robots.txt and AutoThrottle
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# PoliteRetryMiddleware (newscrawl.retry, replacing Scrapy's) waits before retrying: a 429/503
# pauses the whole host for its Retry-After, anything else backs off per request. See
# docs/politeness.md.
NEWSCRAWL_MAX_RETRY_AFTER = 600  # seconds; a longer Retry-After is cut to this
NEWSCRAWL_RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry, doubling per retry, jittered
NEWSCRAWL_RETRY_BACKOFF_MAX = 60.0  # the longest backoff when the server names no wait
NEWSCRAWL_REQUEST_BUDGET = 0  # requests per run (retries, robots.txt included); 0: no limit
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    # After RobotsTxtMiddleware (100), which fires robots_parsed before any request of a host.
    "newscrawl.middlewares.CrawlDelayMiddleware": 110,
    # robots.txt kept between runs for NEWSCRAWL_ROBOTS_CACHE_HOURS (RFC 9309 allows 24).
    "newscrawl.middlewares.RobotsCacheMiddleware": 120,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.retry.PoliteRetryMiddleware": 550,
    # Last before the network (after HttpCacheMiddleware, 900, and newscrawl.warc's 950, which
    # only looks at responses): counts what is really sent.
    "newscrawl.retry.RequestBudgetMiddleware": 960,
    # Below RetryMiddleware (550) and the redirect and compression ones: sees final answers,
    # and adds If-None-Match / If-Modified-Since to revisits.
    "newscrawl.middlewares.FetchStateMiddleware": 540,
    # Next to the network: every response as received, redirects and errors included.
    "newscrawl.warc.WarcCaptureMiddleware": 950,
}
# --warc: keep every fetched response in <data-dir>/<outlet>/warc/*.warc.gz (newscrawl reparse
# rebuilds the archive from them).
NEWSCRAWL_WARC = False
NEWSCRAWL_WARC_MAX_BYTES = 1_000_000_000  # rotate to a new file past this size

# --- Incremental crawls: what the archive already holds decides what is fetched -----------
NEWSCRAWL_FULL = False  # --full: walk every listing to the horizon again
NEWSCRAWL_DISK_FRONTIER = True  # pending requests in per-run disk queues (memory stays flat)
# With the disk frontier on, up to NEWSCRAWL_FRONTIER_MEMORY requests wait in memory and only
# the rest go to the disk queues, whose per-priority queues stay open when they empty: no disk
# queue made and removed per request (newscrawl/frontier.py; bench/README.md, crawl_speed).
# Without a JOBDIR the scheduler is Scrapy's; --redis sets its own SCHEDULER over this one.
NEWSCRAWL_FRONTIER_MEMORY = 2000
SCHEDULER = "newscrawl.frontier.FrontierScheduler"
SCHEDULER_PRIORITY_QUEUE = "newscrawl.frontier.KeepOpenDownloaderAwarePriorityQueue"
NEWSCRAWL_DISCOVERY = "sections,feeds,sitemaps"  # where article URLs come from
# An incremental run asks the news sitemap first. While it reaches back to the last run, the
# feeds are skipped, and the sitemap index (with the monthly files it says changed) and the
# section walk wait until this much site time has passed since a finished run last read them
# (docs/incremental.md; bench/incremental_cost.py). 0: every run.
NEWSCRAWL_SITEMAP_INDEX_EVERY_HOURS = 4.0
NEWSCRAWL_SECTIONS_EVERY_HOURS = 24.0
# An archived story is fetched again (conditionally) when a listing, feed or sitemap says it
# changed, or when it is due: after REVISIT_FACTOR of its age since the last check, clamped.
# Listings and sitemaps date most changes; revisits by age are the safety net, so they are
# sparse (bench/incremental_cost.py: checking every quarter of a story's age, at least hourly,
# cost 8 requests per change and found 1 edit in 18).
NEWSCRAWL_REVISIT_FACTOR = 1.0
NEWSCRAWL_REVISIT_MIN_HOURS = 24.0
NEWSCRAWL_REVISIT_MAX_DAYS = 30.0

# --- Section pagination: "auto" (API when the page exposes it, else browser), "api", "browser"
NEWSCRAWL_SECTION_PAGINATION = "auto"
NEWSCRAWL_BASE_URL = ""  # empty: the outlet's own site
NEWSCRAWL_DATA_DIR = "data"
NEWSCRAWL_PROGRESS_INTERVAL = 30  # seconds between progress lines

EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "newscrawl.extensions.RevisitAwareAutoThrottle": 0,  # where Scrapy's stands
    "newscrawl.extensions.CrawlReport": 500,
    "newscrawl.distributed.Worker": 510,  # only with NEWSCRAWL_REDIS
}

# --- Many workers, one frontier (docs/distributed.md) -------------------------------------
NEWSCRAWL_REDIS = ""  # redis://host:6379/0: scheduler and duplicate filter in Redis
NEWSCRAWL_IDLE_TIMEOUT = 30.0  # a worker leaves after this many seconds without work
NEWSCRAWL_WORKER_STALE = 15.0  # a worker silent for this long is taken for dead

# --- The browser: scrapy-playwright, started by the first request that asks for it -----
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
DOWNLOAD_HANDLERS = {
    "http": "newscrawl.browser.LazyPlaywrightDownloadHandler",
    "https": "newscrawl.browser.LazyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"],
}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_ABORT_REQUEST = "newscrawl.browser.skip_heavy_resources"  # no images, media, fonts

# --- The archive: one concern per pipeline, in this order -------------------------------
ITEM_PIPELINES = {
    "newscrawl.pipelines.CleanPipeline": 100,
    "newscrawl.pipelines.ValidatePipeline": 200,
    "newscrawl.pipelines.DedupePipeline": 300,
    "newscrawl.pipelines.StorePipeline": 400,
}
# <data-dir>/<outlet>/archive.sqlite and, beside it, articles.jsonl: one line per new or
# changed revision, appended in step with the database (never rewritten on a resumed crawl).
NEWSCRAWL_STORE = ""  # a path to use instead of <data-dir>/<outlet>/archive.sqlite
NEWSCRAWL_JSONL = True
NEWSCRAWL_COMMIT_ITEMS = 500  # a transaction holds at most this many articles...
NEWSCRAWL_COMMIT_SECONDS = 1.0  # ... or this much time
NEWSCRAWL_MIN_BODY_CHARS = 200  # shorter bodies are rejected unless paywalled or truncated

# Scrapy's feed exports still work (FEEDS = {...}); newscrawl needs none of its own.
FEED_EXPORT_ENCODING = "utf-8"

LOG_LEVEL = "INFO"
# Scrapy reads a callback's source (inspect + ast) to warn about generators that return a
# value, and its cache is keyed by bound methods that die with each request: 2-3% of a crawl's
# CPU (bench/README.md, crawl_speed). The spider's callbacks return no values.
WARN_ON_GENERATOR_RETURN_VALUE = False
