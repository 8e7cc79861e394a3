"""The one settings module: every default newscrawl has is written here, and only here.

Scrapy's own settings first (politeness, the components in numeric order), then every
``NEWSCRAWL_*`` setting, grouped by what it controls. Project settings are parsed once into
typed configs (``newscrawl.config``) that reject nonsense before the crawl starts; a
component reading a setting that a crawler's settings lack (one built with Scrapy's defaults
alone) gets the default from here (``newscrawl.config.setting``).
"""

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
# A spider for every registered outlet, those of NEWSCRAWL_OUTLETS included.
SPIDER_LOADER_CLASS = "newscrawl.spiders.loader.OutletSpiderLoader"

# The add-on applies what depends on the outlet and the run: the User-Agent with its contact,
# the outlet's politeness, a per-run disk frontier, the Redis switch (newscrawl/addon.py).
ADDONS = {"newscrawl.addon.NewscrawlAddon": 0}

# --- Politeness: the defaults are for the real site --------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4  # the outlet's Politeness overrides it (addon.py)
DOWNLOAD_DELAY = 0  # per-host delays come from robots.txt and AutoThrottle
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0  # the outlet's Politeness overrides it (addon.py)
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Each component is one class in the module its dotted path names.
DOWNLOADER_MIDDLEWARES = {
    # First of all (Scrapy's OffsiteMiddleware stands at 50): only the outlet's own hosts.
    "newscrawl.downloadermiddlewares.onsite.OnSiteMiddleware": 40,
    # Scrapy's RobotsTxtMiddleware, with RFC 9309's rule for a robots.txt that answers 5xx or
    # nothing: complete disallow (Scrapy allows everything then).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newscrawl.downloadermiddlewares.robots.PoliteRobotsTxtMiddleware": 100,
    # After robots.txt (100), which fires robots_parsed before any request of a host: Scrapy
    # parses robots.txt's Crawl-delay but does not apply it; this does.
    "newscrawl.downloadermiddlewares.crawldelay.CrawlDelayMiddleware": 110,
    # robots.txt kept between runs for NEWSCRAWL_ROBOTS_CACHE_HOURS (RFC 9309 allows 24).
    "newscrawl.downloadermiddlewares.robotscache.RobotsCacheMiddleware": 120,
    # Below the retry (550), redirect and compression ones: sees final answers, and adds
    # If-None-Match / If-Modified-Since to revisits.
    "newscrawl.downloadermiddlewares.fetchstate.FetchStateMiddleware": 540,
    # Scrapy's RetryMiddleware is replaced: retries honour Retry-After and back off per host.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.downloadermiddlewares.retry.PoliteRetryMiddleware": 550,
    # Next to the network: every response as received, redirects and errors included.
    # Where Scrapy's stands: the same redirects, but no tag stripping on pages that cannot
    # have a meta refresh (about 0.3 ms an article page).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newscrawl.downloadermiddlewares.metarefresh.QuickMetaRefreshMiddleware": 580,
    # Where Scrapy's stands: the same answers, gzip inflated by ISA-L in one call (0.48 ->
    # 0.19 ms an article page).
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "newscrawl.downloadermiddlewares.httpcompression.IsalHttpCompressionMiddleware": 590,
    "newscrawl.downloadermiddlewares.warc.WarcCaptureMiddleware": 950,
    # Last before the network (after HttpCacheMiddleware, 900, and the WARC writer, which only
    # looks at responses): counts what is really sent.
    "newscrawl.downloadermiddlewares.budget.RequestBudgetMiddleware": 960,
}

EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "newscrawl.extensions.throttle.RevisitAwareAutoThrottle": 0,  # where Scrapy's stands
    # Opens, shares, commits and closes the archive, records the run, holds the crawl lock.
    "newscrawl.extensions.archive.ArchiveExtension": 100,
    "newscrawl.extensions.report.CrawlReport": 500,
    "newscrawl.extensions.worker.Worker": 510,  # only with NEWSCRAWL_REDIS
    "newscrawl.extensions.collector.CrawlCollector": 520,
}

# The disk frontier: up to NEWSCRAWL_FRONTIER_MEMORY requests wait in memory, the rest in the
# per-run disk queues, whose per-priority queues stay open when they empty (no disk queue made
# and removed per request: newscrawl/scheduler/frontier.py; bench/README.md, crawl_speed).
# Without a JOBDIR the scheduler is Scrapy's; --redis switches to the shared one (addon.py).
SCHEDULER = "newscrawl.scheduler.frontier.FrontierScheduler"
SCHEDULER_PRIORITY_QUEUE = "newscrawl.scheduler.frontier.KeepOpenDownloaderAwarePriorityQueue"

