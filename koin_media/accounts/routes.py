from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import get_or_404, login_required
from ..database import write_lock_when_writing
from ..roles import ROLE_LABELS, SELF_SERVICE_ROLES, home_endpoint
from ..security import apply_limits, registration_limits, safe_next
from . import bp, services, sessions, throttle
from .forms import REGISTRATION_FORMS, ChangePasswordForm, ConfirmedPasswordMixin, LoginForm, ProfileForm
from .models import ApiToken

# The HTML pages ask for the password twice; the JSON API takes it once.
PAGE_FORMS = {
    role: type(f"{form.__name__}Page", (ConfirmedPasswordMixin, form), {}) for role, form in REGISTRATION_FORMS.items()
}


@bp.get("/register")
def register_choice():
    return render_template("accounts/register_choice.html", roles=SELF_SERVICE_ROLES, labels=ROLE_LABELS)


@bp.route("/register/<role>", methods=["GET", "POST"])
@apply_limits(registration_limits)
def register(role):
    if role not in PAGE_FORMS:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = PAGE_FORMS[role]()
    form.load_choices()
    if form.validate_on_submit():
        try:
            user = services.register_user(form, role)
        except services.EmailTaken:
            form.email.errors.append(_("An account with this e-mail already exists. Log in, or use another address."))
        else:
            if session.get("locale"):
                services.set_locale(user, session["locale"])
            sessions.sign_in(user)
            flash(_("Welcome to KOIN Media, %(name)s! Your account is ready.", name=user.name), "success")
            return redirect(url_for(home_endpoint(user)))
    status = 422 if form.errors else 200
    return render_template("accounts/register.html", form=form, role=role, role_label=ROLE_LABELS[role]), status


@bp.route("/login", methods=["GET", "POST"])
@write_lock_when_writing  # read, hash holding no lock, then one short write (see throttle.recording)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for(home_endpoint(current_user))))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = throttle.admit(form.email.data)
        user = services.authenticate(form.email.data, form.password.data)
        with throttle.recording(attempt, user):
            if user is not None:
                sessions.sign_in(user, remember=form.remember.data)
                if session.get("locale") and not user.locale:
                    services.set_locale(user, session["locale"])
        if user is not None:
            flash(_("You are logged in."), "success")
            # A page the visitor was sent away from wins; otherwise where the role's work is.
            return redirect(safe_next(request.args.get("next"), url_for(home_endpoint(user))))
        form.password.errors.append(_("Wrong e-mail or password."))
        return render_template("accounts/login.html", form=form), 401
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
def logout():
    sessions.sign_out()  # ends this browser's session on the server, not only its cookie
    flash(_("You are logged out."), "info")
    return sessions.forget_this_device(redirect(url_for("main.index")))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user).for_role(current_user.role, edits_school=current_user.is_approved_coordinator)
    if request.method == "GET":
        # Reference fields show the slug of the row the user has.
        for name in ("community", "regency"):
            if name in form and getattr(current_user, name) is not None:
                form[name].data = getattr(current_user, name).slug
        if "school_levels" in form:
            form.school_levels.data = current_user.school.level_list
        form.locale.data = current_user.locale or "id"
    if form.validate_on_submit():
        services.update_profile(current_user, form)
        session["locale"] = current_user.locale
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, role_label=ROLE_LABELS[current_user.role]), (
        422 if form.errors else 200
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("Your current password is not right."))
        else:
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            services.change_password(current_user, form.password.data)
            # Every session and token ended with the old password: this browser starts afresh.
            sessions.sign_in(current_user._get_current_object(), remember=remembered)
            flash(_("Your password is changed. Other devices and API tokens have been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form), 422 if form.errors else 200


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    new_token = None
    if request.method == "POST":
        label = (request.form.get("label") or "").strip() or _("API token")
        _token, new_token = services.create_token(current_user, label)
    return render_template("accounts/tokens.html", tokens=services.tokens_of(current_user), new_token=new_token)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    token = get_or_404(ApiToken, token_id, owner_attr="user_id")
    services.revoke_token(token)
    flash(_("The token is revoked: programs using it can no longer sign in."), "info")
    return redirect(url_for("accounts.tokens"))
