"""Analysis over the store: group summaries (more in later releases)."""

from lacompare.analysis.summaries import REGION_ORDER, summarise_by_group

__all__ = ["summarise_by_group", "REGION_ORDER"]
