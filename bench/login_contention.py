"""Failed log-ins against writers on SQLite: how long a write waits, and how many 5xx answers.

    .venv/bin/python bench/login_contention.py [--seconds 20] [--clients 6] [--compare REF]

Serves the app the Procfile's way (gunicorn, 2 workers x 4 threads) on a fresh SQLite file,
runs ``--clients`` threads failing to log in continuously while one more client saves its
profile (a write that needs SQLite's write lock) in a loop, and prints the write latency
p50/p99/max and the 5xx counts. Rate limits are switched off so that they do not hide the
figure. With ``--compare REF`` the same run is made first on the code of that git commit
(exported with ``git archive`` into a temporary directory, same virtualenv), so both figures
come from the same machine in the same minute. Before the fix: writes waited up to
4.2 s (p99) and 3 of 240 log-ins answered 500 "database is locked".
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
WRITER, TARGET, PASSWORD = "penulis@bench.koin.test", "sasaran@bench.koin.test", "rinjani-2026-aman"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(work: Path) -> dict:
    env = dict(os.environ)
    env.update(
        KOIN_DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
        KOIN_SECRET_KEY="bench-" + "x" * 40,
        KOIN_COOKIE_SECURE="false",
        KOIN_RATELIMIT_ENABLED="false",
        KOIN_QUEUE_PATH=str(work / "queue.sqlite3"),
        KOIN_STORAGE_DIR=str(work / "storage"),
        KOIN_MAIL_DIR=str(work / "mail"),
    )
    env.pop("KOIN_REDIS_URL", None)
    return env


def prepare(tree: Path, env: dict) -> None:
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=tree, env=env, check=True, capture_output=True)
    for email in (WRITER, TARGET):
        subprocess.run(
            [*flask, "create-user", email, "--role", "staff", "--password-stdin"],
            cwd=tree,
            env=env,
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )


def token_of(session: requests.Session, url: str) -> str:
    match = CSRF_META.search(session.get(url, timeout=30).text)
    if not match:
        raise RuntimeError(f"no CSRF token on {url}")
    return match.group(1)


def fail_logins(base: str, stop: threading.Event, codes: list[int]) -> None:
    session = requests.Session()
    token = token_of(session, f"{base}/login")
    while not stop.is_set():
        data = {"email": TARGET, "password": "salah-" + "x" * 8, "csrf_token": token}
        codes.append(session.post(f"{base}/login", data=data, allow_redirects=False, timeout=60).status_code)


def write_profile(base: str, stop: threading.Event, waits: list[float], codes: list[int]) -> None:
    session = requests.Session()
    data = {"email": WRITER, "password": PASSWORD, "csrf_token": token_of(session, f"{base}/login")}
    if session.post(f"{base}/login", data=data, allow_redirects=False, timeout=60).status_code != 302:
        raise RuntimeError("the writer could not log in")
    token = token_of(session, f"{base}/account")
    n = 0
    while not stop.is_set():
        n += 1
        form = {"name": f"Penulis {n}", "phone": "", "locale": "id", "csrf_token": token}
        started = time.perf_counter()
        response = session.post(f"{base}/account", data=form, allow_redirects=False, timeout=60)
        waits.append(time.perf_counter() - started)
        codes.append(response.status_code)
        time.sleep(0.05)  # a person saving, not a second load generator


def run(tree: Path, seconds: float, clients: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="koin-bench-") as tmp:
        work = Path(tmp)
        env = environment(work)
        prepare(tree, env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "wsgi:app"],
            cwd=tree,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(work / "gunicorn.log").open("w"),
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{base}/login", timeout=30)
                    break
                except (requests.ConnectionError, requests.Timeout):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            stop = threading.Event()
            login_codes: list[int] = []
            write_codes: list[int] = []
            waits: list[float] = []
            threads = [threading.Thread(target=fail_logins, args=(base, stop, login_codes)) for _ in range(clients)]
            threads.append(threading.Thread(target=write_profile, args=(base, stop, waits, write_codes)))
            for thread in threads:
                thread.start()
            time.sleep(seconds)
            stop.set()
            for thread in threads:
                thread.join(120)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    waits.sort()
    return {
        "logins": len(login_codes),
        "logins_per_s": len(login_codes) / seconds,
        "login_5xx": sum(code >= 500 for code in login_codes),
        "writes": len(waits),
        "write_5xx": sum(code >= 500 for code in write_codes),
        "p50": statistics.median(waits) if waits else float("nan"),
        "p99": waits[min(len(waits) - 1, int(len(waits) * 0.99))] if waits else float("nan"),
        "max": waits[-1] if waits else float("nan"),
    }


def report(label: str, figures: dict) -> None:
    print(
        f"{label:>10}: {figures['logins']} failed log-ins ({figures['logins_per_s']:.1f}/s), "
        f"{figures['login_5xx']} answered 5xx; {figures['writes']} writes, {figures['write_5xx']} 5xx; "
        f"write wait p50 {figures['p50'] * 1000:.0f} ms, p99 {figures['p99'] * 1000:.0f} ms, "
        f"max {figures['max'] * 1000:.0f} ms"
    )


def exported(ref: str, into: Path) -> Path:
    """The tree of commit ``ref``, read with git archive (the working tree is left alone)."""
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for name in ("node_modules", ".venv"):
        if (ROOT / name).exists():
            (into / name).symlink_to(ROOT / name)
    subprocess.run(
        [str(VENV_BIN / "pybabel"), "compile", "-d", "koin_media/translations"],
        cwd=into,
        check=True,
        capture_output=True,
    )
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--compare", metavar="REF", help="also run the code of this git commit, first")
    args = parser.parse_args()
    if args.compare:
        with tempfile.TemporaryDirectory(prefix="koin-before-") as tmp:
            report(args.compare[:10], run(exported(args.compare, Path(tmp)), args.seconds, args.clients))
    report("this tree", run(ROOT, args.seconds, args.clients))


if __name__ == "__main__":
    main()
