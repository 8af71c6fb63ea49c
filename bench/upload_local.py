"""Upload a large file through the local storage backend with the app's protocol, as Uppy
does, and compare its throughput with a plain disk copy of the same file in the same run.

    .venv/bin/python bench/upload_local.py [--size-mb 1024] [--part-mb 5] [--parallel 4] [--rounds 3]

The app is served by gunicorn (one worker, so its memory can be watched, with 4 threads);
the client makes Uppy's calls with a bearer token: create, then for each part sign and PUT
(``--parallel`` parts at a time, Uppy's ``limit`` in static/js/upload.js), then complete.
Parts are cut as the app's part plan says (assets/quota.py, the same as Uppy's getChunkSize):
``--part-mb`` may only repeat it. Printed: the web worker's peak memory growth (target: under
50 MiB whatever the file size), the upload and the copy throughput and their ratio, and how
fast this machine computes MD5 (the ETag every part needs, on one core) as a ratio of the
copy too: the upload cannot be faster than the hashing of its bytes.

Both timings end when the file written is on the disk (fsync of that file, after a sync of
everything before the start): each pays for writing its own bytes and no one else's. Copy
and upload run back to back ``--rounds`` times (each first every other round) and the best of
each is compared: on a shared machine, the runs least disturbed by the rest.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MiB = 1024 * 1024
UPPY_LIMIT = 4  # parts in flight at once: `limit` of the AwsS3 plugin in static/js/upload.js

sys.path.insert(0, str(ROOT))
from servers import free_port  # noqa: E402  (bench/servers.py, beside this script)

from koin_media.assets.quota import part_count, part_size  # noqa: E402  (the one part plan)


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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time ``pid`` has used so far: what the upload costs the web
    worker, a figure the other load on a shared machine does not change much."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def durable(action) -> float:
    """Seconds ``action`` takes until the file it returns is on the disk. Everything else is
    flushed before (untimed); only that file is flushed after (fsync), so neither side pays
    for other people's writes on a shared machine."""
    os.sync()
    started = time.perf_counter()
    written = action()
    fd = os.open(written, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - started


def md5_seconds(path: Path) -> float:
    started = time.perf_counter()
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as source:
        while chunk := source.read(MiB):
            digest.update(chunk)
    return time.perf_counter() - started


def check_part_mb(args, size: int) -> int:
    """The app's part size for ``size`` bytes; --part-mb may only say the same."""
    planned = part_size(size)
    if args.part_mb is not None and args.part_mb * MiB != planned:
        sys.exit(
            f"the app signs parts of {planned / MiB:g} MiB for a {args.size_mb} MiB file (assets/quota.py, "
            f"as Uppy cuts them); leave out --part-mb or give --part-mb {planned / MiB:g}"
        )
    return planned


# --- the app ------------------------------------------------------------------------------------


def app_environment(work: Path, port: int, **settings: str) -> dict:
    return {
        **os.environ,
        "KOIN_SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "KOIN_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "KOIN_STORAGE_BACKEND": "local",
        "KOIN_STORAGE_DIR": str(work / "storage"),
        "KOIN_QUEUE_PATH": str(work / "queue.sqlite3"),
        "KOIN_MAIL_DIR": str(work / "mail"),
        "KOIN_RATELIMIT_ENABLED": "false",
        "KOIN_COOKIE_SECURE": "false",
        "KOIN_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **settings,
    }


def prepare_app(env: dict) -> str:
    """Migrate a fresh database, make a creator; returns a bearer token for it."""
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([*flask, "db", "upgrade"], **run)
    subprocess.run([*flask, "seed-demo", "--no-users"], **run)
    subprocess.run(
        [*flask, "create-user", "bench@koin.test", "--role", "creator", "--password-stdin"],
        input="x" * 16 + "\n",
        **run,
    )
    return subprocess.run([*flask, "create-token", "bench@koin.test"], **run).stdout.strip()


def serve(env: dict, port: int) -> subprocess.Popen:
    """gunicorn with one worker of 4 threads; returns once the app answers."""
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
        + ["--timeout", "600", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
            return server
        except requests.RequestException:
            if server.poll() is not None:
                sys.exit(f"gunicorn stopped: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    sys.exit("the app did not answer")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


class Protocol:
    """Uppy's calls against the app, with ``parallel`` parts in flight, each on its own
    keep-alive connection (as a browser keeps them)."""

    def __init__(self, base: str, token: str, parallel: int):
        self.base, self.parallel = base, parallel
        self.headers = {"Authorization": f"Bearer {token}"}
        self.local = threading.local()
        self.complete_seconds: list[float] = []  # how long each complete kept the client waiting

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def upload(self, path: Path) -> dict:
        size = path.stat().st_size
        meta = {"title": "Benchmark", "size": size, "lastModified": time.time_ns()}
        created = self.session().post(
            f"{self.base}/uploads/s3/multipart",
            json={"filename": path.name, "type": "video/mp4", "metadata": meta},
            headers=self.headers,
            timeout=60,
        )
        if created.status_code != 200:
            sys.exit(f"create failed: {created.status_code} {created.text}")
        upload_id, key = created.json()["uploadId"], created.json()["key"]
        chunk = part_size(size)

        def send(number: int) -> dict:
            signed = self.session().get(
                f"{self.base}/uploads/s3/multipart/{upload_id}/{number}",
                params={"key": key},
                headers=self.headers,
                timeout=60,
            )
            signed.raise_for_status()
            with path.open("rb") as source:  # one part in memory per thread, as a browser slices a Blob
                source.seek((number - 1) * chunk)
                body = source.read(signed.json()["size"])
            put = self.session().put(signed.json()["url"], data=body, timeout=600)
            put.raise_for_status()
            return {"PartNumber": number, "ETag": put.headers["ETag"]}

        with ThreadPoolExecutor(self.parallel) as pool:
            parts = list(pool.map(send, range(1, part_count(size) + 1)))
        started = time.perf_counter()
        done = self.session().post(
            f"{self.base}/uploads/s3/multipart/{upload_id}/complete",
            params={"key": key},
            json={"parts": parts},
            headers=self.headers,
            timeout=600,
        )
        done.raise_for_status()
        self.complete_seconds.append(time.perf_counter() - started)
        return done.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--part-mb", type=int, default=None, help="the app's part plan; may only repeat it")
    parser.add_argument("--parallel", type=int, default=UPPY_LIMIT, help="parts in flight (Uppy: 4)")
    parser.add_argument("--rounds", type=int, default=3, help="copy and upload back to back, this many times")
    args = parser.parse_args()
    size = args.size_mb * MiB
    chunk = check_part_mb(args, size)

    work = Path(tempfile.mkdtemp(prefix="koin-bench-"))
    copies, uploads, hashes, answers = [], [], [], []
    try:
        port = free_port()
        env = app_environment(work, port)
        token = prepare_app(env)
        source = work / "video.mp4"
        print(f"Writing a {args.size_mb} MiB test file …", flush=True)
        make_file(source, size)
        warm = work / "warm.mp4"
        make_file(warm, 12 * MiB)
        copy_target = work / "plain-copy"

        def upload() -> Path:
            answers.append(client.upload(source))
            return work / "storage" / "objects" / answers[-1]["key"]

        server = serve(env, port)
        try:
            worker = worker_pid(server.pid)
            client = Protocol(f"http://127.0.0.1:{port}", token, args.parallel)
            client.upload(warm)  # the code paths and thread buffers the upload uses, in the baseline
            baseline, cpu_before = rss_kib(worker, "VmRSS"), cpu_seconds(worker)
            for number in range(1, args.rounds + 1):
                hashes.append(md5_seconds(source))
                # Each goes first every other round, so neither always finds the disk calmer.
                for side in ("copy", "upload") if number % 2 else ("upload", "copy"):
                    if side == "copy":
                        copies.append(durable(lambda: shutil.copyfile(source, copy_target)))
                        copy_target.unlink()
                    else:
                        uploads.append(durable(upload))
                        shutil.rmtree(work / "storage" / "objects" / "assets", ignore_errors=True)  # room for the next
                print(f"  round {number}: copy {copies[-1]:.2f} s, upload {uploads[-1]:.2f} s", flush=True)
            peak, worker_cpu = rss_kib(worker, "VmHWM"), cpu_seconds(worker) - cpu_before
        finally:
            stop(server)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    # The best of each: the run least disturbed by everything else on a shared machine.
    upload_rate, copy_rate, hash_rate = (size / min(seconds) / MiB for seconds in (uploads, copies, hashes))
    growth = (peak - baseline) / 1024
    per_gib = 1024 * MiB / size
    print(
        f"file: {args.size_mb} MiB in {part_count(size)} parts of {chunk / MiB:g} MiB, {args.parallel} at a time, "
        f"best of {args.rounds} rounds; asset {answers[-1]['asset_id']} is {answers[-1]['status']}"
    )
    print(
        f"web worker memory: baseline {baseline / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, "
        f"peak growth {growth:.1f} MiB (target < 50)"
    )
    print(
        f"upload through the app: {min(uploads):.2f} s = {upload_rate:.0f} MiB/s "
        f"(of which complete: {min(client.complete_seconds[1:]):.2f} s)"
    )
    print(f"plain disk copy:        {min(copies):.2f} s = {copy_rate:.0f} MiB/s")
    print(
        f"MD5 on one core:        {min(hashes):.2f} s = {hash_rate:.0f} MiB/s, {hash_rate / copy_rate:.2f} of the copy"
    )
    print(
        f"web worker CPU:         {worker_cpu / args.rounds * per_gib:.2f} s per GiB uploaded "
        f"(MD5 alone: {min(hashes) * per_gib:.2f})"
    )
    print(f"throughput ratio (upload / copy): {upload_rate / copy_rate:.2f}")
    if growth >= 50:
        sys.exit("peak memory growth is over the 50 MiB target")


if __name__ == "__main__":
    main()
