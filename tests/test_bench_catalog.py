"""bench/catalog.py, the catalogue benchmark: it reads wrk right, counts a page that does not
answer 2xx as a failure, and a small run end to end (seed, serve, load, report) gives figures
for every page. No figure is asserted: the machine is shared, only the benchmark's output is."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import catalog, loadgen, servers

ROOT = Path(__file__).resolve().parent.parent

WRK_REPORT = """Running 10s test @ http://127.0.0.1:8000/assets
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    41.20ms   12.03ms 301.22ms   80.10%
    Req/Sec   190.31     30.11   250.00     70.00%
  Latency Distribution
     50%   38.51ms
     75%   45.02ms
     90%  812.40us
     99%    1.21s
  3805 requests in 10.02s, 98.02MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:    379.74
Transfer/sec:      9.78MB
"""


def test_reads_wrk_report():
    figures = loadgen.parse_wrk(WRK_REPORT)
    assert (figures.requests, figures.seconds) == (3805, 10.02)
    assert (figures.p50_ms, figures.p90_ms, figures.p99_ms) == (38.51, 0.8124, 1210.0)
    assert (figures.non_2xx, figures.socket_errors, figures.errors) == (7, 5, 12)
    assert round(figures.rps, 1) == 379.7


def test_reads_wrk_percentiles_in_seconds_with_trailing_blanks():
    # wrk pads "2.45s" to its column width: seen at 1M assets, where a cold search took seconds.
    report = WRK_REPORT.replace("    1.21s", "    2.45s ")
    assert loadgen.parse_wrk(report).p99_ms == 2450.0


def test_unreadable_wrk_report_is_an_error():
    with pytest.raises(RuntimeError, match="cannot read"):
        loadgen.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def _page(key: str, face: str, role: str, ratio: float, p90: float, errors: int = 0) -> catalog.Page:
    page = catalog.Page(key, key, ["/"], face, role)
    page.result = {"label": key, "ratio": ratio, "p90_ms": p90, "errors": errors}
    return page


def test_targets_are_the_issues():
    checks = catalog.targets(
        [
            _page("html-list", "html", "list", 0.31, 10.0),
            _page("json-list", "json", "list", 0.44, 5.0),
            _page("asset-page", "html", "asset", 0.30, 4.0),
            _page("html-q-pantai", "html", "search", 0.2, 20.0),  # exactly 2 × the HTML list: passes
            _page("json-q-pantai", "json", "search", 0.2, 10.5),  # over 2 × the JSON list, not the HTML one
            _page("html-deep", "html", "deep", 0.1, 25.0),
        ]
    )
    passed = {check["target"].split(" ")[0]: check["passed"] for check in checks}
    assert passed == {
        "catalogue": True,
        "JSON": False,
        "asset": True,
        "html-q-pantai": True,
        "json-q-pantai": False,
        "html-deep": False,
    }


def test_a_page_with_errors_fails_whatever_its_speed():
    checks = catalog.targets([_page("html-list", "html", "list", 0.9, 1.0, errors=3)])
    assert [c["passed"] for c in checks if "every response 2xx" in c["target"]] == [False]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_python_generator_counts_answers_that_are_not_2xx(tmp_path):
    port = _free_port()
    (tmp_path / "here.txt").write_text("ok")
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        figures = loadgen.run_python(f"http://127.0.0.1:{port}", ["/here.txt", "/missing.txt"], 0.5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert figures.requests > 1 and figures.socket_errors == 0
    # The two paths alternate on every connection, so about half the answers are 404s.
    assert 0 < figures.non_2xx < figures.requests


def test_serves_like_the_procfile():
    argv = servers.procfile_gunicorn("127.0.0.1:9999", "hello:app", catalog.BENCH)
    assert argv[0].endswith("gunicorn") and argv[-1] == "hello:app"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9999"
    assert (argv[argv.index("--workers") + 1], argv[argv.index("--threads") + 1]) == ("2", "4")
    assert "--access-logfile" in argv and "--chdir" in argv


def _bench(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "catalog.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_small_run_reports_every_page(tmp_path):
    """Seeds 300 assets (into the database kind the suite runs on), measures every page for one
    second with the Python generator, then a second, filtered run reuses the seeded database."""
    postgresql = os.environ.get("KOIN_TEST_DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k != "KOIN_BENCH_DATABASE_URL"}
    common = ["--n", "300", "--duration", "1", "--warmup", "0", "--loadgen", "python"]
    common += ["--cache-dir", str(tmp_path / "cache"), "--results-dir", str(tmp_path / "results")]
    if postgresql:
        env["KOIN_BENCH_DATABASE_URL"] = postgresql
        common += ["--db", "postgresql"]
    db = "postgresql" if postgresql else "sqlite"
    try:
        done = _bench(common, env)
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads((tmp_path / "results" / f"catalog-{db}-300.json").read_text())
        keys = [page.key for page in catalog.pages({"json": "", "html": ""}, 0)]
        assert [page["key"] for page in report["pages"]] == keys
        for page in report["pages"]:
            assert page["requests"] > 0 and page["rps"] > 0 and page["p90_ms"] > 0, page
            assert page["errors"] == 0, page
            assert f"| {page['label']} | " in done.stdout
        assert report["gunicorn"]["worker_class"] == {"app": "gthread", "hello": "gthread"}
        assert report["seed"]["reused"] is False and report["seed"]["search_shares"]["pantai"] > 0
        assert any(line.startswith(("PASS ", "FAIL ")) for line in done.stdout.splitlines())

        again = _bench([*common, "--pages", "asset-page"], env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "Reusing" in again.stdout
        partial = json.loads((tmp_path / "results" / f"catalog-{db}-300-partial.json").read_text())
        assert [page["key"] for page in partial["pages"]] == ["hello-start", "asset-page", "hello-end"]
    finally:
        if postgresql:
            _drop_seeded_database(postgresql)


def _drop_seeded_database(base_url: str) -> None:
    seeded = make_url(base_url).set(database=f"{make_url(base_url).database}_n300")
    engine = create_engine(seeded.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{seeded.database}" WITH (FORCE)'))
    engine.dispose()
