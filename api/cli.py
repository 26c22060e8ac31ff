"""The ``phananh`` console script: run the service and its operator commands."""

import argparse
import json
import logging
import logging.config
import os
import signal
import sys
import tempfile
from typing import TextIO

from api.observability.metrics import MULTIPROC_ENV
from api.ratelimit.client_ip import is_loopback
from core.logs import logging_config
from core.settings import Settings

log = logging.getLogger("phananh")


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.embedded import EmbeddedMongo

    settings = Settings()
    if settings.is_dev and not is_loopback(args.host):
        log.error(
            "refusing to serve in DEV mode on %s: dev mode accepts unsigned tokens. "
            "Bind to 127.0.0.1 or set PHANANH_ENV=prod with a real MongoDB.",
            args.host,
        )
        return 2
    if args.no_worker:
        os.environ["PHANANH_RUN_WORKER"] = "false"  # read by each uvicorn worker's Settings
    embedded = None
    if settings.mongodb_uri is None:
        embedded = EmbeddedMongo(
            settings.data_dir, port=settings.embedded_port, sync_on_commit=settings.embedded_sync_on_commit
        )
        # Workers inherit these: the embedded URI, and dev mode decided before the URI existed.
        os.environ["PHANANH_MONGODB_URI"] = embedded.start()
        os.environ["PHANANH_ENV"] = settings.env or "dev"
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then restores the previous handlers and
    # raises the signal again: make that previous handler a clean exit so `finally` stops the DB.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_cleanly)
    metrics_dir = _multiprocess_metrics_dir(args.workers)
    try:
        # proxy_headers off: the client address is ours to resolve (PHANANH_TRUSTED_PROXIES), and
        # the access log is the app's own JSON line per request (route template, request id).
        # Keep-alive above the peer's idle timeout, so the peer always closes an idle connection
        # first: at uvicorn's 5 s (httpx's too) a request sent just as the server closed its
        # connection failed unanswered, and a load balancer (ALB: 60 s) would answer 502.
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            proxy_headers=False,
            log_config=logging_config(args.log_level),
            access_log=False,
            timeout_keep_alive=settings.keep_alive_s,
        )
    finally:
        if embedded is not None:
            embedded.stop()
        if metrics_dir is not None:
            metrics_dir.cleanup()
    return 0


def _multiprocess_metrics_dir(workers: int) -> "tempfile.TemporaryDirectory[str] | None":
    """Several workers: prometheus_client's multiprocess mode, so /metrics sums them all."""
    if workers < 2 or os.environ.get(MULTIPROC_ENV):
        return None
    directory = tempfile.TemporaryDirectory(prefix="phananh-metrics-")
    os.environ[MULTIPROC_ENV] = directory.name  # inherited by the worker processes before they import it
    return directory


def _database(settings: Settings):
    """PHANANH_MONGODB_URI, or the embedded database of a `phananh serve` running on the same data directory."""
    from api.embedded import running_uri
    from core.db import make_client

    uri = settings.mongodb_uri or running_uri(settings.data_dir)
    if uri is None:
        raise SystemExit(
            f"no database: PHANANH_MONGODB_URI is not set and no `phananh serve` is running on "
            f"{settings.data_dir.resolve()} (start it, or set PHANANH_DATA_DIR to its data directory)"
        )
    client = make_client(uri)
    return client, client[settings.database_name]


def cmd_worker(args: argparse.Namespace) -> int:
    """The push dispatcher and periodic jobs in their own process; safe next to other workers and API processes."""
    import asyncio

    from api.worker import build_worker

    settings = Settings()

    async def run() -> None:
        main = asyncio.current_task()
        assert main is not None  # asyncio.run's own task
        client, db = _database(settings)
        worker = build_worker(client, db, settings)

        # Stop the work on SIGINT/SIGTERM (not SystemExit from a signal handler, which can land
        # anywhere in the event loop): the flag first, since a cancellation alone can be lost
        # (core.stopping); the finally below then closes the sender and the client.
        def stop() -> None:
            worker.stop()
            main.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop)
        try:
            if args.once:
                print(json.dumps(await worker.run_once()))
            else:
                await worker.run_forever()
        except asyncio.CancelledError:
            log.info("worker stopping")
        finally:
            await worker.close()
            await client.close()

    asyncio.run(run())
    return 0


