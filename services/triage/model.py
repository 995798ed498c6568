"""The trainable model as the running service uses it: one linear classifier per label over
hashed n-grams and rule scores, predicting a whole batch at once with numpy alone.

:mod:`services.triage.training` fits it (and alone imports scikit-learn);
``TextModel.save``/``load`` keep it in a directory (``model.joblib`` and ``meta.json``). Only
load model directories you made: joblib files are pickles.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from services.triage import features, valence
from services.triage.features import COLUMNS, Floats

MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
# What model.joblib holds; a model of another format must be trained again.
# lr5: the rules' complaint score (a feature) no longer depends on an @-mention in the text.
FORMAT = "lr5"
# The reply tone (services.triage.conversations) and labels that feed others join the dense
# features as log-probabilities scaled to their range (services.triage.training says why).
TONE_LABEL = "reply_tone"
TONE_WEIGHT = 0.25
MARGIN = 0.0  # how far from the threshold a two-class model must be to decide
# Labels whose output is a feature of another label, scaled like the tone. A complaint is
# reality breaking an expectation, which is said in negative words: the sentiment model (trained
# on its own file) as three features of the complaint label took complaint macro-F1 from 0.844 to
# 0.852 (model alone, C 10, mean of five 10-fold splits of complaints_train.csv; better on
# every split). Such an input label must not take inputs itself.
FEEDS: dict[str, tuple[str, ...]] = {"complaint": ("sentiment",)}


class ModelError(Exception):
    """A model directory is missing, unreadable or of another version; says which."""


@dataclass
class LabelModel:
    """One label (e.g. ``complaint``): idf weights, linear coefficients and how to decide.

    ``coef`` has one row per class (one-vs-rest), or one row for the second of two classes; its
    columns are the hashed n-grams (``features.COLUMNS``, the regression's coefficients times the
    idf: what one occurrence adds before the norm) then ``features.SIGNALS``.
    """

    name: str
    classes: list[str]
    idf: Floats
    coef: Floats
    intercept: Floats
    c: float
    threshold: float | None = None  # two classes: probability of the second one
    margin: float = MARGIN  # how far from the threshold the model must be to decide
    inputs: tuple[str, ...] = ()  # labels whose probabilities are among its dense features

    def probabilities(self, grams: features.Grams, dense: Floats) -> Floats:
        """(texts x classes) probabilities of a batch."""
        return self.squash(grams.scores(self.idf, self.coef[:, :COLUMNS]), dense)

    def squash(self, scores: Floats, dense: Floats) -> Floats:
        """Probabilities from the n-grams' scores (``Grams.scores``) and the dense features."""
        raw: Floats = scores + dense @ self.coef[:, COLUMNS:].T + self.intercept
        positive = 1.0 / (1.0 + np.exp(-raw))
        if len(self.classes) == 2:
            return np.column_stack([1.0 - positive[:, 0], positive[:, 0]])
        # One-vs-rest scores as the logits of a softmax: the same argmax as normalising the
        # sigmoids, but a confidence that does not shrink because every class scored low.
        shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
        normalised: Floats = shifted / shifted.sum(axis=1, keepdims=True)
        return normalised

    def predict(self, grams: features.Grams, dense: Floats) -> list[tuple[str, float]]:
        """Each row's label and the probability behind it."""
        return self.decide(self.probabilities(grams, dense))

    def decide(self, probs: Floats) -> list[tuple[str, float]]:
        """Each row's label and the probability behind it, from ``probabilities``."""
        if self.threshold is not None and len(self.classes) == 2:
            yes, no = self.classes[1], self.classes[0]
            threshold = self.threshold
            return [(yes, p) if p >= threshold else (no, 1 - p) for p in probs[:, 1].tolist()]
        best = probs.argmax(axis=1)
        chosen = probs[np.arange(len(best)), best].tolist()
        return [(self.classes[i], p) for i, p in zip(best.tolist(), chosen, strict=True)]


