"""The web face's account pages: register, sign in and out, my pastes, the account."""

from flask import current_app, flash, redirect, request, url_for

from pastecms.api import endpoint
from pastecms.errors import (
    AuthFailure,
    ConflictFailure,
    IncompleteParamsFailure,
    InvalidEmailFailure,
    InvalidParamsFailure,
    NonexistentUserFailure,
    RateLimitFailure,
    UsernameNotAvailableFailure,
    UserRegistrationDisabledFailure,
)
from pastecms.schemas.user import MIN_PASSWORD_LENGTH
from pastecms.schemas.web import (
    LoginFormIn,
    LoginPathIn,
    NextIn,
    PageIn,
    PasswordFormIn,
    RegisterFormIn,
)
from pastecms.services.identity import refresh_token
from pastecms.services.identity import user as user_service
from pastecms.services.pastes import paste as paste_service
from pastecms.views import csrf
from pastecms.views.envelopes import Page, WebPage, web_page
from pastecms.views.signin import (
    device_cookie,
    sign_in,
    sign_out,
    signed_in,
    signed_in_user,
    stay_signed_in,
)
from pastecms.views.user import ACCOUNT_LIMIT

bp = web_page.blueprint("accounts", __name__)

MY_PAGE_SIZE = 20
#: A page that shows a secret once: no cache, no back-button copy, keeps it.
NO_STORE = {"Cache-Control": "no-store"}
_FORM_FAILURES = (IncompleteParamsFailure, InvalidParamsFailure, RateLimitFailure)


def _registration() -> dict:
    return {"registration_open": current_app.config["ENABLE_USER_REGISTRATION"]}


def _next() -> dict:
    return {"next": NextIn().load({"next": request.values.get("next", "/my")})["next"]}


register_form = WebPage(
    "register.html",
    retry=(
        *_FORM_FAILURES,
        UserRegistrationDisabledFailure,
        UsernameNotAvailableFailure,
        InvalidEmailFailure,
        ConflictFailure,
    ),
    context=_registration,
)
login_form = WebPage(
    "login.html", retry=(*_FORM_FAILURES, NonexistentUserFailure, AuthFailure), context=_next
)
password_form = WebPage("password.html", retry=(*_FORM_FAILURES, AuthFailure))


@bp.before_request
def check_csrf_token():
    """Every form post carries the token its page was served with."""
    csrf.protect()


@bp.context_processor
def password_rule() -> dict:
    """The password rule the account forms state, as the schemas check it."""
    return {"min_password_length": MIN_PASSWORD_LENGTH}


@bp.app_context_processor
def header_user() -> dict:
    """Who the pages' header names as signed in (None: the sign-in links)."""
    return {"signed_in_user": signed_in_user}


@bp.get("/register")
@endpoint(web_page)
def register_page(data, caller):
    """The registration form (or, when the site takes none, a page that says so)."""
    return Page("register.html", form={}, failure=None, **_registration())


@bp.post("/register")
@endpoint(register_form, load=RegisterFormIn, limits=(ACCOUNT_LIMIT,))
def register(data, caller):
    """Register and sign in; then the (empty) list of the new user's pastes."""
    user = user_service.create(data["username"], data["password"], email=data["email"])
    sign_in(user)
    flash(f"Welcome, {user.username}: you are signed in.", "account")
    return redirect(url_for("accounts.my_pastes"), code=303)


@bp.get("/login")
@endpoint(web_page, load=NextIn, location="query")
def login_page(data, caller):
    """The sign-in form."""
    return Page("login.html", form={}, failure=None, next=data["next"])


@bp.post("/login")
@endpoint(login_form, load=LoginFormIn, limits=(ACCOUNT_LIMIT,))
def login(data, caller):
    """Sign in by username or email, counted against the same failed-attempt limits as
    the API's login; then back where the visitor was going."""
    user = user_service.authenticate(
        data["login"],
        data["password"],
        address=caller.address,
        allow_email=True,
        device=device_cookie(),
        tell_unknown=False,
    )
    sign_in(user, data["remember_me"])
    return redirect(data["next"], code=303)


@bp.post("/logout")
@endpoint(web_page)
def logout(data, caller):
    """End the user's cookie sessions (this one and any saved copy of it)."""
    if caller.is_authenticated:
        user_service.log_out(caller)
    sign_out()
    return redirect(url_for("web.index"), code=303)


@bp.get("/my")
@endpoint(web_page, load=PageIn, location="query")
@signed_in
def my_pastes(data, caller):
    """The signed-in user's live pastes, newest first, a page at a time."""
    pastes = paste_service.for_user(caller, data["index"], MY_PAGE_SIZE)
    return Page("my.html", pastes=pastes, page=data["page"], per_page=MY_PAGE_SIZE)


@bp.get("/account")
@endpoint(web_page)
@signed_in
def account(data, caller):
    """The account: a new API key, a new password, and the user's JWT logins."""
    return Page("account.html", user=caller.user, logins=refresh_token.list_for(caller.user))


@bp.post("/account/api_key")
@endpoint(web_page, headers=NO_STORE)
@signed_in
def regenerate_api_key(data, caller):
    """A new API key, shown on this answer only; the old one stops working."""
    api_key = user_service.regenerate_api_key(caller)
    stay_signed_in(caller)
    return Page("api_key.html", api_key=api_key)


@bp.get("/account/password")
@endpoint(web_page)
@signed_in
def password_page(data, caller):
    return Page("password.html", failure=None)


@bp.post("/account/password")
@endpoint(password_form, load=PasswordFormIn)
@signed_in
def change_password(data, caller):
    """A new password: the user's other sessions end and their JWT logins are revoked."""
    user_service.update_profile(
        caller, current_password=data["current_password"], new_password=data["new_password"]
    )
    stay_signed_in(caller)
    flash("Password changed. Your other sessions and logins have been ended.", "account")
    return redirect(url_for("accounts.account"), code=303)


@bp.post("/account/logins/<guid>/revoke")
@endpoint(web_page, path=LoginPathIn)
@signed_in
def revoke_login(data, caller):
    """End one of the user's JWT logins (its refresh token)."""
    if refresh_token.revoke_one(caller.user, data["guid"]):
        flash("The login has been revoked.", "account")
    else:
        flash("That login had already ended.", "account")
    return redirect(url_for("accounts.account"), code=303)
