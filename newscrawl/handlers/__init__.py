"""Download handlers: ``browser`` (scrapy-playwright, started by the first page that needs it)."""
