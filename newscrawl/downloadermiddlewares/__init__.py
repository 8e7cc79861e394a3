"""Downloader middlewares, one per module, in the order ``settings.DOWNLOADER_MIDDLEWARES``
runs them: ``onsite`` (40), ``robots`` (100), ``crawldelay`` (110), ``robotscache`` (120), ``fetchstate`` (540), ``retry`` (550),
``metarefresh`` (580), ``httpcompression`` (590), ``warc`` (950), ``budget`` (960)."""