# Items of one response processed at a time. Scrapy starts this many tasks for every response
# (2.19's Scraper, ``_parallel_asyncio``), whatever it yields: its default of 100 cost ~1 ms of
# the crawl's ~6 ms per article page (bench/README.md, crawl_speed). An article page yields
# one item, a listing requests, and the pipelines below do not wait on anything.
CONCURRENT_ITEMS = 4

# One concern per pipeline, in this order.
ITEM_PIPELINES = {
    "newscrawl.pipelines.clean.CleanPipeline": 100,
    "newscrawl.pipelines.validate.ValidatePipeline": 200,
    "newscrawl.pipelines.dedupe.DedupePipeline": 300,
    "newscrawl.pipelines.store.StorePipeline": 400,
}

# --- The browser: scrapy-playwright, started by the first request that asks for it -----
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
DOWNLOAD_HANDLERS = {
    "http": "newscrawl.handlers.browser.LazyPlaywrightDownloadHandler",
    "https": "newscrawl.handlers.browser.LazyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/bin/chromium",
    "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"],
}
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
PLAYWRIGHT_ABORT_REQUEST = "newscrawl.handlers.browser.skip_heavy_resources"  # no images, fonts

# Scrapy's feed exports still work (FEEDS = {...}); newscrawl needs none of its own.
FEED_EXPORT_ENCODING = "utf-8"
# CSV feeds write lists and objects as JSON and flags as true/false (as `newscrawl export` does).
FEED_EXPORTERS = {"csv": "newscrawl.exporters.csv.JsonCellCsvItemExporter"}

LOG_LEVEL = "INFO"
# Scrapy reads a callback's source (inspect + ast) to warn about generators that return a
# value, and its cache is keyed by bound methods that die with each request: 2-3% of a crawl's
# CPU (bench/README.md, crawl_speed). The spider's callbacks return no values.
WARN_ON_GENERATOR_RETURN_VALUE = False

# === newscrawl's own settings =============================================================
# --- What to crawl (also the options of `newscrawl crawl` and spider arguments, -a name=...)
NEWSCRAWL_BASE_URL = ""  # empty: the outlet's own site
NEWSCRAWL_SECTIONS = ""  # comma-separated section paths; empty: the outlet's main sections
NEWSCRAWL_DAYS = ""  # how many days back; empty: no horizon (or NEWSCRAWL_SINCE)
NEWSCRAWL_SINCE = ""  # YYYY-MM-DD: articles published before it are not wanted
NEWSCRAWL_MAX_ARTICLES = ""  # stop after this many; empty: no limit
NEWSCRAWL_URLS = ""  # comma-separated article URLs (or /paths) fetched as given
NEWSCRAWL_DATA_DIR = "data"  # everything a crawl writes goes under <data-dir>/<outlet>/
NEWSCRAWL_SECTION_PAGINATION = "auto"  # "auto" (API when the page exposes it), "api", "browser"
NEWSCRAWL_DISCOVERY = "sections,feeds,sitemaps"  # where article URLs come from
# An outlets.toml whose entries are outlets too (newscrawl/outlets/declared.py); the
# environment variable of the same name does the same for every command.
NEWSCRAWL_OUTLETS = ""
NEWSCRAWL_PROGRESS_INTERVAL = 30  # seconds between progress lines
NEWSCRAWL_PROGRESS = "log"  # "log"; "plain": also printed to stderr; "live": one terminal line

# --- Politeness newscrawl adds (docs/politeness.md) ----------------------------------------
NEWSCRAWL_ROBOTS_CACHE_HOURS = 24  # 0: ask for robots.txt at every run
NEWSCRAWL_USER_AGENT = "newscrawl/0.1 (+https://github.com/newscrawl/newscrawl)"
NEWSCRAWL_CONTACT = ""  # an e-mail or URL, appended to the User-Agent when set
# PoliteRetryMiddleware waits before retrying: a 429/503 pauses the whole host for its
# Retry-After, anything else backs off per request.
NEWSCRAWL_MAX_RETRY_AFTER = 600  # seconds; a longer Retry-After is cut to this
NEWSCRAWL_RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry, doubling per retry, jittered
NEWSCRAWL_RETRY_BACKOFF_MAX = 60.0  # the longest backoff when the server names no wait
NEWSCRAWL_REQUEST_BUDGET = 0  # requests per run (retries, robots.txt included); 0: no limit

