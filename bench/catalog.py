"""The catalogue benchmark: each catalogue page's req/s as a share of Flask's hello
world, served the same way on the same machine in the same run.

    .venv/bin/python bench/catalog.py [--n 100000] [--db sqlite|postgresql] [--duration 10]
        [--pages KEY,…] [--env KEY=VALUE …] [--label NAME] [--loadgen auto|wrk|python] [--no-reuse]
        [--strict] [--list-pages]

1. Seeds N approved assets (``seed_catalog.py``; a seeded database is kept and reused).
2. Serves the app (``wsgi:app``) and ``bench/hello.py`` with the web line of the Procfile
   (gunicorn, 2 workers × 4 threads, gthread, access log on), each on a free 127.0.0.1 port,
   with the embedded defaults otherwise; ``--env`` settings go to the app only.
3. Drives every page with one load generator (``loadgen.py``: wrk -t2 -c16 where installed,
   else Python with the same concurrency): hello world first and last (the ratio uses their
   mean), then the pages of the issue's table, searches and filters, a deep page of the API
   and of the HTML list, an asset page, and searches cycling through 200 different words.
4. Prints a markdown table and the issue's targets as PASS/FAIL lines, and writes both to
   ``bench/results/catalog-<db>-<n>[-<label>].json``. Any response that is not 2xx fails the
   run (exit status 1); a missed target does so only with ``--strict``.

An uncached run (the page cache off): ``--env KOIN_PAGE_CACHE_SECONDS=0 --label uncached``.

PostgreSQL: ``KOIN_BENCH_DATABASE_URL=postgresql+psycopg://user:pass@127.0.0.1/koin_bench``
(see ``seed_catalog.py`` for the databases made next to it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus

from sqlalchemy import create_engine, select

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Run as a script, Python puts bench/ on the path, not the project: the app's package is one
# up. Imported as ``bench.catalog`` (the tests), it is the other way round.
for folder in (ROOT, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import loadgen  # noqa: E402
import seed_catalog  # noqa: E402
from servers import START_TIMEOUT, Server, free_port, procfile_gunicorn  # noqa: E402
from vocabulary import varied_words  # noqa: E402

from koin_media.assets.catalog import cursor_for  # noqa: E402
from koin_media.assets.models import APPROVED, Asset  # noqa: E402

RESULTS = BENCH / "results"


@dataclass
class Page:
    key: str  # for --pages and the result files
    label: str  # the table's first column
    paths: list[str]
    face: str  # "hello", "html" or "json": which list a target compares it with
    # "hello", "list", "search", "filter", "deep", "asset", or "cold": searches for 200
    # different words, each computed the first time it is asked (no target: the issue sets
    # them for one and two common words; this row shows what a stream of new searches costs)
    role: str
    result: dict = field(default_factory=dict)


def deep_urls(database_url: str, n: int) -> dict[str, str]:
    """Paths of a page deep in the catalogue, for the API ("json") and the HTML list ("html").

    The one place that decides what "deep" means: 96 % of the way down the newest-first list
    (where ``?page=4000`` of 24 a page was at 100k assets), at every N. Page numbers stop after
    a few pages (``MAX_OFFSET_PAGE``); deeper pages are reached by the cursor of the "next"
    link of the page before (JSON field "next", HTML ``<a rel="next">``). Following thousands
    of links would take minutes at 1M assets, so the cursor of the asset just above that depth
    is made here with the app's own ``cursor_for``, the function that writes those links.
    """
    depth = max(1, n * 24 // 25)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            above = conn.execute(
                select(Asset.id, Asset.approved_at, Asset.download_count)
                .where(Asset.status == APPROVED)
                .order_by(Asset.approved_at.desc(), Asset.id.desc())
                .offset(depth - 1)
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    cursor = cursor_for(above, "newest")
    return {"json": f"/api/v1/assets?after={cursor}", "html": f"/assets?after={cursor}"}


def pages(deep: dict[str, str], asset_id: int) -> list[Page]:
    words = varied_words()
    return [
        Page("hello-start", "hello world (start)", ["/"], "hello", "hello"),
        Page("html-list", "`/assets` (HTML, page 1)", ["/assets"], "html", "list"),
        Page("json-list", "`/api/v1/assets` (page 1)", ["/api/v1/assets"], "json", "list"),
        Page("json-q-pantai", "`/api/v1/assets?q=pantai`", ["/api/v1/assets?q=pantai"], "json", "search"),
        Page("html-q-pantai", "`/assets?q=pantai`", ["/assets?q=pantai"], "html", "search"),
        Page("html-q-kopi-sembalun", "`/assets?q=kopi+sembalun`", ["/assets?q=kopi+sembalun"], "html", "search"),
        Page(
            "json-q-kopi-sembalun",
            "`/api/v1/assets?q=kopi+sembalun`",
            ["/api/v1/assets?q=kopi+sembalun"],
            "json",
            "search",
        ),
        Page(
            "html-filter",
            "`/assets?kind=video&license=CC-BY-4.0`",
            ["/assets?kind=video&license=CC-BY-4.0"],
            "html",
            "filter",
        ),
        Page(
            "json-filter",
            "`/api/v1/assets?kind=video&license=CC-BY-4.0`",
            ["/api/v1/assets?kind=video&license=CC-BY-4.0"],
            "json",
            "filter",
        ),
        Page("json-deep", "`/api/v1/assets`, deep (96 % down)", [deep["json"]], "json", "deep"),
        Page("html-deep", "`/assets`, deep (96 % down)", [deep["html"]], "html", "deep"),
        Page("asset-page", "`/assets/<id>`", [f"/assets/{asset_id}"], "html", "asset"),
        Page(
            "html-q-varied",
            f"`/assets?q=…` ({len(words)} varied words)",
            [f"/assets?q={quote_plus(w)}" for w in words],
            "html",
            "cold",
        ),
        Page(
            "json-q-varied",
            f"`/api/v1/assets?q=…` ({len(words)} varied words)",
            [f"/api/v1/assets?q={quote_plus(w)}" for w in words],
            "json",
            "cold",
        ),
        Page("hello-end", "hello world (end)", ["/"], "hello", "hello"),
    ]


# --- Figures ------------------------------------------------------------------------------


def measure(page: Page, server: Server, generator: str, duration: float, warmup: float, work_dir: Path) -> None:
    status, _body = server.get(page.paths[0])  # fails loudly below if not 2xx
    if warmup > 0:
        loadgen.run(generator, server.url, page.paths, warmup, work_dir)
    figures = loadgen.run(generator, server.url, page.paths, duration, work_dir)
    page.result = {
        "key": page.key,
        "label": page.label,
        "path": page.paths[0] if len(page.paths) == 1 else page.paths[0].split("?")[0] + "?q=<word>",
        "distinct_paths": len(page.paths),
        "first_status": status,
        "requests": figures.requests,
        "seconds": round(figures.seconds, 3),
        "rps": round(figures.rps, 1),
        "p50_ms": round(figures.p50_ms, 2),
        "p90_ms": round(figures.p90_ms, 2),
        "p99_ms": round(figures.p99_ms, 2),
        "non_2xx": figures.non_2xx + (0 if 200 <= status < 300 else 1),
        "socket_errors": figures.socket_errors,
    }
    page.result["errors"] = page.result["non_2xx"] + page.result["socket_errors"]


def ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def table(measured: list[Page], hello_rps: float) -> str:
    lines = ["| page | req/s | × hello world | p50 | p90 | p99 | errors |", "|---|---|---|---|---|---|---|"]
    for page in measured:
        r = page.result
        errors = f"**{r['errors']}**" if r["errors"] else "0"
        lines.append(
            f"| {page.label} | {r['rps']:,.1f} | {r['ratio']:.2f} | {ms(r['p50_ms'])} | {ms(r['p90_ms'])} "
            f"| {ms(r['p99_ms'])} | {errors} |"
        )
    lines.append(f"\nhello world: {hello_rps:,.0f} req/s (mean of the first and last runs)")
    return "\n".join(lines)


def targets(measured: list[Page]) -> list[dict]:
    """The issue's targets, for the pages this run measured (a filtered run checks fewer)."""
    by_key = {page.key: page.result for page in measured}
    checks = []

    def ratio_at_least(key: str, name: str, minimum: float):
        if key in by_key:
            ratio = by_key[key]["ratio"]
            checks.append(
                {"target": f"{name} ≥ {minimum:.2f} × hello world", "value": ratio, "passed": ratio >= minimum}
            )

    def p90_within(page: Page, base_key: str, factor: float):
        base = by_key.get(base_key)
        if base is None or page.key == base_key:
            return
        limit = factor * base["p90_ms"]
        checks.append(
            {
                "target": f"{page.label} p90 ≤ {factor:g} × {base['label']} p90 ({ms(limit)})",
                "value": page.result["p90_ms"],
                "passed": page.result["p90_ms"] <= limit,
            }
        )

    ratio_at_least("html-list", "catalogue HTML page 1", 0.30)
    ratio_at_least("json-list", "JSON list page 1", 0.45)
    ratio_at_least("asset-page", "asset page", 0.30)
    for page in measured:
        if page.role in ("search", "filter", "deep"):
            p90_within(page, "html-list" if page.face == "html" else "json-list", 2)
    for page in measured:
        if page.result["errors"]:
            checks.append(
                {"target": f"{page.label}: every response 2xx", "value": page.result["errors"], "passed": False}
            )
    return checks


