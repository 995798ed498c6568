"""`eval --compare` per language: each language's figure is measured on that language's rows
alone, and a language whose rows hold one class only (the Japanese complaints: every one a
complaint) gets that class's recall, not a "macro-F1" of one class."""

from __future__ import annotations

from services.triage.evaluation import by_language, compare


def _line(report: str, start: str) -> list[str]:
    return next(line for line in report.splitlines() if line.startswith(start)).split()


def test_each_language_is_measured_on_its_own_rows() -> None:
    truth = ["1", "0", "1", "0", "1", "1", "1", "1"]
    langs = ["en", "en", "en", "en", "ja", "ja", "ja", "ja"]
    old = ["1", "1", "0", "0", "1", "0", "0", "0"]  # en: 1 of 2 right per class; ja: 1 of 4
    new = ["1", "0", "1", "0", "1", "1", "1", "0"]  # en: all right; ja: 3 of 4
    report = compare("complaint", truth, langs, {"old A": old, "new B": new})
    assert _line(report, "  en (4 rows)")[-3:] == ["0.5000", "1.0000", "+0.5000"]
    assert _line(report, "  ja (4 rows, all 1): recall")[-3:] == ["0.2500", "0.7500", "+0.5000"]
    # the whole file mixes both: not what either language scores
    assert _line(report, "macro-F1")[1:] != _line(report, "  en (4 rows)")[-3:]


def test_languages_most_frequent_first() -> None:
    assert by_language(["ja", "en", "en", "und"]) == [("en", [1, 2]), ("ja", [0]), ("und", [3])]
