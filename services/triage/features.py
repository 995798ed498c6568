"""Features for the trainable model: hashed word and character n-grams plus the rules' scores.

Hashing needs no vocabulary (a model file stays small, any language works, character n-grams need
no Japanese tokenizer); the rules' scores let the model learn how far to trust them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from services.plumbing.contracts.tweets import Topic
from services.triage import lexicon, rules
from services.triage.lang import detect
from services.triage.matching import found, script_of

WORDS = HashingVectorizer(
    ngram_range=(1, 3),
    n_features=2**20,
    alternate_sign=False,
    norm=None,
    token_pattern=r"(?u)\b\w+\b|[!?]",  # noqa: S106 (a regex, not a secret)
)
CHARS = HashingVectorizer(
    analyzer="char_wb", ngram_range=(1, 5), n_features=2**20, alternate_sign=False, norm=None
)
RULE_WEIGHT = 2.0


def rule_vector(text: str, lang: str | None = None) -> list[float]:
    """The rules' view of one text, as numbers in [-1, 1]."""
    lang = lang or detect(text)[0]
    script = script_of(lang)
    sentiment = rules.sentiment(text, lang)[1]
    complaint = rules.complaint(text, lang, sentiment, addressed="@" in text)[1]
    cues = found("complaint", script, lexicon.COMPLAINT_CUES[script], text)
    praise = found("praise", script, lexicon.TOPICS[Topic.PRAISE][script], text)
    letters = [ch for ch in text if ch.isalpha()]
    caps = sum(ch.isupper() for ch in letters) / max(1, len(letters))
    return [
        complaint,
        sentiment,
        min(len(cues), 5) / 5,
        float(bool(rules.negated(text, lang))),
        float(text.lstrip().startswith("@")),
        float("@" in text),
        float("?" in text or "？" in text),
        min(text.count("!"), 3) / 3,
        caps,
        float("http" in text),
        min(len(praise), 3) / 3,
        min(len(text), 280) / 280,
    ]


def hashed(texts: Sequence[str]) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Raw word and character n-gram counts (the model's idf weights apply on top)."""
    return WORDS.transform(texts), CHARS.transform(texts)


def rule_matrix(texts: Sequence[str], langs: Sequence[str] | None = None) -> sparse.csr_matrix:
    rows = [rule_vector(t, langs[i] if langs else None) for i, t in enumerate(texts)]
    return sparse.csr_matrix(np.asarray(rows, dtype=np.float64) * RULE_WEIGHT)
