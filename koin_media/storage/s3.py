"""Storage in an S3-compatible bucket (AWS S3, MinIO, R2).

The browser PUTs upload parts straight to the bucket with presigned URLs, and downloads are
presigned GETs: the bytes never pass through the app. Credentials come from boto3's own chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

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
    check_key,
    check_part_list,
    check_part_number,
    check_prefix,
    content_disposition,
    normalize_etag,
)

CORS_RULE_ID = "koin-media-browser"
LIFECYCLE_RULE_ID = "koin-media-abort-incomplete-uploads"
INVALID_PART_CODES = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall"}
NOT_FOUND_CODES = {"NoSuchKey", "404", "NotFound"}
# What S3-compatible servers answer for a call they do not implement (s3rver, some MinIO and R2
# set-ups): the caller warns and goes on instead of failing.
NOT_SUPPORTED_CODES = {"NotImplemented", "MethodNotAllowed", "501", "405", "XNotImplemented"}
# No room left: MinIO's full disks and bucket quotas, 507 from other servers.
FULL_CODES = {"XMinioStorageFull", "XMinioAdminBucketQuotaExceeded", "QuotaExceeded", "StorageFull", "507"}
# The store could not be reached or timed out: nothing was decided, another try may work.
UNREACHABLE_ERRORS = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
    NoCredentialsError,
    CredentialRetrievalError,
)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _translate(error: Exception, what: str) -> StorageError:
    """The backend-neutral exception for a botocore failure."""
    if isinstance(error, ClientError):
        code = _code(error)
        if code == "NoSuchUpload":
            return UploadNotFound(what)
        if code in INVALID_PART_CODES:
            return InvalidPart(f"{what}: {code}")
        if code in NOT_FOUND_CODES:
            return ObjectNotFound(what)
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if code in NOT_SUPPORTED_CODES or status in (405, 501):
            return NotSupported(f"{what}: {code or status}")
        if code in FULL_CODES or status == 507:
            return StorageFull(f"{what}: {code or status}")
        if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"):
            return StorageUnavailable(f"{what}: {code or status}")
        return StorageError(f"{what}: {code}")
    if isinstance(error, UNREACHABLE_ERRORS):
        return StorageUnavailable(f"{what}: {error.__class__.__name__}")
    return StorageError(f"{what}: {error.__class__.__name__}")


def _etag(value: str | None) -> str | None:
    return normalize_etag(value) if value else None


class S3Storage(Storage):
    name = "s3"
    direct_upload = True

    def __init__(
        self,
        bucket: str,
        region: str | None,
        endpoint_url: str | None,
        addressing_style: str,
        upload_ttl: int,
        download_ttl: int,
    ):
        if not bucket:
            raise ValueError("KOIN_S3_BUCKET must be set for the s3 storage backend")
        self.bucket = bucket
        self.region = region
        self.addressing_style = addressing_style or "auto"
        self.upload_ttl = upload_ttl
        self.download_ttl = download_ttl
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": self.addressing_style},
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
            # Only checksums S3 requires: several S3-compatible stores reject the newer ones,
            # and a presigned part URL must not demand a checksum the browser cannot send.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client = boto3.session.Session().client("s3", region_name=region, endpoint_url=endpoint_url, config=config)

    def browser_origins(self) -> list[str]:
        """Origins the browser talks to for this bucket (for the Content-Security-Policy)."""
        endpoint = urlsplit(self.client.meta.endpoint_url)
        path_style = f"{endpoint.scheme}://{endpoint.netloc}"
        virtual_style = f"{endpoint.scheme}://{self.bucket}.{endpoint.netloc}"
        if self.addressing_style == "path":
            return [path_style]
        if self.addressing_style == "virtual":
            return [virtual_style]
        return [virtual_style, path_style]  # "auto": botocore picks per bucket name

    # --- multipart -------------------------------------------------------------------------

    def create_multipart(self, key: str, content_type: str) -> str:
        check_key(key)
        try:
            answer = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=content_type)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, key) from exc
        return answer["UploadId"]

    def sign_part(self, key: str, upload_id: str, part_number: int, *, size: int) -> tuple[str, int]:
        check_key(key)
        check_part_number(part_number)
        # Content-Length is signed (X-Amz-SignedHeaders), so the bucket refuses a body of any
        # other size; browsers set that header themselves from the body they send.
        params = {
            "Bucket": self.bucket,
            "Key": key,
            "UploadId": upload_id,
            "PartNumber": part_number,
            "ContentLength": size,
        }
        url = self.client.generate_presigned_url(
            "upload_part", Params=params, ExpiresIn=self.upload_ttl, HttpMethod="PUT"
        )
        return url, self.upload_ttl

    def upload_part(self, key: str, upload_id: str, part_number: int, data: bytes) -> str:
        check_key(key)
        check_part_number(part_number)
        try:
            answer = self.client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=part_number, Body=data
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, upload_id) from exc
        return normalize_etag(answer["ETag"])

    def list_parts(self, key: str, upload_id: str) -> list[PartInfo]:
        check_key(key)
        parts, marker = [], 0
        while True:
            try:
                page = self.client.list_parts(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MaxParts=self.parts_page_size,
                    PartNumberMarker=marker,
                )
            except (ClientError, BotoCoreError) as exc:
                raise _translate(exc, upload_id) from exc
            parts.extend(PartInfo(p["PartNumber"], normalize_etag(p["ETag"]), p["Size"]) for p in page.get("Parts", []))
            if not page.get("IsTruncated"):
                break
            marker = int(page["NextPartNumberMarker"])
        return sorted(parts, key=lambda part: part.part_number)

    def check_upload(self, key: str, upload_id: str) -> None:
        check_key(key)
        try:
            self.client.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id, MaxParts=1)
        except (ClientError, BotoCoreError) as exc:
            error = _translate(exc, upload_id)
            if not isinstance(error, NotSupported):
                raise error from exc
        else:
            return
        try:  # a store without ListParts can still show that it answers
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, self.bucket) from exc

    def complete_multipart(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> ObjectInfo:
        check_key(key)
        checked = check_part_list(parts)
        upload = {"Parts": [{"PartNumber": number, "ETag": f'"{etag}"'} for number, etag in checked]}
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload=upload
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, upload_id) from exc
        info = self.head(key)
        if info is None:
            raise StorageError(f"{key}: completed upload is not readable")
        return info

    def abort_multipart(self, key: str, upload_id: str) -> None:
        check_key(key)
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if _code(exc) != "NoSuchUpload":
                raise _translate(exc, upload_id) from exc
        except BotoCoreError as exc:
            raise _translate(exc, upload_id) from exc

    def list_multipart_uploads(self, prefix: str = "") -> list[PendingUpload]:
        check_prefix(prefix)
        pending = []
        try:
            for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=prefix):
                for upload in page.get("Uploads", []):
                    initiated = upload["Initiated"].astimezone(UTC)
                    pending.append(PendingUpload(upload["Key"], upload["UploadId"], initiated))
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, prefix) from exc
        return sorted(pending, key=lambda upload: (upload.initiated, upload.upload_id))

    # --- objects ---------------------------------------------------------------------------

    def head(self, key: str) -> ObjectInfo | None:
        check_key(key)
        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in NOT_FOUND_CODES:
                return None
            raise _translate(exc, key) from exc
        except BotoCoreError as exc:
            raise _translate(exc, key) from exc
        return ObjectInfo(key, answer["ContentLength"], answer.get("ContentType"), _etag(answer.get("ETag")))

    def _get(self, key: str, **extra):
        check_key(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key, **extra)["Body"]
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, key) from exc

    def read_range(self, key: str, start: int, length: int) -> bytes:
        if start < 0 or length < 0:
            raise ValueError("start and length must not be negative")
        if length == 0:
            return b""
        try:
            body = self._get(key, Range=f"bytes={start}-{start + length - 1}")
        except StorageError as exc:
            if isinstance(exc.__cause__, ClientError) and _code(exc.__cause__) == "InvalidRange":
                return b""  # starts past the end of the object
            raise
        with body:
            return body.read()

    def iter_chunks(self, key: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        body = self._get(key)  # now, so a missing object fails at the call, not mid-stream

        def chunks():
            with body:
                yield from body.iter_chunks(chunk_size)

        return chunks()

    def put(self, key: str, data: bytes | BinaryIO | Path, content_type: str) -> None:
        check_key(key)
        extra = {"ContentType": content_type}
        try:
            if isinstance(data, bytes | bytearray | memoryview):
                self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(data), **extra)
            elif isinstance(data, Path):
                self.client.upload_file(str(data), self.bucket, key, ExtraArgs=extra)
            else:
                self.client.upload_fileobj(data, self.bucket, key, ExtraArgs=extra)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, key) from exc
        except S3UploadFailedError as exc:  # upload_file's wrapper around the ClientError
            cause = exc.__context__
            raise (_translate(cause, key) if isinstance(cause, ClientError) else StorageError(str(exc))) from exc

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, key) from exc

    def delete_prefix(self, prefix: str) -> int:
        if not check_prefix(prefix):
            raise ValueError("refusing to delete every object: give a prefix")
        deleted = 0
        batch: list[str] = []
        for key in self.list_keys(prefix):
            batch.append(key)
            if len(batch) == 1000:  # the most one DeleteObjects call takes
                deleted += self._delete_batch(batch)
                batch = []
        if batch:
            deleted += self._delete_batch(batch)
        return deleted

    def _delete_batch(self, keys: list[str]) -> int:
        try:
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, keys[0]) from exc
        errors = answer.get("Errors", [])
        if errors:
            raise StorageError(f"could not delete {len(errors)} objects, e.g. {errors[0].get('Key')}")
        return len(keys)

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        check_prefix(prefix)
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["Key"]
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, prefix) from exc

    # --- links -----------------------------------------------------------------------------

    def _presigned_get(self, key: str, disposition: str, content_type: str | None, expires_in: int) -> str:
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentDisposition": disposition}
        if content_type:
            params["ResponseContentType"] = content_type
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)

    def download_url(
        self, key: str, filename: str, content_type: str | None = None, expires_in: int | None = None
    ) -> tuple[str, int]:
        check_key(key)
        expires_in = self.download_ttl if expires_in is None else expires_in
        disposition = content_disposition("attachment", filename)
        return self._presigned_get(key, disposition, content_type, expires_in), expires_in

    def inline_url(self, key: str, content_type: str | None = None, expires_in: int | None = None) -> str:
        check_key(key)
        expires_in = self.download_ttl if expires_in is None else expires_in
        return self._presigned_get(key, "inline", content_type, expires_in)

    # --- operations ------------------------------------------------------------------------

    def ensure_ready(self, cors_origins: list[str]) -> list[StepReport]:
        """Bucket, CORS rule and lifecycle rule; rules of other tools on the bucket are kept.

        Every step runs even when one before it failed; a step the store does not implement
        (lifecycle on s3rver or some MinIO/R2 set-ups) is reported as a warning.
        """
        reports = [self._step("bucket", self._ensure_bucket)]
        if cors_origins:
            reports.append(self._step("CORS", lambda: self._ensure_cors(cors_origins)))
        else:
            reports.append(StepReport("CORS", "CORS: no origins given, rules left unchanged"))
        reports.append(
            self._step(
                "lifecycle",
                self._ensure_lifecycle,
                unsupported="lifecycle: not supported by this store; `storage cleanup` (hourly in the worker) "
                "aborts unfinished uploads instead",
            )
        )
        return reports

    def _step(self, step: str, action, unsupported: str | None = None) -> StepReport:
        try:
            return StepReport(step, action())
        except (ClientError, BotoCoreError) as exc:
            error = _translate(exc, self.bucket)
            detail = str(error).removeprefix(f"{self.bucket}: ")
            if isinstance(error, NotSupported):
                return StepReport(step, unsupported or f"{step}: not supported by this store ({detail})", "unsupported")
            return StepReport(step, f"{step}: {detail}", "failed")

    def _ensure_cors(self, origins: list[str]) -> str:
        rules = self._other_rules("get_bucket_cors", "CORSRules", CORS_RULE_ID, "NoSuchCORSConfiguration")
        rules.append(self._cors_rule(origins))
        self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": rules})
        return f"CORS: browsers at {', '.join(origins)} may PUT, GET and HEAD (ETag exposed)"

    def _ensure_lifecycle(self) -> str:
        rules = self._other_rules(
            "get_bucket_lifecycle_configuration", "Rules", LIFECYCLE_RULE_ID, "NoSuchLifecycleConfiguration"
        )
        rules.append(self._lifecycle_rule())
        self.client.put_bucket_lifecycle_configuration(Bucket=self.bucket, LifecycleConfiguration={"Rules": rules})
        return "lifecycle: unfinished multipart uploads are aborted after 1 day"

    def _other_rules(self, getter: str, field: str, own_id: str, missing_code: str) -> list[dict]:
        try:
            rules = getattr(self.client, getter)(Bucket=self.bucket).get(field, [])
        except ClientError as exc:
            if _code(exc) != missing_code:
                raise
            return []
        return [rule for rule in rules if rule.get("ID") != own_id]

    def _ensure_bucket(self) -> str:
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return f"bucket {self.bucket} exists"
        except ClientError as exc:
            if _code(exc) not in NOT_FOUND_CODES | {"NoSuchBucket"}:
                raise
        create = {"Bucket": self.bucket}
        if self.region and self.region != "us-east-1":  # us-east-1 refuses an explicit constraint
            create["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        self.client.create_bucket(**create)
        return f"bucket {self.bucket} created"

    @staticmethod
    def _cors_rule(origins: list[str]) -> dict:
        return {
            "ID": CORS_RULE_ID,
            "AllowedOrigins": list(origins),
            "AllowedMethods": ["PUT", "GET", "HEAD"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],  # Uppy reads each part's ETag to complete the upload
            "MaxAgeSeconds": 3600,
        }

    @staticmethod
    def _lifecycle_rule() -> dict:
        return {
            "ID": LIFECYCLE_RULE_ID,
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }

    def check(self) -> dict:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            return {"ok": False, "backend": self.name, "bucket": self.bucket, "error": _code(exc) or "ClientError"}
        except Exception as exc:  # a health check reports failures, it does not raise them
            return {"ok": False, "backend": self.name, "bucket": self.bucket, "error": exc.__class__.__name__}
        return {"ok": True, "backend": self.name, "bucket": self.bucket}
