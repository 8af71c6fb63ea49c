"""Object storage: one interface, a local-directory backend and an S3 backend.

``init_app`` builds the backend named by STORAGE_BACKEND once per app; code reaches it with
``get_storage()``. The blueprint in ``routes.py`` serves the local backend's signed URLs.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app

from ..errors import storage_fault
from .base import (
    InvalidPart,
    NotSupported,
    ObjectInfo,
    ObjectNotFound,
    PartInfo,
    PendingUpload,
    StepReport,
    Storage,
    StorageError,
    StorageFull,
    StorageUnavailable,
    UploadNotFound,
)

__all__ = [
    "InvalidPart",
    "NotSupported",
    "ObjectInfo",
    "ObjectNotFound",
    "PartInfo",
    "PendingUpload",
    "StepReport",
    "Storage",
    "StorageError",
    "StorageFull",
    "StorageUnavailable",
    "UploadNotFound",
    "bp",
    "build_storage",
    "check_storage",
    "get_storage",
    "init_app",
]

EXTENSION_KEY = "koin_storage"

bp = Blueprint("storage", __name__)


def build_storage(config) -> Storage:
    backend = config["STORAGE_BACKEND"]
    if backend == "local":
        from .local import LocalStorage  # like S3 below: only the configured backend is loaded

        return LocalStorage(
            config["STORAGE_DIR"],
            secret_key=config["SECRET_KEY"],
            upload_ttl=config["UPLOAD_URL_TTL"],
            download_ttl=config["DOWNLOAD_URL_TTL"],
            public_url=config["PUBLIC_URL"],
        )
    if backend == "s3":
        from .s3 import S3Storage  # boto3 is slow to import; only load it when used

        return S3Storage(
            config["S3_BUCKET"],
            region=config["S3_REGION"],
            endpoint_url=config["S3_ENDPOINT_URL"],
            addressing_style=config["S3_ADDRESSING_STYLE"],
            upload_ttl=config["UPLOAD_URL_TTL"],
            download_ttl=config["DOWNLOAD_URL_TTL"],
        )
    raise ValueError(f"KOIN_STORAGE_BACKEND must be local or s3, not {backend!r}")


def init_app(app: Flask) -> None:
    storage = build_storage(app.config)
    app.extensions[EXTENSION_KEY] = storage
    app.register_error_handler(StorageError, storage_fault)  # 503/507/502 instead of a 500
    if storage.direct_upload:
        # The browser PUTs parts to the bucket and shows presigned images, video and audio.
        extra = dict(app.config.get("CSP_EXTRA_SOURCES", {}))
        origins = " ".join(storage.browser_origins())
        for directive in ("connect-src", "img-src", "media-src"):
            extra[directive] = f"{extra[directive]} {origins}" if extra.get(directive) else origins
        app.config["CSP_EXTRA_SOURCES"] = extra
    else:
        storage.ensure_ready([])  # a fresh install serves and reports healthy at once


def get_storage() -> Storage:
    return current_app.extensions[EXTENSION_KEY]


def check_storage() -> dict:
    return get_storage().check()
