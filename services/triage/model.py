"""The trainable model: one linear classifier per label over hashed n-grams and rule scores.

``train`` fits it from labelled texts; ``TextModel.save``/``load`` keep it in a directory
(``model.joblib`` and ``meta.json``). Only load model directories you made: joblib files are
pickles. A model holds plain numpy arrays (idf weights, coefficients) and predicts with numpy
alone, a whole batch at once.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from services.triage import conversations, features, valence
from services.triage.features import COLUMNS, Floats
from services.triage.lang import detect

MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
# What model.joblib holds; a model of another format must be trained again.
FORMAT = "lr4"
# C is chosen by cross-validation inside the training data (never on the data tested on).
C_GRID = (3.0, 10.0, 30.0)
# Beyond two classes (sentiment) the n-gram features are scaled by naive Bayes log-count ratios
# (NB-LR, Wang & Manning 2012), smoothed by NB_ALPHA (fixed a priori: the paper's 1). The scaled
# features are larger, so C is searched one step lower. In 5-fold CV of the model alone on
# airline sentiment this gave macro-F1 0.770 against 0.759; on complaints (two classes) it cost
# 0.003 in 10-fold CV, so two-class labels keep the plain features.
NB_ALPHA = 1.0
NB_C_GRID = (1.0, 3.0, 10.0)
INNER_FOLDS = 5
# Fixed, not tuned: with balanced class weights 0.5 is the natural threshold (tuning threshold
# and margin in the inner folds gave 0.834 complaint macro-F1 in 10-fold CV, these fixed ones
# 0.847), and as the rules' scores are features, handing tweets near the threshold back to the
# rules counts them twice (a margin of 0.1 cost 0.006-0.014 in the same CV).
THRESHOLD = 0.5
MARGIN = 0.0
# The reply tone (services.triage.conversations) is learned once from many noisy labels, so C is
# fixed rather than searched (1.0: the NB-scaled grid's lowest, as noisy labels want); its
# log-probabilities join the dense features scaled to their range.
TONE_LABEL = "reply_tone"
TONE_C = 1.0
TONE_WEIGHT = 0.25
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
        for name in _in_order(list(self.labels)):  # a label's inputs before the label
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


def _in_order(names: Sequence[str]) -> list[str]:
    """Labels that feed others first, the rest in name order."""
    feeding = {n for inputs in FEEDS.values() for n in inputs}
    return sorted(names, key=lambda n: (n not in feeding, n))


def dense_features(
    texts: Sequence[str], grams: features.Grams, rule_scores: Floats, tone: LabelModel | None
) -> Floats:
    """The dense features of a batch for the labels (``base_dense``, with the tone if any)."""
    dense = base_dense(texts, grams, rule_scores)
    return dense if tone is None else with_inputs(dense, [tone.probabilities(grams, dense)])


@dataclass(frozen=True)
class _Data:
    """One label's training data as features: n-gram counts, dense signals, labels."""

    counts: sparse.csr_matrix
    dense: Floats
    y: npt.NDArray[np.str_]
    classes: list[str]

    @classmethod
    def of(
        cls,
        texts: Sequence[str],
        langs: Sequence[str],
        values: Sequence[str],
        tone: LabelModel | None = None,
    ) -> _Data:
        grams = features.grams(texts)
        return cls(
            grams.counts(),
            dense_features(texts, grams, features.rule_scores(texts, langs), tone),
            np.asarray(values, dtype=np.str_),
            sorted(set(values)),
        )


def _fit(name: str, data: _Data, rows: npt.NDArray[np.int64], c: float) -> LabelModel:
    """Logistic regression (one-vs-rest beyond two classes) on ``rows`` of ``data``."""
    counts = data.counts[rows]
    idf = features.idf_of(counts)
    matrix = sparse.hstack([features.weighted(counts, idf), data.dense[rows]]).tocsr()
    targets = data.classes[1:] if len(data.classes) == 2 else data.classes
    present = (counts > 0).astype(np.float64).tocsr()
    coef, intercept = [], []
    for target in targets:
        positive = data.y[rows] == target
        ratio = np.ones(matrix.shape[1])
        if len(data.classes) > 2:
            ratio[:COLUMNS] = _log_count_ratio(present, positive)
        # liblinear: as accurate as lbfgs here and much faster on half a million sparse columns.
        classifier = LogisticRegression(
            C=c, max_iter=3000, class_weight="balanced", solver="liblinear"
        )
        classifier.fit(matrix @ sparse.diags(ratio), positive)
        coef.append(classifier.coef_[0] * ratio)  # scaling the features = scaling the weights
        intercept.append(classifier.intercept_[0])
    weights = np.asarray(coef)
    weights[:, :COLUMNS] *= idf  # what one occurrence adds, before the norm (Grams.scores)
    return LabelModel(name, data.classes, idf, weights, np.asarray(intercept), c)


