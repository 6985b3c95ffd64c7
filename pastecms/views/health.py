"""GET /healthz: for load balancers and systemd watchdogs."""

from pastecms.api import endpoint
from pastecms.errors import ServiceUnavailableFailure
from pastecms.schemas.health import HealthOut
from pastecms.services.operations import health
from pastecms.views.envelopes import operations

bp = operations.blueprint("health", __name__)


@bp.get("/healthz")
@endpoint(operations, dump=HealthOut, failures=(ServiceUnavailableFailure,))
def healthz(data, caller):
    """200 when the database answers, 503 when it does not."""
    return health.check()
