"""The /pub wire as Qexo's widgets and scripts meet it: both spellings of every URL,
text/plain GETs, form bodies with %20, token credentials, HTTP 200 with `status` for every
outcome, and CORS on every answer, preflights included."""

import pytest

from pastecms.services.site import talks as talks_service
from tests.qexo import FORM, Pub

ORIGIN = {"Origin": "https://blog.example"}


def pub_rules(app):
    return sorted(
        (rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/pub/")
    )


SEED_ENDPOINTS = {
    "friends": ["GET"],
    "get_friends": ["GET"],
    "add_friend": ["POST"],
    "edit_friend": ["POST"],
    "del_friend": ["POST"],
    "ask_friend": ["POST"],
    "talks": ["GET"],
    "like_talk": ["POST"],
    "save_talk": ["POST"],
    "del_talk": ["POST"],
    "get_all_talks": ["GET"],
    "notifications": ["POST"],
    "get_notifications": ["GET"],
    "statistic": ["GET"],
    "get_custom": ["GET", "POST"],
    "set_custom": ["POST"],
    "new_custom": ["POST"],
    "del_custom": ["POST"],
    "status": ["GET"],
    "save": ["POST"],
    "delete": ["POST"],
    "create_webhook": ["POST"],
    "get_posts": ["GET"],
    "get_pages": ["GET"],
    "get_configs": ["GET"],
    "get_images": ["GET"],
    "fix": ["POST"],
}


def test_the_face_serves_this_part_of_seed_000(app):
    served = {rule.removeprefix("/pub/"): methods for rule, methods in pub_rules(app)}
    assert {name: served.get(name) for name in SEED_ENDPOINTS} == SEED_ENDPOINTS


@pytest.mark.parametrize("slash", ["", "/"])
def test_every_url_answers_with_and_without_a_trailing_slash(app, client, slash):
    for rule, methods in pub_rules(app):
        for method in methods:
            response = client.open(rule + slash, method=method, headers=ORIGIN)
            assert response.status_code == 200, (rule + slash, method, response.status_code)
            assert "Location" not in response.headers
            assert response.json.get("failure_name") != "not_found_failure", rule + slash
            assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_widget_get_with_text_plain_and_no_body_is_read(admin_pub, pub):
    admin_pub.ok(admin_pub.post("save_talk", {"content": "hi"}))
    response = pub.client.get(
        "/pub/talks/?page=1&limit=5", headers={"Content-Type": "text/plain", **ORIGIN}
    )
    assert response.status_code == 200
    assert response.json["count"] == 1
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_form_post_decodes_percent_20_as_a_space(client, admin_token):
    body = (
        f"token={admin_token}&name=Li%20Si%27s%20Blog&url=https%3A%2F%2Flisi.com"
        "&status=%E6%98%BE%E7%A4%BA"
    )
    response = client.post("/pub/add_friend/", data=body, headers={"Content-Type": FORM, **ORIGIN})
    assert response.json["status"] is True
    (link,) = client.get("/pub/friends/").json["data"]
    assert link["name"] == "Li Si's Blog"


def test_a_preflight_is_answered_for_any_origin(client):
    response = client.options(
        "/pub/notifications/",
        headers={
            **ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_stays_on_pub(client):
    response = client.post("/api/paste/recent", json={}, headers=ORIGIN)
    assert "Access-Control-Allow-Origin" not in response.headers


def _broken(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(talks_service, "page", broken)


@pytest.mark.parametrize(
    ("request_args", "failure_name"),
    [
        ({"path": "/pub/nothing/", "method": "GET"}, "not_found_failure"),
        ({"path": "/pub", "method": "GET"}, "not_found_failure"),
        ({"path": "/pub/talks/", "method": "DELETE"}, "method_not_allowed_failure"),
        ({"path": "/pub/get_friends/", "method": "GET"}, "auth_failure"),
        ({"path": "/pub/get_friends/?token=wrong", "method": "GET"}, "auth_failure"),
        ({"path": "/pub/talks/", "method": "GET", "setup": _broken}, "undefined_failure"),
        (
            {"path": "/pub/notifications", "method": "POST", "data": b"x" * 2048},
            "payload_too_large_failure",
        ),
    ],
)
def test_every_failure_is_200_with_status_false_and_cors(
    make_app, monkeypatch, request_args, failure_name
):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    request_args = dict(request_args)
    setup = request_args.pop("setup", None)
    if setup:
        setup(monkeypatch)
    response = client.open(**request_args, headers=ORIGIN)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.json
    assert (body["status"], body["failure_name"]) == (False, failure_name)
    assert body["data"] == {"msg": body["msg"]} and body["msg"]
    assert "boom" not in body["msg"]


def test_a_rate_limited_answer_is_200_with_cors_and_retry_after(make_app, admin_token):
    pub = Pub(make_app(RATELIMIT_TALK_LIKES="1 per minute").test_client())
    pub.post("like_talk", {"id": "0" * 32})
    response = pub.post("like_talk", {"id": "0" * 32}, headers=ORIGIN)
    assert pub.failed(response) == "rate_limit_failure"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert int(response.headers["Retry-After"]) > 0


def test_authentication_failures_use_qexos_words(pub, make_user):
    for token in (None, "not-a-key"):
        response = Pub(pub.client, token).get("get_notifications")
        assert pub.failed(response) == "auth_failure"
        assert response.json["msg"] == "Authentication Failed!"
    # A valid key of someone who is not an admin: the site content is the admins'.
    response = Pub(pub.client, make_user("bob")[1]).get("get_notifications")
    assert pub.failed(response) == "forbidden_failure"


@pytest.mark.parametrize("where", ["query", "form", "json", "bearer"])
def test_the_token_is_read_wherever_scripts_send_it(client, admin_token, where):
    fields = {"name": "n", "content": "print(1)"}
    if where == "query":
        response = client.post(f"/pub/set_custom?token={admin_token}", data=fields)
    elif where == "form":
        response = client.post("/pub/set_custom", data={**fields, "token": admin_token})
    elif where == "json":
        response = client.post("/pub/set_custom", json={**fields, "token": admin_token})
    else:
        headers = {"Authorization": f"Bearer {admin_token}"}
        response = client.post("/pub/set_custom", json=fields, headers=headers)
    assert response.json == {"msg": "Saved successfully!", "status": True}


def test_a_session_cookie_signs_nobody_in_on_pub(client, make_user):
    """A page on another site can make a signed-in admin's browser send their cookie to
    /pub (a top-level GET carries it even with SameSite=Lax): it must count for nothing."""
    make_user("admin", is_admin=True)
    signed_in = client.post(
        "/api/authentication/login", json={"username": "admin", "password": "correct horse"}
    )
    assert signed_in.status_code == 200
    assert client.get_cookie("session") is not None
    for path in ("/pub/get_friends/", "/pub/get_posts/", "/pub/get_custom/?key=field"):
        body = client.get(path).json
        assert body["status"] is False, (path, body)
        assert body["failure_name"] == "auth_failure", (path, body)
