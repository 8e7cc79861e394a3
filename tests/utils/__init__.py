"""Helpers the tests share: an HTTP client, real PostgreSQL and Redis servers, a crawl runner."""
