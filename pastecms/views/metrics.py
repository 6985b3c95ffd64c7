"""GET /metrics: Prometheus' text format, for the operator (see `pastecms.metrics`)."""

from flask import current_app, request

from pastecms import metrics
from pastecms.services.operations import scraper
from pastecms.views.envelopes import metrics_face

bp = metrics_face.blueprint("metrics", __name__)


# Not an `@endpoint`: the bearer here is the operator's scrape token, which the caller
# resolver would take for an API key and refuse. A refusal is still a raised Failure,
# answered by this face's envelope through the app's handler.
@bp.get("/metrics")
def scrape():
    """Every worker's counters and histograms; `not_found_failure` when metrics are off,
    `forbidden_failure` from another network, `auth_failure` without the token."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    config = current_app.config
    scraper.admit(
        value.strip() if scheme.lower() == "bearer" else None,
        request.remote_addr,
        token=config["METRICS_TOKEN"],
        networks=config["METRICS_ALLOWED_NETWORKS"],
    )
    return metrics.response()
