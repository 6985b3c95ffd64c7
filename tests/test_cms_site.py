"""/v1/settings, /health and /v1/api-key/*."""

import re

import pytest
from sqlalchemy import text

from pastecms.extensions import db
from pastecms.services.site import settings as settings_service

# -- settings ---------------------------------------------------------------------------


def test_settings_are_public_and_briefly_cacheable(client):
    response = client.get("/v1/settings")
    assert response.status_code == 200
    assert response.json == {"settings": {}, "updatedAt": None}
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_an_admin_sets_known_settings_and_anyone_reads_them(client, cms_admin):
    response = cms_admin.put(
        "/v1/settings", {"site_name": "My blog", "site_url": "https://blog.example"}
    )
    assert response.status_code == 200
    assert response.json["settings"] == {"site_name": "My blog", "site_url": "https://blog.example"}
    assert re.fullmatch(r"\d{4}-.*\.\d{3}Z", response.json["updatedAt"])
    assert client.get("/v1/settings").json == response.json
    # Only the keys sent change; null removes one.
    after = cms_admin.put("/v1/settings", {"site_url": None, "footer_text": ""}).json
    assert after["settings"] == {"site_name": "My blog", "footer_text": ""}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"site_name": "x", "theme": "dark"}, "theme"),
        ({"is_admin": True}, "is_admin"),
        ({"site_name": "   "}, "site_name"),
        ({"site_url": "javascript:alert(1)"}, "site_url"),
        ({"social_github": "github.com/me"}, "social_github"),
        ({"site_name": 5}, "site_name"),
        ({"footer_text": "x" * 2001}, "footer_text"),
    ],
)
def test_unknown_keys_and_bad_values_are_validation_errors(cms_admin, db_rows, payload, field):
    before = db_rows()
    response = cms_admin.put("/v1/settings", payload)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json["error"]["details"]
    assert db_rows() == before


def test_every_known_key_is_accepted(cms_admin):
    values = {key: f"https://example.org/{key}" for key in settings_service.KEYS}
    assert cms_admin.put("/v1/settings", values).json["settings"] == values


def test_only_an_admin_changes_settings(client, cms_reader, db_rows):
    before = db_rows()
    assert cms_reader.put("/v1/settings", {"site_name": "x"}).status_code == 403
    assert client.put("/v1/settings", json={"site_name": "x"}).status_code == 401
    assert db_rows() == before


# -- health -----------------------------------------------------------------------------


def test_health_is_ok_when_the_database_answers(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_health_is_a_cms_503_when_the_database_does_not(client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.json["failure_name"] == "service_unavailable_failure"


# -- API keys ---------------------------------------------------------------------------


def test_key_status_describes_the_additional_key(cms_reader):
    before = cms_reader.get("/v1/api-key/status")
    assert before.status_code == 200
    assert before.json == {"hasKey": False, "enabled": False, "createdAt": None}
    cms_reader.post("/v1/api-key/generate")
    status = cms_reader.get("/v1/api-key/status").json
    assert status["hasKey"] is True and status["enabled"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", status["createdAt"])


def test_generate_never_touches_the_key_it_was_called_with(client, cms_reader, app):
    """The blog's "Generate" button calls with the blog's own key: that key keeps working
    (as in the original, where the server's key is never touched), and the generated key
    is a second one, replaced by the next generate."""
    own = dict(cms_reader.headers)
    response = cms_reader.post("/v1/api-key/generate")
    assert response.status_code == 200
    key = response.json["key"]
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert response.json["createdAt"]
    assert client.get("/v1/articles", headers=own).status_code == 200
    # The new key works on the CMS and the paste face alike.
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/api-key/status", headers=headers).json["enabled"] is True
    pasted = client.post("/api/paste/submit", json={"contents": "x", "api_key": key})
    assert pasted.json["poster_username"] == "reader"
    # Generating again replaces the additional key, still not the caller's own.
    again = cms_reader.post("/v1/api-key/generate").json["key"]
    assert client.get("/v1/articles", headers=headers).status_code == 401
    assert (
        client.get("/v1/articles", headers={"Authorization": f"Bearer {again}"}).status_code == 200
    )
    assert client.get("/v1/articles", headers=own).status_code == 200
    # Stored only hashed.
    with app.app_context():
        stored = db.session.execute(text("SELECT key_hash FROM api_keys")).scalars().all()
    assert key not in stored and again not in stored


def test_disable_then_enable_switch_the_additional_key_only(client, cms_reader):
    own = dict(cms_reader.headers)
    assert cms_reader.post("/v1/api-key/enable").json["failure_name"] == (
        "nonexistent_api_key_failure"
    )
    generated = {"Authorization": f"Bearer {cms_reader.post('/v1/api-key/generate').json['key']}"}
    assert cms_reader.post("/v1/api-key/disable").json == {"success": True}
    refused = client.get("/v1/articles", headers=generated)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "UNAUTHORIZED"
    status = client.get("/v1/api-key/status", headers=own).json
    assert (status["hasKey"], status["enabled"]) == (True, False)
    assert client.get("/v1/articles", headers=own).status_code == 200
    assert client.post("/v1/api-key/enable", headers=own).json == {"success": True}
    assert client.get("/v1/articles", headers=generated).status_code == 200


def test_key_routes_need_a_caller(client, db_rows):
    before = db_rows()
    for method, path in [
        ("GET", "/v1/api-key/status"),
        ("POST", "/v1/api-key/generate"),
        ("POST", "/v1/api-key/disable"),
        ("POST", "/v1/api-key/enable"),
    ]:
        response = client.open(path, method=method)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "UNAUTHORIZED"
    assert db_rows() == before
