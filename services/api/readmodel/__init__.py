"""The API's read model in Elasticsearch: documents, the indexer that writes them, and the
queries, CSV export and statistics that read them. Kafka is the system of record; everything
here can be rebuilt from the topics with :func:`reindex`."""

from services.api.readmodel.export import export_csv
from services.api.readmodel.indexer import (
    Indexer,
    IndexerConfig,
    IndexerStats,
    ensure_indices,
    reindex,
    topic_offsets,
    wait_caught_up,
)
from services.api.readmodel.queries import (
    CaseDetail,
    CaseNotFoundError,
    CasePage,
    CaseView,
    InvalidCursorError,
    InvalidSearchError,
    QueueFilters,
    QueueSummary,
    SearchPage,
    SearchRequest,
    get_case,
    queue_cases,
    queue_summaries,
    search,
    search_query,
)
from services.api.readmodel.stats import (
    StatsWindow,
    backlog,
    case_stats,
    sla_alerts,
    volume,
)

__all__ = [
    "CaseDetail",
    "CaseNotFoundError",
    "CasePage",
    "CaseView",
    "Indexer",
    "IndexerConfig",
    "IndexerStats",
    "InvalidCursorError",
    "InvalidSearchError",
    "QueueFilters",
    "QueueSummary",
    "SearchPage",
    "SearchRequest",
    "StatsWindow",
    "backlog",
    "case_stats",
    "ensure_indices",
    "export_csv",
    "get_case",
    "queue_cases",
    "queue_summaries",
    "reindex",
    "search",
    "search_query",
    "sla_alerts",
    "topic_offsets",
    "volume",
    "wait_caught_up",
]
