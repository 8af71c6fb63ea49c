"""Drives the upload protocol the way Uppy does, for tests; and makes catalog assets."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from koin_media.assets import search
from koin_media.assets.models import APPROVED, Asset
from koin_media.extensions import db

from .conftest import csrf_token

PART_SIZE = 5 * 1024 * 1024
DETAILS = {"title": "Tenun Sukarara", "license": "CC-BY-4.0", "consent": "true", "tags": "tenun, songket"}


class Uploader:
    """Create → sign each part → PUT it where the storage says → complete, with a bearer token."""

    def __init__(self, client, transport, token: str):
        self.client = client
        self.transport = transport
        self.headers = {"Authorization": f"Bearer {token}"}

    def create(self, path: Path, metadata: dict | None = None, filename: str | None = None, type_: str | None = None):
        meta = {"size": path.stat().st_size, "lastModified": int(path.stat().st_mtime * 1000), **(metadata or {})}
        body = {
            "filename": filename or path.name,
            "type": type_ if type_ is not None else (mimetypes.guess_type(path.name)[0] or ""),
            "metadata": meta,
        }
        return self.client.post("/uploads/s3/multipart", json=body, headers=self.headers)

    def send_parts(self, created: dict, path: Path, only: set[int] | None = None) -> list[dict]:
        data = path.read_bytes()
        parts = []
        for index, start in enumerate(range(0, max(len(data), 1), PART_SIZE), start=1):
            if only is not None and index not in only:
                continue
            signed = self.client.get(
                f"/uploads/s3/multipart/{created['uploadId']}/{index}",
                query_string={"key": created["key"]},
                headers=self.headers,
            )
            assert signed.status_code == 200, signed.get_json()
            status, headers, _body = self.transport.put(signed.get_json()["url"], data[start : start + PART_SIZE])
            assert status == 200, status
            parts.append({"PartNumber": index, "ETag": headers["ETag"]})
        return parts

    def sign(self, created: dict, part_number: int):
        return self.client.get(
            f"/uploads/s3/multipart/{created['uploadId']}/{part_number}",
            query_string={"key": created["key"]},
            headers=self.headers,
        )

    def abort(self, created: dict):
        return self.client.delete(
            f"/uploads/s3/multipart/{created['uploadId']}", query_string={"key": created["key"]}, headers=self.headers
        )

    def list_parts(self, created: dict):
        return self.client.get(
            f"/uploads/s3/multipart/{created['uploadId']}", query_string={"key": created["key"]}, headers=self.headers
        )

    def complete(self, created: dict, parts: list[dict]):
        return self.client.post(
            f"/uploads/s3/multipart/{created['uploadId']}/complete",
            query_string={"key": created["key"]},
            json={"parts": parts},
            headers=self.headers,
        )

    def upload(self, path: Path, metadata: dict | None = None, **create_args):
        created = self.create(path, metadata, **create_args)
        assert created.status_code == 200, created.get_json()
        created = created.get_json()
        return self.complete(created, self.send_parts(created, path))


def approved_asset(owner, title: str, description: str = "", tags: str = "", **fields) -> Asset:
    """A published asset without files, for catalog and search tests."""
    from koin_media.database import utcnow

    asset = Asset(
        owner=owner,
        community=fields.pop("community", owner.community),
        original_filename=f"{title}.jpg",
        storage_key=f"assets/test-{title}-{id(owner)}/original",
        status=APPROVED,
        kind=fields.pop("kind", "image"),
        mime="image/jpeg",
        title=title,
        description=description,
        tags=tags,
        license=fields.pop("license", "CC-BY-4.0"),
        consent=True,
        approved_at=fields.pop("approved_at", utcnow()),
        **fields,
    )
    asset.storage_key = f"assets/{asset.uuid or title}/original"
    db.session.add(asset)
    db.session.flush()
    asset.storage_key = f"assets/{asset.uuid}/original"
    search.index(asset)
    db.session.commit()
    return asset


def plain_upload(client, photo: Path):
    """A photo through the upload form that works without JavaScript, as a signed-in browser sends it."""
    return client.post(
        "/upload",
        data={
            "file": (photo.open("rb"), "Pasar Seni.jpg", "image/jpeg"),
            "title": "Pasar Seni Senggigi",
            "license": "NTB-PROMO",
            "consent": "y",
            "csrf_token": csrf_token(client, "/upload"),
        },
        content_type="multipart/form-data",
    )
