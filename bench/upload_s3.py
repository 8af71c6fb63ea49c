"""Upload a file through the app's protocol to an S3 endpoint, as Uppy does, and compare its
throughput with a raw boto3 multipart upload of the same file to the same endpoint, in the
same run.

    .venv/bin/python bench/upload_s3.py [--size-mb 256] [--part-mb 5] [--parallel 4] [--rounds 3]

The endpoint is moto's S3 server (``moto_server``, in a process of its own on 127.0.0.1), the
app is served by gunicorn with ``KOIN_STORAGE_BACKEND=s3``. The app's side makes Uppy's calls
with a bearer token: create, then for each part sign (the app) and PUT (the presigned URL,
straight to the endpoint), ``--parallel`` parts at a time (Uppy's ``limit`` in
static/js/upload.js), then complete (the app, which also verifies the object). The raw side
is boto3's create_multipart_upload, upload_part and complete_multipart_upload with the same
parts, the same parallelism and no checksums (the app's presigned URLs ask for none, and a
browser sends none). The app's complete also verifies the object (HEAD, and a ranged GET of
its first 4 KiB), which moto answers by reading the whole object and slicing it: on S3 that
GET costs the same for any size. Parts are cut as the app's part plan says (assets/quota.py);
--part-mb may only repeat it. Raw and app upload run back to back ``--rounds`` times (each
first every other round) and the best of each is compared: on a shared machine, the runs
least disturbed by the rest. moto
holds every object in memory and is slow with large ones: 256 MiB is a reasonable size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import requests
from botocore.config import Config
from upload_local import (
    UPPY_LIMIT,
    VENV_BIN,
    MiB,
    Protocol,
    app_environment,
    check_part_mb,
    free_port,
    make_file,
    prepare_app,
    serve,
    stop,
)

from koin_media.assets.quota import part_count

REGION = "ap-southeast-3"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": REGION}


def start_moto(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/moto-api/", timeout=5)
            return server
        except requests.RequestException:
            time.sleep(0.1)
    sys.exit("moto_server did not answer")


def s3_client(endpoint: str, parallel: int):
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        max_pool_connections=max(10, parallel),
        request_checksum_calculation="when_required",  # as the app's presigned part URLs
        response_checksum_validation="when_required",
    )
    return boto3.session.Session().client("s3", region_name=REGION, endpoint_url=endpoint, config=config)


def raw_upload(client, bucket: str, path: Path, chunk: int, parallel: int, completes: list[float]) -> None:
    """A plain boto3 multipart upload of ``path``, part by part as the app's side sends them;
    appends how long its complete took to ``completes``."""
    size = path.stat().st_size
    key = f"raw/{uuid.uuid4().hex}"
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, ContentType="video/mp4")["UploadId"]

    def send(number: int) -> dict:
        with path.open("rb") as source:
            source.seek((number - 1) * chunk)
            body = source.read(chunk)
        answer = client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
        return {"PartNumber": number, "ETag": answer["ETag"]}

    with ThreadPoolExecutor(parallel) as pool:
        parts = list(pool.map(send, range(1, part_count(size) + 1)))
    started = time.perf_counter()
    client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    completes.append(time.perf_counter() - started)
    client.delete_object(Bucket=bucket, Key=key)


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--part-mb", type=int, default=None, help="the app's part plan; may only repeat it")
    parser.add_argument("--parallel", type=int, default=UPPY_LIMIT, help="parts in flight (Uppy: 4)")
    parser.add_argument("--rounds", type=int, default=3, help="raw and app upload back to back, this many times")
    args = parser.parse_args()
    size = args.size_mb * MiB
    chunk = check_part_mb(args, size)
    os.environ.update(CREDENTIALS)

    work = Path(tempfile.mkdtemp(prefix="koin-bench-s3-"))
    moto_port = free_port()
    moto = start_moto(moto_port)
    raws, apps, raw_completes, answers = [], [], [], []
    try:
        endpoint, bucket = f"http://127.0.0.1:{moto_port}", "koin-bench"
        client = s3_client(endpoint, args.parallel)
        client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        port = free_port()
        env = app_environment(
            work,
            port,
            KOIN_STORAGE_BACKEND="s3",
            KOIN_S3_BUCKET=bucket,
            KOIN_S3_ENDPOINT_URL=endpoint,
            KOIN_S3_REGION=REGION,
            KOIN_S3_ADDRESSING_STYLE="path",
            **CREDENTIALS,
        )
        token = prepare_app(env)
        source = work / "video.mp4"
        print(f"Writing a {args.size_mb} MiB test file …", flush=True)
        make_file(source, size)
        warm = work / "warm.mp4"
        make_file(warm, 12 * MiB)
        server = serve(env, port)
        try:
            protocol = Protocol(f"http://127.0.0.1:{port}", token, args.parallel)
            raw_upload(client, bucket, warm, chunk, args.parallel, [])  # connections and code paths warm
            protocol.upload(warm)
            for number in range(1, args.rounds + 1):
                # Each goes first every other round, so neither always meets moto fresher.
                for side in ("raw", "app") if number % 2 else ("app", "raw"):
                    if side == "raw":
                        raws.append(
                            timed(lambda: raw_upload(client, bucket, source, chunk, args.parallel, raw_completes))
                        )
                    else:
                        apps.append(timed(lambda: answers.append(protocol.upload(source))))
                        client.delete_object(Bucket=bucket, Key=answers[-1]["key"])  # moto keeps objects in memory
                print(f"  round {number}: raw {raws[-1]:.2f} s, app {apps[-1]:.2f} s", flush=True)
        finally:
            stop(server)
    finally:
        moto.terminate()
        moto.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    # The best of each: the run least disturbed by everything else on a shared machine.
    app_rate, raw_rate = size / min(apps) / MiB, size / min(raws) / MiB
    print(
        f"file: {args.size_mb} MiB in {part_count(size)} parts of {chunk / MiB:g} MiB, {args.parallel} at a time, "
        f"best of {args.rounds} rounds; asset {answers[-1]['asset_id']} is {answers[-1]['status']}"
    )
    print(
        f"app protocol (create, sign + PUT each part, complete): {min(apps):.2f} s = {app_rate:.0f} MiB/s "
        f"(of which complete: {min(protocol.complete_seconds[1:]):.2f} s)"
    )
    print(
        f"raw boto3 multipart upload:                            {min(raws):.2f} s = {raw_rate:.0f} MiB/s "
        f"(of which complete: {min(raw_completes):.2f} s)"
    )
    print(f"throughput ratio (app / raw): {app_rate / raw_rate:.2f} (target >= 0.9)")
    # Without complete, where the app also verifies the object (see above): the parts alone.
    app_parts = min(total - done for total, done in zip(apps, protocol.complete_seconds[1:], strict=True))
    raw_parts = min(total - done for total, done in zip(raws, raw_completes, strict=True))
    print(f"parts alone (create, sign + PUT / upload_part): app {app_parts:.2f} s, raw {raw_parts:.2f} s, ", end="")
    print(f"ratio {raw_parts / app_parts:.2f}")


if __name__ == "__main__":
    main()
