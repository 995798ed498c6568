"""`tweetcare api run | token create|list|revoke | reindex`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from services.plumbing.cli_support import command_group
from services.plumbing.contracts.actions import Role
from services.plumbing.settings import load_settings


def _settings() -> Any:
    from services.api.settings import ApiSettings

    return load_settings(ApiSettings)


def _run(args: argparse.Namespace) -> int:
    from services.api.service import run
    from services.plumbing.logs import configure_logging

    configure_logging("api", args.log_level)
    return run(_settings())


async def _with_tokens(settings: Any, work: Any) -> Any:
    from elasticsearch import AsyncElasticsearch
    from elasticsearch.serializer import OrjsonSerializer

    from services.api.tokens import TokenStore

    es = AsyncElasticsearch(settings.es_url, request_timeout=30, serializer=OrjsonSerializer())
    try:
        return await work(TokenStore(es, settings.es_index_prefix, cache_s=0))
    finally:
        await es.close()


def _token(args: argparse.Namespace) -> int:
    from elasticsearch import ConnectionError as EsConnectionError

    settings = _settings()

    command = str(vars(args)["token_command"])

    async def work(store: Any) -> int:
        if command == "create":
            token, record = await store.create(args.name, Role(args.role))
            if args.json:
                print(json.dumps({**record.doc(), "token": token}))
            else:
                print(token)
                print(
                    f"token {record.id} for {record.name} ({record.role.value}); "
                    "shown once — keep it safe",
                    file=sys.stderr,
                )
            return 0
        if command == "list":
            for r in await store.list():
                print(json.dumps(r.doc(), ensure_ascii=False))
            return 0
        record = await store.revoke(args.id)
        if record is None:
            print(f"tweetcare api token: no token {args.id}", file=sys.stderr)
            return 1
        print(f"revoked {record.id} ({record.name})", file=sys.stderr)
        return 0

    try:
        result: int = asyncio.run(_with_tokens(settings, work))
    except EsConnectionError:
        print(
            f"tweetcare api token: Elasticsearch is not reachable at {settings.es_url}; "
            "start it with `tweetcare infra up` or set TWEETCARE_ES_URL",
            file=sys.stderr,
        )
        return 1
    return result


def _reindex(args: argparse.Namespace) -> int:
    from services.api.readmodel.rebuild import reindex_command

    return reindex_command(_settings(), keep_old=args.keep_old)


def register(subparsers: Any) -> None:
    """Add `tweetcare api` and its subcommands."""
    group = command_group(subparsers, "api", "the api service")
    run = group.add_parser("run", help="run the api service (HTTP, indexer, live feed)")
    run.add_argument("--log-level", default="INFO")
    run.set_defaults(handler=_run)
    token = group.add_parser("token", help="create, list or revoke bearer tokens")
    tokens = token.add_subparsers(dest="token_command", required=True, metavar="COMMAND")
    create = tokens.add_parser("create", help="create a token; prints it once")
    create.add_argument("--name", required=True, help="who uses it (shown as the actor)")
    create.add_argument(
        "--role", required=True, choices=["agent", "supervisor", "admin", "integrator"]
    )
    create.add_argument("--json", action="store_true", help="print a JSON object with the token")
    create.set_defaults(handler=_token)
    tokens.add_parser("list", help="list tokens (never the tokens)").set_defaults(handler=_token)
    revoke = tokens.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id")
    revoke.set_defaults(handler=_token)
    reindex = group.add_parser(
        "reindex",
        help="rebuild the read model's indices from the topics beside the live ones, then "
        "switch to them",
    )
    reindex.add_argument(
        "--keep-old", action="store_true", help="keep the replaced indices (default: delete them)"
    )
    reindex.set_defaults(handler=_reindex)
