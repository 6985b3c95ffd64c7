"""/pub friend links (seed 000): the public list, the admin's, and visitors' applications."""

from pastecms import ConfigurationError
from pastecms.api import ADMIN, endpoint
from pastecms.errors import (
    CaptchaFailure,
    FeatureDisabledFailure,
    ForbiddenFailure,
    NonexistentFriendFailure,
    ServiceUnavailableFailure,
)
from pastecms.ratelimit import RateLimit
from pastecms.schemas.qexo import (
    DeletedOut,
    FriendAddedOut,
    FriendAdminListOut,
    FriendApplicationIn,
    FriendAppliedOut,
    FriendEditIn,
    FriendIn,
    FriendListOut,
    FriendTimeIn,
    ModifiedOut,
    SearchIn,
)
from pastecms.services.site import captcha
from pastecms.services.site import friends as friends_service
from pastecms.views.envelopes import qexo

bp = qexo.blueprint("qexo_friends", __name__, url_prefix="/pub")


@bp.record_once
def check_captcha_settings(state):
    problem = captcha.settings_problem(state.app.config)
    if problem:
        raise ConfigurationError(problem)


# Qexo's widgets ask for /pub/friends/: both spellings are served, neither redirects.
@bp.get("/friends", strict_slashes=False)
@endpoint(qexo, dump=FriendListOut, failures=())
def friends(data, caller):
    """The links shown to visitors, oldest first."""
    return {"data": friends_service.shown()}


@bp.get("/get_friends", strict_slashes=False)
@endpoint(qexo, load=SearchIn, dump=FriendAdminListOut, caller=ADMIN, failures=(ForbiddenFailure,))
def get_friends(data, caller):
    """Every link, shown or hidden, oldest first; s searches name, url and description."""
    return {"data": friends_service.everything(data["s"])}


@bp.post("/add_friend", strict_slashes=False)
@endpoint(qexo, load=FriendIn, dump=FriendAddedOut, caller=ADMIN, failures=(ForbiddenFailure,))
def add_friend(data, caller):
    """Add a link as given (an admin's text is stored as written); answers its time (its id)."""
    return friends_service.add(
        data["name"],
        data["url"],
        image=data["image"],
        description=data["description"],
        shown=data["status"],
    )


@bp.post("/edit_friend", strict_slashes=False)
@endpoint(
    qexo,
    load=FriendEditIn,
    dump=ModifiedOut,
    caller=ADMIN,
    failures=(ForbiddenFailure, NonexistentFriendFailure),
)
def edit_friend(data, caller):
    """Change the given fields of the link whose id is time."""
    return friends_service.edit(
        data["time"],
        name=data["name"],
        url=data["url"],
        image=data["image"],
        description=data["description"],
        shown=data["status"],
    )


@bp.post("/del_friend", strict_slashes=False)
@endpoint(
    qexo,
    load=FriendTimeIn,
    dump=DeletedOut,
    caller=ADMIN,
    failures=(ForbiddenFailure, NonexistentFriendFailure),
)
def del_friend(data, caller):
    """Delete the link whose id is time."""
    friends_service.remove(data["time"])
    return {}


@bp.post("/ask_friend", strict_slashes=False)
@endpoint(
    qexo,
    load=FriendApplicationIn,
    dump=FriendAppliedOut,
    limits=(RateLimit("RATELIMIT_FRIEND_APPLICATIONS"),),
    failures=(FeatureDisabledFailure, CaptchaFailure, ServiceUnavailableFailure),
)
def ask_friend(data, caller):
    """A visitor applies for a link: stored hidden and escaped, with a notification."""
    return friends_service.apply(
        data["name"],
        data["url"],
        data["image"],
        data["description"],
        verify=data["verify"],
        address=caller.address,
    )
