"""The settings of a project that runs newscrawl with its health suite in spidermon, as
docs/health.md shows them (``SCRAPY_SETTINGS_MODULE=tests.utils.monitoring_settings``)."""

from newscrawl.settings import *  # noqa: F403
from newscrawl.settings import EXTENSIONS as PROJECT_EXTENSIONS

# After the archive extension (100), which finishes the run's row the suite judges.
EXTENSIONS = {**PROJECT_EXTENSIONS, "spidermon.contrib.scrapy.extensions.Spidermon": 500}
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ("tests.utils.monitoring.RecordedHealthSuite",)
