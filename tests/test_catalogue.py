"""Every failure in the catalogue is reachable today, or reserved for a face not built yet.

When a failure is added to `pastecms.errors`, this test fails until a request that
triggers it is added to TRIGGERS (or, for a face still to come, its name to RESERVED).
"""

import base64
import re
import uuid
from types import SimpleNamespace

import pytest

from pastecms import errors
from pastecms.errors import CATALOGUE
from pastecms.services import paste as paste_service
from pastecms.services import user as user_service

#: Catalogue entries no route can answer yet, and the face that will.
RESERVED = {
    "token_expired_failure": "JWT access tokens, /api/auth (seed 004)",
    "captcha_failure": "friend-link applications, /pub (seed 000)",
    "feature_disabled_failure": "friend applications and statistics switches, /pub (seed 000)",
}


def _submit(client, **fields):
    return client.post("/api/paste/submit", json={"contents": "x", **fields})


def _undefined(ctx):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    ctx.monkeypatch.setattr(paste_service, "recent", broken)
    return ctx.client.post("/api/paste/recent", json={})


def _forbidden(ctx):
    _, alice = ctx.make_user("alice")
    _, bob = ctx.make_user("bob")
    paste = _submit(ctx.client, api_key=alice).json
    return ctx.client.post(
        "/api/paste/deactivate", json={"paste_id": paste["paste_id_repr"], "api_key": bob}
    )


def _nonexistent_attachment(ctx):
    paste = _submit(ctx.client, attachments=[{"name": "a.txt", "data": "YWJj"}]).json
    return ctx.client.get(f"/paste/{paste['paste_id_repr']}/attachment/b.txt")


def _conflict(ctx):
    # Two registrations racing for one name: both pass the availability check, and the
    # database's unique index stops the second.
    ctx.make_user("alice")
    ctx.monkeypatch.setattr(user_service, "is_username_available", lambda username: True)
    return ctx.client.post(
        "/api/user/create", json={"username": "ALICE", "password": "long enough"}
    )


def _username_taken(ctx):
    ctx.make_user("alice")
    return ctx.client.post(
        "/api/user/create", json={"username": "Alice", "password": "long enough"}
    )


def _rate_limit(ctx):
    client = ctx.make_app(
        RATELIMIT_SUBMIT="1 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex
    ).test_client()
    _submit(client)
    return _submit(client)


def _limit_storage_down(ctx):
    # Nothing listens on port 1; failing closed, a request that cannot be counted is
    # refused rather than let through.
    client = ctx.make_app(
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_FAIL_CLOSED=True
    ).test_client()
    return _submit(client)


def _cms_get(ctx, path):
    _, key = ctx.make_user("reader")
    return ctx.client.get(path, headers={"Authorization": f"Bearer {key}"})


def _nonexistent_api_key(ctx):
    # A user without any key (one made before keys existed, say), signed in by session.
    from sqlalchemy import delete

    from pastecms.extensions import db
    from pastecms.models import ApiKey

    ctx.client.post("/api/user/create", json={"username": "keyless", "password": "long enough"})
    with ctx.client.application.app_context():
        db.session.execute(delete(ApiKey))
        db.session.commit()
    return ctx.client.post("/v1/api-key/enable")


