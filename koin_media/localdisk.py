"""The local disk the app and its workers write to: free space for /healthz, the working
directories of processing jobs, and sweeping the temporary files killed processes left behind.

"In use" is an advisory lock (``flock``), not a guess from timestamps: the process writing a
temporary file or working in a directory holds a lock on it for as long as it runs, and the
kernel drops the lock when that process ends, however it ends. The sweep removes what is
older than ``TEMP_MAX_AGE_MINUTES`` *and* unlocked; the age only covers the instant between
creating a file and locking it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

MB = 1024 * 1024
# The lock file in every processing directory; its lock is held while the job runs.
IN_USE = ".in-use"


def lock_in_use(fd: int) -> None:
    """Mark an open file as in use for as long as this process keeps ``fd`` open."""
    fcntl.flock(fd, fcntl.LOCK_EX)


def _held_by_someone(path: Path) -> bool:
    """Whether a running process holds the in-use lock of ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the lock we may have taken
    return False


# -- processing working directories ---------------------------------------------------------


def processing_root() -> Path:
    return Path(current_app.config["PROCESSING_DIR"])


@contextmanager
def work_dir(name: str) -> Iterator[Path]:
    """A fresh directory under PROCESSING_DIR for one job, locked while the job runs and
    removed after it; one left by a killed worker is found and swept by its unlocked lock."""
    root = processing_root()
    root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    fd = os.open(path / IN_USE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        lock_in_use(fd)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


# -- sweeping --------------------------------------------------------------------------------


def _age_seconds(path: Path, now: float) -> float:
    return now - path.lstat().st_mtime


def _describe(label: str, path: Path, size: int, age: float) -> str:
    return f"{label}/{path.name} ({size / MB:.1f} MB, {age / 3600:.1f} h old)"


def _tree_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_symlink() and p.is_file())


def sweep_temp_files(storage_tmp: Path | None, max_age_seconds: float | None = None) -> list[str]:
    """Remove temporary files of processes that are gone: files under the local storage's
    ``tmp/`` (parts and objects being written) and processing directories, older than the
    threshold and not locked by a running process. Returns what was removed, for the log and
    the ``storage cleanup`` output."""
    if max_age_seconds is None:
        max_age_seconds = current_app.config["TEMP_MAX_AGE_MINUTES"] * 60
    now = time.time()
    removed: list[str] = []
    if storage_tmp is not None and storage_tmp.is_dir():
        for path in storage_tmp.iterdir():
            try:
                if not path.is_file() or path.is_symlink():
                    continue
                age, size = _age_seconds(path, now), path.lstat().st_size
                if age < max_age_seconds or _held_by_someone(path):
                    continue
                path.unlink()
            except FileNotFoundError:
                continue  # renamed into place or removed by its writer meanwhile
            removed.append(_describe("storage tmp", path, size, age))
    root = processing_root()
    if root.is_dir():
        for path in root.iterdir():
            try:
                if not path.is_dir() or path.is_symlink():
                    continue
                age = _age_seconds(path, now)
                if age < max_age_seconds or _held_by_someone(path / IN_USE):
                    continue
                size = _tree_size(path)
                shutil.rmtree(path)
            except FileNotFoundError:
                continue  # its job finished and removed it meanwhile
            removed.append(_describe("processing", path, size, age))
    for line in removed:
        log.info("temporary files: removed %s", line)
    return removed


# -- free space --------------------------------------------------------------------------------


def _existing(path: Path) -> Path:
    """The path, or its nearest existing parent (a directory not made yet is on that disk)."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def watched_dirs() -> dict[str, Path]:
    config = current_app.config
    dirs = {"instance": Path(current_app.instance_path), "processing": processing_root()}
    if config.get("STORAGE_BACKEND", "local") == "local":
        dirs["storage"] = Path(config["STORAGE_DIR"])
    return dirs


def disk_status() -> dict:
    """What /healthz reports about the disk: free space where the app writes, failing when
    any of them has less than MIN_FREE_DISK_MB (uploads, renditions and the database would
    fail next). Names, not paths: /healthz is public."""
    minimum = current_app.config["MIN_FREE_DISK_MB"]
    free = {name: shutil.disk_usage(_existing(path)).free // MB for name, path in watched_dirs().items()}
    low = sorted(name for name, mb in free.items() if mb < minimum)
    status = {"ok": not low, "free_mb": free, "min_free_mb": minimum}
    if low:
        status["low"] = low
    return status
