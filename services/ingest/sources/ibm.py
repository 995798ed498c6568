"""IBM "Twitter customer care document prediction" JSON: one conversation per item.

Each item has ``dialogHeader.company`` (the brand account), ``dialogContent[]`` turns keyed by
``client``/``client1`` (customers, inbound) or ``agent`` (the brand, outbound) with a real tweet id
and an ISO time, and ``agentURL``: the final agent reply, whose time is only in its snowflake id.
Turns reply to the turn before them; the conversation id is the first turn's id. Customers are
known by handle only, so a handle is their user id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from services.ingest.brands import BrandMap
from services.ingest.normalise import build_event, snowflake_ms
from services.ingest.rejects import Rejected, keep
from services.plumbing.contracts.common import Direction
from services.plumbing.contracts.tweets import Author, Match, MatchKind, Source, TweetEvent

_CUSTOMER_KEYS = ("client", "client1")


@dataclass
class IbmStats:
    conversations: int = 0
    events: int = 0
    final_reply_repeated: int = 0
    no_brand: int = 0


@dataclass(frozen=True)
class Turn:
    tweet_id: str
    speaker: str
    outbound: bool
    at: datetime
    text: str


def load(stream: TextIO) -> list[dict[str, Any]]:
    """The list of conversations; raises ValueError when the file is not that shape."""
    data = json.load(stream)
    if not isinstance(data, list):
        raise ValueError("IBM conversations file must hold a JSON list of conversations")
    return data


def turns(conversation: dict[str, Any], stats: IbmStats | None = None) -> list[Turn]:
    """The conversation's turns in order, the final agent reply (from ``agentURL``) last."""
    found = []
    for item in conversation["dialogContent"]:
        speaker_key = next((k for k in (*_CUSTOMER_KEYS, "agent") if k in item), None)
        if speaker_key is None:
            raise ValueError(f"turn {item.get('tweet_ID')!r} has no client, client1 or agent")
        found.append(
            Turn(
                tweet_id=str(item["tweet_ID"]),
                speaker=item[speaker_key],
                outbound=speaker_key == "agent",
                at=datetime.fromisoformat(item["datetime"].replace("Z", "+00:00")),
                text=item["message"],
            )
        )
    final = conversation.get("agentURL") or {}
    final_id = str(final.get("tweet_ID") or "")
    if final_id and any(t.tweet_id == final_id for t in found):
        if stats is not None:
            stats.final_reply_repeated += 1
    elif final_id:
        company = conversation["dialogHeader"]["company"]
        found.append(
            Turn(
                tweet_id=final_id,
                speaker=company,
                outbound=True,
                at=datetime.fromtimestamp(snowflake_ms(final_id) / 1000, UTC),
                text=final.get("url_utterance") or "",
            )
        )
    return found


def events(
    conversations: list[dict[str, Any]], brands: BrandMap, stats: IbmStats | None = None,
    rejects: list[Rejected] | None = None,
) -> Iterator[TweetEvent]:  # fmt: skip
    """Every turn of every conversation as an event, in time order across the file. A
    malformed conversation (with ``rejects``) is kept there whole and skipped: its turns
    cannot be threaded without it."""
    stats = stats if stats is not None else IbmStats()
    collected: list[TweetEvent] = []
    for number, conversation in enumerate(conversations, start=1):
        stats.conversations += 1
        try:
            company = conversation["dialogHeader"]["company"]
            conv_turns = turns(conversation, stats)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            keep(rejects, f"conversation {number}", ValueError(f"conversation {number}: {exc}"),
                 conversation)  # fmt: skip
            continue
        brand = brands.brand_of(company)
        if brand is None:
            stats.no_brand += 1
            continue
        if not conv_turns:
            continue
        opener = next((t.speaker for t in conv_turns if not t.outbound), conv_turns[0].speaker)
        previous: Turn | None = None
        for turn in conv_turns:
            if turn.outbound:
                answered = previous.speaker if previous and not previous.outbound else opener
                customer = answered
                match = Match(kind=MatchKind.OWN, rule=company)
            else:
                customer = turn.speaker
                kind = MatchKind.THREAD if previous is not None else MatchKind.MENTION
                match = Match(kind=kind, rule=f"@{company}")
            try:
                made = build_event(
                    tweet_id=turn.tweet_id,
                    conversation_id=conv_turns[0].tweet_id,
                    text=turn.text,
                    author=Author(id=turn.speaker, handle=turn.speaker),
                    brand=brand,
                    handle=company,
                    matched=[match],
                    direction=Direction.OUTBOUND if turn.outbound else Direction.INBOUND,
                    customer_id=customer,
                    created_at=turn.at,
                    received_at=turn.at,
                    source=Source.REPLAY_IBM,
                    in_reply_to_tweet_id=previous.tweet_id if previous else None,
                    in_reply_to_user_id=previous.speaker if previous else None,
                )
            except ValueError as exc:
                keep(rejects, f"tweet {turn.tweet_id}", exc, turn.__dict__)
                continue
            collected.append(made)
            previous = turn
    collected.sort(key=lambda e: (e.created_at, e.tweet_id))
    stats.events = len(collected)
    yield from collected
