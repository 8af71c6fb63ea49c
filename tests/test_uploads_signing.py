"""Signing a part costs the store no round trip, except where an upload (re)starts.

Every sign used to ask the store (ListParts) whether the upload was still there, so a down
store would be a 503 with a message rather than a network error at the bucket that CORS hides.
That round trip per part made signing twice as slow (bench/upload_s3.py). The store is now
asked when part 1 is signed; a resumed upload asks ListParts first, which asks the store too.
"""

from __future__ import annotations

import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from koin_media.accounts.services import create_token
from koin_media.database import utcnow

from . import samples
from .asset_helpers import DETAILS, Uploader
from .storage_fixtures import REGION, Transport

DOWN_MESSAGE = "Penyimpanan berkas sedang tidak dapat dihubungi"


@pytest.fixture
def store_that_stops(aws_environment, make_app):
    """An app on a moto server of this test alone, and a way to stop that server."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint, bucket = f"http://{host}:{port}", f"koin-sign-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name=REGION).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    app = make_app(
        STORAGE_BACKEND="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=endpoint, S3_REGION=REGION, S3_ADDRESSING_STYLE="path"
    )
    state = {"running": True}

    def stop():
        server.stop()
        state["running"] = False

    with app.app_context():
        yield app, stop
    if state["running"]:
        server.stop()


def test_only_the_first_part_asks_the_store(store_that_stops, factory, tmp_path):
    app, stop = store_that_stops
    _token, plain = create_token(factory.user("creator", email_verified_at=utcnow()), "tests")
    uploader = Uploader(app.test_client(), Transport(app, "s3"), plain)
    video = samples.big_mp4(tmp_path, megabytes=11)  # three parts
    created = uploader.create(video, DETAILS).get_json()
    assert uploader.sign(created, 1).status_code == 200

    stop()
    for number in (2, 3):  # presigned offline: the bucket itself answers the PUT
        signed = uploader.sign(created, number)
        assert signed.status_code == 200, signed.get_json()
        assert f"partNumber={number}" in signed.get_json()["url"]
    restarted = uploader.sign(created, 1)  # an upload (re)starting still learns the store is down
    assert restarted.status_code == 503 and DOWN_MESSAGE in restarted.get_json()["message"]
    listed = uploader.list_parts(created)
    assert listed.status_code == 503 and DOWN_MESSAGE in listed.get_json()["message"]
