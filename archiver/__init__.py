"""archiver: a Scrapy-based news article archiver."""

__version__ = "0.1.0"
