"""`tweetcare sla backtest`: replay a file through the case and SLA code, report what-ifs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from services.sla.policies import PolicyError, load_policy, quick_policy, seconds


def _err(message: str) -> int:
    print(f"tweetcare sla: {message}", file=sys.stderr)
    return 2


def _policy(args: argparse.Namespace) -> Any:
    if args.policy:
        return load_policy(Path(args.policy).read_text())
    name, _, value = args.target.partition("=")
    if name != "first_response" or not value:
        raise PolicyError("--target takes first_response=DURATION, e.g. first_response=60m")
    return quick_policy(seconds(value))


def _backtest(args: argparse.Namespace) -> int:
    from services.ingest.replay import FileFormat, load_events
    from services.sla import whatif

    try:
        policy = _policy(args)
        events = load_events(Path(args.input), FileFormat(args.format), args.brand or [])
    except (PolicyError, OSError, ValueError) as exc:
        return _err(str(exc))
    print(f"backtest: {len(events):,} tweets from {args.input}", file=sys.stderr)
    per = args.cases or ("conversation" if args.format == "ibm" else "customer")
    if per == "conversation":
        events = whatif.one_case_per_conversation(events)
    if args.triage == "rules":
        from services.triage.classify import TweetFacts, classify_batch
        from services.triage.config import TriageConfig

        config = TriageConfig()

        def triage(chunk: Any) -> Any:
            return classify_batch([TweetFacts.of(t) for t in chunk], config)
    else:

        def triage(chunk: Any) -> Any:
            return [whatif.assume_every_inbound(t) for t in chunk]

    def progress(done: int, total: int) -> None:
        if done == total or done % 10_000 == 0:
            print(f"backtest: {done:,}/{total:,} tweets applied", file=sys.stderr)

    outcome = whatif.run(events, policy, triage, progress)
    report = whatif.summary(outcome, policy, args.input)
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if args.cases_out:
        with Path(args.cases_out).open("w", newline="", encoding="utf-8") as out:
            whatif.write_cases(outcome.cases, out)
    fr = report["first_response_seconds"]
    print(
        f"backtest: {report['cases']:,} cases, {report['answered']:,} answered; first response "
        f"p50 {fr['p50']}s p90 {fr['p90']}s; breaches {report['breaches']}; "
        f"report {args.out}" + (f", cases {args.cases_out}" if args.cases_out else ""),
        file=sys.stderr,
    )
    return 0


def register(sla_commands: Any) -> None:
    """Add `backtest` to the subcommands of `tweetcare sla` (``sla_commands``)."""
    bt = sla_commands.add_parser("backtest", help="replay a file through the case and SLA code")
    bt.add_argument("--input", required=True, help="the file to replay")
    bt.add_argument("--format", required=True, choices=["twcs", "ibm", "x-v2"])
    which = bt.add_mutually_exclusive_group(required=True)
    which.add_argument("--policy", help="an SLA policy YAML")
    which.add_argument("--target", help="one 24/7 target for every case: first_response=60m")
    bt.add_argument("--out", required=True, help="the summary report (JSON)")
    bt.add_argument("--cases-out", help="one CSV row per case")
    bt.add_argument(
        "--triage", choices=["inbound", "rules"], default="inbound",
        help="which tweets need a reply: every inbound one (default) or the triage rules",
    )  # fmt: skip
    bt.add_argument(
        "--cases", choices=["customer", "conversation"],
        help="a case per conversation and customer (default; ibm: per conversation)",
    )  # fmt: skip
    bt.add_argument("--brand", action="append", help="HANDLE=BRAND (repeatable)")
    bt.set_defaults(handler=_backtest)