def cmd_export_corrections(args: argparse.Namespace) -> int:
    """Staff corrections as classifier training JSONL (text, category, ...)."""
    import asyncio
    import datetime

    from api.corrections.export import export_corrections
    from api.corrections.repository import CorrectionRepository

    settings = Settings()
    since = datetime.datetime.fromisoformat(args.since).replace(tzinfo=datetime.UTC) if args.since else None

    async def run(out: TextIO) -> int:
        client, db = _database(settings)
        try:
            return await export_corrections(CorrectionRepository(db), out, since)
        finally:
            await client.close()

    if args.out == "-":
        count = asyncio.run(run(sys.stdout))
    else:  # opened here, not in the event loop: a blocking open would stall it
        with open(args.out, "a" if args.append else "w", encoding="utf-8") as out:
            count = asyncio.run(run(out))
    log.info("exported %d correction(s) to %s", count, args.out)
    return 0


def cmd_apikey(args: argparse.Namespace) -> int:
    """Open311 API keys: create (the key is printed once, as the last word), revoke, list."""
    import asyncio

    from api.open311.keys import ApiKeys
    from api.open311.repository import Open311Repository

    settings = Settings()

    async def run() -> int:
        client, db = _database(settings)
        try:
            await Open311Repository.ensure_indexes(db)
            keys = ApiKeys(Open311Repository(db))
            if args.apikey_command == "create":
                issued = await keys.create(args.name)
                print(f"API key {issued.key_id} for {issued.name} (shown once, store it now): {issued.key}")
            elif args.apikey_command == "revoke":
                if not await keys.revoke(args.key_id):
                    log.error("no active key %s", args.key_id)
                    return 1
                print(f"revoked {args.key_id}")
            else:
                for key in await keys.list():
                    state = f"revoked {key['revoked_at']:%Y-%m-%d}" if key.get("revoked_at") else "active"
                    print(f"{key['_id']}  {key['created_at']:%Y-%m-%d}  {state:<18} {key['name']}")
            return 0
        finally:
            await client.close()

    try:
        return asyncio.run(run())
    except ValueError as exc:
        log.error("%s", exc)
        return 2


def cmd_stats_rebuild(args: argparse.Namespace) -> int:
    """Recompute the statistics rollups of a date range from the reports, then seal closed days."""
    import asyncio
    import datetime

    from api.reports.repository import ReportRepository
    from api.stats.applier import StatsApplier
    from api.stats.metrics import CITY_TZ
    from api.stats.rebuild import rebuild
    from api.stats.repository import StatsRepository

    settings = Settings()
    try:
        first = datetime.date.fromisoformat(args.from_) if args.from_ else datetime.date.min
        last = datetime.date.fromisoformat(args.to) if args.to else datetime.datetime.now(CITY_TZ).date()
    except ValueError as exc:
        log.error("--from/--to must be dates YYYY-MM-DD: %s", exc)
        return 2
    if first > last:
        log.error("--from is after --to")
        return 2
    sealed_before = datetime.datetime.now(CITY_TZ) - datetime.timedelta(seconds=settings.stats_seal_grace_s)

    async def run() -> dict[str, int]:
        client, db = _database(settings)
        try:
            # every committed change applied first: the rebuild counts it from the reports, and an
            # applier applying it afterwards would count it a second time
            await StatsApplier(client, db, settings.stats_apply_batch).drain()
            return await rebuild(
                ReportRepository(db),
                StatsRepository(db),
                first,
                last,
                sealed_before.date() - datetime.timedelta(days=1),
            )
        finally:
            await client.close()

    print(json.dumps(asyncio.run(run())))
    return 0


def cmd_dev_token(args: argparse.Namespace) -> int:
    from api.auth import make_dev_token

    settings = Settings()
    claims = json.loads(args.claims) if args.claims else {}
    if not isinstance(claims, dict):
        log.error("--claims must be a JSON object")
        return 2
    print(make_dev_token(settings.firebase_project_id, args.uid, claims, lifetime_s=settings.dev_token_lifetime_s))
    return 0


