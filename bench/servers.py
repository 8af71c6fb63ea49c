"""The two gunicorns of ``catalog.py``: the app and the hello world, each started with the
Procfile's web command, so the benchmark serves the way production does."""

from __future__ import annotations

import http.client
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 90  # seconds for both servers to answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_gunicorn(bind: str, app: str, chdir: Path | None = None) -> list[str]:
    """The Procfile's web command with its defaults (not this shell's KOIN_WEB_WORKERS), bound
    to ``bind`` and serving ``app``: one source for how production serves, so the benchmark
    follows any change to it."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    command = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", line.removeprefix("web:"))
    argv = shlex.split(command)
    if not argv[0].endswith("gunicorn") or ":" not in argv[-1]:
        raise SystemExit(f"the Procfile's web line is not a gunicorn command this script understands: {line}")
    argv[0], argv[-1] = str(VENV_BIN / "gunicorn"), app
    argv[argv.index("--bind") + 1] = bind
    return argv[:1] + (["--chdir", str(chdir)] if chdir else []) + argv[1:]


class Server:
    """A gunicorn of its own: the access log to /dev/null (written as the Procfile does, read
    by nobody), the error log to a file shown when something goes wrong."""

    def __init__(self, name: str, argv: list[str], env: dict, work_dir: Path):
        self.name, self.argv = name, argv
        self.port = int(argv[argv.index("--bind") + 1].rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work_dir / f"{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)

    def get(self, path: str, timeout: float = 60) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} server exited ({self.process.returncode}):\n{self.log.read_text()}")
            try:
                self.get("/", timeout=10)
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} server did not answer in {START_TIMEOUT} s:\n{self.log.read_text()}")

    def worker_class(self) -> str:
        found = re.search(r"Using worker: (\S+)", self.log.read_text())
        return found.group(1) if found else "unknown"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
