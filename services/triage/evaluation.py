"""Macro-F1 and confusion matrices of triage's decisions against labelled files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

from services.plumbing.contracts.tweets import Triage
from services.triage.classify import TweetFacts, classify_batch
from services.triage.config import TriageConfig
from services.triage.model import LabelModel, TextModel
from services.triage.training import train


@dataclass(frozen=True)
class Score:
    label: str
    macro_f1: float
    classes: list[str]
    matrix: list[list[int]]
    rows: int

    def render(self) -> str:
        cells = [*self.classes, *(str(n) for row in self.matrix for n in row)]
        width = max(len(c) for c in cells) + 2
        head = " " * width + "".join(f"{c:>{width}}" for c in self.classes) + "   (predicted)"
        lines = [f"{self.label}: macro-F1 {self.macro_f1:.4f} on {self.rows} rows", head]
        for cls, row in zip(self.classes, self.matrix, strict=True):
            lines.append(f"{cls:>{width}}" + "".join(f"{n:>{width}}" for n in row))
        return "\n".join(lines)


def decision(label: str, triage: Triage) -> str:
    """Triage's answer for ``label``, spelled as the labelled files spell it."""
    if label == "complaint":
        return "1" if triage.complaint else "0"
    return triage.sentiment.value


def score(label: str, truth: Sequence[str], predicted: Sequence[str]) -> Score:
    classes = sorted(set(truth) | set(predicted))
    return Score(
        label=label,
        macro_f1=float(f1_score(truth, predicted, average="macro", labels=sorted(set(truth)))),
        classes=classes,
        matrix=confusion_matrix(truth, predicted, labels=classes).tolist(),
        rows=len(truth),
    )


def predict(texts: Sequence[str], config: TriageConfig, model: TextModel | None) -> list[Triage]:
    facts = [TweetFacts(id=str(i), text=t) for i, t in enumerate(texts)]
    out: list[Triage] = []
    for start in range(0, len(facts), 2000):
        out.extend(classify_batch(facts[start : start + 2000], config, model))
    return out


def cross_validate(
    label: str,
    texts: Sequence[str],
    truth: Sequence[str],
    folds: int,
    config: TriageConfig,
    now: datetime,
    progress: Callable[[str], object] | None = None,
    tone: LabelModel | None = None,
    also: dict[str, tuple[list[str], list[str]]] | None = None,
) -> Score:
    """Train on k-1 folds, classify the held-out fold through the full decision path. The reply
    tone and the labels of ``also`` (other files, e.g. sentiment for complaint) are trained once
    on all their data, as the product trains them, and are the same for every fold."""
    others = {name: data for name, data in (also or {}).items() if name != label}
    given = train(others, now=now, sources=["cross-validation"], tone=tone).labels if others else {}
    predicted = np.empty(len(texts), dtype=object)
    y = np.asarray(truth)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=0)
    for fold, (train_idx, test_idx) in enumerate(splitter.split(texts, y), start=1):
        model = train(
            {label: ([texts[i] for i in train_idx], [truth[i] for i in train_idx])},
            now=now,
            sources=["cross-validation"],
            tone=tone,
            given=given,
        )
        triages = predict([texts[i] for i in test_idx], config, model)
        predicted[test_idx] = [decision(label, t) for t in triages]
        if progress is not None:
            progress(f"eval: {label}: fold {fold}/{folds} done")
    return score(label, list(truth), [str(p) for p in predicted])


def _f1(truth: Sequence[str], predicted: Sequence[str], classes: list[str]) -> list[float]:
    per: list[float] = f1_score(truth, predicted, average=None, labels=classes).tolist()
    return per


def by_language(langs: Sequence[str]) -> list[tuple[str, list[int]]]:
    """The rows of each language (triage's ``lang``), the most frequent language first."""
    rows: dict[str, list[int]] = {}
    for i, lang in enumerate(langs):
        rows.setdefault(lang, []).append(i)
    return sorted(rows.items(), key=lambda item: (-len(item[1]), item[0]))


def compare(
    label: str,
    truth: Sequence[str],
    langs: Sequence[str],
    sides: dict[str, Sequence[str]],
) -> str:
    """Two (or more) models' decisions on the same rows side by side: macro-F1, F1 per class,
    macro-F1 per language (triage's; each on that language's rows alone, and the recall of the
    class when a language's rows hold one class only, as the Japanese complaints do), then each
    one's confusion matrix."""
    names = list(sides)
    classes = sorted(set(truth))
    scores = {n: score(label, truth, p) for n, p in sides.items()}
    width = max(14, *(len(n) + 2 for n in names))
    lines = [f"{label}: {len(truth)} rows", f"{'':<22}" + "".join(f"{n:>{width}}" for n in names)]
    if len(names) == 2:
        lines[-1] += f"{'change':>10}"

    def line(name: str, values: list[float]) -> str:
        text = f"{name:<22}" + "".join(f"{v:>{width}.4f}" for v in values)
        return text + (f"{values[1] - values[0]:>+10.4f}" if len(values) == 2 else "")

    lines.append(line("macro-F1", [scores[n].macro_f1 for n in names]))
    per_class = {n: _f1(truth, p, classes) for n, p in sides.items()}
    for i, cls in enumerate(classes):
        lines.append(line(f"  F1 {cls}", [per_class[n][i] for n in names]))
    for lang, rows in by_language(langs):
        sub = [truth[i] for i in rows]
        if len(set(sub)) == 1:  # one class only: a macro-F1 would be that class's F1; say recall
            (only,) = set(sub)
            values = [sum(sides[n][i] == only for i in rows) / len(rows) for n in names]
            lines.append(line(f"  {lang} ({len(rows)} rows, all {only}): recall", values))
            continue
        values = [
            float(f1_score(sub, [sides[n][i] for i in rows], average="macro",
                           labels=sorted(set(sub))))
            for n in names
        ]  # fmt: skip
        lines.append(line(f"  {lang} ({len(rows)} rows)", values))
    for name in names:
        lines.append(f"confusion, {name} (rows: truth)")
        lines.append(scores[name].render().split("\n", 1)[1])
    return "\n".join(lines)
