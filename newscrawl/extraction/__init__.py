"""Generic, pure extraction helpers. No Scrapy, no network, no outlet selectors.

``html`` parses a page (once) and walks content containers; ``scripts`` finds inline scripts
and reads JSON out of them by targeted search; ``jsonld`` reads JSON-LD; ``meta`` reads head
metadata; ``dates`` and ``text`` normalise values; ``errors`` says why a page gave no record.
"""
