"""Labelled CSV files for training and evaluation: a text column and label columns.

Recognised label columns: ``complaint`` (0/1) and ``airline_sentiment`` or ``sentiment``
(negative/neutral/positive). The formats of complaints_train.csv and airline_sentiment_train.csv
work as they are, and so does the file of ``tweetcare triage labels`` (its other columns, what
triage said and where each label came from, are for the people who audit it; an empty label
cell is no label for that row).
"""

from __future__ import annotations

import csv
from pathlib import Path

LABEL_COLUMNS = {
    "complaint": "complaint",
    "airline_sentiment": "sentiment",
    "sentiment": "sentiment",
}
TEXT_COLUMNS = ("text", "tweet", "message")


class DatasetError(ValueError):
    """A labelled file cannot be used; the message says why and what columns it has."""


def read_labelled(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    """The texts and, per label, the value of each row (rows without a text are dropped; a
    label's empty cells are kept as ``""``: :func:`read_datasets` drops them)."""
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        columns = reader.fieldnames or []
        text_col = next((c for c in TEXT_COLUMNS if c in columns), None)
        labels = {c: LABEL_COLUMNS[c] for c in columns if c in LABEL_COLUMNS}
        if text_col is None or not labels:
            raise DatasetError(
                f"{path}: needs a text column ({', '.join(TEXT_COLUMNS)}) and a label column "
                f"({', '.join(LABEL_COLUMNS)}); it has: {', '.join(columns)}"
            )
        rows = [r for r in reader if r.get(text_col)]
    texts = [r[text_col] for r in rows]
    return texts, {name: [str(r[col]).strip() for r in rows] for col, name in labels.items()}


def read_datasets(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Per label, the texts that have a value for it and those values (empty cells dropped)."""
    texts, labels = read_labelled(path)
    out: dict[str, tuple[list[str], list[str]]] = {}
    for name, values in labels.items():
        kept = [(t, v) for t, v in zip(texts, values, strict=True) if v]
        out[name] = ([t for t, _ in kept], [v for _, v in kept])
    return out
