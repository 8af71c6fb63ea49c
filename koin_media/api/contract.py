"""The API's contract in one place: an OpenAPI 3.1 document of ``/api/v1`` and ``/uploads``.

Served at ``GET /api/v1/openapi.json`` (api/openapi.py); README's API tables are generated from it
(``python -m koin_media.api.contract``, checked by tests/test_openapi.py), and the suite fuzzes the
app against it with schemathesis. Each operation's ``x-who`` is the README's "who" column and its
``description`` the README's text, so a change of the contract is made here once.
"""

from __future__ import annotations

import sys
from functools import cache

from ..assets.downloads import CROP_VARIANTS
from ..assets.models import CALL_STATE_LABELS, CALL_STATUSES, DOWNLOAD_PURPOSES, KINDS, LICENSES, REQUIRED_FIELDS
from ..assets.models import STATUSES as ASSET_STATUSES
from ..booking.models import ACTION_STATUSES, LEVELS
from ..booking.models import STATUSES as BOOKING_STATUSES
from ..notifications.models import NOTICE_KINDS
from ..promo.models import KIT_STATUSES
from ..roles import ROLES, SELF_SERVICE_ROLES
from ..visits.after_models import RATING_MAX, RATING_MIN
from ..visits.feedback import COMMENT_MAX_LENGTH
from .helpers import MAX_PAGE, MAX_PER_PAGE

API = "/api/v1"
# What a download may ask for: the original, the web size, a photo's social crops.
VARIANTS = {"enum": ["original", "web", *CROP_VARIANTS]}