@dataclass
class TextModel:
    version: str
    labels: dict[str, LabelModel]
    langs: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT
    tone: LabelModel | None = None  # learned from conversations; its output feeds the labels

    def predict(
        self, texts: Sequence[str], rule_scores: Floats
    ) -> dict[str, list[tuple[str, float]]]:
        """Every label's prediction for every text. ``rule_scores`` holds, per text, the rules'
        complaint and sentiment scores (``features.rule_scores`` computes them)."""
        if not texts:
            return {name: [] for name in self.labels}
        grams = features.grams(texts)
        scores = self._scoring().scores(grams)
        dense = base_dense(texts, grams, rule_scores)
        if self.tone is not None:
            dense = with_inputs(dense, [self.tone.squash(scores[TONE_LABEL], dense)])
        probs: dict[str, Floats] = {}
        for name in in_order(list(self.labels)):  # a label's inputs before the label
            label = self.labels[name]
            fed = with_inputs(dense, [probs[n] for n in label.inputs])
            probs[name] = label.squash(scores[name], fed)
        return {name: label.decide(probs[name]) for name, label in self.labels.items()}

    def _scoring(self) -> _Scoring:
        """Every label's n-gram weights in one table (made on first use, not saved)."""
        scoring = self.__dict__.get("_scoring_table")
        if scoring is None:
            models = [*self.labels.values(), *([self.tone] if self.tone is not None else [])]
            scoring = self.__dict__["_scoring_table"] = _Scoring.of(models)
        assert isinstance(scoring, _Scoring)
        return scoring

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_scoring_table"}

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, directory / MODEL_FILE, compress=3)
        (directory / META_FILE).write_text(json.dumps(self.meta, indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path) -> TextModel:
        path = directory / MODEL_FILE
        if not path.is_file():
            raise ModelError(
                f"no model at {path}: train one with `tweetcare triage train --data FILE.csv "
                f"--out {directory}`"
            )
        try:
            model = joblib.load(path)
        except Exception as exc:  # a damaged or foreign file: several error types
            raise ModelError(f"cannot load the model in {directory}: {exc}") from exc
        if not isinstance(model, cls):
            raise ModelError(f"{path} does not hold a tweetcare triage model")
        if vars(model).get("format") != FORMAT:  # not getattr: the class has a default
            raise ModelError(
                f"{path} holds model {model.version} of an older format; train it again with "
                f"`tweetcare triage train --data FILE.csv --out {directory}`"
            )
        return model


@dataclass(frozen=True)
class _Scoring:
    """The n-gram weights of several labels side by side, so a batch is gathered and summed
    once for all of them (``Grams.block_sums``), instead of once per label and class. Per label:
    a column of squared idf (the norms) and one column per coefficient row."""

    table: Floats  # COLUMNS x (sum over labels of 1 + rows)
    spans: dict[str, tuple[int, int]]  # label -> (its idf column, one past its last column)

    @classmethod
    def of(cls, models: list[LabelModel]) -> _Scoring:
        columns: list[Floats] = []
        spans: dict[str, tuple[int, int]] = {}
        for model in models:
            start = sum(len(c) for c in columns)
            columns.append(np.vstack([np.square(model.idf), model.coef[:, :COLUMNS]]))
            spans[model.name] = (start, start + 1 + len(model.coef))
        return cls(np.ascontiguousarray(np.vstack(columns).T, dtype=np.float32), spans)

    def scores(self, grams: features.Grams) -> dict[str, Floats]:
        """Each label's ``Grams.scores``: (texts x coefficient rows)."""
        sums = grams.block_sums(self.table)
        out: dict[str, Floats] = {}
        for name, (start, end) in self.spans.items():
            norms = np.sqrt(sums[:, start])
            norms[norms == 0] = 1.0
            per_block = sums[:, start + 1 : end] / norms[:, None]
            out[name] = per_block.reshape(grams.count, features.BLOCKS, -1).sum(axis=1)
        return out


def base_dense(texts: Sequence[str], grams: features.Grams, rule_scores: Floats) -> Floats:
    """The dense features every label and the reply tone get: the signals and the words'
    valence."""
    assert grams.words is not None  # made from the texts
    return np.hstack(
        [
            features.signals(texts, rule_scores),
            valence.of_words(grams.words, len(texts)) * features.RULE_WEIGHT,
        ]
    )


def with_inputs(dense: Floats, inputs: list[Floats]) -> Floats:
    """``dense`` and the log-probabilities of models whose output is a feature (the reply tone,
    a label's input labels)."""
    if not inputs:
        return dense
    return np.hstack([dense, *(np.log(np.clip(p, 1e-9, 1.0)) * TONE_WEIGHT for p in inputs)])


def in_order(names: Sequence[str]) -> list[str]:
    """Labels that feed others first, the rest in name order."""
    feeding = {n for inputs in FEEDS.values() for n in inputs}
    return sorted(names, key=lambda n: (n not in feeding, n))


def dense_features(
    texts: Sequence[str], grams: features.Grams, rule_scores: Floats, tone: LabelModel | None
) -> Floats:
    """The dense features of a batch for the labels (``base_dense``, with the tone if any)."""
    dense = base_dense(texts, grams, rule_scores)
    return dense if tone is None else with_inputs(dense, [tone.probabilities(grams, dense)])
