"""`train(c=…)`: C fixed instead of searched (bench.triage_learning trains many times)."""

from __future__ import annotations

from services.triage.training import C_GRID, train
from tests.factories import labelled


def test_a_fixed_c_is_the_c_of_the_model_even_off_the_grid() -> None:
    model = train(
        {"complaint": (labelled.TEXTS, labelled.COMPLAINT)},
        now=labelled.TRAINED_AT,
        sources=["ours"],
        c=0.7,
    )
    assert 0.7 not in C_GRID
    assert model.labels["complaint"].c == 0.7
