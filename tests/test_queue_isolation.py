"""The job queue is per app and lazy: building an inline app (every test) does not
make another app's jobs inline, and importing the queue module creates no queue file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

TWO_APPS = """
import json, sqlite3, sys, threading
from pathlib import Path
from koin_media import create_app
from koin_media import jobs

work = Path(sys.argv[1])


def waiting():  # read from the queue's file, as a consumer would
    with sqlite3.connect(work / "queue" / "queue.sqlite3") as conn:
        return conn.execute("select count(*) from task").fetchone()[0]


@jobs.job()
def touch(name):
    (work / name).write_text("ran")


def settings(immediate):
    return {"TESTING": True, "SECRET_KEY": "s", "QUEUE_IMMEDIATE": immediate,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'app.sqlite3'}"}


inline_app = create_app(settings(True))  # built first: it must not change the queued app
queued_app = create_app(settings(False))
seen = {}
for label, app in (("queued", queued_app), ("inline", inline_app), ("queued-again", queued_app)):
    with app.app_context():
        touch(label)
        seen[label] = {"immediate": jobs.runs_inline(), "ran": (work / label).exists(),
                       "pending": waiting()}
for label, app in (("inline-beat", inline_app), ("queued-beat", queued_app)):
    with app.app_context():
        beat = jobs.heartbeat_recorder()
    thread = threading.Thread(target=beat)  # as a job's lease thread beats: no app context there
    thread.start()
    thread.join()
    with sqlite3.connect(work / "queue" / "queue.sqlite3") as conn:
        seen[label] = conn.execute("select count(*) from kv").fetchone()[0]
print(json.dumps(seen))
"""


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOIN_")}
    env.update(extra)
    return env


def test_an_inline_app_does_not_make_another_apps_jobs_inline(tmp_path):
    env = _env(PYTHONPATH=str(PROJECT), KOIN_QUEUE_PATH=str(tmp_path / "queue" / "queue.sqlite3"))
    result = subprocess.run([sys.executable, "-c", TWO_APPS, str(tmp_path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=True)  # fmt: skip
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["queued"] == {"immediate": False, "ran": False, "pending": 1}  # waits for a consumer
    assert seen["inline"] == {"immediate": True, "ran": True, "pending": 1}  # ran inside the call
    assert seen["queued-again"] == {"immediate": False, "ran": False, "pending": 2}
    assert (seen["inline-beat"], seen["queued-beat"]) == (0, 1)  # a job's own threads follow its app


def test_importing_the_queue_creates_no_file_until_the_queue_is_used(tmp_path):
    """The default path (instance/queue.sqlite3 next to the package) in a copy of the package,
    so the check cannot be fooled by the file a developer's earlier run left in the tree."""
    shutil.copytree(PROJECT / "koin_media", tmp_path / "koin_media", ignore=shutil.ignore_patterns("__pycache__"))
    env = _env(PYTHONPATH=str(tmp_path), PYTHONDONTWRITEBYTECODE="1")
    queue_file = tmp_path / "instance" / "queue.sqlite3"

    script = "import koin_media.jobs as j; print(j.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == str(tmp_path / "koin_media" / "jobs.py")  # the copy, not the tree
    assert not queue_file.exists() and not queue_file.parent.exists()

    # The first real use (here a worker heartbeat, as the consumer writes it) creates it.
    script = "from koin_media.jobs import record_worker_heartbeat as beat; beat()"
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert queue_file.exists()
