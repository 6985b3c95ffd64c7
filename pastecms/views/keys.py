"""/v1/api-key/*: the caller's additional API key (seed 002), managed beside the key they
call with, which these routes never touch (as the original manages its generated key
beside the server's). Every face accepts either key."""

from pastecms.api import REQUIRED, endpoint
from pastecms.errors import NonexistentApiKeyFailure
from pastecms.schemas.cms import ApiKeyOut, ApiKeyStatusOut, SuccessOut
from pastecms.services.identity import apikey
from pastecms.views.envelopes import cms

bp = cms.blueprint("cms_keys", __name__, url_prefix="/v1/api-key")


@bp.get("/status")
@endpoint(cms, dump=ApiKeyStatusOut, caller=REQUIRED)
def status(data, caller):
    """Whether the caller has an additional key, whether it is enabled, and since when."""
    return apikey.status(caller)


@bp.post("/generate")
@endpoint(cms, dump=ApiKeyOut, caller=REQUIRED)
def generate(data, caller):
    """A new additional key (64 hex characters), shown only now; the caller's previous
    additional key stops working, the key this request came with does not."""
    return apikey.generate(caller)


@bp.post("/disable")
@endpoint(cms, dump=SuccessOut, caller=REQUIRED)
def disable(data, caller):
    """Disable the caller's additional key (until enabled again)."""
    apikey.disable(caller)
    return {"success": True}


@bp.post("/enable")
@endpoint(cms, dump=SuccessOut, caller=REQUIRED, failures=(NonexistentApiKeyFailure,))
def enable(data, caller):
    """Enable the caller's additional key again; `nonexistent_api_key_failure` without
    one."""
    apikey.enable(caller)
    return {"success": True}