# -- schema shorthands ------------------------------------------------------------------------
STRING, INTEGER, BOOLEAN, NUMBER = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "number"}
TIMESTAMP = {"type": "string", "format": "date-time", "pattern": "Z$", "description": "UTC, ISO 8601 with `Z`"}
URL = {"type": "string", "format": "uri", "description": "absolute"}
# A usable-until day (assets/rights.py): after it ends in WITA the asset leaves the catalogue.
DAY_UNTIL = {"type": "string", "format": "date", "description": "YYYY-MM-DD, the last day in WITA"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def maybe(schema: dict) -> dict:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, optional: tuple[str, ...] = ()) -> dict:
    """An object whose properties are all present, but those named in ``optional``."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required}


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def envelope(items: dict) -> dict:
    """The list envelope every list shares."""
    return obj({"items": array(items), "page": INTEGER, "per_page": INTEGER, "total": INTEGER})


SLUG_AND_NAME = obj({"slug": STRING, "name": STRING})

SCHEMAS = {
    "Error": {
        "type": "object",
        "description": "Every error: `error` a stable code, `message` for people in the caller's language "
        "(`Accept-Language`, Indonesian by default), `errors` per field when fields are at fault. "
        "An upload's `file_refused` names the check that failed in `reason`.",
        "properties": {
            "error": STRING,
            "message": STRING,
            "errors": {"type": "object", "additionalProperties": array(STRING)},
            "reason": STRING,
        },
        "required": ["error", "message"],
    },
    "Reference": SLUG_AND_NAME,
    "User": obj(
        {
            "id": INTEGER,
            "email": STRING,
            "name": STRING,
            "role": {"enum": list(ROLES)},
            "locale": {"enum": ["id", "en"]},
            "email_verified": BOOLEAN,
            "created_at": TIMESTAMP,
            "community": SLUG_AND_NAME,
            "business_name": STRING,
            "sector": STRING,
            "regency": SLUG_AND_NAME,
            "school": obj(
                {
                    "npsn": STRING,
                    "name": STRING,
                    "verified": BOOLEAN,
                    "coordinator_status": maybe(STRING),
                }
            ),
        },
        optional=("community", "business_name", "sector", "regency", "school"),
    ),
    "Message": obj({"message": STRING}),
    "Kit": obj(
        {
            "token": STRING,
            "title": STRING,
            "status": {"enum": list(KIT_STATUSES)},
            "purpose": {"enum": list(DOWNLOAD_PURPOSES)},
            "collection_id": maybe(INTEGER),
            "size_bytes": maybe(INTEGER),
            "file_count": INTEGER,
            "files": array(obj({"name": STRING, "asset_id": INTEGER, "variant": STRING, "size_bytes": INTEGER})),
            "skipped": array(
                obj({"asset_id": INTEGER, "title": STRING, "reason": STRING, "text": STRING}),
            ),
            "problem": maybe(STRING),
            "created_at": TIMESTAMP,
            "finished_at": maybe(TIMESTAMP),
            "expires_at": maybe(TIMESTAMP),
            "downloaded_at": maybe(TIMESTAMP),
            "links": obj({"page": URL, "download": maybe(URL)}),
        }
    ),
    "Notice": obj(
        {
            "id": INTEGER,
            "kind": {"enum": list(NOTICE_KINDS)},
            "text": {"type": "string", "description": "in the caller's language"},
            "asset_id": maybe(INTEGER),
            "url": maybe(URL),
            "created_at": TIMESTAMP,
            "read_at": maybe(TIMESTAMP),
        }
    ),
    "Attribution": {
        **obj({lang: obj({"plain": STRING, "html": STRING}) for lang in ("id", "en")}),
        "description": "Ready to paste, in Indonesian (`id`) and English (`en`): `plain` text and an `html` "
        "fragment with title, creator, the asset's page and the licence with its URL.",
    },
    "Asset": obj(
        {
            "id": INTEGER,
            "title": maybe(STRING),
            "kind": maybe({"enum": list(KINDS)}),
            "status": {"enum": list(ASSET_STATUSES)},
            "community": maybe(STRING),
            "regency": maybe(STRING),
            "venue": maybe(STRING),
            "license": maybe({"enum": list(LICENSES)}),
            "tags": array(STRING),
            "download_count": {
                "type": "integer",
                "description": "Licensed downloads: each accepted licence that handed out a link to the "
                "original or the web size (the page and the API count alike), whether or not the link "
                "was then followed.",
            },
            "approved_at": maybe(TIMESTAMP),
            "url": URL,
            "thumbnail": maybe(STRING),
        }
    ),
    "AssetDetail": {
        "allOf": [
            ref("Asset"),
            obj(
                {
                    "description": maybe(STRING),
                    "credit": maybe(STRING),
                    "credit_line": maybe(STRING),
                    "mime": maybe(STRING),
                    "size_bytes": maybe(INTEGER),
                    "width": maybe(INTEGER),
                    "height": maybe(INTEGER),
                    "duration_seconds": maybe(NUMBER),
                    "media": {"type": "object", "additionalProperties": STRING},
                    "attribution": maybe(ref("Attribution")),
                    "usable_until": maybe(DAY_UNTIL),
                    "downloads": array(
                        obj(
                            {
                                "variant": VARIANTS,
                                "content_type": maybe(STRING),
                                "size_bytes": maybe(INTEGER),
                                "width": INTEGER,
                                "height": INTEGER,
                            },
                            optional=("width", "height"),  # the social crops' pixels
                        )
                    ),
                    "focus": {
                        **obj({"x": NUMBER, "y": NUMBER}),
                        "description": "Where a photo's social crops are centred: fractions of its width and "
                        "height from the top left (0.5, 0.5 by default).",
                    },
                    "crops": {
                        "type": "object",
                        "description": "A photo's social crops by ratio (`1x1`, `4x5`, `9x16`, `191x1`), once made; "
                        "download one as its `variant`.",
                        "additionalProperties": obj({"variant": VARIANTS, "width": INTEGER, "height": INTEGER}),
                    },
                    "rejection_reason": maybe(STRING),
                    "problem": maybe(STRING),
                    "pending_edit": {
                        **maybe(
                            obj(
                                {
                                    "fields": {
                                        "type": "object",
                                        "properties": {
                                            "title": STRING,
                                            "license": {"enum": list(LICENSES)},
                                            "credit": STRING,
                                            "consent": BOOLEAN,
                                            "usable_until": maybe(DAY_UNTIL),
                                        },
                                    },
                                    "submitted_at": TIMESTAMP,
                                    "version": STRING,
                                }
                            )
                        ),
                        "description": "The owner's edit of a published asset waiting for review (the rest of "
                        "the answer is the live version); owner and staff only.",
                    },
                    "duplicates": {
                        **array(
                            obj(
                                {
                                    "asset_id": maybe(INTEGER),
                                    "kind": {"enum": ["exact", "near"]},
                                    "distance": INTEGER,
                                }
                            )
                        ),
                        "description": "Assets on the platform this one copies, found when it was processed: "
                        "`exact` (the same file) or `near` (a photo, or a video's poster, `distance` of 64 bits of "
                        "perceptual hash apart), exact first, then the closest. `asset_id` is null when the caller "
                        "may not see that asset. Owner and staff only; never blocks the upload.",
                    },
                },
                optional=("rejection_reason", "problem", "pending_edit", "duplicates"),
            ),
        ]
    },
    "Download": obj(
        {
            "id": INTEGER,
            "asset_id": INTEGER,
            "title": STRING,
            "kind": maybe({"enum": list(KINDS)}),
            "variant": VARIANTS,
            "downloaded_at": TIMESTAMP,
            "license": maybe({"enum": list(LICENSES)}),
            "license_url": maybe(URL),
            "credit_line": maybe(STRING),
            "attribution": maybe(ref("Attribution")),
            "purpose": maybe({"enum": list(DOWNLOAD_PURPOSES)}),
            "available": BOOLEAN,
            "url": maybe(URL),
            "download": maybe(URL),
            "thumbnail": maybe(STRING),
        }
    ),
    "AssetPage": obj(
        {
            "items": array(ref("Asset")),
            "page": maybe(INTEGER),
            "per_page": INTEGER,
            "total": INTEGER,
            "next": maybe(URL),
            "prev": maybe(URL),
            "match": {"enum": ["all", "any"]},
            "facets": obj(
                {
                    name: {"type": "object", "additionalProperties": INTEGER}
                    for name in ("kind", "license", "community", "regency")
                }
            ),
        }
    ),
    "Program": obj(
        {
            "id": INTEGER,
            "venue_id": INTEGER,
            "title": STRING,
            "description": maybe(STRING),
            "duration_minutes": INTEGER,
            "min_students": INTEGER,
            "max_students": INTEGER,
            "students_per_teacher": INTEGER,
            "levels": array({"enum": list(LEVELS)}),
            "requirements": array(STRING),
            "price_per_student": maybe(INTEGER),
        }
    ),
    "Venue": obj(
        {
            "id": INTEGER,
            "slug": STRING,
            "name": STRING,
            "description_id": maybe(STRING),
            "description_en": maybe(STRING),
            "address": maybe(STRING),
            "regency": SLUG_AND_NAME,
            "latitude": maybe(NUMBER),
            "longitude": maybe(NUMBER),
            "contact": obj({"name": maybe(STRING), "phone": maybe(STRING), "email": maybe(STRING)}),
            "url": URL,
            "programs": array(ref("Program")),
        }
    ),
    "Slot": obj(
        {
            "id": INTEGER,
            "program_id": INTEGER,
            "venue_id": INTEGER,
            "venue_slug": STRING,
            "starts_at": TIMESTAMP,
            "ends_at": TIMESTAMP,
            "capacity": INTEGER,
            "remaining": INTEGER,
        }
    ),
    "BookingRequest": {
        "type": "object",
        "properties": {
            "slot_id": INTEGER,
            "students": INTEGER,
            "teachers": INTEGER,
            "level": {"enum": list(LEVELS)},
            "contact_name": STRING,
            "contact_phone": STRING,
            "special_needs": STRING,
            "consent": {"type": "boolean", "description": "must be JSON `true`"},
            "level_confirmed": {
                "type": "boolean",
                "description": "`true` books a level the school is recorded without (422 `level_not_taught` otherwise)",
            },
        },
        "required": ["slot_id", "students", "teachers", "level", "contact_name", "contact_phone", "consent"],
    },
    "Booking": obj(
        {
            "id": INTEGER,
            "code": STRING,
            "code_display": STRING,
            "status": {"enum": list(BOOKING_STATUSES)},
            "status_label": STRING,
            "slot": obj(
                {
                    "id": INTEGER,
                    "program_id": INTEGER,
                    "program": STRING,
                    "venue_id": INTEGER,
                    "venue_slug": STRING,
                    "venue": STRING,
                    "starts_at": TIMESTAMP,
                    "ends_at": TIMESTAMP,
                }
            ),
            "school": obj({"npsn": STRING, "name": STRING}),
            "students": INTEGER,
            "teachers": INTEGER,
            "level": STRING,
            "contact_name": STRING,
            "contact_phone": STRING,
            "special_needs": maybe(STRING),
            "consent": BOOLEAN,
            "expires_at": maybe(TIMESTAMP),
            "decided_at": maybe(TIMESTAMP),
            "decision_reason": maybe(STRING),
            "cancelled_reason": maybe(STRING),
            "attended_students": maybe(INTEGER),
            "attended_teachers": maybe(INTEGER),
            "headcount_confirmed_at": {
                **maybe(TIMESTAMP),
                "description": "When the final headcount was last confirmed (POST .../headcount); null: not yet",
            },
            "created_at": TIMESTAMP,
            "links": obj({"page": URL, "ics": URL, "qr": URL}, optional=("ics", "qr")),
            "actions": {
                **array({"enum": list(ACTION_STATUSES)}),
                "description": "What the caller may do to the booking now (Booking.allowed_actions), sorted: "
                "the same buttons the booking's page shows; `check_in` only while the check-in window is "
                "open. A request that expires meanwhile can still be refused at the moment it is decided.",
            },
        }
    ),
    "School": obj(
        {
            "npsn": STRING,
            "name": STRING,
            "regency": STRING,
            "verified": BOOLEAN,
            "verified_at": maybe(TIMESTAMP),
            "created_at": TIMESTAMP,
        }
    ),
    "ReferenceSchool": obj(
        {
            "npsn": STRING,
            "name": STRING,
            "level": {"enum": list(LEVELS)},
            "regency": SLUG_AND_NAME,
            "address": STRING,
            "snapshot": STRING,
            "imported_at": TIMESTAMP,
        }
    ),
    "Coordinator": obj(
        {
            "id": INTEGER,
            "name": STRING,
            "email": STRING,
            "phone": maybe(STRING),
            "status": maybe(STRING),
            "decided_at": maybe(TIMESTAMP),
            "created_at": TIMESTAMP,
            "school": obj({"npsn": STRING, "name": STRING}),
        }
    ),
    "Call": obj(
        {
            "slug": STRING,
            "title": STRING,
            "brief": STRING,
            "status": {"enum": list(CALL_STATUSES)},
            "state": {
                "enum": list(CALL_STATE_LABELS),
                "description": "`status` as people read it: an open call past its deadline is `ended`",
            },
            "deadline": {"type": "string", "format": "date", "description": "the last day uploads are accepted (WITA)"},
            "closes_at": TIMESTAMP,
            "takes_uploads": BOOLEAN,
            "tags": array(STRING),
            "venue": maybe(STRING),
            "regency": maybe(STRING),
            "license": {"enum": list(LICENSES)},
            "required_fields": array({"enum": list(REQUIRED_FIELDS)}),
            "created_at": TIMESTAMP,
            "links": obj({"page": URL, "upload": maybe(URL)}),
        }
    ),
    "CallInput": {
        "type": "object",
        "description": "Creating: `title`, `deadline`, `license` are required. Editing: only the fields sent change.",
        "properties": {
            "title": {"type": "string", "minLength": 3, "maxLength": 120},
            "brief": STRING,
            "deadline": {"type": "string", "format": "date", "description": "YYYY-MM-DD, WITA"},
            "tags": {"anyOf": [STRING, array(STRING)], "description": "a list, or text separated by commas"},
            "venue": STRING,
            "regency": STRING,
            "license": {"enum": list(LICENSES)},
            "required_fields": array({"enum": list(REQUIRED_FIELDS)}),
            "status": {"enum": list(CALL_STATUSES)},
        },
    },
    "Reason": {"type": "object", "properties": {"reason": STRING}},
    "Feedback": obj(
        {
            "booking_id": INTEGER,
            "rating": {"type": "integer", "minimum": RATING_MIN, "maximum": RATING_MAX},
            "comment": STRING,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "editable_until": {**TIMESTAMP, "description": "until then the school may change it (UTC)"},
        }
    ),
    "AssetDetails": {
        "type": "object",
        "description": "Only the fields sent change. Community, regency and venue by slug or name.",
        "properties": {
            "title": STRING,
            "description": STRING,
            "tags": {"anyOf": [STRING, array(STRING)], "description": "a list, or text separated by commas"},
            "community": STRING,
            "regency": STRING,
            "venue": STRING,
            "license": {"enum": ["", *LICENSES]},
            "credit": STRING,
            "consent": {"type": "boolean", "description": "yes only as JSON `true`"},
            "focus_x": {
                **NUMBER,
                "minimum": 0,
                "maximum": 1,
                "description": "photos: the crops' focus point, "
                "a fraction of the width from the left (not reviewed; the crops are made again)",
            },
            "focus_y": {**NUMBER, "minimum": 0, "maximum": 1, "description": "a fraction of the height from the top"},
            "usable_until": {
                "anyOf": [DAY_UNTIL, {"type": "string", "enum": [""]}],
                "description": "the last day (WITA) it may be used, not in the past; empty: no end. "
                "On a published asset an earlier date applies at once, a later one or none waits for review",
            },
        },
    },
    "Collection": obj(
        {
            "id": INTEGER,
            "name": STRING,
            "item_count": {"type": "integer", "description": "its published media (others are hidden)"},
            "shared": BOOLEAN,
            "share_url": {**maybe(URL), "description": "the read-only link while shared"},
            "url": URL,
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
        }
    ),
    "CollectionItem": obj(
        {
            "id": INTEGER,
            "asset_id": INTEGER,
            "title": STRING,
            "kind": maybe({"enum": list(KINDS)}),
            "license": maybe({"enum": list(LICENSES)}),
            "credit_line": STRING,
            "variant": {"type": "string", "description": "the version a kit takes, one of `variants`"},
            "variants": array(STRING),
            "asset_url": URL,
            "thumbnail": maybe(STRING),
            "added_at": TIMESTAMP,
        }
    ),
    "CollectionDetail": {
        "allOf": [
            ref("Collection"),
            obj(
                {
                    "items": array(ref("CollectionItem")),
                    "added": BOOLEAN,
                    "item_id": INTEGER,
                    "message": STRING,
                },
                optional=("added", "item_id", "message"),
            ),
        ]
    },
    "Review": {
        "type": "object",
        "properties": {
            "reason": STRING,
            "edit_version": {
                "type": "string",
                "description": "`pending_edit.version` of the edit decided; required while an edit waits",
            },
        },
    },
}

ERROR_TEXTS = {
    400: "Bad request: a parameter or body that cannot be read (the message says which).",
    401: "Not signed in: no session and no valid bearer token.",
    403: "Signed in, but not allowed (`email_unverified`, `coordinator_pending`, `not_allowed`, …).",
    404: "Not found, or not visible to the caller.",
    409: "Conflicts with the current state (`slot_full`, `wrong_status`, `already_verified`, …).",
    413: "Larger than this address accepts.",
    415: "A body that is not JSON (`Content-Type: application/json`); an empty body is `{}`.",
    422: "A rule refused it: `errors` per field when fields are at fault.",
    429: "Rate limited: wait as long as `Retry-After` says.",
    503: "Busy (the database's lock or the file store): send it again after `Retry-After`.",
}
# Every call may meet these: a body it cannot read, a limit of the database or the store.
COMMON = (400, 503)
SIGNED_IN = (401, 403)


def errors(*codes: int) -> dict:
    return {str(code): {"$ref": f"#/components/responses/E{code}"} for code in sorted({*codes, *COMMON})}


def answer(schema: dict | None, description: str = "OK") -> dict:
    if schema is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def body(schema: dict, required: bool = False) -> dict:
    """A JSON body; ``required=False`` where every field is optional (an empty body is ``{}``)."""
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def query(name: str, schema: dict, description: str = "") -> dict:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def path(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


PAGING = [
    query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "1 to 100000, default 1"),
    query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "1 to 100, default 20"),
]
ID = {"type": "integer", "minimum": 1}
UPLOAD_KEY = query("key", STRING, "the `key` create answered")
UPLOAD_KEY["required"] = True

ANYONE = [{}]  # no credentials needed (a signed-in caller is welcome)
SIGNED = [{"bearer": []}, {"session": []}]


def operation(who: str, text: str, responses: dict, *, security=None, **extra) -> dict:
    return {"x-who": who, "description": text, "responses": responses, "security": security or SIGNED, **extra}


# GET /bookings/{booking_id}/alternatives (api/reschedule.py).
RESCHEDULE = obj(
    {
        "booking_id": INTEGER,
        "reschedule": maybe(
            obj(
                {
                    "status": {"enum": ["open", "moved", "cancelled", "ended"]},
                    "answer": {"enum": ["waiting", "lapsed", "none", "moved", "cancelled", "ended"]},
                    "answer_label": STRING,
                    "closure": obj({"reason": STRING, "starts_at": TIMESTAMP, "ends_at": TIMESTAMP}),
                    "from_slot_id": INTEGER,
                    "to_slot_id": maybe(INTEGER),
                    "answered_at": maybe(TIMESTAMP),
                    "may_answer": BOOLEAN,
                }
            )
        ),
        "alternatives": array(
            obj(
                {
                    "id": INTEGER,
                    "position": INTEGER,
                    "status": {"enum": ["offered", "taken", "released", "lapsed"]},
                    "open": BOOLEAN,
                    "expires_at": TIMESTAMP,
                    "seats": INTEGER,
                    "slot": obj(
                        {
                            "id": INTEGER,
                            "program_id": INTEGER,
                            "program": STRING,
                            "starts_at": TIMESTAMP,
                            "ends_at": TIMESTAMP,
                        }
                    ),
                }
            )
        ),
        "links": obj({"page": URL}),
    }
)


def booking_action(who: str, text: str, request: dict | None = None) -> dict:
    """``POST /bookings/{booking_id}/<action>``: answers the booking after the action; 409 for a
    status that does not allow it, 422 for a rule, 415 for a body that is not JSON."""
    after = answer(ref("Booking"), "The booking after the action")
    responses = {"200": after, **errors(*SIGNED_IN, 404, 409, 415, 422)}
    extra = {"requestBody": request} if request else {}
    return {"post": operation(who, text, responses, parameters=[path("booking_id", ID)], **extra)}


def _call_paths() -> dict:
    slug = [path("slug", STRING)]
    return {
        f"{API}/calls": {
            "get": operation(
                "anyone (drafts: staff)",
                "Calls for content: those taking uploads first (the soonest deadline first), then drafts (staff "
                "only), then closed calls and those past their deadline. `takes_uploads`: open and before the end "
                "of its `deadline` day in WITA (`closes_at`); upload into it by sending its slug as `call` in the "
                "upload's `metadata`.",
                {"200": answer(envelope(ref("Call"))), **errors()},
                security=ANYONE,
                parameters=PAGING,
            ),
            "post": operation(
                "staff",
                "Create a call (`CallInput`) → 201 with `Location`; a draft unless `status` says otherwise. The "
                "`slug` is made from the title. 422 with `errors` per field (a title of 3 to 120 characters, a "
                "known licence, a deadline not in the past for an open call).",
                {"201": answer(ref("Call"), "Created"), **errors(*SIGNED_IN, 415, 422)},
                requestBody=body(ref("CallInput"), required=True),
            ),
        },
        f"{API}/calls/{{slug}}": {
            "get": operation(
                "anyone (drafts: staff)",
                "One call with `contributions`: its published assets, newest first, in the list envelope "
                "(`?page=&per_page=`).",
                {
                    "200": answer(
                        {"allOf": [ref("Call"), obj({"contributions": envelope(ref("Asset"))})]},
                    ),
                    **errors(404),
                },
                security=ANYONE,
                parameters=[*slug, *PAGING],
            ),
            "post": operation(
                "staff",
                "Edit the fields sent (`CallInput`), `status` too (`open` needs a deadline not in the past).",
                {"200": answer(ref("Call")), **errors(*SIGNED_IN, 404, 415, 422)},
                parameters=slug,
                requestBody=body(ref("CallInput"), required=True),
            ),
        },
    }


def _collection_paths() -> dict:
    """``/collections``: a signed-in user's own collections; another account's id is a 404."""
    collection = [path("collection_id", ID)]
    item = [path("collection_id", ID), path("item_id", ID)]
    whole = answer(ref("CollectionDetail"), "The collection with its items, in order")
    name = body(obj({"name": STRING}), required=True)
    owner = "signed in (the owner)"
    return {
        f"{API}/collections": {
            "get": operation(
                "signed in",
                "The caller's collections, the most recently changed first, each with its count of published "
                "media (an asset that leaves the catalogue is hidden, not removed: it returns when published again).",
                {"200": answer(envelope(ref("Collection"))), **errors(*SIGNED_IN)},
                parameters=PAGING,
            ),
            "post": operation(
                "signed in",
                "`{name}` (1 to 120 characters, trimmed, no control characters) → 201 with the new collection; "
                "422 `too_many_collections` past `KOIN_COLLECTIONS_PER_USER`.",
                {"201": answer(ref("CollectionDetail"), "Made"), **errors(*SIGNED_IN, 415, 422)},
                requestBody=name,
            ),
        },
        f"{API}/collections/{{collection_id}}": {
            "get": operation(
                owner,
                "One collection with its published items in order.",
                {"200": whole, **errors(*SIGNED_IN, 404)},
                parameters=collection,
            ),
            "post": operation(
                owner,
                "Rename: `{name}`.",
                {"200": whole, **errors(*SIGNED_IN, 404, 415, 422)},
                parameters=collection,
                requestBody=name,
            ),
            "delete": operation(
                owner,
                "Delete the collection (the media stay; kits made from it keep their files). 204.",
                {"204": answer(None, "Deleted"), **errors(*SIGNED_IN, 404)},
                parameters=collection,
            ),
        },
        f"{API}/collections/{{collection_id}}/items": {
            "post": operation(
                owner,
                "`{asset_id, variant}` (`variant` one the asset offers, default `original`) → 201 with the collection; "
                "200 with `added: false` and a `message` when it already holds the asset (nothing changes). Only a "
                "published asset (422 `not_published`); 409 `collection_full` past `KOIN_COLLECTION_MAX_ITEMS`.",
                {
                    "201": answer(ref("CollectionDetail"), "Added"),
                    "200": answer(ref("CollectionDetail"), "Already there"),
                    **errors(*SIGNED_IN, 404, 409, 415, 422),
                },
                parameters=collection,
                requestBody=body(
                    obj({"asset_id": INTEGER, "variant": STRING}, optional=("variant",)),
                    required=True,
                ),
            )
        },
        f"{API}/collections/{{collection_id}}/items/{{item_id}}": {
            "post": operation(
                owner,
                "`{variant}`: the version of the item's asset a kit takes (422 `unknown_variant` for one it does "
                "not offer).",
                {"200": whole, **errors(*SIGNED_IN, 404, 415, 422)},
                parameters=item,
                requestBody=body(obj({"variant": STRING}), required=True),
            ),
            "delete": operation(
                owner,
                "Remove the item. 204.",
                {"204": answer(None, "Removed"), **errors(*SIGNED_IN, 404)},
                parameters=item,
            ),
        },
        f"{API}/collections/{{collection_id}}/order": {
            "put": operation(
                owner,
                "`{item_ids}`: the ids of all the collection's (published) items, each once, in the new order; "
                "anything else is a 422 `order_mismatch` and changes nothing.",
                {"200": whole, **errors(*SIGNED_IN, 404, 415, 422)},
                parameters=collection,
                requestBody=body(obj({"item_ids": array(INTEGER)}), required=True),
            )
        },
        f"{API}/collections/{{collection_id}}/share": {
            "post": operation(
                owner,
                "Share a read-only link (`share_url`, anyone may open it without an account); sharing again keeps it.",
                {"200": whole, **errors(*SIGNED_IN, 404)},
                parameters=collection,
            ),
            "delete": operation(
                owner,
                "Stop sharing: the link is a 404 from now on (sharing again makes a new one).",
                {"200": whole, **errors(*SIGNED_IN, 404)},
                parameters=collection,
            ),
        },
    }


def _paths() -> dict:
    booking_id = [path("booking_id", ID)]
    upload = [path("upload_id", STRING), UPLOAD_KEY]
    coordinator = [path("npsn", STRING), path("coordinator_id", ID)]
    return {
        f"{API}/openapi.json": {
            "get": operation(
                "anyone",
                "The OpenAPI 3.1 document of `/api/v1` and `/uploads` (this table is made from it).",
                {"200": answer({"type": "object"}), **errors()},
                security=ANYONE,
            )
        },
        f"{API}/auth/register": {
            "post": operation(
                "anyone",
                "`email`, `password`, `role` (`creator`, `ikm`, `school`), `name`, and the role's profile: "
                "`community`; `business_name`, `sector`, `regency`; `school_name`, `npsn` (8 digits), `regency`. "
                "Community, sector and regency each by slug or name (one resolver). 201 or 422; a school name or "
                "regency that differs from the national school reference's for the NPSN is a 422 with that "
                "record as `reference` (send its values if it is your school).",
                {"201": answer(ref("User"), "The new account"), **errors(415, 422, 429)},
                security=ANYONE,
                requestBody=body(
                    {
                        "type": "object",
                        "properties": {
                            "email": STRING,
                            "password": STRING,
                            "role": {"enum": list(SELF_SERVICE_ROLES)},
                            "name": STRING,
                            "community": STRING,
                            "business_name": STRING,
                            "sector": STRING,
                            "regency": STRING,
                            "school_name": STRING,
                            "npsn": STRING,
                            "levels": {"type": "array", "items": {"enum": list(LEVELS)}},
                        },
                        "required": ["email", "password", "role", "name"],
                    },
                    required=True,
                ),
            )
        },
        f"{API}/auth/token": {
            "post": operation(
                "anyone",
                "`email`, `password` (optional `label`) → 201 `{token, token_id, user}`; 401 "
                "`invalid_credentials`; rate limited like the log-in form.",
                {
                    "201": answer(obj({"token": STRING, "token_id": INTEGER, "user": ref("User")}), "A new token"),
                    **errors(401, 415, 429),
                },
                security=ANYONE,
                requestBody=body(
                    {"type": "object", "properties": {"email": STRING, "password": STRING, "label": STRING}},
                    required=True,
                ),
            ),
            "delete": operation(
                "token holder",
                "Revoke the token the call is made with. 204.",
                {"204": answer(None, "Revoked"), **errors(401)},
                security=[{"bearer": []}],
            ),
        },
        f"{API}/me": {
            "get": operation(
                "signed in",
                "The caller's account, with `email_verified`.",
                {"200": answer(ref("User")), **errors(401)},
            )
        },
        f"{API}/me/downloads": {
            "get": operation(
                "ikm",
                "The caller's downloads, newest first: `title`, `variant`, `downloaded_at`, the `license` "
                "(`license_url`: its text), `credit_line` and `attribution` it was downloaded under (a licence "
                "approved later does not change them), its `purpose` (null: not said), and `download` (POST there, as "
                "`/assets/{asset_id}/download`, to download again). An asset since taken out of the catalogue "
                "is `available: false`, without links.",
                {"200": answer(envelope(ref("Download"))), **errors(*SIGNED_IN)},
                parameters=PAGING,
            )
        },
        f"{API}/notices": {
            "get": operation(
                "creator, ikm",
                "The caller's own notices, newest first, in the caller's language: for creators, an asset of "
                "theirs approved or rejected (with the reason) or its usage period ending soon or ended; for "
                "businesses, a promo kit ready or failed, or the usage period of an asset they downloaded ended. "
                '`url` leads to the asset, the kit or "Unduhan saya" (null once the asset is deleted). Besides '
                "the envelope: `unread`. Listing marks nothing as read.",
                {"200": answer({"allOf": [envelope(ref("Notice")), obj({"unread": INTEGER})]}), **errors(*SIGNED_IN)},
                parameters=PAGING,
            )
        },
        f"{API}/collections/{{collection_id}}/kit": {
            "post": operation(
                "the collection's owner",
                'Ask for the collection\'s promo kit: `{"purpose", "accept_license": true}` (one of the download '
                "purposes, and the caller's promise to use every file under its licence and show its credit line, "
                "as for a single download; both required) → 202 with "
                "the `Kit` (`Location`: the kit). The worker builds one ZIP of every asset the caller may download, in "
                "the variant chosen per item, with `KREDIT.txt`, `CREDITS.txt` and `KREDIT.html`; the owner gets an "
                "e-mail (and, for businesses, a notice) when it is ready. 422 `purpose_required`, `license_required`, "
                "`no_files`, "
                "`too_many_files` (`KOIN_KIT_MAX_FILES`), `too_large` (`KOIN_KIT_MAX_BYTES`); 409 "
                "`too_many_building` (two kits being made already).",
                {
                    "202": answer(ref("Kit"), "The kit, queued or already built"),
                    **errors(*SIGNED_IN, 404, 409, 415, 422),
                },
                parameters=[path("collection_id", ID)],
                requestBody=body(
                    obj({"purpose": {"enum": list(DOWNLOAD_PURPOSES)}, "accept_license": {"const": True}}),
                    required=True,
                ),
            )
        },
        f"{API}/kits": {
            "get": operation(
                "signed in",
                "The caller's promo kits, newest first (`status`: `queued`, `building`, `ready`, `failed`, `expired`).",
                {"200": answer(envelope(ref("Kit"))), **errors(*SIGNED_IN)},
                parameters=PAGING,
            )
        },
        f"{API}/kits/{{token}}": {
            "get": operation(
                "the kit's owner",
                "One kit: its files, the assets `skipped` and why (no longer downloadable when it was built), "
                "`expires_at` (`KOIN_KIT_TTL_HOURS` after it was built; then its file is deleted). 404 for anyone "
                "else.",
                {"200": answer(ref("Kit")), **errors(*SIGNED_IN, 404)},
                parameters=[path("token", STRING)],
            )
        },
        f"{API}/kits/{{token}}/download": {
            "post": operation(
                "the kit's owner",
                "→ `{url, expires_in, expires_at}`: a short-lived link to the ZIP. The first download logs every "
                "asset in it as downloaded for the caller's business (with the kit's purpose), once per kit. 409 "
                "`not_ready` (not built, or expired), `file_missing`, `kit_withdrawn` (an asset in it may no longer "
                "be used: its usage period ended or it left the catalogue; the kit ends, make it again without it).",
                {
                    "200": answer(obj({"url": URL, "expires_in": INTEGER, "expires_at": TIMESTAMP})),
                    **errors(*SIGNED_IN, 404, 409, 415),
                },
                parameters=[path("token", STRING)],
            )
        },
        f"{API}/notices/read": {
            "post": operation(
                "creator, ikm",
                "Mark every notice of the caller as read → `{unread: 0}`.",
                {"200": answer(obj({"unread": INTEGER})), **errors(*SIGNED_IN, 415)},
            )
        },
        f"{API}/auth/password-reset": {
            "post": operation(
                "anyone",
                "`{email}` → always 202 with the same `message`, whether or not the address has an account; the "
                "mail carries a link `/password/reset/<token>` (single use, `KOIN_PASSWORD_RESET_MINUTES`). Rate "
                "limited per address typed and per client.",
                {"202": answer(ref("Message"), "Sent if the account exists"), **errors(415, 422, 429)},
                security=ANYONE,
                requestBody=body(obj({"email": STRING}), required=True),
            )
        },
        f"{API}/auth/password-reset/confirm": {
            "post": operation(
                "anyone",
                "`{token, password}` → 200; 400 `link_invalid` (tampered, or spent: used, or the password changed "
                "since) or `link_expired`; 422 for a weak password. Ends every session and token of the account.",
                {"200": answer(ref("Message")), **errors(415, 422)},
                security=ANYONE,
                requestBody=body(obj({"token": STRING, "password": STRING}), required=True),
            )
        },
        f"{API}/auth/verify-email": {
            "post": operation(
                "anyone",
                "`{token}` (from the link `/verify-email/<token>` mailed at registration) → 200 "
                "`{email, email_verified: true}`; 400 `link_invalid`/`link_expired`. Repeating it changes nothing.",
                {"200": answer(obj({"email": STRING, "email_verified": {"const": True}})), **errors(415)},
                security=ANYONE,
                requestBody=body(obj({"token": STRING}), required=True),
            )
        },
        f"{API}/auth/verify-email/resend": {
            "post": operation(
                "signed in",
                "202, a new confirmation mail; 409 `already_verified`; rate limited.",
                {"202": answer(ref("Message"), "Sent"), **errors(401, 409, 429)},
            )
        },
        **{
            f"{API}/{name}": {
                "get": operation(
                    "anyone",
                    f"Reference list: {name}, `{{slug, name}}` (any of them, or the name, is accepted where a "
                    "field takes one).",
                    {"200": answer(envelope(ref("Reference"))), **errors()},
                    security=ANYONE,
                    parameters=PAGING,
                )
            }
            for name in ("communities", "regencies", "sectors")
        },
        f"{API}/schools/reference/{{npsn}}": {
            "get": operation(
                "anyone",
                "The national school reference's record of an NPSN (name, level, regency, address, the snapshot "
                "it came from): what registration fills in. 404 `not_in_reference`, 422 `invalid_npsn` for "
                "anything but 8 digits; every lookup counts towards `KOIN_RATELIMIT_SCHOOL_LOOKUP` per address.",
                {"200": answer(ref("ReferenceSchool")), **errors(404, 422, 429)},
                security=ANYONE,
                parameters=[path("npsn", STRING)],
            )
        },
        f"{API}/users": {
            "get": operation(
                "staff, admin",
                "Accounts, optionally matching `q` (name, e-mail or business name) and of one `role`.",
                {"200": answer(envelope(ref("User"))), **errors(*SIGNED_IN)},
                parameters=[query("q", STRING), query("role", {"enum": list(ROLES)}), *PAGING],
            )
        },
        f"{API}/assets": {
            "get": operation(
                "anyone",
                "Approved assets, newest (or most downloaded) first. `q` is full-text in Indonesian: every word, "
                'as a prefix or by its stem ("pantainya" finds "pantai"); when no asset has every word, any '
                'word, and `match` says `"any"` instead of `"all"`. Besides the envelope: `facets` '
                "(`{kind, license, community, regency}`: how many matches each value has), `next`/`prev` "
                "(absolute links to the following/previous page, or null). `?page=` goes up to 20; deeper pages "
                "are reached by following `next` (a cursor `after=`, equally fast at any depth; there `page` is "
                "null). An invalid cursor, or a `kind`, `license` or `sort` outside its values, is a 400 naming it.",
                {"200": answer(ref("AssetPage")), **errors()},
                security=ANYONE,
                parameters=[
                    query("q", STRING),
                    query("kind", {"enum": list(KINDS)}),
                    query("community", STRING, "slug"),
                    query("license", {"enum": list(LICENSES)}),
                    query("regency", STRING, "slug"),
                    query("venue", STRING, "slug"),
                    query("sort", {"enum": ["newest", "popular"]}, "`popular`: most downloaded first"),
                    query("after", STRING, "cursor from `next`"),
                    query("before", STRING, "cursor from `prev`"),
                    *PAGING,
                ],
            )
        },
        f"{API}/assets/{{asset_id}}": {
            "get": operation(
                "anyone (approved), owner and staff (any state)",
                "One asset with preview URLs; `status`, and for owner and staff the rejection or failure reason.",
                {"200": answer(ref("AssetDetail")), **errors(404)},
                security=ANYONE,
                parameters=[path("asset_id", ID)],
            ),
            "post": operation(
                "owner, staff",
                "Edit the details sent (`AssetDetails`), as the edit page does. A published asset stays "
                "published: from its owner, a new `title`, `license`, `credit` or `consent` waits for review "
                "in `pending_edit` (replacing one waiting) while the live version stays in the catalogue; the "
                "other fields, and staff's edits, apply at once. 422 when a published asset would lose its "
                "title, licence or consent. `focus_x`/`focus_y` (a photo's, from 0 to 1) move the focus point "
                "of its social crops at once; the crops are made again around it (422 otherwise).",
                {"200": answer(ref("AssetDetail")), **errors(*SIGNED_IN, 404, 415, 422)},
                parameters=[path("asset_id", ID)],
                requestBody=body(ref("AssetDetails"), required=True),
            ),
        },
        f"{API}/assets/{{asset_id}}/pending-edit": {
            "delete": operation(
                "owner",
                "Withdraw the edit waiting for review; the live version is unchanged. 409 `no_pending_edit`.",
                {"200": answer(ref("AssetDetail")), **errors(*SIGNED_IN, 404, 409)},
                parameters=[path("asset_id", ID)],
            )
        },
        f"{API}/assets/{{asset_id}}/download": {
            "post": operation(
                "signed in",
                '`{"variant": "original"|"web", "accept_license": true, "purpose": "social"}` → `{url, expires_at}`: a '
                "short-lived link, logged and counted in `download_count` (the page's download counts alike). "
                "A photo's social crops are variants too (`crop_1x1`, `crop_4x5`, `crop_9x16`, `crop_191x1`; "
                "409 until made; 422 `unknown_variant` for one the asset can never have, such as a crop of a video). "
                "`purpose` (optional here, asked on the page): what the file is for, one of "
                + ", ".join(f"`{code}`" for code in DOWNLOAD_PURPOSES)
                + "; the creator sees it. Another value is a 422 naming `purpose`.",
                {
                    "200": answer(obj({"url": STRING, "expires_at": TIMESTAMP})),
                    **errors(401, 404, 409, 415, 422),
                },
                parameters=[path("asset_id", ID)],
                requestBody=body(
                    {
                        "type": "object",
                        "properties": {
                            "variant": VARIANTS,
                            "accept_license": BOOLEAN,
                            "purpose": {"enum": list(DOWNLOAD_PURPOSES)},
                        },
                    },
                    required=True,
                ),
            )
        },
        **{
            f"{API}/assets/{{asset_id}}/{decision}": {
                "post": operation(
                    "staff",
                    "Approve an asset waiting for review, or apply a published asset's `pending_edit`; 409 "
                    "otherwise, or `edit_changed` when an edit waits and `edit_version` is missing or not its version."
                    if decision == "approve"
                    else "Reject an asset waiting for review with a `reason` the creator sees, or discard a "
                    "published asset's `pending_edit` (it stays published); 409 otherwise, or `edit_changed` "
                    "when an edit waits and `edit_version` is missing or not its version.",
                    {"200": answer(ref("AssetDetail")), **errors(*SIGNED_IN, 404, 409, 415, 422)},
                    parameters=[path("asset_id", ID)],
                    requestBody=body(ref("Review"), required=decision == "reject"),
                )
            }
            for decision in ("approve", "reject")
        },
        f"{API}/venues": {
            "get": operation(
                "anyone",
                "Venues with their active programs and rules.",
                {"200": answer(envelope(ref("Venue"))), **errors()},
                security=ANYONE,
                parameters=PAGING,
            )
        },
        f"{API}/slots": {
            "get": operation(
                "anyone",
                "Open future sessions: `id`, `program_id`, `venue_id`, `venue_slug`, `starts_at` and `ends_at` (UTC), "
                "`capacity`, `remaining`. `venue` filters by slug or id (a slug first), "
                "`from`/`to` are days in WITA; `group` keeps the sessions a group of that headcount fits.",
                {"200": answer(envelope(ref("Slot"))), **errors()},
                security=ANYONE,
                parameters=[
                    query("venue", STRING, "slug or id"),
                    query("program", ID, "a program id"),
                    query("from", {"type": "string", "format": "date"}),
                    query("to", {"type": "string", "format": "date"}),
                    query("group", ID, "students and teachers together"),
                    *PAGING,
                ],
            )
        },
        f"{API}/bookings": {
            "post": operation(
                "school",
                "`slot_id`, `students`, `teachers`, `level`, `contact_name`, `contact_phone`, `special_needs`, "
                "`consent` → 201 `{id, code, status}` (`Location`: the booking); 409 `slot_full`; 422 for rule "
                "violations (`error` the rule, `errors` when it concerns a field); 403 `email_unverified` until "
                "the account's address is confirmed.",
                {
                    "201": answer(obj({"id": INTEGER, "code": STRING, "status": STRING}), "Requested"),
                    **errors(*SIGNED_IN, 409, 415, 422),
                },
                requestBody=body(ref("BookingRequest"), required=True),
            )
        },
        f"{API}/bookings/pending": {
            "get": operation(
                "venue managers, staff",
                "The inbox: every pending request of the caller's venues (staff: all) that can still be "
                "decided, the soonest to expire first, then the oldest; each a `Booking` (`expires_at` is its "
                "deadline, `actions` its buttons).",
                {"200": answer(envelope(ref("Booking"))), **errors(*SIGNED_IN)},
                parameters=PAGING,
            )
        },
        f"{API}/bookings/{{booking_id}}": {
            "get": operation(
                "the school, the venue's managers, staff",
                "One booking (404 for anyone else), with `actions`: what the caller may do to it now (`confirm`, "
                "`reject`, `move`, `cancel`, `check_in`, `no_show`, `complete`), the buttons its page shows. `links` "
                "are absolute: `page`, and `ics`/`qr` once confirmed.",
                {"200": answer(ref("Booking")), **errors(401, 404)},
                parameters=booking_id,
            )
        },
        f"{API}/bookings/by-code/{{code}}": {
            "get": operation(
                "the school, the venue's managers, staff",
                "The booking with this code, as printed or scanned (any case, dashes and spaces ignored): the "
                "same visibility and answer as by id, 404 otherwise.",
                {"200": answer(ref("Booking")), **errors(401, 404)},
                parameters=[path("code", STRING)],
            )
        },
        f"{API}/bookings/{{booking_id}}/confirm": booking_action(
            "managers of the venue, staff", "Confirm a pending request (no body needed)."
        ),
        f"{API}/bookings/{{booking_id}}/reject": booking_action(
            "managers of the venue, staff", "Reject a pending request with a `reason`.", body(ref("Reason"))
        ),
        f"{API}/bookings/{{booking_id}}/cancel": booking_action(
            "the school (within the window), managers of the venue, staff",
            "Cancel; `reason` needed from staff and managers.",
            body(ref("Reason")),
        ),
        f"{API}/bookings/{{booking_id}}/check-in": booking_action(
            "managers of the venue, staff",
            "`students`, `teachers` who came; 422 `check_in_not_open` before the gate opens.",
            body({"type": "object", "properties": {"students": INTEGER, "teachers": INTEGER}}, required=True),
        ),
        f"{API}/bookings/{{booking_id}}/no-show": booking_action(
            "managers of the venue, staff",
            "A confirmed group that never came (no body needed); 422 `slot_not_ended` before its session ends.",
        ),
        f"{API}/bookings/{{booking_id}}/complete": booking_action(
            "managers of the venue, staff",
            "A checked-in visit took place (no body needed; the periodic job does it when the session ends): "
            "the certificate and the school's feedback form follow.",
        ),
        # After a closure (visits/reschedule.py): the sessions held for the school, and one tap to move.
        f"{API}/bookings/{{booking_id}}/alternatives": {
            "get": operation(
                "the school, the venue's managers, staff",
                "What a closure left the booking with: `reschedule` (null when no closure hit it) with its "
                "`answer` (`waiting`, `lapsed`, `none`: no alternative, `moved`, `cancelled`, `ended`) and "
                "`alternatives`, the up to three sessions of the same program held for the school's whole group "
                "(`open` while held, until `expires_at`; `KOIN_RESCHEDULE_HOLD_HOURS`), nearest the original date "
                "first.",
                {"200": answer(RESCHEDULE), **errors(401, 404)},
                parameters=booking_id,
            )
        },
        f"{API}/bookings/{{booking_id}}/alternatives/{{offer_id}}/take": {
            "post": operation(
                "the school",
                "Move the booking into this held session (no body needed): its held seats become the booking's, "
                "the closed session's are given back, the other alternatives released → 200 with the `Booking`. "
                "409 `alternative_lapsed`, `reschedule_answered` (moved or cancelled already), `status_changed` "
                "(another tap won), `wrong_status`; 403 `not_allowed` for anyone but the school.",
                {"200": answer(ref("Booking"), "The booking after the move"), **errors(*SIGNED_IN, 404, 409, 415, 422)},
                parameters=[*booking_id, path("offer_id", ID)],
            )
        },
        f"{API}/bookings/{{booking_id}}/certificate": {
            "get": operation(
                "the school, the venue's managers, staff",
                "The certificate of attendance of a completed visit: a one-page PDF in Indonesian (A4 landscape) "
                "with the venue, program, date (WITA), school, the students and teachers who came, a verification "
                "code and a QR code of its public check page `/certificates/{code}`. Issued the first time it is "
                "asked for and the same ever after. 409 `not_completed` before the visit is completed.",
                {
                    "200": {
                        "description": "The PDF",
                        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **errors(401, 404, 409),
                },
                parameters=booking_id,
            )
        },
        f"{API}/bookings/{{booking_id}}/feedback": {
            "post": operation(
                "the school's coordinators",
                "`rating` (1 to 5; 422 `rating_invalid` outside) and an optional `comment` (at most 2000 characters, "
                "422 `comment_too_long`) on a completed visit (409 `not_completed` before). One per booking: 201 "
                "the first time, 200 when changed before `editable_until` (`KOIN_FEEDBACK_EDIT_DAYS` after the "
                "first), 409 `feedback_closed` after. 403 for the venue and staff.",
                {
                    "201": answer(ref("Feedback"), "Sent"),
                    "200": answer(ref("Feedback"), "Changed"),
                    **errors(*SIGNED_IN, 404, 409, 415, 422),
                },
                parameters=booking_id,
                requestBody=body(
                    obj(
                        {
                            "rating": {"type": "integer", "minimum": RATING_MIN, "maximum": RATING_MAX},
                            "comment": {**STRING, "maxLength": COMMENT_MAX_LENGTH},
                        },
                        optional=("comment",),
                    ),
                    required=True,
                ),
            )
        },
        f"{API}/bookings/{{booking_id}}/headcount": booking_action(
            "the school, managers of the venue, staff",
            "Confirm the final `students` and `teachers` of a confirmed booking, until the session starts, within "
            "the program's rules (422 `group_too_small`, `too_few_teachers`, …). Fewer give seats back at once "
            "(offered to the waiting list); more need free seats (409 `headcount_no_room`). Optional `version`: "
            "the booking's version you read (409 `status_changed` if it changed since).",
            body(
                {
                    "type": "object",
                    "properties": {"students": INTEGER, "teachers": INTEGER, "version": INTEGER},
                    "required": ["students", "teachers"],
                },
                required=True,
            ),
        ),
        f"{API}/schools/{{npsn}}/verify": {
            "post": operation(
                "staff",
                "Verify a school so it can book; approves the coordinator who registered it.",
                {
                    "200": answer(
                        obj(
                            {
                                "npsn": STRING,
                                "name": STRING,
                                "regency": STRING,
                                "verified": {"const": True},
                                "verified_at": TIMESTAMP,
                                "changed": BOOLEAN,
                            }
                        )
                    ),
                    **errors(*SIGNED_IN, 404),
                },
                parameters=[path("npsn", STRING)],
            )
        },
        f"{API}/schools/pending": {
            "get": operation(
                "staff, approved coordinator",
                "`{schools: {items, page, per_page, total}, coordinators: {…}}`: schools waiting for "
                "verification and coordinators waiting for approval (a coordinator sees only their own "
                "school's, and no schools).",
                {
                    "200": answer(
                        obj({"schools": envelope(ref("School")), "coordinators": envelope(ref("Coordinator"))})
                    ),
                    **errors(*SIGNED_IN),
                },
                parameters=PAGING,
            )
        },
        **{
            f"{API}/schools/{{npsn}}/coordinators/{{coordinator_id}}/{decision}": {
                "post": operation(
                    "staff, approved coordinator of that school",
                    "A coordinator who registered with the school's NPSN acts for it only once approved (until "
                    "then: no bookings, no booking e-mails; 403 `coordinator_pending` when booking). 200 with the "
                    "coordinator; 403 for anyone else; 409 `not_pending`/`already_decided`."
                    if decision == "approve"
                    else "Likewise; staff may also reverse a decision.",
                    {"200": answer(ref("Coordinator")), **errors(*SIGNED_IN, 404, 409)},
                    parameters=coordinator,
                )
            }
            for decision in ("approve", "reject")
        },
        **_collection_paths(),
        **_call_paths(),
        # -- the upload protocol: Uppy's AWS S3 multipart contract ----------------------------
        "/uploads/s3/multipart": {
            "post": operation(
                "creator",
                "`{filename, type, metadata}` → `{key, uploadId, resumed, asset_id}`; `metadata` carries "
                "`title`, `description`, `tags`, `community`, `regency`, `venue`, `license`, `credit`, "
                "`consent`, and `size` (required: every byte limit counts from it) + `lastModified`: the same "
                "file from the same creator resumes its unfinished upload (`resumed: true`). 422 `file_refused` "
                "when the size is over the kind's limit or the remaining quota, 409 when the creator already "
                "has `KOIN_UPLOAD_MAX_UNFINISHED` unfinished uploads; 403 `email_unverified`. `call` (a call's "
                "slug) uploads into a call for content: its licence, venue and regency fill what is left empty, "
                "its tags are added; 404 for no such call, 409 `call_not_open`, `call_closed` or "
                "`call_deadline_passed` when it takes no uploads now.",
                {
                    "200": answer(obj({"key": STRING, "uploadId": STRING, "resumed": BOOLEAN, "asset_id": INTEGER})),
                    **errors(*SIGNED_IN, 404, 409, 415, 422, 507),
                },
                requestBody=body(
                    {
                        "type": "object",
                        "properties": {"filename": STRING, "type": STRING, "metadata": {"type": "object"}},
                        "required": ["filename", "metadata"],
                    },
                    required=True,
                ),
            )
        },
        "/uploads/s3/multipart/{upload_id}/{part_number}": {
            "get": operation(
                "creator (the upload's)",
                "`{url, expires, expires_at, size}`: PUT exactly `size` bytes to `url` before `expires_at` "
                "(`expires` is the lifetime in seconds, which Uppy uses as its request timeout). Parts are cut "
                "as Uppy does: `max(5 MiB, ceil(size / 10000))` each, the last one smaller; a part number the "
                "declared size does not need is a 422.",
                {
                    "200": answer(obj({"url": STRING, "expires": INTEGER, "expires_at": TIMESTAMP, "size": INTEGER})),
                    **errors(*SIGNED_IN, 404, 422),
                },
                parameters=[path("upload_id", STRING), path("part_number", ID), UPLOAD_KEY],
            )
        },
        "/uploads/s3/multipart/{upload_id}": {
            "get": operation(
                "creator (the upload's)",
                "Every part stored so far: `[{PartNumber, Size, ETag}]`.",
                {
                    "200": answer(array(obj({"PartNumber": INTEGER, "Size": INTEGER, "ETag": STRING}))),
                    **errors(*SIGNED_IN, 404),
                },
                parameters=upload,
            ),
            "delete": operation(
                "creator (the upload's)",
                "Abort the upload. 204.",
                {"204": answer(None, "Aborted"), **errors(*SIGNED_IN, 404)},
                parameters=upload,
            ),
        },
        "/uploads/s3/multipart/{upload_id}/complete": {
            "post": operation(
                "creator (the upload's)",
                "`{parts: [{PartNumber, ETag}], metadata}` → `{location, key, bucket, asset_id, asset_url, status, "
                "details_complete}`, or 422 `file_refused` with the reason. `metadata` (optional, as at create) "
                "replaces the details sent when the upload started; `details_complete` says whether review has "
                "what it needs (title, licence, consent, and the fields its call requires) or the asset will wait "
                "as a draft, `missing_details` what is missing. An upload started into a call finishes into it, "
                "even past the deadline.",
                {
                    "200": answer(
                        obj(
                            {
                                "location": URL,
                                "key": STRING,
                                "bucket": STRING,
                                "asset_id": INTEGER,
                                "asset_url": URL,
                                "status": {"enum": list(ASSET_STATUSES)},
                                "details_complete": BOOLEAN,
                                "missing_details": array({"enum": ["title", "license", "consent", *REQUIRED_FIELDS]}),
                                "call": maybe(STRING),
                            }
                        )
                    ),
                    **errors(*SIGNED_IN, 404, 409, 415, 422),
                },
                parameters=upload,
                requestBody=body(
                    obj(
                        {"parts": array(obj({"PartNumber": INTEGER, "ETag": STRING})), "metadata": {"type": "object"}},
                        optional=("metadata",),
                    ),
                    required=True,
                ),
            )
        },
        "/uploads/local/{upload_id}/{part_number}": {
            "put": operation(
                "whoever holds the signed URL (local storage only)",
                "The part's bytes, to the URL the signing call handed out (its query is the signature): 200 "
                "with the part's `ETag`; 403 `bad_signature`; 413 past the signed size.",
                {
                    "200": {"description": "Stored", "headers": {"ETag": {"schema": STRING}}},
                    **errors(403, 404, 413),
                },
                security=ANYONE,
                parameters=[
                    path("upload_id", STRING),
                    path("part_number", ID),
                    UPLOAD_KEY,
                    {"name": "expires", "in": "query", "required": True, "schema": STRING},
                    {"name": "max_bytes", "in": "query", "required": True, "schema": STRING},
                    {"name": "signature", "in": "query", "required": True, "schema": STRING},
                ],
                requestBody={
                    "required": True,
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                },
            )
        },
    }


@cache
def document() -> dict:
    """The whole OpenAPI 3.1 document (built once per process: it depends on no request)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "KOIN Media API",
            "version": "1",
            "description": "Assets, venues and eduwisata bookings of KOIN Media (Disperin NTB). Errors are "
            "`Error`; lists share one envelope `{items, page, per_page, total}` with `?page=&per_page=` "
            "(a value out of range is a 400 naming the parameter); timestamps are UTC with `Z`; expiries are "
            "instants (`expires_at`); links are absolute URLs.",
        },
        "servers": [{"url": "/"}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                f"E{code}": {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
                for code, text in ERROR_TEXTS.items()
            }
            | {
                "E507": {
                    "description": "The file store is full.",
                    "content": {"application/json": {"schema": ref("Error")}},
                }
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `POST /api/v1/auth/token` or `flask create-token`; no CSRF.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "The browser's session after log-in; unsafe methods also need the CSRF token "
                    'of `<meta name="csrf-token">` in an `X-CSRFToken` header.',
                },
            },
        },
    }


