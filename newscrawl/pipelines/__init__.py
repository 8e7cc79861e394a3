"""Item pipelines, one concern each, in the order ``settings.ITEM_PIPELINES`` runs them:
clean, validate, de-duplicate, store.

Each reads its settings once in ``from_crawler``, reaches items only through ``ItemAdapter``
and drops with a reason that lands in the stats as ``newscrawl/dropped/<reason>``.
"""

from newscrawl.pipelines.clean import CleanPipeline
from newscrawl.pipelines.dedupe import DedupePipeline
from newscrawl.pipelines.store import StorePipeline
from newscrawl.pipelines.validate import ValidatePipeline

__all__ = ["CleanPipeline", "DedupePipeline", "StorePipeline", "ValidatePipeline"]
