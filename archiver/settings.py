"""Scrapy settings for archiver: every setting the crawl uses lives here.

The CLI (`archiver crawl -s NAME=VALUE`) and `scrapy crawl ... -s NAME=VALUE`
override any of them.
"""

from archiver import __version__

BOT_NAME = "archiver"
# archiver.distributed.spiders holds the `worker` spider; it imports no Redis until run.
SPIDER_MODULES = ["archiver.spiders", "archiver.distributed.spiders"]
NEWSPIDER_MODULE = "archiver.spiders"

# --- Where the archive goes -------------------------------------------------
# Path of the SQLite archive; `archiver crawl --db` and ARCHIVER_DB set it too.
ARCHIVER_DB = "archive.db"
# Articles are written in batches: one transaction per batch keeps writers
# short (readers never wait long) and bounds what a crash can lose.
ARCHIVER_BATCH_SIZE = 50
ARCHIVER_BATCH_SECONDS = 2.0
# An archived article is not fetched again before this (s, m, h, d, w); when it
# is due, the request carries If-None-Match / If-Modified-Since.
ARCHIVER_REVISIT_AFTER = "1d"
# A new version counts only when at least this many words changed ("3"), or this
# share of the body ("2%"); smaller edits (a comma) are recorded as unchanged. A
# source's `min_change` sets it for that source. "0": every change of the text counts.
ARCHIVER_MIN_CHANGE = "0"
# Where the revisit policy learns what was fetched when: a class with get(url)
# and close() (see archiver.revisits), built with from_crawler if it has one.
ARCHIVER_FETCH_STATES = "archiver.middlewares.ArchiveFetchStates"
# Extraction runs in this many worker processes ("auto": one per core; 0: in
# the crawl process). A page whose extraction takes longer is recorded as failed.
ARCHIVER_EXTRACT_WORKERS = "auto"
ARCHIVER_EXTRACT_TIMEOUT = 60
# Keep the raw response (compressed) so pages can be re-extracted later.
ARCHIVER_KEEP_RAW = True
# `archiver crawl` runs SQLite's quick_check before it writes, so a damaged
# archive is refused instead of written into (it reads the whole file: about a
# second per GB when cached; 0 skips it).
ARCHIVER_QUICK_CHECK = True
# Archive only articles in these languages (`crawl --lang de,fr`); empty: all.
ARCHIVER_LANGUAGES: list[str] = []
# A source's cookies.txt and the seed URLs whose sites may receive its cookies
# (set per source from the sources file's `cookies`).
ARCHIVER_COOKIES_FILE = None
ARCHIVER_COOKIES_SITES: list[str] = []
# `archiver import-wayback`: where the Wayback Machine's CDX API and captures are
# (a mirror, or a test server). Its spider fetches one capture a second.
ARCHIVER_WAYBACK_URL = "https://web.archive.org"
ARCHIVER_WAYBACK_CDX_LIMIT = 500  # captures listed per CDX request (then the next page)

# --- WARC at fetch time (README: "Capture as archivists do") -----------------
# A folder: every exchange of the crawl is written there as WARC (request, response or
# revisit, and a metadata record per page); `archiver crawl --warc DIR` sets it.
ARCHIVER_WARC_DIR = None
# A file is closed and the next one started once it reaches this size (1G = 10^9 bytes).
ARCHIVER_WARC_MAX_SIZE = "1G"
# File names: PREFIX-TIMESTAMP-SERIAL-PID.warc.gz
ARCHIVER_WARC_PREFIX = "archiver"

# --- Politeness --------------------------------------------------------------
# An honest User-Agent that names the tool, so site owners know who fetches.
USER_AGENT = f"archiver/{__version__} (+https://pypi.org/project/news-archiver/; news article archiver)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_ENABLED = True
# Retries are immediate and bounded; Scrapy ignores Retry-After, and waiting an
# hour for one 429 would stall the run, so the failure reason shows the
# server's Retry-After instead and the next run tries again.
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# A page that failed after its retries is in the run summary with its reason;
# an ERROR log line as well would break the quiet of `-q` runs from cron.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"

# robots.txt `Crawl-delay` is obeyed per site (it raises DOWNLOAD_DELAY for that
# site, never lowers it), up to this many seconds: a site asking for more is
# still crawled, this slowly.
ARCHIVER_MAX_CRAWL_DELAY = 30.0

# --- Safety: bounded work per page and per run -------------------------------
# Sitemap files read per run at most (an index may list thousands, or itself);
# each sitemap is read once per run. Pages per run: --max-pages / max_pages.
ARCHIVER_MAX_SITEMAPS = 500
DOWNLOAD_TIMEOUT = 30
# News pages are rarely above a few MB; anything much larger is not an article.
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
# Only http and https are fetched (file:, ftp:, data: and s3: handlers are off).
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "data": None, "s3": None}
# A page never leads the crawl to an address less public than its own: public ->
# private (10.x, 192.168.x, fc00::/7) -> link-local (169.254.x, the cloud
# metadata service) -> loopback (127.x, ::1). Redirects, meta refreshes, links,
# feed and sitemap entries that would are refused; the URLs you give are always
# fetched. 1 allows it all (an intranet whose pages link to other hosts of it).
ARCHIVER_ALLOW_PRIVATE_ADDRESSES = False

