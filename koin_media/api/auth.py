from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required
from ..accounts import email_links, services, throttle
from ..accounts.forms import REGISTRATION_FORMS, ForgotPasswordForm, NewPasswordForm
from ..database import write_lock_when_writing
from ..errors import error_response
from ..json_bodies import form_from_json, json_body
from ..reference import schools
from ..roles import SELF_SERVICE_ROLES
from ..security import (
    apply_limits,
    bearer_token,
    password_reset_limits,
    registration_limits,
    verification_resend_limits,
)
from . import bp
from .helpers import validation_error
from .shapes import user_json


@bp.post("/auth/register")
@apply_limits(registration_limits)
def register():
    data = json_body()
    role = data.get("role")
    if role not in SELF_SERVICE_ROLES:
        return validation_error({"role": [_("Choose one of: %(roles)s.", roles=", ".join(SELF_SERVICE_ROLES))]})
    form = form_from_json(REGISTRATION_FORMS[role], data)
    form.filled_for_resending = False  # a JSON body is not filled in for the caller
    if not form.validate():
        if getattr(form, "differs_from_reference", False):
            # The record the caller's school name or regency differs from: the values to send.
            return validation_error(form, reference=schools.school_json(form.reference))
        return validation_error(form)
    try:
        user = services.register_user(form, role)
    except services.EmailTaken:
        return validation_error(
            {"email": [_("An account with this e-mail already exists. Log in, or use another address.")]}
        )
    return jsonify(user_json(user)), 201


@bp.post("/auth/token")
@write_lock_when_writing  # read, hash holding no lock, then one short write (see throttle.recording)
def create_token():
    data = json_body()
    email = str(data.get("email") or "")
    attempt = throttle.admit(email)  # the log-in form's counts: one guess is one guess
    user = services.authenticate(email, str(data.get("password") or ""))
    with throttle.recording(attempt, user):
        if user is not None:
            token, plain = services.create_token(user, str(data.get("label") or "api"))
            answer = jsonify(token=plain, token_id=token.id, user=user_json(user))
    if user is None:
        return error_response(401, _("Wrong e-mail or password."), error="invalid_credentials")
    return answer, 201


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


# -- password reset and e-mail verification (accounts/email_links.py) -------------------------


def link_refused(refusal: email_links.LinkRefused):
    return error_response(400, refusal.message, error=refusal.code)


@bp.post("/auth/password-reset")
@apply_limits(password_reset_limits)
def password_reset():
    """202 with the same answer whether or not the address has an account."""
    form = form_from_json(ForgotPasswordForm, json_body())
    if not form.validate():
        return validation_error(form)
    email_links.request_password_reset(form.email.data)
    return jsonify(message=email_links.reset_sent_message()), 202


@bp.post("/auth/password-reset/confirm")
def password_reset_confirm():
    data = json_body()
    token = str(data.get("token") or "")
    try:
        email_links.user_for_reset_token(token)
    except email_links.LinkRefused as refusal:
        return link_refused(refusal)
    form = form_from_json(NewPasswordForm, data)
    if not form.validate():
        return validation_error(form)
    try:
        services.reset_password(token, form.password.data)
    except email_links.LinkRefused as refusal:  # spent meanwhile
        return link_refused(refusal)
    return jsonify(message=_("Your new password is set, and every device was signed out. Log in with it now."))


@bp.post("/auth/verify-email")
def verify_email():
    try:
        user = email_links.verify_email(str(json_body().get("token") or ""))
    except email_links.LinkRefused as refusal:
        return link_refused(refusal)
    return jsonify(email=user.email, email_verified=True)


@bp.post("/auth/verify-email/resend")
@apply_limits(verification_resend_limits)
@login_required
def resend_verification():
    email = current_user.email
    if not email_links.resend_verification(current_user._get_current_object()):
        return error_response(409, _("Your e-mail address is already confirmed."), error="already_verified")
    return jsonify(message=_("We sent a new confirmation link to %(email)s.", email=email)), 202
