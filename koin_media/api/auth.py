from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required
from ..accounts import services
from ..accounts.forms import REGISTRATION_FORMS
from ..errors import error_response
from ..roles import SELF_SERVICE_ROLES
from ..security import apply_limits, bearer_token, login_limits, mark_auth_failed, registration_limits
from . import bp
from .helpers import form_from_json, json_body, validation_error


def user_json(user) -> dict:
    data = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "locale": user.locale or "id",
        "created_at": user.created_at.isoformat(),
    }
    if user.community:
        data["community"] = {"slug": user.community.slug, "name": user.community.name}
    if user.business_name:
        data["business_name"] = user.business_name
        data["sector"] = user.sector
    if user.regency:
        data["regency"] = {"slug": user.regency.slug, "name": user.regency.name}
    if user.school:
        data["school"] = {"npsn": user.school.npsn, "name": user.school.name, "verified": user.school.is_verified}
    return data


@bp.post("/auth/register")
@apply_limits(registration_limits)
def register():
    data = json_body()
    role = data.get("role")
    if role not in SELF_SERVICE_ROLES:
        return validation_error({"role": [_("Choose one of: %(roles)s.", roles=", ".join(SELF_SERVICE_ROLES))]})
    form = form_from_json(REGISTRATION_FORMS[role], data)
    if not form.validate():
        return validation_error(form)
    try:
        user = services.register_user(form, role)
    except services.EmailTaken:
        return validation_error(
            {"email": [_("An account with this e-mail already exists. Log in, or use another address.")]}
        )
    return jsonify(user_json(user)), 201


@bp.post("/auth/token")
@apply_limits(login_limits)
def create_token():
    data = json_body()
    user = services.authenticate(str(data.get("email") or ""), str(data.get("password") or ""))
    if user is None:
        mark_auth_failed()
        return error_response(401, _("Wrong e-mail or password."), error="invalid_credentials")
    label = str(data.get("label") or "api")
    token, plain = services.create_token(user, label)
    return jsonify(token=plain, token_id=token.id, user=user_json(user)), 201


@bp.delete("/auth/token")
@login_required
def revoke_token():
    """Revoke the bearer token this request was made with."""
    plain = bearer_token()
    if plain is None or not services.revoke_token_by_plain(plain):
        return error_response(400, _("Send the token to revoke in the Authorization header."))
    return "", 204


@bp.get("/me")
@login_required
def me():
    return jsonify(user_json(current_user))
