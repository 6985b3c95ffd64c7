"""/v1/settings and /health: the CMS's site settings and health check (seed 002)."""

from pastecms.api import ADMIN, endpoint
from pastecms.errors import ForbiddenFailure, ServiceUnavailableFailure
from pastecms.schemas.cms import CmsHealthOut, SettingsOut, settings_in
from pastecms.services.operations import health
from pastecms.services.site import settings as settings_service
from pastecms.views.envelopes import cms, cms_health

bp = cms.blueprint("cms_site", __name__, url_prefix="/v1")
health_bp = cms_health.blueprint("cms_health", __name__)

SettingsUpdateIn = settings_in(settings_service.KEYS)


@bp.get("/settings")
@endpoint(cms, dump=SettingsOut, headers={"Cache-Control": "public, max-age=60"})
def get_settings(data, caller):
    """The site's settings (public), and when they last changed."""
    return settings_service.get_all()


@bp.put("/settings")
@endpoint(cms, load=SettingsUpdateIn, dump=SettingsOut, caller=ADMIN, failures=(ForbiddenFailure,))
def update_settings(data, caller):
    """Change the settings sent (null removes one); an unknown key is
    `invalid_params_failure` naming it."""
    return settings_service.update(data)


@health_bp.get("/health")
@endpoint(cms_health, dump=CmsHealthOut, failures=(ServiceUnavailableFailure,))
def health_check(data, caller):
    """`{"status": "ok"}` when the database answers; 503 when it does not."""
    return health.check()
