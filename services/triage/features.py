"""Features for the trainable model: hashed word and character n-grams plus the rules' scores.

Hashing needs no vocabulary (a model file stays small, any language works, character n-grams need
no Japanese tokenizer); the rules' scores let the model learn how far to trust them.

A batch is hashed at once with numpy, with no Python code per n-gram: the texts are normalised and
joined, and the hash of any span comes from one prefix sum over the code points (a polynomial hash
modulo 2**64). A text's features are its n-gram occurrences (``Grams``); each occurrence weighs its
column's idf, divided by the root of the sum of the squared weights of its block (words, chars) in
that text. The model scores a batch straight from the occurrences (``Grams.scores``); training
builds the same numbers as a sparse matrix (``weighted``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from scipy import sparse

from services.triage import rules

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

BITS = 18  # columns per block: 2**18 words and 2**18 characters
BLOCKS = 2
COLUMNS = BLOCKS << BITS
WORD_NS = (1, 2)
CHAR_NS = (2, 3, 4)
RULE_WEIGHT = 2.0
SIGNALS = (
    "rules_complaint",
    "rules_sentiment",
    "starts_with_mention",
    "has_mention",
    "has_question_mark",
    "exclamations",
    "capitals",
    "has_link",
    "length",
)

_P = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_P_INV = pow(_P, -1, 1 << 64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_PAIR = np.uint64(0x2545F4914F6CDD1D)
_SALT_WORD = 0x5BD1E995
_SALT_CHAR = 0x27D4EB2F
_SEP = "\x00"
_LINK = re.compile(r"https?://[^\s\x00]+")
_WORD, _ALPHA, _UPPER = 1, 2, 4


@cache
def _classes() -> npt.NDArray[np.uint8]:
    """Word character / letter / capital flags for every code point of the BMP."""
    table = np.zeros(0x10000, dtype=np.uint8)
    for code in range(0x10000):
        ch = chr(code)
        table[code] = (
            (_WORD if ch.isalnum() or ch in "_'" else 0)
            | (_ALPHA if ch.isalpha() else 0)
            | (_UPPER if ch.isupper() else 0)
        )
    return table


class _Powers:
    """``base**i`` modulo 2**64 for i < n, grown as longer batches come (kept between batches)."""

    def __init__(self, base: int) -> None:
        self.base = np.uint64(base)
        self.values = np.ones(1, dtype=np.uint64)

    def __call__(self, n: int) -> npt.NDArray[np.uint64]:
        if len(self.values) < n:
            grown = np.full(max(n, 2 * len(self.values)), self.base, dtype=np.uint64)
            grown[0] = 1
            self.values = np.cumprod(grown, dtype=np.uint64)  # wraps modulo 2**64, as meant
        return self.values[:n]


_POWERS = _Powers(_P)
_INVERSE_POWERS = _Powers(_P_INV)


def _codes(text: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _joined(texts: Sequence[str]) -> str:
    """The texts joined by NUL (a NUL inside a text becomes a space)."""
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:
        joined = _SEP.join(t.replace(_SEP, " ") for t in texts)
    return joined


def normalise(texts: Sequence[str]) -> str:
    """The texts lowercased, links as ``http``, white space collapsed, each between two spaces,
    each after a NUL (the first, too). Mentions stay: which brand a tweet addresses says something.
    """
    text = _LINK.sub("http", _joined(texts).lower()).replace("’", "'")
    # NULs are not white space: split() keeps them, and they mark where each text starts.
    return " ".join(f"{_SEP} {text.replace(_SEP, f' {_SEP} ')} {_SEP}".split())[:-1]


def _bucket(hashes: npt.NDArray[np.uint64], salt: int, block: int) -> Ints:
    mixed = (hashes ^ np.uint64(salt)) * _MIX  # the high bits of the product are well mixed
    return (mixed >> np.uint64(64 - BITS)).astype(np.int64) + (block << BITS)


@dataclass(frozen=True)
class Grams:
    """Every n-gram occurrence of a batch of ``count`` texts: its text (row) and column."""

    rows: Ints
    cols: Ints
    count: int
    words: Words | None = None  # the texts' words, when made from texts (not from counts)

    @classmethod
    def of_counts(cls, counts: sparse.csr_matrix) -> Grams:
        """The occurrences behind a matrix made by ``counts``."""
        matrix = counts.tocsr()
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        times = matrix.data.astype(np.int64)
        return cls(np.repeat(rows, times), np.repeat(matrix.indices, times), matrix.shape[0])

    def counts(self) -> sparse.csr_matrix:
        """How often each column occurs in each text: (texts x COLUMNS)."""
        ones = np.ones(len(self.rows))
        return sparse.csr_matrix((ones, (self.rows, self.cols)), shape=(self.count, COLUMNS))

    def scores(self, idf: Floats, weights: Floats) -> Floats:
        """``weighted(self.counts(), idf) @ (weights / idf).T`` without building a matrix:
        (texts x len(weights)). ``weights`` are coefficients already multiplied by the idf."""
        keys = self.rows * BLOCKS + (self.cols >> BITS)
        size = self.count * BLOCKS
        norms = np.sqrt(np.bincount(keys, weights=np.square(idf[self.cols]), minlength=size))
        norms[norms == 0] = 1.0  # a text without words (or characters): nothing to divide
        columns = [
            (np.bincount(keys, weights=row[self.cols], minlength=size) / norms)
            .reshape(self.count, BLOCKS)
            .sum(axis=1)
            for row in weights
        ]
        return np.stack(columns, axis=1) if columns else np.zeros((self.count, 0))

    def block_sums(self, table: Floats) -> Floats:
        """Per text and block (words, characters), the sum of ``table``'s rows (one per column)
        over the occurrences: (texts * BLOCKS x table's width). One gather and one sparse
        product, however many quantities the table holds."""
        keys = self.rows * BLOCKS + (self.cols >> BITS)
        occurrences = np.arange(len(keys))
        summing = sparse.csr_matrix(
            (np.ones(len(keys), dtype=table.dtype), (keys, occurrences)),
            shape=(self.count * BLOCKS, len(keys)),
        )
        sums: Floats = (summing @ table[self.cols]).astype(np.float64)
        return sums


def weighted(counts: sparse.csr_matrix, idf: Floats) -> sparse.csr_matrix:
    """The features ``Grams.scores`` sums, as a matrix (for training): each count times its
    column's idf, over the root of its text's block's sum of count x idf**2."""
    matrix = counts.tocsr(copy=True)
    matrix.sum_duplicates()
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    keys = rows * BLOCKS + (matrix.indices >> BITS)
    weights = idf[matrix.indices]
    norms = np.bincount(
        keys, weights=matrix.data * weights * weights, minlength=matrix.shape[0] * BLOCKS
    )
    matrix.data = matrix.data * weights / np.sqrt(norms[keys])
    return matrix


def idf_of(counts: sparse.csr_matrix) -> Floats:
    """Smooth inverse document frequency per column: ``ln((1 + n) / (1 + df)) + 1``."""
    df = np.bincount(counts.tocsr().indices, minlength=COLUMNS)
    idf: Floats = np.log((1.0 + counts.shape[0]) / (1.0 + df)) + 1.0
    return idf


@dataclass(frozen=True)
class Words:
    """The words of a batch in order: each one's 64-bit hash and the text (row) it is in."""

    hashes: npt.NDArray[np.uint64]
    rows: Ints


@dataclass(frozen=True)
class _Hashed:
    """A normalised batch as code points with the prefix sums that hash any span."""

    codes: npt.NDArray[np.uint32]
    prefix: npt.NDArray[np.uint64]
    unshift: npt.NDArray[np.uint64]
    row_of: Ints

    @classmethod
    def of(cls, texts: Sequence[str]) -> _Hashed:
        codes = _codes(normalise(texts))
        size = len(codes)
        prefix = np.zeros(size + 1, dtype=np.uint64)
        np.cumsum(codes.astype(np.uint64) * _POWERS(size), out=prefix[1:])
        # A NUL opens each text; no n-gram holds one.
        return cls(codes, prefix, _INVERSE_POWERS(size + 1), np.cumsum(codes == 0) - 1)

    def span(self, starts: Ints, ends: Ints) -> npt.NDArray[np.uint64]:
        """The hashes of ``codes[start:end]`` for each pair."""
        hashes: npt.NDArray[np.uint64] = (self.prefix[ends] - self.prefix[starts]) * (
            self.unshift[starts]
        )
        return hashes

    def words(self) -> Words:
        in_word = np.zeros(len(self.codes) + 2, dtype=np.int8)
        bmp = self.codes < 0x10000
        in_word[1:-1][bmp] = _classes()[self.codes[bmp]] & _WORD
        edges = np.diff(in_word)
        first, end = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        return Words(self.span(first, end), self.row_of[first])


_NO_WORDS = Words(np.zeros(0, np.uint64), np.zeros(0, np.int64))


def words(texts: Sequence[str]) -> Words:
    """The words of the normalised texts (as ``grams`` hashes them)."""
    return _Hashed.of(texts).words() if texts else _NO_WORDS


def grams(texts: Sequence[str]) -> Grams:
    """Word 1-2-grams and character 2-4-grams of the normalised texts, hashed into columns;
    the words themselves come along (``Grams.words``)."""
    if not texts:
        return Grams(np.zeros(0, np.int64), np.zeros(0, np.int64), 0, _NO_WORDS)
    hashed = _Hashed.of(texts)
    size = len(hashed.codes)
    seps_before = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(hashed.codes == 0, out=seps_before[1:])

    rows: list[Ints] = []
    cols: list[Ints] = []
    for n in CHAR_NS:
        starts = np.arange(max(0, size - n + 1))
        starts = starts[seps_before[starts + n] == seps_before[starts]]
        rows.append(hashed.row_of[starts])
        cols.append(_bucket(hashed.span(starts, starts + n), _SALT_CHAR + n, 1))

    found = hashed.words()
    gram = found.hashes
    for n in range(1, max(WORD_NS) + 1):
        if n > 1:  # gram[i] grows from words i..i+n-2 to words i..i+n-1
            gram = gram[:-1] * _PAIR + found.hashes[n - 1 :]
        if n in WORD_NS:
            same = found.rows[: len(gram)] == found.rows[n - 1 :]
            rows.append(found.rows[n - 1 :][same])
            cols.append(_bucket(gram[same], _SALT_WORD + n, 0))
    return Grams(np.concatenate(rows), np.concatenate(cols), len(texts), found)


def signals(texts: Sequence[str], rule_scores: Floats) -> Floats:
    """The dense features (``SIGNALS``): the rules' complaint and sentiment scores (one row per
    text, as ``classify`` computed them) and cheap facts of the raw text, scaled to [-1, 1]."""
    out = np.zeros((len(texts), len(SIGNALS)))
    if not texts:
        return out
    out[:, :2] = rule_scores
    out[:, 2] = [t.lstrip().startswith("@") for t in texts]
    out[:, 7] = ["http" in t for t in texts]
    codes = _codes(_joined(texts))
    rows = np.cumsum(codes == 0)
    size = len(texts)

    def per_text(mask: npt.NDArray[np.bool_]) -> Floats:
        return np.bincount(rows, weights=mask, minlength=size).astype(np.float64)

    out[:, 3] = per_text(codes == ord("@")) > 0
    out[:, 4] = per_text((codes == ord("?")) | (codes == ord("？"))) > 0
    out[:, 5] = np.minimum(per_text(codes == ord("!")), 3) / 3
    bmp = codes < 0x10000
    flags = np.zeros(len(codes), dtype=np.uint8)
    flags[bmp] = _classes()[codes[bmp]]
    letters = per_text((flags & _ALPHA).astype(bool))
    out[:, 6] = per_text((flags & _UPPER).astype(bool)) / np.maximum(1, letters)
    out[:, 8] = np.minimum(np.bincount(rows, minlength=size) - (np.arange(size) > 0), 280) / 280
    return out * RULE_WEIGHT


def rule_scores(texts: Sequence[str], langs: Sequence[str]) -> Floats:
    """The rules' complaint and sentiment scores per text, as ``classify`` computes them."""
    out = np.zeros((len(texts), 2))
    for row, (text, lang) in enumerate(zip(texts, langs, strict=True)):
        sentiment = rules.sentiment(text, lang)[1]
        out[row] = rules.complaint(text, lang, sentiment)[1], sentiment
    return out
