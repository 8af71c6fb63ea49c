"""Build a promo kit of 2 GB or more in a worker-like child process and report how much its
memory grew: the ZIP is streamed from storage to storage, so the growth must stay under
100 MB whatever the kit's size.

    .venv/bin/python bench/kit_memory.py [--files 3] [--file-mb 700] [--part-mb 16] [--backend local|s3|both]

The parent makes an app on a fresh SQLite database (migrated), a business, and ``--files``
published photos of ``--file-mb`` MiB each, written to the store in 4 MiB chunks (local storage
in a temporary directory, or S3 through moto's server in a process of its own), and a kit
asking for all of them. Then two children run, each as the worker does (the app built once,
the job called in it):

- the baseline: the same bytes read from the store with ``iter_chunks`` and written back as
  one object with ``put``, no ZIP;
- the kit: ``promo.jobs.build_kit``, the job itself.

Each child reports its peak resident memory (VmHWM of /proc/self/status) minus the peak it had
reached once the app was built and every module imported: the growth the work itself caused.
Printed: both growths, the kit's (target: under 100 MB), both times and their ratio (the kit's
ZIP headers and CRCs against a plain copy, on a shared machine, in the same run), and the
kit's size and parts; the kit is then opened with zipfile (``--verify`` also checks every CRC).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
TARGET_MB = 100
sys.path.insert(0, str(ROOT))


class Chunks:
    """A file-like object of ``size`` random-looking bytes, produced 4 MiB at a time."""

    def __init__(self, size: int):
        self.left = size
        self.block = os.urandom(4 * MiB)

    def read(self, n: int = -1) -> bytes:
        # Exactly n bytes until the end: boto3 takes a short read of a stream for its end.
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= n
        whole, rest = divmod(n, len(self.block))
        return self.block * whole + self.block[:rest]


def peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("VmHWM not found")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_for(work: Path, backend: str, part_mb: int, endpoint: str | None) -> dict:
    settings = {
        "TESTING": True,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite3'}",
        "QUEUE_IMMEDIATE": True,
        "MAIL_DIR": str(work / "mail"),
        "PROCESSING_DIR": str(work / "processing"),
        "RATELIMIT_ENABLED": False,
        "KIT_PART_BYTES": part_mb * MiB,
        "KIT_MAX_BYTES": 1 << 50,
        "STORAGE_BACKEND": backend,
        "STORAGE_DIR": str(work / "storage"),
    }
    if backend == "s3":
        settings |= {"S3_BUCKET": "koin-kit-bench", "S3_ENDPOINT_URL": endpoint, "S3_ADDRESSING_STYLE": "path"}
    return settings


def prepare(settings: dict, files: int, file_bytes: int) -> int:
    """Schema, a business, the published photos in the store, and a queued kit: its id."""
    from flask_migrate import upgrade

    from koin_media import create_app
    from koin_media.accounts.models import User
    from koin_media.assets.models import APPROVED, Asset
    from koin_media.database import utcnow
    from koin_media.extensions import db
    from koin_media.promo.models import Kit
    from koin_media.reference.services import ensure_reference_data
    from koin_media.storage import get_storage

    app = create_app(settings)
    with app.app_context():
        upgrade()
        ensure_reference_data()
        storage = get_storage()
        storage.ensure_ready([])
        creator = User(email="kreator@bench.koin", name="Baiq Nurul", role="creator")
        business = User(email="ikm@bench.koin", name="Lalu Ahmad", role="ikm", business_name="Kopi Sembalun")
        for user in (creator, business):
            user.email_verified_at = utcnow()
            user.set_password(secrets.token_urlsafe(16))
            db.session.add(user)
        db.session.flush()
        entries = []
        for number in range(1, files + 1):
            asset = Asset(
                owner=creator, original_filename=f"video-{number}.mp4", storage_key="pending", status=APPROVED,
                kind="video", mime="video/mp4", size_bytes=file_bytes, title=f"Bau Nyale {number}",
                license="CC-BY-4.0", consent=True, approved_at=utcnow(),
            )  # fmt: skip
            db.session.add(asset)
            db.session.flush()
            asset.storage_key = f"assets/{asset.uuid}/original"
            storage.put(asset.storage_key, Chunks(file_bytes), "video/mp4")
            entries.append({"asset_id": asset.id, "variant": "original", "title": asset.title})
        kit = Kit(token=secrets.token_urlsafe(24), user_id=business.id, title="Bau Nyale 2027", entries=entries)
        kit.purpose, kit.files, kit.skipped = "video", [], []
        db.session.add(kit)
        db.session.commit()
        return kit.id


def child(settings: dict, kit_id: int, mode: str) -> dict:
    """Run in a process of its own: build the app like the worker, note the peak memory, do
    the work, and report the growth."""
    from koin_media import create_app
    from koin_media.assets.models import Asset
    from koin_media.extensions import db
    from koin_media.promo import jobs
    from koin_media.promo.models import Kit
    from koin_media.storage import get_storage

    app = create_app(settings)
    with app.app_context():
        kit = db.session.get(Kit, kit_id)
        keys = [db.session.get(Asset, entry["asset_id"]).storage_key for entry in kit.entries]
        db.session.rollback()
        storage = get_storage()
        before = peak_kib()
        started = time.perf_counter()
        if mode == "kit":
            jobs.build_kit(kit_id)
            kit = db.session.get(Kit, kit_id)
            result = {"status": kit.status, "size": kit.size_bytes, "key": kit.storage_key}
        else:
            storage.put("bench/copy.bin", Concatenated(storage, keys), "application/octet-stream")
            result = {"status": "copied", "size": storage.head("bench/copy.bin").size}
        seconds = time.perf_counter() - started
        return result | {"seconds": seconds, "baseline_kib": before, "peak_kib": peak_kib()}


class Concatenated:
    """The stored objects one after the other, read with iter_chunks, as a file-like object."""

    def __init__(self, storage, keys):
        self.chunks = (chunk for key in keys for chunk in storage.iter_chunks(key))
        self.pending = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self.pending) < n:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.pending += chunk
        if n < 0:
            data, self.pending = self.pending, b""
        else:
            data, self.pending = self.pending[:n], self.pending[n:]
        return data


def run_child(settings: dict, kit_id: int, mode: str) -> dict:
    env = os.environ | {"KOIN_BENCH_CHILD": json.dumps({"settings": settings, "kit_id": kit_id, "mode": mode})}
    answer = subprocess.run([sys.executable, __file__], env=env, capture_output=True, text=True, check=False)
    if answer.returncode != 0:
        raise RuntimeError(f"{mode} child failed:\n{answer.stderr[-4000:]}")
    return json.loads(answer.stdout.strip().splitlines()[-1])


def check_zip(settings: dict, key: str, files: int, file_bytes: int, verify: bool) -> str:
    from koin_media import create_app
    from koin_media.storage import get_storage

    app = create_app(settings)
    with app.app_context():
        storage = get_storage()
        if storage.name == "local":
            archive = zipfile.ZipFile(storage.object_path(key))
        else:
            path = Path(settings["STORAGE_DIR"]) / "kit.zip"
            path.parent.mkdir(parents=True, exist_ok=True)
            storage.download_to_file(key, path)
            archive = zipfile.ZipFile(path)
        with archive:
            media = [info for info in archive.infolist() if info.filename.endswith(".mp4")]
            assert len(media) == files and all(info.file_size == file_bytes for info in media), "wrong members"
            names = {info.filename for info in archive.infolist()}
            assert {"KREDIT.txt", "CREDITS.txt", "KREDIT.html"} <= names, "credits missing"
            if verify:
                assert archive.testzip() is None, "a CRC does not match"
        etag = storage.head(key).etag or ""
    return etag.rpartition("-")[2] if "-" in etag else "?"


def start_moto(work: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = os.environ | {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, endpoint
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("moto_server did not start")


def bench(backend: str, args, work: Path) -> None:
    file_bytes = args.file_mb * MiB
    moto = None
    if backend == "s3":
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
        moto, endpoint = start_moto(work)
    else:
        endpoint = None
    try:
        settings = settings_for(work, backend, args.part_mb, endpoint)
        kit_id = prepare(settings, args.files, file_bytes)
        copy = run_child(settings, kit_id, "copy")
        kit = run_child(settings, kit_id, "kit")
        assert kit["status"] == "ready", kit
        parts = check_zip(settings, kit["key"], args.files, file_bytes, args.verify)
    finally:
        if moto is not None:
            moto.terminate()
            moto.wait(timeout=30)
    growth = {name: (r["peak_kib"] - r["baseline_kib"]) / 1024 for name, r in (("copy", copy), ("kit", kit))}
    verdict = "PASS" if growth["kit"] < TARGET_MB else "FAIL"
    print(f"[{backend}] kit of {args.files} x {args.file_mb} MiB = {kit['size'] / 1e9:.2f} GB in {parts} parts "
          f"of {args.part_mb} MiB")  # fmt: skip
    print(f"[{backend}] peak RSS growth: kit {growth['kit']:.1f} MiB ({verdict}: < {TARGET_MB} MB), "
          f"plain copy {growth['copy']:.1f} MiB (baselines after import: {kit['baseline_kib'] / 1024:.0f} MiB, "
          f"{copy['baseline_kib'] / 1024:.0f} MiB)")  # fmt: skip
    print(f"[{backend}] time: kit {kit['seconds']:.1f} s ({kit['size'] / MiB / kit['seconds']:.0f} MiB/s), "
          f"plain copy {copy['seconds']:.1f} s; kit/copy = {kit['seconds'] / copy['seconds']:.2f}")  # fmt: skip


def main() -> None:
    if "KOIN_BENCH_CHILD" in os.environ:
        job = json.loads(os.environ["KOIN_BENCH_CHILD"])
        print(json.dumps(child(job["settings"], job["kit_id"], job["mode"])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--file-mb", type=int, default=700)
    parser.add_argument("--part-mb", type=int, default=16)
    parser.add_argument("--backend", choices=["local", "s3", "both"], default="local")
    parser.add_argument("--verify", action="store_true", help="also check every member's CRC")
    parser.add_argument("--dir", default=None, help="where the temporary files go (needs about 3x the kit)")
    args = parser.parse_args()
    for backend in ("local", "s3") if args.backend == "both" else (args.backend,):
        work = Path(tempfile.mkdtemp(prefix=f"koin-kit-bench-{backend}-", dir=args.dir))
        try:
            bench(backend, args, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(f"command: .venv/bin/python bench/kit_memory.py {' '.join(sys.argv[1:])}".rstrip())


if __name__ == "__main__":
    main()
