"""Agent actions as requested: the body of each kind, and the action built from it (pure).

A reply is composed here (canned text, variables, signature, X's weighted length) and checked:
a DM case is answered by DM only, a reply goes from one of the brand's handles, and a public
reply with personal data needs ``allow_pii``.
Sending the action and waiting for its outcome is :mod:`services.api.cases.outcomes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api.cases.replies import compose, render
from services.api.errors import ConflictError, InvalidInputError, NotFoundError
from services.plumbing.casework import digest, same_handle
from services.plumbing.contracts import actions as a
from services.plumbing.contracts.cases import Case
from services.plumbing.contracts.codecs import new_event_id
from services.plumbing.contracts.common import Channel, Priority
from services.plumbing.text.pii import find as find_pii

Label = Field(min_length=1, max_length=50, pattern=r"^[^\s,]+$")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Empty(_Body):
    pass


class NoReplyBody(_Body):
    reason: str = Field(default="", max_length=200)


class TransferBody(_Body):
    queue: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_.\-]+$")


class PriorityBody(_Body):
    priority: Priority


class TagBody(_Body):
    """Tags to add and remove: at most 20 each, each 1-50 characters with no space or comma."""

    add: list[Annotated[str, Label]] = Field(default_factory=list, max_length=20)
    remove: list[Annotated[str, Label]] = Field(default_factory=list, max_length=20)


class NoteBody(_Body):
    text: str = Field(min_length=1, max_length=500)  # kept whole in the case history


class ReplyBody(_Body):
    """``text``, or ``canned_id`` (its text with ``variables`` filled); ``channel`` defaults to
    the case's, ``handle`` (one of the brand's) to the case's. A public reply that carries
    personal data needs ``allow_pii``."""

    text: str | None = Field(default=None, min_length=1, max_length=10_000)
    canned_id: str | None = Field(default=None, min_length=1, max_length=64)
    variables: dict[str, str] = Field(default_factory=dict, max_length=20)
    signature: str | None = Field(default=None, max_length=30)
    channel: Literal["public", "dm"] | None = None
    handle: str | None = Field(default=None, pattern=r"^@?[0-9A-Za-z_.\-]{1,64}$")
    allow_pii: bool = False


def _common(case: Case, actor: a.Actor, now: datetime) -> dict[str, Any]:
    return {
        "event_id": new_event_id(),
        "case_id": case.case_id,
        "case_key": case.case_key,
        "actor": actor,
        "requested_at": now,
    }


def simple(
    kind: str, case: Case, actor: a.Actor, body: BaseModel, now: datetime,
    triage: a.Verdict | None = None,
) -> a.AgentAction:  # fmt: skip
    """The action of every kind but reply, from its body; ``triage`` (what triage said of the
    opening tweet) goes with a no-reply and a spam."""
    common = _common(case, actor, now)
    match kind:
        case "claim":
            return a.Claim(**common)
        case "release":
            return a.Release(**common)
        case "resolve":
            return a.Resolve(**common)
        case "reopen":
            return a.Reopen(**common)
        case "spam":
            return a.MarkSpam(**common, triage=triage)
        case "no-reply":
            assert isinstance(body, NoReplyBody)
            return a.NoReply(**common, reason=body.reason, triage=triage)
        case "transfer":
            assert isinstance(body, TransferBody)
            return a.Transfer(**common, queue=body.queue)
        case "priority":
            assert isinstance(body, PriorityBody)
            return a.SetPriority(**common, priority=body.priority)
        case "tag":
            assert isinstance(body, TagBody)
            return a.Tag(**common, add=body.add, remove=body.remove)
        case "note":
            assert isinstance(body, NoteBody)
            return a.Note(**common, text=body.text)
    raise NotFoundError("unknown_action", f"no action {kind!r}")


def keyed_ids(case_id: str, key: str) -> tuple[str, str]:
    """The action id and reply id of the reply with idempotency key ``key`` to ``case_id``:
    the same key gives the same ids, so a retry is the same reply."""
    return digest("reply-action", case_id, key), digest("reply", case_id, key)


def needs_handles(case: Case, body: ReplyBody) -> bool:
    """Whether the reply names a handle other than the case's (the brand's handles decide)."""
    return body.handle is not None and not same_handle(body.handle, case.handle)


def reply_handle(case: Case, wanted: str | None, brand_handles: Sequence[str]) -> str | None:
    """The handle the reply action names: None (the case's) when ``wanted`` is None or the
    case's own; else the brand's spelling of it. Raises :class:`InvalidInputError`
    (``handle_not_of_brand``) for a handle that is not among ``brand_handles``."""
    if wanted is None or same_handle(wanted, case.handle):
        return None
    known = next((h for h in brand_handles if same_handle(h, wanted)), None)
    if known is None:
        handles = sorted({case.handle, *brand_handles}, key=str.lower)
        raise InvalidInputError(
            "handle_not_of_brand", f"@{wanted.lstrip('@')} is not a handle of {case.brand}",
            handles=handles,
        )  # fmt: skip
    return known


def reply(
    case: Case, actor: a.Actor, body: ReplyBody, canned_text: str | None, now: datetime,
    thread_has_pii: bool, key: str | None = None, brand_handles: Sequence[str] = (),
) -> tuple[a.Reply, list[dict[str, str]]]:  # fmt: skip
    """The reply action and its warnings; a DM case is answered by DM only, and from the
    handle ``body`` names among ``brand_handles`` (:func:`reply_handle`). With an idempotency
    ``key`` its ids are :func:`keyed_ids` (else new ones). Raises
    :class:`~services.api.cases.replies.ReplyError` for a reply that cannot be sent as composed."""
    channel = Channel(body.channel) if body.channel else case.channel
    handle = reply_handle(case, body.handle, brand_handles)
    if case.channel == Channel.DM and channel != Channel.DM:
        raise ConflictError("dm_case_public_reply", "a DM case can only be answered by DM")
    if (body.text is None) == (canned_text is None):
        raise InvalidInputError("reply_text_required", "send either text or canned_id")
    values = {
        "customer_name": case.customer.name or case.customer.handle or "",
        "customer_handle": case.customer.handle or "",
        "agent_name": actor.name,
        "brand": case.brand,
        "case_id": case.case_id,
        **body.variables,
    }
    text = body.text if body.text is not None else render(canned_text or "", values)
    final = compose(text, body.signature, dm=channel == Channel.DM)
    warnings: list[dict[str, str]] = []
    if channel == Channel.PUBLIC:
        kinds = find_pii(final).kinds
        if kinds and not body.allow_pii:
            raise InvalidInputError(
                "pii_in_public_reply",
                f"the reply holds personal data ({', '.join(k.value for k in kinds)}); "
                "answer by DM, or send allow_pii: true",
            )  # fmt: skip
        if thread_has_pii:
            warnings.append(
                {"code": "thread_has_pii", "message": "the thread holds personal data: consider DM"}
            )
    target = case.last_customer_tweet_id or case.opening_tweet_id
    action_id, reply_id = keyed_ids(case.case_id, key) if key else (new_event_id(), new_event_id())
    action = a.Reply(
        **{**_common(case, actor, now), "event_id": action_id}, reply_id=reply_id, text=final,
        channel=channel, in_reply_to_tweet_id=target if channel == Channel.PUBLIC else None,
        handle=handle, idempotency_key=key,
    )  # fmt: skip
    return action, warnings
