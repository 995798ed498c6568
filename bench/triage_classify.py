"""How many tweets a second `classify` decides on one core (issue 7 target: 5,000/s).

Classifies the texts of ../shared/data/twcs_sample.csv (repeated to 20,000) in batches of 1,000
with the rules alone, and with a model (--model DIR, a `triage train` directory; by default one
trained here on complaints_train.csv); also times the model's own part (n-gram hashing, dense
features and prediction, given the rules' scores). Each figure is the median of --repeat runs
(CPU time of this process, so other work on the machine counts less).
Run: python -m bench.triage_classify [--repeat 5] [--model DIR]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from services.plumbing.settings import load_settings
from services.plumbing.testing import TestDataSettings
from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import TriageConfig
from services.triage.datasets import read_labelled
from services.triage.model import TextModel
from services.triage.training import train

BATCH = 1000


def rates(count: int, runs: dict[str, Callable[[int], object]], repeat: int) -> dict[str, float]:
    """Median tweets per CPU second of each ``run(start)`` over batches covering ``count``
    tweets; the runs take turns, so a change of load on the machine touches them alike."""
    seen: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            started = time.process_time()  # one core's CPU time
            for start in range(0, count, BATCH):
                run(start)
            seen[name].append(count / (time.process_time() - started))
    return {name: statistics.median(values) for name, values in seen.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--model", type=Path, help="a `triage train` directory to time")
    args = parser.parse_args()
    data = load_settings(TestDataSettings).data_dir
    with (data / "twcs_sample.csv").open(newline="", encoding="utf-8") as stream:
        texts = [r["text"] for r in csv.DictReader(stream)]
    facts = [TweetFacts(id=str(i), text=texts[i % len(texts)]) for i in range(20_000)]
    if args.model:
        model = TextModel.load(args.model)
    else:
        train_texts, labels = read_labelled(data / "complaints_train.csv")
        model = train(
            {"complaint": (train_texts, labels["complaint"])},
            now=datetime.now(UTC),
            sources=["complaints_train.csv"],
        )
    config = TriageConfig()

    def decide(with_model: TextModel | None) -> Callable[[int], object]:
        return lambda start: classify_batch(facts[start : start + BATCH], config, with_model)

    rule_scores = np.zeros((BATCH, 2))
    all_texts = [f.text for f in facts]

    def predict(start: int) -> object:
        return model.predict(all_texts[start : start + BATCH], rule_scores)

    n = len(facts)
    print(
        f"triage_classify: {n:,} tweets, batches of {BATCH:,}, CPU time of one core, "
        f"median of {args.repeat}"
    )
    runs = {
        "rules only": decide(None),
        f"rules + model ({model.version})": decide(model),
        "the model's part alone": predict,
    }
    for name, value in rates(n, runs, args.repeat).items():
        print(f"  {name:<36}: {value:>8,.0f} tweets/s")


if __name__ == "__main__":
    main()
