"""Scrapy feed exporters (``FEED_EXPORTERS``): one per module, as Scrapy's own are."""