TRIGGERS = {
    "undefined_failure": _undefined,
    "auth_failure": lambda ctx: ctx.client.post("/api/paste/user", json={}),
    "forbidden_failure": _forbidden,
    "incomplete_params_failure": lambda ctx: ctx.client.post("/api/paste/submit", json={}),
    "invalid_params_failure": lambda ctx: _submit(ctx.client, expiry_time="tomorrow"),
    "nonexistent_user_failure": lambda ctx: ctx.client.post(
        "/api/authentication/login", json={"username": "nobody", "password": "whatever"}
    ),
    "nonexistent_paste_failure": lambda ctx: ctx.client.post(
        "/api/paste/details", json={"paste_id": "garbage"}
    ),
    "nonexistent_attachment_failure": _nonexistent_attachment,
    "conflict_failure": _conflict,
    "nonexistent_article_failure": lambda ctx: _cms_get(
        ctx, "/v1/articles/01hzzzzzzzzzzzzzzzzzzzzzzz"
    ),
    "nonexistent_tag_failure": lambda ctx: _cms_get(ctx, "/v1/tags/0123456789abcdef"),
    "nonexistent_category_failure": lambda ctx: _cms_get(ctx, "/v1/categories/0123456789abcdef"),
    "nonexistent_image_failure": lambda ctx: ctx.client.get("/v1/images/0123456789abcdef/file"),
    "nonexistent_api_key_failure": _nonexistent_api_key,
    "username_not_available_failure": _username_taken,
    "invalid_email_failure": lambda ctx: ctx.client.post(
        "/api/user/create", json={"username": "bob", "password": "long enough", "email": "bob"}
    ),
    "unauthenticated_pastes_disabled_failure": lambda ctx: _submit(
        ctx.make_app(REQUIRE_LOGIN_TO_PASTE=True).test_client()
    ),
    "user_registration_disabled_failure": lambda ctx: (
        ctx.make_app(ENABLE_USER_REGISTRATION=False)
        .test_client()
        .post("/api/user/create", json={"username": "bob", "password": "long enough"})
    ),
    "paste_attachments_disabled_failure": lambda ctx: _submit(
        ctx.make_app(ENABLE_PASTE_ATTACHMENTS=False).test_client(),
        attachments=[{"name": "a.txt", "data": "YWJj"}],
    ),
    "paste_attachment_too_large_failure": lambda ctx: _submit(
        ctx.make_app(MAX_ATTACHMENT_SIZE=2).test_client(),
        attachments=[{"name": "a.txt", "data": base64.b64encode(b"abc").decode()}],
    ),
    "payload_too_large_failure": lambda ctx: _submit(
        ctx.make_app(MAX_CONTENT_LENGTH=100).test_client(), title="t" * 200
    ),
    "rate_limit_failure": _rate_limit,
    "service_unavailable_failure": _limit_storage_down,
    "not_found_failure": lambda ctx: ctx.client.post("/api/paste/nothing", json={}),
    "method_not_allowed_failure": lambda ctx: ctx.client.get("/api/paste/submit"),
}


def failure_of(response) -> str:
    """The failure name a response carries: JSON on the API, the error page on the web."""
    if response.is_json:
        return response.json["failure_name"]
    match = re.search(r'<p class="meta">\d+ &middot; (\w+)</p>', response.text)
    return match.group(1) if match else ""


def test_catalogue_is_exercised_or_reserved():
    assert not set(TRIGGERS) & set(RESERVED)
    assert set(CATALOGUE) == set(TRIGGERS) | set(RESERVED)


@pytest.mark.parametrize("failure_name", sorted(TRIGGERS))
def test_failure_is_answered_with_its_catalogue_status(
    client, make_app, make_user, monkeypatch, failure_name
):
    ctx = SimpleNamespace(
        client=client, make_app=make_app, make_user=make_user, monkeypatch=monkeypatch
    )
    response = TRIGGERS[failure_name](ctx)
    assert failure_of(response) == failure_name
    assert response.status_code == CATALOGUE[failure_name].status


@pytest.mark.parametrize("failure_name", sorted(CATALOGUE))
def test_failure_names_follow_the_convention(failure_name):
    failure = CATALOGUE[failure_name]
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*_failure", failure_name)
    assert 400 <= failure.status <= 599
    assert failure.message


def test_every_failure_class_in_errors_is_catalogued_under_its_own_name():
    defined = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.Failure)
    ]
    # The base class is the only one not catalogued: nothing raises it.
    assert {cls for cls in defined if cls is not errors.Failure} == set(CATALOGUE.values())
    assert CATALOGUE["undefined_failure"] is errors.UndefinedFailure


def test_two_failures_may_not_share_a_name():
    class Root(errors.Failure):
        failure_name, status = "root_failure", 400

    class Twin(Root):
        failure_name = "twin_failure"

    class OtherTwin(Root):
        failure_name = "twin_failure"

    with pytest.raises(TypeError, match="twin_failure"):
        errors._catalogue(Root)