def git_state() -> dict:
    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def _label(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", value):
        raise argparse.ArgumentTypeError("lower-case letters, digits and dashes, e.g. uncached")
    return value


def parse_env(values: list[str]) -> dict:
    extra = {}
    for value in values:
        key, sep, setting = value.partition("=")
        if not sep or not key:
            raise SystemExit(f"--env wants KEY=VALUE, not {value!r}")
        extra[key] = setting
    return extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="approved assets in the catalogue (default 100000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per page (default 10)")
    parser.add_argument(
        "--warmup", type=float, default=1, help="seconds of unmeasured load before each page (default 1)"
    )
    parser.add_argument("--pages", help="comma-separated page keys or parts of them (hello world always runs)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="a setting for the app's gunicorn"
    )
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--reuse", action=argparse.BooleanOptionalAction, default=True, help="reuse a seeded database")
    parser.add_argument("--reindex", action="store_true", help="refill the search index of a reused database")
    parser.add_argument("--cache-dir", type=Path, default=seed_catalog.DEFAULT_CACHE)
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    parser.add_argument("--label", type=_label, help="a name for this variant in the result file (e.g. uncached)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails, not only on errors")
    parser.add_argument("--list-pages", action="store_true", help="print the page keys and exit")
    args = parser.parse_args(argv)
    extra_env = parse_env(args.env)
    generator = loadgen.available(args.loadgen)

    if args.list_pages:
        for page in pages({"json": "", "html": ""}, 0):
            print(f"{page.key:<22} {page.label}")
        return 0

    seeded = seed_catalog.prepare(
        args.db,
        args.n,
        cache_dir=args.cache_dir,
        postgresql_url=os.environ.get("KOIN_BENCH_DATABASE_URL"),
        reuse=args.reuse,
        force_reindex=args.reindex,
    )
    work_dir = Path(tempfile.mkdtemp(prefix="koin-bench-catalog-"))
    env = seed_catalog.app_environment(
        seeded.url, args.cache_dir / "storage", work_dir, secrets.token_urlsafe(32), extra_env
    )
    hello_env = seed_catalog.app_environment(seeded.url, args.cache_dir / "storage", work_dir, "unused")
    app_port, hello_port = free_port(), free_port()
    env["KOIN_PUBLIC_URL"] = f"http://127.0.0.1:{app_port}"
    servers = []
    try:
        app = Server("app", procfile_gunicorn(f"127.0.0.1:{app_port}", "wsgi:app"), env, work_dir)
        servers.append(app)
        hello = Server("hello", procfile_gunicorn(f"127.0.0.1:{hello_port}", "hello:app", BENCH), hello_env, work_dir)
        servers.append(hello)
        deadline = time.monotonic() + START_TIMEOUT
        app.wait_ready(deadline)
        hello.wait_ready(deadline)

        chosen = pages(deep_urls(seeded.url, args.n), seeded.asset_id)
        if args.pages:
            wanted = [w.strip() for w in args.pages.split(",") if w.strip()]
            chosen = [p for p in chosen if p.role == "hello" or any(w in p.key for w in wanted)]
        load_before = os.getloadavg()
        print(
            f"\n{args.db}, {args.n:,} assets; {generator} with {loadgen.CONNECTIONS} connections in "
            f"{loadgen.THREADS} threads/processes, {args.duration:g} s a page; load average {load_before[0]:.1f}",
            flush=True,
        )
        for page in chosen:
            server = hello if page.role == "hello" else app
            measure(page, server, generator, args.duration, args.warmup, work_dir)
            r = page.result
            flag = f"  <-- {r['errors']} ERRORS" if r["errors"] else ""
            print(f"  {page.key:<22} {r['rps']:>9,.1f} req/s  p90 {ms(r['p90_ms']):>9}{flag}", flush=True)
        worker_classes = {server.name: server.worker_class() for server in servers}
    finally:
        for server in servers:
            server.stop()

    hello_runs = [p.result["rps"] for p in chosen if p.role == "hello"]
    hello_rps = statistics.mean(hello_runs)
    # How much the machine changed under the run (other people's work on a shared machine):
    # the ratios are no more certain than this.
    drift = (max(hello_runs) - min(hello_runs)) / hello_rps if hello_rps else 0.0
    for page in chosen:
        page.result["ratio"] = round(page.result["rps"] / hello_rps, 4) if hello_rps else 0.0
    markdown = table(chosen, hello_rps)
    checks = targets(chosen)
    print("\n" + markdown + "\n")
    for check in checks:
        print(f"{'PASS' if check['passed'] else 'FAIL'}  {check['target']}  (measured {check['value']})")
    if drift > 0.2:
        print(f"\nNote: hello world moved by {drift:.0%} between start and end; the machine was busy.")
    errors = sum(p.result["errors"] for p in chosen)
    if errors:
        print(
            f"\n!!! {errors} responses were not 2xx or failed: the figures above are not valid. "
            f"Server logs: {work_dir}",
            file=sys.stderr,
        )

    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "bench/catalog.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
        "db": args.db,
        "n": args.n,
        "duration_seconds": args.duration,
        "warmup_seconds": args.warmup,
        "loadgen": generator,
        "threads": loadgen.THREADS,
        "connections": loadgen.CONNECTIONS,
        "label": args.label,
        "env": extra_env,
        "gunicorn": {"app": app.argv[1:], "hello": hello.argv[1:], "worker_class": worker_classes},
        "machine": {"cpus": os.cpu_count(), "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "git": git_state(),
        "seed": {
            "reused": seeded.reused,
            "seconds": seeded.seed_seconds,
            "rows_per_second": round(seeded.rows_per_second),
            "index_seconds": seeded.index_seconds,
            "search_shares": seeded.shares,
            "asset_id": seeded.asset_id,
        },
        "hello_world_rps": round(hello_rps, 1),
        "hello_world_drift": round(drift, 3),
        "pages": [p.result for p in chosen],
        "targets": checks,
        "table": markdown,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    suffix = (f"-{args.label}" if args.label else "") + ("-partial" if args.pages else "")
    out = args.results_dir / f"catalog-{args.db}-{args.n}{suffix}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    failed_targets = any(not check["passed"] for check in checks)
    return 1 if errors or (args.strict and failed_targets) else 0


if __name__ == "__main__":
    sys.exit(main())
