"""Pages for the account's sessions, the forgotten password and the e-mail confirmation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import login_required
from ..roles import home_endpoint
from ..security import apply_limits, password_reset_limits, safe_next, verification_resend_limits
from . import bp, email_links, services, sessions
from .forms import ForgotPasswordForm, ResetPasswordForm

# -- sessions ----------------------------------------------------------------------------------


@bp.get("/account/sessions")
@login_required
def sessions_page():
    return render_template(
        "accounts/sessions.html",
        sessions=sessions.active_sessions(current_user),
        current_session_id=sessions.current_session_id(),
    )


@bp.post("/account/sessions/<int:session_id>/revoke")
@login_required
def revoke_session(session_id):
    if not sessions.revoke_session(session_id, current_user.id):
        abort(404)  # not one of the caller's sessions, or ended already
    if session_id == sessions.current_session_id():
        sessions.sign_out()
        flash(_("You are logged out."), "info")
        return sessions.forget_this_device(redirect(url_for("main.index")))
    flash(_("That device is signed out."), "info")
    return redirect(url_for("accounts.sessions_page"))


@bp.post("/account/sessions/revoke-all")
@login_required
def sign_out_everywhere():
    sessions.sign_out_everywhere(current_user._get_current_object())
    flash(_("You are signed out on every device, this one included."), "info")
    return sessions.forget_this_device(redirect(url_for("accounts.login")))


# -- forgotten password ------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@apply_limits(password_reset_limits)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email_links.request_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        flash(email_links.reset_sent_message(), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), 422 if form.errors else 200


def _link_problem(refusal: email_links.LinkRefused, template: str):
    return render_template(template, form=None, problem=refusal.message), 400


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        email_links.user_for_reset_token(token)
    except email_links.LinkRefused as refusal:
        return _link_problem(refusal, "accounts/reset_password.html")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except email_links.LinkRefused as refusal:  # spent by another tab meanwhile
            return _link_problem(refusal, "accounts/reset_password.html")
        if current_user.is_authenticated:
            sessions.sign_out()
        flash(_("Your new password is set, and every device was signed out. Log in with it now."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, problem=None), 422 if form.errors else 200


# -- e-mail verification ---------------------------------------------------------------------


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token):
    """GET shows a button, POST confirms: a link preview or mail scanner only GETs."""
    if request.method == "POST":
        try:
            email_links.verify_email(token)
        except email_links.LinkRefused as refusal:
            return render_template("accounts/verify_email.html", problem=refusal.message), 400
        flash(_("Thank you: your e-mail address is confirmed."), "success")
        return redirect(url_for(home_endpoint(current_user) if current_user.is_authenticated else "accounts.login"))
    try:
        email_links.verification_target(token)
    except email_links.LinkRefused as refusal:
        return render_template("accounts/verify_email.html", problem=refusal.message), 400
    return render_template("accounts/verify_email.html", problem=None)


@bp.post("/account/verify-email/resend")
@apply_limits(verification_resend_limits)
@login_required
def resend_verification():
    email = current_user.email
    if email_links.resend_verification(current_user._get_current_object()):
        flash(_("We sent a new confirmation link to %(email)s.", email=email), "info")
    else:
        flash(_("Your e-mail address is already confirmed."), "info")
    return redirect(safe_next(request.form.get("next"), url_for("accounts.profile")))
