"""Metrics: pure Python + SQL over the store's marts. Never imports streamlit.

Importing this package registers every metric in `metrics.registry.REGISTRY`.
"""

import metrics.feedback  # noqa: F401  (registers the feedback metrics, and metrics.sla the SLA ledger's)
import metrics.goals  # noqa: F401  (registers the goal metrics)
import metrics.meeting  # noqa: F401  (registers the meeting-mode metrics)
import metrics.trust  # noqa: F401  (registers the data-trust checks)
from metrics import attribution, content, funnel, kpis, roi, traffic  # noqa: F401  (imported to register their metrics)
from metrics.filters import Filters
from metrics.registry import REGISTRY, get

__all__ = ["REGISTRY", "Filters", "get"]
