"""/pub talks (seed 000): the public page with likes, and the admin's edits."""

from pastecms.api import ADMIN, endpoint
from pastecms.errors import ForbiddenFailure, NonexistentTalkFailure
from pastecms.ratelimit import RateLimit
from pastecms.schemas.qexo import (
    DeletedOut,
    SearchIn,
    TalkIdIn,
    TalkLikedOut,
    TalkPageIn,
    TalkPageOut,
    TalkSavedOut,
    TalkSaveIn,
    TalkSummaryListOut,
)
from pastecms.services.site import talks as talks_service
from pastecms.views.envelopes import qexo

bp = qexo.blueprint("qexo_talks", __name__, url_prefix="/pub")


# Qexo's widgets ask for /pub/talks/: both spellings are served, neither redirects.
@bp.get("/talks", strict_slashes=False)
@endpoint(qexo, load=TalkPageIn, dump=TalkPageOut, failures=())
def talks(data, caller):
    """A page of talks, newest first, with the total and whether this client likes each."""
    return talks_service.page(data["page"], data["limit"], caller.address)


@bp.post("/like_talk", strict_slashes=False)
@endpoint(
    qexo,
    load=TalkIdIn,
    dump=TalkLikedOut,
    limits=(RateLimit("RATELIMIT_TALK_LIKES"),),
    failures=(NonexistentTalkFailure,),
)
def like_talk(data, caller):
    """Like a talk for this client, or withdraw its like: action says which."""
    return {"action": talks_service.toggle_like(data["id"], caller.address)}


@bp.post("/save_talk", strict_slashes=False)
@endpoint(
    qexo,
    load=TalkSaveIn,
    dump=TalkSavedOut,
    caller=ADMIN,
    failures=(ForbiddenFailure, NonexistentTalkFailure),
)
def save_talk(data, caller):
    """Create a talk (answers its id), or with an id change the fields given."""
    return talks_service.save(
        data["id"],
        content=data["content"],
        tags=data["tags"],
        values=data["values"],
        time=data["time"],
    )


@bp.post("/del_talk", strict_slashes=False)
@endpoint(
    qexo,
    load=TalkIdIn,
    dump=DeletedOut,
    caller=ADMIN,
    failures=(ForbiddenFailure, NonexistentTalkFailure),
)
def del_talk(data, caller):
    """Delete a talk and its likes."""
    talks_service.remove(data["id"])
    return {}


@bp.get("/get_all_talks", strict_slashes=False)
@endpoint(qexo, load=SearchIn, dump=TalkSummaryListOut, caller=ADMIN, failures=(ForbiddenFailure,))
def get_all_talks(data, caller):
    """Every talk, newest first, summarised; s searches content, tags and values."""
    return {"data": talks_service.everything(data["s"])}