def _log_count_ratio(present: sparse.csr_matrix, positive: npt.NDArray[np.bool_]) -> Floats:
    """Per column, how much likelier a text of the target class holds it than any other text:
    ``ln(p / |p|) - ln(q / |q|)`` with p, q the smoothed document counts in and out of the class.
    N-grams as common in the class as out of it get a ratio near 0 and fade; telling ones grow."""
    p = np.asarray(present[positive].sum(axis=0)).ravel() + NB_ALPHA
    q = np.asarray(present[~positive].sum(axis=0)).ravel() + NB_ALPHA
    ratio: Floats = np.log(p / p.sum()) - np.log(q / q.sum())
    return ratio


def _held_out(name: str, data: _Data, c: float) -> Floats:
    """Each row's class probabilities from a model that did not see it (inner k-fold)."""
    probs = np.zeros((len(data.y), len(data.classes)))
    folds = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=0)
    for train_rows, test_rows in folds.split(data.dense, data.y):
        model = _fit(name, data, train_rows, c)
        held_out = features.Grams.of_counts(data.counts[test_rows])
        probs[test_rows] = model.probabilities(held_out, data.dense[test_rows])
    return probs


def _macro_f1(data: _Data, probs: Floats) -> float:
    if len(data.classes) == 2:
        predicted = np.where(probs[:, 1] >= THRESHOLD, data.classes[1], data.classes[0])
    else:
        predicted = np.asarray(data.classes)[probs.argmax(axis=1)]
    return float(f1_score(data.y, predicted, average="macro"))


def _fit_label(
    name: str,
    texts: Sequence[str],
    langs: Sequence[str],
    values: Sequence[str],
    tone: LabelModel | None,
    available: dict[str, LabelModel],
) -> LabelModel:
    data = _Data.of(texts, langs, values, tone)
    inputs = tuple(n for n in FEEDS.get(name, ()) if n in available)
    if inputs:
        grams = features.Grams.of_counts(data.counts)
        fed = [available[n].probabilities(grams, data.dense) for n in inputs]
        data = _Data(data.counts, with_inputs(data.dense, fed), data.y, data.classes)
    if len(data.classes) < 2:
        raise ModelError(f"{name}: needs at least two classes to train, has {data.classes}")
    grid = NB_C_GRID if len(data.classes) > 2 else C_GRID
    c = max(grid, key=lambda c: _macro_f1(data, _held_out(name, data, c)))
    model = _fit(name, data, np.arange(len(data.y)), c)
    model.threshold = THRESHOLD if len(data.classes) == 2 else None
    model.inputs = inputs
    return model


def train_tone(pairs: list[conversations.Pair]) -> LabelModel:
    """The reply tone learned from (customer tweet, brand answer) pairs (distant supervision)."""
    texts, tones = conversations.labelled(pairs)
    data = _Data.of(texts, [detect(t)[0] for t in texts], tones)
    if len(data.classes) < 2:
        raise ModelError(f"the conversations give one tone only ({data.classes}): add more")
    return _fit(TONE_LABEL, data, np.arange(len(data.y)), TONE_C)


def train(
    datasets: dict[str, tuple[list[str], list[str]]],
    *,
    now: datetime,
    sources: list[str],
    tone: LabelModel | None = None,
    given: dict[str, LabelModel] | None = None,
) -> TextModel:
    """Fit one classifier per label from ``{label: (texts, labels)}``; C is chosen by
    cross-validation on the training data alone. With ``tone`` (``train_tone``) its output is a
    feature of every label; a label of ``FEEDS`` is a feature of the labels it feeds. ``given``
    labels (trained before, with the same tone) join the model as they are."""
    labels: dict[str, LabelModel] = dict(given or {})
    langs_seen: Counter[str] = Counter()
    digest = hashlib.sha256()
    if tone is not None:
        digest.update(tone.coef.tobytes())
    for label in labels.values():
        digest.update(label.name.encode() + label.coef.tobytes())
    for name in _in_order(list(datasets)):
        texts, values = datasets[name]
        langs = [detect(t)[0] for t in texts]
        langs_seen.update(langs)
        digest.update(name.encode() + "\0".join(texts).encode() + "\0".join(values).encode())
        labels[name] = _fit_label(name, texts, langs, values, tone, labels)
    version = f"{FORMAT}-{now:%Y%m%d}-{digest.hexdigest()[:8]}"
    common = [lang for lang, n in langs_seen.most_common() if n >= 50]
    meta = {
        "version": version,
        "format": FORMAT,
        "created_at": now.isoformat(),
        "labels": {
            n: {
                "classes": m.classes,
                "c": m.c,
                "threshold": m.threshold,
                "margin": m.margin,
                "inputs": list(m.inputs),
            }
            for n, m in labels.items()
        },
        "rows": {n: len(t) for n, (t, _) in datasets.items()},
        "sources": sources,
        "langs": common,
        "reply_tone": tone is not None,
    }
    return TextModel(version, labels, common, meta, tone=tone)
