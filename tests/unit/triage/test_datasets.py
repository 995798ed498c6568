"""Labelled CSV files for `tweetcare triage train|eval`: the columns they may use, rows without
text dropped, other files refused with what they have (files we wrote, in the shapes of
complaints_train.csv and airline_sentiment_train.csv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.triage.datasets import DatasetError, read_labelled


def test_a_complaints_file_gives_texts_and_complaint_values(tmp_path: Path) -> None:
    path = tmp_path / "complaints.csv"
    path.write_text(
        "tweet_id,text,complaint,domain\n"
        '1,"@acme my parcel, again, never came",1,retail\n'
        "2,,0,retail\n"
        "3,lovely day at the beach,0 ,random_tweet\n",
        encoding="utf-8",
    )
    assert read_labelled(path) == (
        ["@acme my parcel, again, never came", "lovely day at the beach"],
        {"complaint": ["1", "0"]},
    )


def test_an_airline_sentiment_file_gives_the_sentiment_label(tmp_path: Path) -> None:
    path = tmp_path / "airline.csv"
    path.write_text(
        "tweet_id,airline_sentiment,negativereason,tweet\n"
        "1,negative,Late Flight,@boltair two hours late\n"
        "2,positive,,@boltair 最高のフライトでした\n",
        encoding="utf-8",
    )
    texts, labels = read_labelled(path)
    assert texts == ["@boltair two hours late", "@boltair 最高のフライトでした"]
    assert labels == {"sentiment": ["negative", "positive"]}


@pytest.mark.parametrize("header", ["id,body,complaint", "id,text,intent"])
def test_a_file_without_text_or_label_columns_is_refused_naming_its_columns(
    tmp_path: Path, header: str
) -> None:
    path = tmp_path / "other.csv"
    path.write_text(f"{header}\n1,hello,0\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=f"it has: {header.replace(',', ', ')}$"):
        read_labelled(path)