# --- Incremental crawls: what the archive already holds decides what is fetched -----------
NEWSCRAWL_FULL = False  # --full: walk every listing to the horizon again
# An incremental run asks the news sitemap first. While it reaches back to the last run, the
# feeds are skipped, and the sitemap index (with the monthly files it says changed) and the
# section walk wait until this much site time has passed since a finished run last read them
# (docs/incremental.md; bench/incremental_cost.py). 0: every run.
NEWSCRAWL_SITEMAP_INDEX_EVERY_HOURS = 4.0
NEWSCRAWL_SECTIONS_EVERY_HOURS = 24.0
# An archived story is fetched again (conditionally) when a listing, feed or sitemap says it
# changed, or when it is due: after REVISIT_FACTOR times its quiet time (how long it had gone
# unchanged at its last check), clamped (spiders/admission.py RevisitRule; docs/incremental.md).
# Listings and sitemaps date most changes; revisits are the safety net, so they are sparse:
# a story is checked two days after it was fetched new (when its edits are mostly done), then
# at about 6, 18, 54, 162 and 486 days, then yearly. The minimum is also how long a page that
# came back degraded twice (asked again at once, in the same run) waits for its next full fetch.
NEWSCRAWL_REVISIT_FACTOR = 2.0
NEWSCRAWL_REVISIT_MIN_HOURS = 48.0
NEWSCRAWL_REVISIT_MAX_DAYS = 365.0
#: A story that failed (retries ran out, a broken page) is asked for again by the next run,
#: then at growing intervals (1 h, 2 h, 4 h ... a day), for this long; then it is reported as
#: lost. One stored degraded waits REVISIT_MIN_HOURS between full fetches, doubling.
NEWSCRAWL_FAILED_GIVE_UP_DAYS = 7.0

# --- The frontier -----------------------------------------------------------------------
NEWSCRAWL_DISK_FRONTIER = True  # pending requests in per-run disk queues (memory stays flat)
NEWSCRAWL_FRONTIER_MEMORY = 2000  # requests kept in memory before the disk queues

# --- The garbage collector (newscrawl/extensions/collector.py) ----------------------------
# While the engine runs, what was built before it is frozen and a young collection comes every
# this many allocations (Python's default 700); 0 leaves the collector as Python sets it.
NEWSCRAWL_GC_THRESHOLD = 5000

# --- Parsing (newscrawl/spiders/parsing.py) ------------------------------------------------
# Article pages are parsed in a second process, beside the crawl's, once this many pages were
# parsed in the crawl's own (a process costs ~0.3 s of CPU, on the other core, and ~65 MB:
# short runs keep one; 50 pages are ~75 ms of parsing).
NEWSCRAWL_PARSE_PROCESS = True
NEWSCRAWL_PARSE_PROCESS_AFTER = 50

# --- The archive (docs/archive.md) --------------------------------------------------------
# <data-dir>/<outlet>/archive.sqlite and, beside it, articles.jsonl: one line per new or
# changed revision, appended in step with the database (never rewritten on a resumed crawl).
NEWSCRAWL_STORE = ""  # an SQLite path or postgresql:// URL instead of archive.sqlite
NEWSCRAWL_JSONL = True
NEWSCRAWL_COMMIT_ITEMS = 500  # a transaction holds at most this many articles...
NEWSCRAWL_COMMIT_SECONDS = 1.0  # ... or this much time
NEWSCRAWL_MIN_BODY_CHARS = 200  # shorter bodies are rejected unless paywalled or truncated
# --warc: keep every fetched response in <data-dir>/<outlet>/warc/*.warc.gz (newscrawl reparse
# rebuilds the archive from them).
NEWSCRAWL_WARC = False
NEWSCRAWL_WARC_MAX_BYTES = 1_000_000_000  # rotate to a new file past this size

# --- Many workers, one frontier (docs/distributed.md) -------------------------------------
NEWSCRAWL_REDIS = ""  # redis://host:6379/0: scheduler and duplicate filter in Redis
NEWSCRAWL_IDLE_TIMEOUT = 30.0  # a worker leaves after this many seconds without work
NEWSCRAWL_WORKER_STALE = 15.0  # a worker silent for this long is taken for dead

# --- Health at spider close (docs/health.md) ----------------------------------------------
# The optional spidermon suite, newscrawl.monitors.HealthMonitorSuite, judges each run against
# this many runs before it (`newscrawl health --runs`).
NEWSCRAWL_HEALTH_RUNS = 20
