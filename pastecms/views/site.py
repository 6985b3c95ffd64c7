"""/pub notifications, visit statistics and custom fields (seed 000)."""

from flask import request

from pastecms.api import ADMIN, endpoint
from pastecms.errors import (
    DomainNotVerifiedFailure,
    FeatureDisabledFailure,
    ForbiddenFailure,
    NonexistentCustomFieldFailure,
    SandboxErrorFailure,
    SandboxMemoryFailure,
    SandboxTimeoutFailure,
    SandboxViolationFailure,
)
from pastecms.ratelimit import RateLimit
from pastecms.schemas.qexo import (
    AddedOut,
    CustomFieldIn,
    CustomFieldNameIn,
    CustomFieldRunIn,
    CustomOutputOut,
    DeletedOut,
    NotificationIn,
    NotificationListOut,
    SavedOut,
    StatisticIn,
    StatisticOut,
)
from pastecms.services.site import custom_fields, site_stats
from pastecms.services.site import notifications as notifications_service
from pastecms.views.envelopes import qexo

bp = qexo.blueprint("qexo_site", __name__, url_prefix="/pub")
# Anyone may count a visit, and each page not counted before is a row: a client address
# counts so many visits (the rows a host starts are bounded in the service).
STATISTIC_LIMIT = RateLimit("RATELIMIT_STATISTIC")


@bp.post("/notifications", strict_slashes=False)
@endpoint(qexo, load=NotificationIn, dump=AddedOut, caller=ADMIN, failures=(ForbiddenFailure,))
def notifications(data, caller):
    """Post a notification for the admins (title and content, JSON as Qexo documents)."""
    notifications_service.create(data["title"], data["content"])
    return {}


@bp.get("/get_notifications", strict_slashes=False)
@endpoint(qexo, dump=NotificationListOut, caller=ADMIN, failures=(ForbiddenFailure,))
def get_notifications(data, caller):
    """Every notification, the newest first."""
    return {"data": notifications_service.newest_first()}


# The counter widget asks for /pub/statistic/ and names the page only in its Referer.
@bp.get("/statistic", strict_slashes=False)
@endpoint(
    qexo,
    load=StatisticIn,
    location="headers",
    dump=StatisticOut,
    limits=(STATISTIC_LIMIT,),
    failures=(FeatureDisabledFailure, DomainNotVerifiedFailure),
)
def statistic(data, caller):
    """Count a view of the page in the Referer; answers its and its site's counts. A HEAD
    answers as a GET would and counts nothing."""
    counted = request.method != "HEAD"
    return site_stats.count_visit(data["referer"], caller.address, counted=counted)


@bp.route("/get_custom", methods=["GET", "POST"], strict_slashes=False)
@endpoint(
    qexo,
    load=CustomFieldRunIn,
    dump=CustomOutputOut,
    caller=ADMIN,
    failures=(
        ForbiddenFailure,
        FeatureDisabledFailure,
        NonexistentCustomFieldFailure,
        SandboxViolationFailure,
        SandboxErrorFailure,
        SandboxMemoryFailure,
        SandboxTimeoutFailure,
    ),
)
def get_custom(data, caller):
    """Run the custom field named key in the sandbox, the other parameters as its variables;
    answers what it printed. Off unless CUSTOM_FIELDS_EXECUTE."""
    return {"data": custom_fields.run(data["key"], data["variables"])}


@bp.post("/set_custom", strict_slashes=False)
@endpoint(qexo, load=CustomFieldIn, dump=SavedOut, caller=ADMIN, failures=(ForbiddenFailure,))
def set_custom(data, caller):
    """Store a custom field's content under its name, replacing what was there."""
    custom_fields.save(data["name"], data["content"])
    return {}


@bp.post("/new_custom", strict_slashes=False)
@endpoint(qexo, load=CustomFieldIn, dump=SavedOut, caller=ADMIN, failures=(ForbiddenFailure,))
def new_custom(data, caller):
    """The same as set_custom (Qexo has both names)."""
    custom_fields.save(data["name"], data["content"])
    return {}


@bp.post("/del_custom", strict_slashes=False)
@endpoint(
    qexo,
    load=CustomFieldNameIn,
    dump=DeletedOut,
    caller=ADMIN,
    failures=(ForbiddenFailure, NonexistentCustomFieldFailure),
)
def del_custom(data, caller):
    """Delete a custom field."""
    custom_fields.remove(data["name"])
    return {}