def operations(spec: dict | None = None) -> list[tuple[str, str, dict]]:
    """(METHOD, path, operation) of every call in the document, in its order."""
    spec = spec or document()
    return [(method.upper(), route, op) for route, methods in spec["paths"].items() for method, op in methods.items()]


def _parameter_text(parameter: dict) -> str:
    """``name`` with its allowed values or what it takes, as the README shows it."""
    schema, text = parameter["schema"], f"`{parameter['name']}`"
    if "enum" in schema:
        text += ": " + " or ".join(f"`{value}`" for value in schema["enum"])
        return f"{text} ({parameter['description']})" if parameter.get("description") else text
    if parameter.get("description"):
        return f"{text}: {parameter['description']}"
    return text


def readme_table(prefix: str) -> str:
    """README's table of the calls under ``prefix`` (rows: call, who, what), made from the document."""
    rows = ["| call | who | |", "|---|---|---|"]
    for method, route, op in operations():
        if route.startswith(prefix):
            shown = route.removeprefix(API) if prefix == API else route
            text = " ".join(op["description"].split())
            asked = [_parameter_text(p) for p in op.get("parameters", []) if p["in"] == "query" and p["name"] != "key"]
            if asked:
                text += " Query: " + "; ".join(asked) + "."
            text = text.replace("|", "\\|")
            rows.append(f"| `{method} {shown}` | {op['x-who']} | {text} |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m koin_media.api.contract: the README tables, to paste
    sys.stdout.write(readme_table(API) + "\n\n" + readme_table("/uploads") + "\n")