def cmd_staff_grant(args: argparse.Namespace) -> int:
    """Give a Firebase user a staff role (custom claims); dev mode talks to the auth emulator."""
    from api.auth import grant_role, valid_claims
    from classifiers.routing.taxonomy import Taxonomy
    from classifiers.routing.wards import WardIndex

    settings = Settings()
    taxonomy = Taxonomy.load(settings.taxonomy_file)

    def agency_exists(code: str) -> bool:
        if code.startswith("ward:"):
            return WardIndex.load(settings.wards_file).by_code(code.removeprefix("ward:")) is not None
        return code in taxonomy.agencies and code != "ward"

    try:
        claims = valid_claims(args.role, args.agency, agency_exists)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    grant_role(settings, args.uid, claims)
    print(f"{args.uid}: {claims or 'resident (claims cleared)'}")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    """Top 3 categories with confidences, and the agency the report would go to."""
    from classifiers.loader import load_classifier
    from classifiers.routing.rules import route
    from classifiers.routing.taxonomy import Taxonomy
    from classifiers.routing.wards import WardIndex

    settings = Settings()
    taxonomy = Taxonomy.load(settings.taxonomy_file)
    ward = None
    if args.lat is not None and args.lng is not None:
        ward = WardIndex.load(settings.wards_file, settings.ward_snap_m).locate(args.lat, args.lng)
        if ward is None:
            log.error("(%s, %s) is outside Hanoi", args.lat, args.lng)
            return 2
    classifier = load_classifier(settings.classifier_model)
    threshold = settings.classifier_threshold if settings.classifier_threshold is not None else classifier.threshold
    prediction = classifier.predict([args.text])[0]
    for code, confidence in prediction.top_k:
        print(f"{confidence:6.1%}  {code:<22} {taxonomy.categories[code].name_vi}")
    decision = route(prediction, args.category, ward, taxonomy, threshold)
    print(f"-> {decision.agency_name} ({decision.agency}); {decision.reason}, threshold {threshold:.2f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phananh", description="Hanoi residents' report service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API (starts the embedded database when no URI is set)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--no-worker", action="store_true", help="do not run the periodic jobs in the API processes")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker", help="run the push dispatcher and the periodic jobs (overdue, auto-close, orphan photos)"
    )
    worker.add_argument("--once", action="store_true", help="one round, print what each job did, exit")
    worker.set_defaults(func=cmd_worker)

    export = sub.add_parser("export-corrections", help="staff corrections as classifier training JSONL")
    export.add_argument("--out", default="-", help="file (default: standard output)")
    export.add_argument(
        "--append", action="store_true", help="append to --out, e.g. classifiers/data/corrections.jsonl"
    )
    export.add_argument("--since", help="only corrections from this date (YYYY-MM-DD) on")
    export.set_defaults(func=cmd_export_corrections)

    token = sub.add_parser("dev-token", help="print a token that dev mode accepts")
    token.add_argument("--uid", required=True)
    token.add_argument("--claims", help='JSON object of custom claims, e.g. \'{"role": "admin"}\'')
    token.set_defaults(func=cmd_dev_token)

    staff = sub.add_parser("staff", help="manage staff roles")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    grant = staff_sub.add_parser("grant", help="set a user's role (Firebase custom claims)")
    grant.add_argument("--uid", required=True)
    grant.add_argument("--role", required=True)
    grant.add_argument("--agency", help="agency code (e.g. urenco) or ward:<ward code>, for agency_staff")
    grant.set_defaults(func=cmd_staff_grant)

    apikey = sub.add_parser("apikey", help="Open311 API keys of partner organisations")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="issue a key; it is printed once, as the last word")
    create.add_argument("--name", required=True, help="the organisation the key is for")
    revoke = apikey_sub.add_parser("revoke", help="revoke a key by its id (from `apikey list`)")
    revoke.add_argument("key_id")
    apikey_sub.add_parser("list", help="every key: id, created, state, organisation")
    apikey.set_defaults(func=cmd_apikey)
    stats = sub.add_parser("stats", help="statistics rollups")
    stats_sub = stats.add_subparsers(dest="stats_command", required=True)
    rebuild = stats_sub.add_parser("rebuild", help="recompute rollups from the reports (then seal closed days)")
    rebuild.add_argument("--from", dest="from_", help="first day YYYY-MM-DD (city time; default: all history)")
    rebuild.add_argument("--to", help="last day YYYY-MM-DD (default: today)")
    rebuild.set_defaults(func=cmd_stats_rebuild)

    classify = sub.add_parser("classify", help="show how the classifier reads a report and where it would go")
    classify.add_argument("text")
    classify.add_argument("--lat", type=float)
    classify.add_argument("--lng", type=float)
    classify.add_argument("--category", help="the resident's own pick, used when the model is unsure")
    classify.set_defaults(func=cmd_classify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("serve", "worker"):  # services: one redacted JSON object per line
        logging.config.dictConfig(logging_config(getattr(args, "log_level", "info")))
    else:  # operator commands: plain lines for a person
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
