"""Upload a large file through the local storage backend, as Uppy does, and measure the web
worker's peak memory growth and the throughput against a plain disk copy of the same file.

    .venv/bin/python bench/upload_local.py [--size-mb 1024] [--part-mb 8]

Both figures come from the same run on the same disk, so the ratio means something on a
shared, noisy machine. Target: peak memory growth under 50 MB whatever the file size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_file(path: Path, size: int) -> None:
    """An MP4-looking file (the server sniffs its first bytes) of ``size`` bytes."""
    header = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
    block = os.urandom(4 * MiB)
    with path.open("wb") as out:
        out.write(header)
        written = len(header)
        while written < size:
            chunk = block[: min(len(block), size - written)]
            out.write(chunk)
            written += len(chunk)


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found for {pid}")


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


class Part:
    """A slice of the file, streamed by requests without reading it whole into memory."""

    def __init__(self, path: Path, start: int, length: int):
        self.handle = path.open("rb")
        self.handle.seek(start)
        self.remaining = length
        self.len = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size < 0 else min(size, self.remaining)
        data = self.handle.read(size)
        self.remaining -= len(data)
        return data

    def close(self):
        self.handle.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--part-mb", type=int, default=8)
    args = parser.parse_args()
    size, part_size = args.size_mb * MiB, args.part_mb * MiB

    work = Path(tempfile.mkdtemp(prefix="koin-bench-"))
    env = {
        **os.environ,
        "KOIN_SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "KOIN_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "KOIN_STORAGE_BACKEND": "local",
        "KOIN_STORAGE_DIR": str(work / "storage"),
        "KOIN_QUEUE_PATH": str(work / "queue.sqlite3"),
        "KOIN_RATELIMIT_ENABLED": "false",
        "KOIN_COOKIE_SECURE": "false",
    }
    port = free_port()
    env["KOIN_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([*flask, "db", "upgrade"], **run)
    subprocess.run([*flask, "seed-demo", "--no-users"], **run)
    subprocess.run(
        [*flask, "create-user", "bench@koin.test", "--role", "creator", "--password-stdin"],
        input="bench-password\n",
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    token = subprocess.run([*flask, "create-token", "bench@koin.test"], **run).stdout.strip()

    source = work / "video.mp4"
    print(f"Writing a {args.size_mb} MiB test file …", flush=True)
    make_file(source, size)

    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "600",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    try:
        for _ in range(100):
            try:
                session.get(f"{base}/healthz", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.1)
        worker = worker_pid(server.pid)
        # Warm the code paths the upload uses, so the baseline includes their imports.
        warm = work / "warm.mp4"
        make_file(warm, MiB)
        upload(session, base, warm, part_size)
        baseline = rss_kib(worker, "VmRSS")

        started = time.perf_counter()
        asset = upload(session, base, source, part_size)
        upload_seconds = time.perf_counter() - started
        peak = rss_kib(worker, "VmHWM")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    copy_target = work / "storage" / "plain-copy"
    started = time.perf_counter()
    shutil.copyfile(source, copy_target)
    os.sync()
    copy_seconds = time.perf_counter() - started

    upload_rate, copy_rate = size / upload_seconds / MiB, size / copy_seconds / MiB
    growth = (peak - baseline) / 1024
    print(
        f"file: {args.size_mb} MiB in {size // part_size + (size % part_size > 0)} parts of {args.part_mb} MiB; "
        f"asset {asset['asset_id']} is {asset['status']}"
    )
    print(
        f"web worker memory: baseline {baseline / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, "
        f"peak growth {growth:.1f} MiB (target < 50)"
    )
    print(f"upload through the app: {upload_seconds:.1f} s = {upload_rate:.0f} MiB/s")
    print(f"plain disk copy:        {copy_seconds:.1f} s = {copy_rate:.0f} MiB/s")
    print(f"throughput ratio (upload / copy): {upload_rate / copy_rate:.2f}")
    shutil.rmtree(work, ignore_errors=True)
    if growth >= 50:
        sys.exit("peak memory growth is over the 50 MB target")


def upload(session: requests.Session, base: str, path: Path, part_size: int) -> dict:
    size = path.stat().st_size
    created = session.post(
        f"{base}/uploads/s3/multipart",
        json={
            "filename": path.name,
            "type": "video/mp4",
            "metadata": {"title": "Benchmark", "size": size, "lastModified": int(time.time() * 1000)},
        },
        timeout=60,
    )
    if created.status_code != 200:
        sys.exit(f"create failed: {created.status_code} {created.text}")
    upload_id, key = created.json()["uploadId"], created.json()["key"]
    parts = []
    for number, start in enumerate(range(0, size, part_size), start=1):
        signed = session.get(f"{base}/uploads/s3/multipart/{upload_id}/{number}", params={"key": key}, timeout=60)
        signed.raise_for_status()
        body = Part(path, start, min(part_size, size - start))
        try:
            put = requests.put(signed.json()["url"], data=body, headers={"Content-Length": str(body.len)}, timeout=600)
        finally:
            body.close()
        put.raise_for_status()
        parts.append({"PartNumber": number, "ETag": put.headers["ETag"]})
    done = session.post(
        f"{base}/uploads/s3/multipart/{upload_id}/complete", params={"key": key}, json={"parts": parts}, timeout=600
    )
    done.raise_for_status()
    return done.json()


if __name__ == "__main__":
    main()
