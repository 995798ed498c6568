"""How triage learns from its agents, by simulation: complaint macro-F1 against the number of
tweets agents decided, in English and in Japanese.

The loop `triage labels` → `triage train` → `triage eval` closes, simulated on ../shared/data:
a brand's tweets are split into a pool (what agents see) and a holdout (what is scored); model A
is trained on public data alone; agents decide N tweets of the pool, giving each the file's own
label (a correction where A was wrong, a confirmation where it was right, as the implicit labels
of `triage labels` are); model B is trained on the public data plus those N; both are scored on
the holdout through the product's decision path (`classify_batch`, as `triage eval` scores).
Each point is the mean over --seeds choices of the N tweets (the holdout stays the same).

- English: the brand is the industries of --brand-domains of complaints_train.csv; the public
  data is every other row of the file (other industries and the control tweets).
- Japanese: the only Japanese labels in the files are the FKC complaints (ja_complaints_train.csv,
  all complaints) and, as the only Japanese non-complaints, the brands' own Japanese tweets in
  twcs_sample.csv (few, and written by brands, not customers: no customer's Japanese
  non-complaint is labelled anywhere in ../shared/data — TWCS's Japanese customer tweets carry
  no label). So the Japanese figure that stands is the complaint recall on the held-out FKC
  complaints; the macro-F1 rests on a handful of brand tweets and the share of them flagged is
  printed beside it. The public data is all of complaints_train.csv (English): until agents
  have decided 50 Japanese tweets the model is not used for Japanese (``TextModel.langs``) and
  the rules decide.

Each language is measured on itself alone: the holdout is scored on the rows triage's own
language detection puts in the brand's language (the count of any left out is printed).

Complaint only (no sentiment, no reply tone) and C fixed at --c (10: what the grid picks for
complaint; `triage train` searches it): the curve's shape, at a fraction of the training time.
Run: python -m bench.triage_learning [--points 0,50,100,200,10000] [--seeds 2] [--only en|ja]
(about 10 minutes on two shared cores.)
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from services.plumbing.settings import load_settings
from services.plumbing.testing import TestDataSettings
from services.triage.config import TriageConfig
from services.triage.evaluation import decision, predict, score
from services.triage.lang import detect
from services.triage.model import TextModel
from services.triage.training import train

KANA = re.compile(r"[\u3040-\u30ff]")
HOLDOUT = 0.4
NOW = datetime(2026, 12, 2, tzinfo=UTC)


@dataclass(frozen=True)
class Scenario:
    name: str
    lang: str  # the brand's language: the holdout is scored on the rows triage says are in it
    public: tuple[list[str], list[str]]
    pool: list[tuple[str, str]]
    holdout: list[tuple[str, str]]


def _split(rows: list[tuple[str, str]], seed: int) -> tuple[list[tuple[str, str]], ...]:
    """Pool and holdout, stratified by label."""
    rng = np.random.default_rng(seed)
    pool, holdout = [], []
    for label in sorted({y for _, y in rows}):
        of = [r for r in rows if r[1] == label]
        of = [of[i] for i in rng.permutation(len(of))]
        cut = round(len(of) * HOLDOUT)
        holdout += of[:cut]
        pool += of[cut:]
    return pool, holdout


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def english(data: Path, domains: set[str]) -> Scenario:
    rows = _csv(data / "complaints_train.csv")
    brand = [(r["text"], r["complaint"]) for r in rows if r["domain"] in domains]
    public = [(r["text"], r["complaint"]) for r in rows if r["domain"] not in domains]
    pool, holdout = _split(brand, 0)
    name = f"English, brand = {', '.join(sorted(domains))}"
    return Scenario(name, "en", ([t for t, _ in public], [y for _, y in public]), pool, holdout)


def japanese(data: Path) -> Scenario:
    complaints = [(r["text"], "1") for r in _csv(data / "ja_complaints_train.csv")]
    own = [(r["text"], "0") for r in _csv(data / "twcs_sample.csv")
           if r["inbound"] != "True" and KANA.search(r["text"])]  # fmt: skip
    public = _csv(data / "complaints_train.csv")
    pool, holdout = _split(complaints + own, 0)
    return Scenario(
        "Japanese (FKC complaints; the brands' own Japanese tweets as non-complaints)", "ja",
        ([r["text"] for r in public], [r["complaint"] for r in public]), pool, holdout,
    )  # fmt: skip


@dataclass(frozen=True)
class Point:
    n: int
    macro_f1: float
    recall: float  # of the complaint class
    flagged: float  # of the non-complaints, the share taken for complaints
    corrections: float  # of the N, how many A had wrong


def in_language(rows: Sequence[tuple[str, str]], lang: str) -> list[tuple[str, str]]:
    """The rows triage says are in ``lang`` (its own language detection, as the product's
    per-language figures are cut): a language's figures are measured on that language alone."""
    return [r for r in rows if detect(r[0])[0] == lang]


