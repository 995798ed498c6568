"""How many tweets a second `classify` decides on one core (issue 7 target: 5,000/s).

Classifies the texts of ../shared/data/twcs_sample.csv (repeated to 20,000) in batches of 1,000
with the rules alone, and with a model trained on complaints_train.csv. Run:
python -m bench.triage_classify
"""

from __future__ import annotations

import csv
import time
from datetime import UTC, datetime

from services.plumbing.settings import load_settings
from services.plumbing.testing import TestDataSettings
from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import TriageConfig
from services.triage.datasets import read_labelled
from services.triage.model import TextModel, train


def rate(facts: list[TweetFacts], model: TextModel | None) -> float:
    config = TriageConfig()
    started = time.process_time()  # one core's CPU time
    for start in range(0, len(facts), 1000):
        classify_batch(facts[start : start + 1000], config, model)
    return len(facts) / (time.process_time() - started)


def main() -> None:
    data = load_settings(TestDataSettings).data_dir
    with (data / "twcs_sample.csv").open(newline="", encoding="utf-8") as stream:
        texts = [r["text"] for r in csv.DictReader(stream)]
    facts = [TweetFacts(id=str(i), text=texts[i % len(texts)]) for i in range(20_000)]
    train_texts, labels = read_labelled(data / "complaints_train.csv")
    model = train(
        {"complaint": (train_texts, labels["complaint"])},
        now=datetime.now(UTC),
        sources=["complaints_train.csv"],
    )
    print(f"triage_classify: {len(facts):,} tweets, batches of 1,000, CPU time of one core")
    print(f"  rules only          : {rate(facts, None):>8,.0f} tweets/s")
    print(f"  rules + model ({model.version}): {rate(facts, model):>8,.0f} tweets/s")


if __name__ == "__main__":
    main()
