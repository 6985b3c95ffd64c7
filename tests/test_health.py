"""GET /healthz: load balancers take a host out of rotation when its database is gone."""

import logging

import pytest

from config import TestConfig
from pastecms import create_app
from pastecms.extensions import db


def test_health_is_ok_with_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": True}


def test_a_wrong_verb_on_health_is_an_error_not_an_outage(client):
    answer = client.post("/healthz")
    assert answer.status_code == 405
    assert answer.json["status"] == "error"  # a monitor must not read an outage into it
    assert answer.json["failure_name"] == "method_not_allowed_failure"


@pytest.mark.parametrize(
    "unreachable",
    [
        # A file in a folder that does not exist: SQLite cannot open it.
        "sqlite:////nonexistent-folder/for/pastecms/test.db",
        # Nothing listens on port 1.
        "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2",
    ],
)
def test_health_is_503_without_the_database(caplog, unreachable):
    app = create_app(TestConfig, {"DATABASE_URI": unreachable})
    try:
        with caplog.at_level(logging.WARNING):
            response = app.test_client().get("/healthz")
    finally:
        with app.app_context():
            db.engine.dispose()
    assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "database": False,
        "failure_name": "service_unavailable_failure",
        "message": "The database is unreachable.",
    }
    assert "database unreachable" in caplog.text