def _scored(
    model: TextModel | None, holdout: Sequence[tuple[str, str]]
) -> tuple[float, float, float]:
    texts, truth = [t for t, _ in holdout], [y for _, y in holdout]
    said = [decision("complaint", t) for t in predict(texts, TriageConfig(), model)]
    found = score("complaint", truth, said)
    positives = [s for s, y in zip(said, truth, strict=True) if y == "1"]
    negatives = [s for s, y in zip(said, truth, strict=True) if y == "0"]
    return (found.macro_f1, positives.count("1") / max(1, len(positives)),
            negatives.count("1") / max(1, len(negatives)))  # fmt: skip


def curve(
    s: Scenario, points: list[int], seeds: int, c: float, say: Callable[[str], object]
) -> list[Point]:
    started = time.monotonic()
    holdout = in_language(s.holdout, s.lang)
    complaints = sum(y == "1" for _, y in holdout)
    say(
        f"{s.name}: scored on {len(holdout):,} held-out rows triage detects as {s.lang} "
        f"({complaints:,} complaints, {len(holdout) - complaints:,} not; "
        f"{len(s.holdout) - len(holdout):,} of the holdout in another language, left out)"
    )
    base = train({"complaint": s.public}, now=NOW, sources=["public"], c=c)
    pool_texts = [t for t, _ in s.pool]
    a_says = [decision("complaint", t) for t in predict(pool_texts, TriageConfig(), base)]
    rules = _scored(None, holdout)
    say(f"{s.name}: public {len(s.public[0]):,}, pool {len(s.pool):,}, holdout "
        f"{len(s.holdout):,}; rules alone: macro-F1 {rules[0]:.3f}, complaint recall "
        f"{rules[1]:.3f}, non-complaints flagged {rules[2]:.3f}")  # fmt: skip
    out = []
    for n in points:
        n = min(n, len(s.pool))
        runs = []
        for seed in range(seeds if 0 < n < len(s.pool) else 1):
            chosen = np.random.default_rng(seed).choice(len(s.pool), n, replace=False).tolist()
            wrong = sum(a_says[i] != s.pool[i][1] for i in chosen)
            texts = s.public[0] + [s.pool[i][0] for i in chosen]
            labels = s.public[1] + [s.pool[i][1] for i in chosen]
            model = (
                train({"complaint": (texts, labels)}, now=NOW, sources=["sim"], c=c) if n else base
            )
            runs.append((*_scored(model, holdout), wrong))
        point = Point(n, *(statistics.fmean(r[k] for r in runs) for k in range(4)))
        out.append(point)
        say(f"  N={n:>4}: macro-F1 {point.macro_f1:.3f}, complaint recall {point.recall:.3f}, "
            f"non-complaints flagged {point.flagged:.3f}, "
            f"{point.corrections:.0f} of the N were corrections "
            f"({time.monotonic() - started:.0f}s)")  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="0,50,100,200,10000",
                        help="numbers of tweets agents decided (capped at the pool)")  # fmt: skip
    parser.add_argument("--seeds", type=int, default=2, help="choices of the N tweets per point")
    parser.add_argument("--brand-domains", default="electronics,software,services")
    parser.add_argument("--c", type=float, default=10.0, help="the regression's C, fixed")
    parser.add_argument("--only", choices=["en", "ja"], help="one language")
    args = parser.parse_args()
    data = load_settings(TestDataSettings).data_dir
    points = [int(p) for p in args.points.split(",")]

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    scenarios = []
    if args.only in (None, "en"):
        scenarios.append(english(data, set(args.brand_domains.split(","))))
    if args.only in (None, "ja"):
        scenarios.append(japanese(data))
    results = {s.name: curve(s, points, args.seeds, args.c, say) for s in scenarios}
    for name, found in results.items():
        print(name)
        print(f"{'N decided':>10} {'macro-F1':>9} {'recall':>7} {'flagged':>8} {'corrections':>12}")
        for p in found:
            print(
                f"{p.n:>10} {p.macro_f1:>9.3f} {p.recall:>7.3f} {p.flagged:>8.3f} "
                f"{p.corrections:>12.0f}"
            )


if __name__ == "__main__":
    main()
