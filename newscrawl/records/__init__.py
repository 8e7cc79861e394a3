"""The record rules: pure functions over an Article record (a dict or an ItemAdapter), shared by
the item pipelines and ``newscrawl reparse``. No Scrapy here.

``cleaning`` normalises text and removes furniture, ``validation`` says why a record is not a
usable article, ``fingerprints`` says when two records are the same version or the same story.
"""
