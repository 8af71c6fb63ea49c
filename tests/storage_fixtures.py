"""Fixtures for both storage backends: a real S3 API (moto's server over HTTP on 127.0.0.1,
never its in-process mocks), a fresh bucket per test, and apps built for either backend."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from koin_media.accounts.services import create_token
from koin_media.storage import get_storage

from .asset_helpers import Uploader

BACKENDS = ["local", "s3"]
REGION = "ap-southeast-3"


@pytest.fixture(scope="session")
def aws_environment(tmp_path_factory):
    """Dummy credentials for the whole run, and no developer's own AWS config leaking in."""
    missing = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_CONFIG_FILE", str(missing))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing))
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def moto_server(aws_environment):
    """The S3 API of moto on a free port; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(moto_server):
    return boto3.client("s3", endpoint_url=moto_server, region_name=REGION)


@pytest.fixture
def s3_bucket(moto_server, s3_client):
    """A fresh, empty bucket; moto's state is reset afterwards so parts do not pile up in memory."""
    name = f"koin-test-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield name
    requests.post(f"{moto_server}/moto-api/reset", timeout=10)


@pytest.fixture
def storage_settings(request, tmp_path):
    """Settings for one backend; the S3 fixtures start only when the s3 backend is asked for."""

    def settings(backend: str, **overrides) -> dict:
        if backend == "local":
            values = {"STORAGE_BACKEND": "local", "STORAGE_DIR": str(tmp_path / "objects-root")}
        else:
            values = {
                "STORAGE_BACKEND": "s3",
                "S3_BUCKET": request.getfixturevalue("s3_bucket"),
                "S3_ENDPOINT_URL": request.getfixturevalue("moto_server"),
                "S3_REGION": REGION,
                "S3_ADDRESSING_STYLE": "path",
            }
        values.update(overrides)
        return values

    return settings


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def storage_app(make_app, storage_settings, backend):
    app = make_app(**storage_settings(backend))
    with app.app_context():
        yield app


@pytest.fixture
def storage(storage_app):
    return get_storage()


class Transport:
    """Sends a request to a URL the storage handed out, the way a browser would.

    App URLs (local backend) go through the Flask test client, bucket URLs through real HTTP.
    """

    def __init__(self, app, backend: str):
        self.client = app.test_client()
        self.backend = backend

    def request(self, method: str, url: str, data: bytes | None = None, headers: dict | None = None):
        if self.backend == "local":
            parts = urlsplit(url)
            path = f"{parts.path}?{parts.query}" if parts.query else parts.path
            with self.client.open(path, method=method, data=data, headers=headers or {}) as answer:
                return answer.status_code, answer.headers, answer.get_data()
        answer = requests.request(method, url, data=data, headers=headers or {}, timeout=60)
        return answer.status_code, answer.headers, answer.content

    def put(self, url: str, data: bytes):
        return self.request("PUT", url, data=data)

    def get(self, url: str, headers: dict | None = None):
        return self.request("GET", url, headers=headers)


@pytest.fixture
def transport(storage_app, backend):
    return Transport(storage_app, backend)


@pytest.fixture
def creator(storage_app, factory):
    """The creator who uploads (a test module may define its own, e.g. with a name)."""
    return factory.user("creator")


@pytest.fixture
def uploader(storage_app, transport, creator):
    """The creator's script uploading through the JSON API with a bearer token."""
    _token, plain = create_token(creator, "tests")
    return Uploader(storage_app.test_client(), transport, plain)
