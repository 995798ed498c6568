"""How often agents overturn triage, from the read model: the verdicts the case events of a window
say (``verdicts`` of each case-event document, :mod:`services.plumbing.agreement`), by label,
queue, language or the model version that triaged the case.

The overturn rate of a group is ``overturned / (agreed + overturned)``; a falling rate for a
newer model version is the proof that triage learns. The same verdicts are counted on the API's
``/metrics`` (``tweetcare_triage_agent_verdicts_total``) as they are indexed; this is the figure
over any window, rebuilt with the read model. Case events indexed before the documents carried
verdicts count once ``tweetcare api reindex`` has rebuilt them.
"""

from __future__ import annotations

from typing import Any, Literal

from elasticsearch import AsyncElasticsearch

from services.api.readmodel.indices import CASE_EVENTS, index_name
from services.api.readmodel.querying import Frozen
from services.api.stats.service import StatsWindow, _scope

AgreementBy = Literal["label", "queue", "lang", "model_version"]
VerdictLabel = Literal["topic", "sentiment", "needs_reply", "spam"]
MAX_GROUPS = 200


class AgreementRow(Frozen):
    group: str
    agreed: int
    overturned: int
    overturn_rate: float | None


def overturn_rate(agreed: int, overturned: int) -> float | None:
    """``overturned`` of all verdicts, rounded to 4 places; None with no verdict."""
    total = agreed + overturned
    return round(overturned / total, 4) if total else None


def agreement_query(
    window: StatsWindow, by: AgreementBy, label: VerdictLabel | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The query (events of the window, brand and queue) and the aggregations of
    :func:`agreement`."""
    filters = _scope(window, "occurred_at")
    filters.append({"nested": {"path": "verdicts", "query": {"match_all": {}}}})
    inner: dict[str, Any] = {
        "groups": {
            "terms": {"field": f"verdicts.{by}", "size": MAX_GROUPS, "order": {"_key": "asc"}},
            "aggs": {"verdict": {"terms": {"field": "verdicts.verdict", "size": 2}}},
        }
    }
    if label is not None:
        inner = {"only": {"filter": {"term": {"verdicts.label": label}}, "aggs": inner}}
    aggs = {"verdicts": {"nested": {"path": "verdicts"}, "aggs": inner}}
    return {"bool": {"filter": filters}}, aggs


def agreement_rows(aggregations: dict[str, Any]) -> list[AgreementRow]:
    """The rows of :func:`agreement`'s aggregations, one per group, in the groups' order."""
    nested = aggregations["verdicts"]
    groups = (nested.get("only") or nested)["groups"]["buckets"]
    rows = []
    for bucket in groups:
        counts = {v["key"]: int(v["doc_count"]) for v in bucket["verdict"]["buckets"]}
        agreed, overturned = counts.get("agreed", 0), counts.get("overturned", 0)
        rows.append(AgreementRow(group=str(bucket["key"]), agreed=agreed, overturned=overturned,
                                 overturn_rate=overturn_rate(agreed, overturned)))  # fmt: skip
    return rows


async def agreement(
    es: AsyncElasticsearch, prefix: str, window: StatsWindow, by: AgreementBy,
    label: VerdictLabel | None = None,
) -> list[AgreementRow]:  # fmt: skip
    """Agents' verdicts on triage in ``window`` (by the events' time), per ``by``; ``label``
    keeps one label's verdicts."""
    query, aggs = agreement_query(window, by, label)
    response = await es.search(
        index=index_name(prefix, CASE_EVENTS), size=0, query=query, aggs=aggs
    )
    return agreement_rows(dict(response["aggregations"]))
