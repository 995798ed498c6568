"""The Grafana dashboards: the committed JSON is what services/dashboards generates, laid out
as a support lead reads it (the "answering in time" row first, a row per service), every panel
on the grid without overlaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.cli import main
from services.dashboards.render import DIR, dashboards


def _board() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DIR / "tweetcare-overview.json").read_text())
    return loaded


def test_the_committed_json_is_the_generated_one() -> None:
    generated = dashboards()
    assert sorted(generated) == sorted(p.name for p in DIR.glob("*.json"))
    for name, content in generated.items():
        assert (DIR / name).read_bytes() == content, f"run `make dashboards` ({name})"


def test_check_fails_on_a_hand_edit_and_write_repairs_it(tmp_path: Path) -> None:
    assert main(["dashboards", "write", "--dir", str(tmp_path)]) == 0
    assert main(["dashboards", "check", "--dir", str(tmp_path)]) == 0
    path = tmp_path / "tweetcare-overview.json"
    path.write_text(path.read_text().replace("tweetcare_sla_open_cases", "open_cases", 1))
    assert main(["dashboards", "check", "--dir", str(tmp_path)]) == 1
    assert main(["dashboards", "write", "--dir", str(tmp_path)]) == 0
    assert main(["dashboards", "check", "--dir", str(tmp_path)]) == 0


def test_answering_in_time_on_top_then_a_row_per_service() -> None:
    rows = [p["title"] for p in _board()["panels"] if p["type"] == "row"]
    assert rows[0] == "Is the brand answering in time"
    assert {"Ingest", "Triage", "SLA", "API and read model"} <= set(rows)
    top = []
    for panel in _board()["panels"][1:]:
        if panel["type"] == "row":
            break
        top += [t["expr"] for t in panel["targets"]]
    assert any("tweetcare_sla_open_cases" in e for e in top)
    assert any("tweetcare_sla_fired_total" in e for e in top)
    assert any("histogram_quantile(0.5, " in e and "first_response" in e for e in top)
    assert any("histogram_quantile(0.9, " in e and "first_response" in e for e in top)


def test_panels_have_unique_ids_and_ref_ids_and_do_not_overlap() -> None:
    panels = _board()["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        own = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
               for y in range(grid["y"], grid["y"] + grid["h"])}  # fmt: skip
        assert not own & cells, panel["title"]
        cells |= own
        refs = [t["refId"] for t in panel.get("targets", [])]
        assert refs == [chr(65 + i) for i in range(len(refs))], panel["title"]
