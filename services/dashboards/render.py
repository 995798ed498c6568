"""The dashboards' JSON, as committed under deploy/grafana/dashboards."""

from __future__ import annotations

import json

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from services.dashboards import overview
from services.dashboards.panels import build
from services.plumbing.settings import REPO_ROOT

DIR = REPO_ROOT / "deploy" / "grafana" / "dashboards"


def dashboards() -> dict[str, bytes]:
    """File name -> its JSON: sorted keys, two-space indent, a final newline (stable diffs)."""
    board = build("tweetcare-overview", "tweetcare — overview", overview.ROWS).build()
    # Through json once more: the SDK's encoder escapes nothing and keeps the SDK's key order.
    data = json.loads(JSONEncoder().encode(board))
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return {"tweetcare-overview.json": text.encode()}
