"""Author influence and the P1–P4 priority that combines urgency, influence and the problem."""

from __future__ import annotations

from services.plumbing.contracts.common import Priority
from services.plumbing.contracts.tweets import Influence, InfluenceTier, Reason

_TIERS = (
    (1_000_000, InfluenceTier.CELEBRITY),
    (50_000, InfluenceTier.HIGH),
    (2_000, InfluenceTier.MEDIUM),
)


def influence(followers: int | None, verified: bool, vip: bool) -> Influence:
    """A tier from follower count (verified accounts are at least medium)."""
    count = followers or 0
    tier = next((t for floor, t in _TIERS if count >= floor), InfluenceTier.LOW)
    if verified and tier == InfluenceTier.LOW:
        tier = InfluenceTier.MEDIUM
    return Influence(tier=tier, followers=count, verified=verified, vip=vip)


def priority(
    *, urgency: list[str], who: Influence, complaint: bool, negative: float, needs_reply: bool
) -> tuple[Priority, Reason]:
    """P1 for safety, legal threats and outages raised by influential or VIP authors; P2 for any
    urgency, VIPs and influential complainers; P3 for complaints and questions; P4 for the rest."""
    influential = who.vip or who.tier in (InfluenceTier.HIGH, InfluenceTier.CELEBRITY)
    if "safety" in urgency or "legal" in urgency or ("outage" in urgency and influential):
        level, why = Priority.P1, "+".join(urgency) + ("+influential" if influential else "")
    elif urgency or who.vip or (complaint and influential):
        level, why = (
            Priority.P2,
            "+".join([*urgency, *(["vip"] if who.vip else [])]) or "influential complaint",
        )
    elif complaint or (needs_reply and negative < -0.3):
        level, why = Priority.P3, "complaint"
    elif needs_reply:
        level, why = Priority.P3 if negative < 0 else Priority.P4, "needs reply"
    else:
        level, why = Priority.P4, "no reply needed"
    return level, Reason(field="priority", rule=level.value, detail=why)
