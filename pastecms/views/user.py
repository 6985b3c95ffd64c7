"""/api/user/* and /api/authentication/*: accounts and session login (seed 003's server)."""

from pastecms.api import REQUIRED, endpoint
from pastecms.errors import (
    AuthFailure,
    ConflictFailure,
    InvalidEmailFailure,
    NonexistentUserFailure,
    UsernameNotAvailableFailure,
    UserRegistrationDisabledFailure,
)
from pastecms.ratelimit import RateLimit
from pastecms.schemas.user import (
    ApiKeyOut,
    AuthStatusOut,
    EmailIn,
    EmailValidityOut,
    LoginIn,
    UserCreatedOut,
    UserCreateIn,
    UsernameAvailabilityOut,
    UsernameIn,
    UsernameRefOut,
    UserOut,
    UserUpdateIn,
)
from pastecms.services.identity import user as user_service
from pastecms.views.envelopes import modern_paste
from pastecms.views.signin import device_cookie, sign_in, sign_out, stay_signed_in

bp = modern_paste.blueprint("user_api", __name__, url_prefix="/api")

ACCOUNT_LIMIT = RateLimit("RATELIMIT_ACCOUNT")


@bp.post("/user/create")
@endpoint(
    modern_paste,
    load=UserCreateIn,
    dump=UserCreatedOut,
    limits=(ACCOUNT_LIMIT,),
    failures=(
        UserRegistrationDisabledFailure,
        UsernameNotAvailableFailure,
        InvalidEmailFailure,
        ConflictFailure,
    ),
)
def create(data, caller):
    """Register and sign in; returns the profile and a new API key, shown once."""
    user = user_service.create(
        data["username"], data["password"], name=data["name"], email=data["email"]
    )
    sign_in(user)
    return user


@bp.post("/user/update")
@endpoint(
    modern_paste,
    load=UserUpdateIn,
    dump=UserOut,
    caller=REQUIRED,
    failures=(InvalidEmailFailure, AuthFailure, ConflictFailure),
)
def update(data, caller):
    """Change the caller's name, email or password."""
    user = user_service.update_profile(
        caller,
        name=data["name"],
        email=data["email"],
        current_password=data["current_password"],
        new_password=data["new_password"],
    )
    stay_signed_in(caller)
    return user


@bp.post("/user/deactivate")
@endpoint(modern_paste, dump=UsernameRefOut, caller=REQUIRED, failures=())
def deactivate(data, caller):
    """Deactivate the caller's account, pastes and API keys, and sign out."""
    sign_out()
    return user_service.deactivate(caller)


@bp.post("/user/api_key/regenerate")
@endpoint(modern_paste, dump=ApiKeyOut, caller=REQUIRED, failures=())
def regenerate_api_key(data, caller):
    """Replace the caller's API key (ending their other sessions); shown once."""
    api_key = user_service.regenerate_api_key(caller)
    stay_signed_in(caller)
    return {"api_key": api_key}


@bp.post("/user/check_username_availability")
@endpoint(modern_paste, load=UsernameIn, dump=UsernameAvailabilityOut, failures=())
def check_username_availability(data, caller):
    """Whether a username (in any case) is free."""
    username = data["username"]
    return {"username": username, "is_available": user_service.is_username_available(username)}


@bp.post("/user/validate_email_address")
@endpoint(modern_paste, load=EmailIn, dump=EmailValidityOut, failures=())
def validate_email_address(data, caller):
    """Whether an email address is well-formed."""
    return {"email": data["email"], "is_valid": user_service.is_email_valid(data["email"])}


@bp.post("/authentication/login")
@endpoint(
    modern_paste,
    load=LoginIn,
    dump=UsernameRefOut,
    limits=(ACCOUNT_LIMIT,),
    failures=(NonexistentUserFailure, AuthFailure),
)
def login(data, caller):
    """Start a cookie session for the web form and cookie-based clients."""
    user = user_service.authenticate(
        data["username"], data["password"], address=caller.address, device=device_cookie()
    )
    sign_in(user, data["remember_me"])
    return user


@bp.post("/authentication/logout")
@endpoint(modern_paste, dump=UsernameRefOut, caller=REQUIRED, failures=())
def logout(data, caller):
    """End the user's cookie sessions: this one, and every cookie saved from it."""
    sign_out()
    return user_service.log_out(caller)


@bp.post("/authentication/status")
@endpoint(modern_paste, dump=AuthStatusOut, failures=())
def status(data, caller):
    """Who the request is authenticated as, if anyone."""
    user = caller.user
    details = {"username": user.username, "user_id": user.id} if user else {}
    return {"is_authenticated": user is not None, "user_details": details}
