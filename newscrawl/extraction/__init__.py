"""Generic, pure extraction helpers: JSON-LD, meta, dates, text. No Scrapy, no network."""