# --- Off for unattended runs -------------------------------------------------
# Scrapy's remote-control server runs Python code sent to it, and the telnet
# console opens a shell: neither belongs in a cron job.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- Distributed crawling (README: "Distributed crawling") -------------------
# Read only by `archiver enqueue`, `worker`, `ingest` and the `worker` spider
# (from --redis, the ARCHIVER_REDIS_URL environment variable, or -s); `archiver
# crawl` never imports a Redis client.
ARCHIVER_REDIS_URL = None
# The run a worker works on (printed by `archiver enqueue`; default: the latest),
# and the job of that run (a source's name, or the mode of enqueued URLs).
ARCHIVER_RUN_ID = None
ARCHIVER_JOB = None
# A worker with no open job for this long (seconds) stops; 0 = wait for new runs.
# Given, it is also how long a job must have nothing left before it is done.
ARCHIVER_IDLE_TIMEOUT = 0
# Every key in Redis starts with this; enqueue, workers and ingest must share it.
ARCHIVER_REDIS_PREFIX = "archiver"
# A run's frontier keys (queue, duplicate filter, seeds) expire this long after
# its last worker stopped.
ARCHIVER_RUN_TTL = "7d"
# A job is done when nothing of it is queued or leased to any worker for this
# long (seconds; --idle-timeout when given): its workers then stop working on it.
ARCHIVER_JOB_GRACE = 5
# A worker that has not beaten its heartbeat for this long (seconds) is presumed
# gone: other workers (or ingest) put the requests it had taken back on the queue.
ARCHIVER_WORKER_TTL = 30
# While Redis refuses writes (restarting, unreachable, full), a worker keeps what
# it fetched in a spool file here (default: ~/.cache/archiver/spool), up to
# ARCHIVER_SPOOL_MAX_MB, and stops after ARCHIVER_REDIS_WAIT seconds of it.
ARCHIVER_SPOOL_DIR = None
ARCHIVER_SPOOL_MAX_MB = 256
ARCHIVER_REDIS_WAIT = 120

# --- Components ----------------------------------------------------------------
ITEM_PIPELINES = {
    "archiver.pipelines.ValidatePipeline": 200,
    "archiver.pipelines.StorePipeline": 900,
}

# --- Scrapy defaults we pin --------------------------------------------------
# Scrapy starts this many tasks for the output of every response; archiver's
# callbacks yield one item (or a page's links), and 100 tasks a page cost the
# crawl process more CPU than its SQLite writes.
CONCURRENT_ITEMS = 8
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Progress lines on stderr (the CLI turns this on when stderr is a terminal).
ARCHIVER_PROGRESS = False
ARCHIVER_PROGRESS_INTERVAL = 2.0
EXTENSIONS = {"archiver.extensions.Progress": 500}
# EXTENSIONS_BASE, Scrapy's own list less its remote control and telnet console (off
# above): naming them in EXTENSIONS, even as None, imports them, and the remote-control
# module loads aiohttp's web server, a tenth of a second of every crawl's start. It is
# made when Scrapy reads the settings (__getattr__ below), so that this module imports
# without Scrapy: `archiver crawl` reads ARCHIVER_EXTRACT_WORKERS before loading it.
_LEFT_OUT_EXTENSIONS = ("scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole")
# Skipped/failed pages are reported in the run summary, so dropping them is not a warning.
LOG_FORMATTER = "archiver.logformatter.ArchiverLogFormatter"
SPIDER_MIDDLEWARES = {
    # Next to the spider: article requests whose revisit is not due never leave it.
    "archiver.middlewares.RevisitMiddleware": 950,
    # Every request a page leads to carries the page's URL (for AddressScopeMiddleware).
    "archiver.middlewares.FoundOnMiddleware": 940,
    # Next to the engine: a page whose callback (or a middleware) raised is a failed page.
    "archiver.middlewares.PageErrorsMiddleware": 30,
    # Captures an earlier import took in are not fetched again.
    "archiver.middlewares.KnownCapturesMiddleware": 945,
}
DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt: a request that must not be sent does not fetch a robots.txt either.
    "archiver.middlewares.AddressScopeMiddleware": 60,
    # Replaced by a fixed subclass (see archiver.middlewares.RobotsTxtMiddleware).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "archiver.middlewares.RobotsTxtMiddleware": 100,
    # Scrapy's meta refresh redirects, decoding only the start of a page (see the class).
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "archiver.middlewares.MetaRefreshMiddleware": 580,
    # Nearest the network (Scrapy's own end at 900): sees each response as received,
    # before decompression and redirects, and each request as sent.
    "archiver.capture.CaptureMiddleware": 950,
    # After Scrapy's CookiesMiddleware (700): a source's cookies.txt, for its own sites only.
    "archiver.middlewares.SourceCookiesMiddleware": 710,
}


def __getattr__(name: str):
    if name == "EXTENSIONS_BASE":
        from scrapy.settings.default_settings import EXTENSIONS_BASE as scrapy_extensions

        return {path: order for path, order in scrapy_extensions.items() if path not in _LEFT_OUT_EXTENSIONS}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # Scrapy's Settings.setmodule reads the uppercase names dir() lists
    return [*globals(), "EXTENSIONS_BASE"]
