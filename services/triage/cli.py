"""`tweetcare triage classify|train|eval|labels` and `run`, the faust service."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from services.plumbing.cli_support import command_group
from services.plumbing.contracts.tweets import FOUND_VIA_ORDER, MatchKind
from services.triage import versions
from services.triage.classify import TweetFacts, classify_batch
from services.triage.cli_labels import register_labels
from services.triage.cli_versions import compare_models, register_versions
from services.triage.config import ConfigError, TriageConfig, load_config
from services.triage.conversations import ConversationError, read_pairs
from services.triage.datasets import DatasetError, read_datasets
from services.triage.model import LabelModel, ModelError, TextModel

BATCH = 1000
CONVERSATIONS_HELP = (
    "a conversation file (TwACS CSV[.bz2], TWCS CSV, IBM JSON; repeatable): the brand's "
    "answers label its customers' tweets, a feature for every label"
)


def _err(message: str) -> int:
    print(f"tweetcare triage: {message}", file=sys.stderr)
    return 2


def _config(path: str | None) -> TriageConfig:
    return load_config(Path(path).read_text()) if path else TriageConfig()


def _found(doc: dict[str, Any]) -> tuple[MatchKind | None, str]:
    """How the tweet was found: ``found_via`` ("keyword"), or the most direct of ``matched``
    (``[{"kind": "keyword", "rule": "acme/keyword"}]``, as ingest writes it); unknown kinds raise
    ValueError."""
    if doc.get("found_via"):
        return MatchKind(doc["found_via"]), ""
    matched = [
        (MatchKind(m.get("kind")), str(m.get("rule") or "")) for m in doc.get("matched") or ()
    ]
    if not matched:
        return None, ""
    return min(matched, key=lambda m: FOUND_VIA_ORDER.index(m[0]))


def _facts(doc: dict[str, Any], line: int) -> TweetFacts:
    if "text" not in doc or not isinstance(doc["text"], str):
        raise ValueError(f"line {line}: needs a string field 'text'")
    author = doc.get("author") or {}
    found_via, found_rule = _found(doc)
    return TweetFacts(
        id=str(doc.get("id", doc.get("tweet_id", line))),
        text=doc["text"],
        brand=str(doc.get("brand", "")),
        handle=str(doc.get("handle", "")),
        author_handle=str(author.get("handle", doc.get("author_handle", ""))),
        followers=author.get("followers", doc.get("followers")),
        verified=bool(author.get("verified", doc.get("verified", False))),
        outbound=doc.get("direction") == "outbound",
        dm=doc.get("channel") == "dm",
        found_via=found_via,
        found_rule=found_rule,
        retweet=bool(doc.get("retweet_of_id")),
        lang_hint=doc.get("lang_hint"),
        mentions=tuple(doc.get("mentions") or ()),
        urls=len(doc.get("urls") or ()),
    )


def _classify(args: argparse.Namespace) -> int:
    try:
        config = _config(args.config)
        model = TextModel.load(Path(args.model)) if args.model else None
    except (ConfigError, ModelError, OSError) as exc:
        return _err(str(exc))
    out = sys.stdout.buffer
    batch: list[TweetFacts] = []
    bad = 0

    def flush() -> None:
        for facts, triage in zip(batch, classify_batch(batch, config, model), strict=True):
            doc = {"id": facts.id, **triage.model_dump(mode="json")}
            out.write(orjson.dumps(doc) + b"\n")
        batch.clear()

    for number, line in enumerate(sys.stdin.buffer, start=1):
        if not line.strip():
            continue
        try:
            batch.append(_facts(orjson.loads(line), number))
        except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError) as exc:
            bad += 1
            flush()  # keep the output in input order
            out.write(orjson.dumps({"id": None, "line": number, "error": str(exc)[:200]}) + b"\n")
            continue
        if len(batch) >= BATCH:
            flush()
    flush()
    out.flush()
    if bad:
        print(f"tweetcare triage classify: {bad} input lines were not usable", file=sys.stderr)
    return 0


def _tone(paths: list[str] | None) -> LabelModel | None:
    """The reply tone learned from conversation files (None without any), with progress."""
    from services.triage.training import train_tone

    if not paths:
        return None
    pairs = []
    for path in paths:
        found = read_pairs(Path(path))
        print(f"train: {path}: {len(found):,} customer tweets with a brand answer", file=sys.stderr)
        pairs.extend(found)
    started = time.monotonic()
    tone = train_tone(pairs)
    took = time.monotonic() - started
    print(f"train: reply tone learned in {took:.0f}s ({', '.join(tone.classes)})", file=sys.stderr)
    return tone


def _datasets(paths: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    """Every label of the labelled files, rows of files with the same label put together."""
    datasets: dict[str, tuple[list[str], list[str]]] = {}
    for path in paths:
        for name, (texts, values) in read_datasets(Path(path)).items():
            old_t, old_v = datasets.get(name, ([], []))
            datasets[name] = (old_t + texts, old_v + values)
    return datasets


def _train(args: argparse.Namespace) -> int:
    from services.triage.training import train

    try:
        datasets = _datasets(args.data)
        for name, (texts, _) in datasets.items():
            print(f"train: {name}: {len(texts):,} rows", file=sys.stderr)
        datasets = {name: data for name, data in datasets.items() if data[0]}
        if not datasets:
            return _err(f"no labelled rows in {', '.join(args.data)}")
        started = time.monotonic()
        tone = _tone(args.conversations)
    except (DatasetError, ConversationError, ModelError, OSError) as exc:
        return _err(str(exc))
    sources = [Path(p).name for p in [*args.data, *(args.conversations or [])]]
    try:
        model = train(datasets, now=datetime.now(UTC), sources=sources, tone=tone)
    except ModelError as exc:
        return _err(f"{exc} (add a file that has them, e.g. --data of a public data set)")
    took = f"in {time.monotonic() - started:.0f}s"
    if args.out:
        model.save(Path(args.out))
        print(f"train: model {model.version} written to {args.out} {took}", file=sys.stderr)
        return 0
    root = Path(args.models)
    where = versions.add(root, model)
    print(f"train: model {model.version} written to {where} {took}", file=sys.stderr)
    if versions.current(root) is None:  # the first version: nothing to compare it with
        versions.promote(root, model.version)
        print(f"train: {model.version} is in force (the first version of {root})", file=sys.stderr)
    else:
        print(f"train: compare it with `tweetcare triage eval --compare {versions.current(root)} "
              f"{model.version} --models {root} --data HOLDOUT.csv`, then `tweetcare triage "
              f"promote {model.version} --models {root}`", file=sys.stderr)  # fmt: skip
    return 0


def _eval(args: argparse.Namespace) -> int:
    # Training (scikit-learn) is imported by the commands that train, never by `triage run`.
    from services.triage.evaluation import cross_validate, decision, predict, score

    try:
        config = _config(args.config)
        if args.compare:
            return compare_models(args, config)
        labels = read_datasets(Path(args.data))
        model = TextModel.load(Path(args.model)) if args.model else None
        if (args.conversations or args.train_also) and not args.cv:
            return _err(
                "--conversations and --train-also train: use them with --cv "
                "(a trained --model has its own)"
            )
        also = _datasets(args.train_also or [])
        tone = _tone(args.conversations)
    except (ConfigError, ConversationError, DatasetError, ModelError, OSError) as exc:
        return _err(str(exc))
    what = f"{args.cv}-fold cross-validation" if args.cv else (args.model or "rules only")
    rows = max((len(t) for t, _ in labels.values()), default=0)
    print(f"eval: {args.data}: {rows:,} rows; {what}", file=sys.stderr)
    for name, (texts, truth) in labels.items():
        if not texts:
            continue  # a column nobody filled in
        if args.cv:
            result = cross_validate(
                name, texts, truth, args.cv, config, datetime.now(UTC),
                progress=lambda line: print(line, file=sys.stderr), tone=tone, also=also,
            )  # fmt: skip
        else:
            triages = predict(texts, config, model)
            result = score(name, truth, [decision(name, t) for t in triages])
        print(result.render())
    return 0


def _run(args: argparse.Namespace) -> int:
    from services.plumbing.faust_app import run_worker
    from services.plumbing.settings import load_settings
    from services.triage.service import build_app
    from services.triage.settings import TriageSettings

    settings = load_settings(TriageSettings)
    try:
        app = build_app(settings)
    except (ConfigError, ModelError, OSError) as exc:
        return _err(f"cannot start: {exc}")
    return run_worker(app, "triage", settings.triage_log_level)


def register(subparsers: Any) -> None:
    """Add `tweetcare triage` and its subcommands."""
    group = command_group(subparsers, "triage", "the triage service and its evaluation tools")
    group.add_parser(
        "run", help="run the triage service (faust worker: tweets.raw to tweets.triaged)"
    ).set_defaults(handler=_run)
    cls = group.add_parser(
        "classify", help="JSON lines on stdin ({id, text, ...}) to one triage JSON line each"
    )
    cls.add_argument("--model", help="a model directory made by `triage train`")
    cls.add_argument("--config", help="triage configuration YAML (routes, VIPs, ...)")
    cls.set_defaults(handler=_classify)
    trn = group.add_parser("train", help="train the model from labelled CSV files")
    trn.add_argument("--data", action="append", required=True, help="a labelled CSV (repeatable)")
    where = trn.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="the model directory to write")
    where.add_argument(
        "--models",
        help="a models directory: the model becomes a new version in it (in force if first)",
    )
    trn.add_argument("--conversations", action="append", help=CONVERSATIONS_HELP)
    trn.set_defaults(handler=_train)
    evl = group.add_parser("eval", help="macro-F1 and confusion matrix per label of a CSV")
    evl.add_argument("--data", required=True)
    evl.add_argument("--model", help="evaluate this model (default: the rules alone)")
    evl.add_argument(
        "--compare",
        nargs=2,
        metavar=("OLD", "NEW"),
        help="two models side by side: each `rules`, a model directory or a version of --models",
    )
    evl.add_argument("--models", help="the models directory OLD and NEW may be versions of")
    evl.add_argument("--cv", type=int, default=0, help="train and test with K-fold CV")
    evl.add_argument("--config", help="triage configuration YAML")
    evl.add_argument("--conversations", action="append", help=CONVERSATIONS_HELP + " (with --cv)")
    evl.add_argument(
        "--train-also",
        action="append",
        help="a labelled CSV trained into every fold but not tested, as `train` would use it "
        "(e.g. sentiment, a feature of complaint; with --cv; repeatable)",
    )
    evl.set_defaults(handler=_eval)
    register_labels(group)
    register_versions(group)
