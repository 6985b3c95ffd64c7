"""Every failure in the catalogue is reachable today, or reserved for a face not built yet.

When a failure is added to `pastecms.errors`, this test fails until a request that
triggers it is added to TRIGGERS (or, for a face still to come, its name to RESERVED).
"""

import base64
import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest

from pastecms import errors
from pastecms.api import envelope_for
from pastecms.errors import CATALOGUE
from pastecms.models import utcnow
from pastecms.services.identity import tokens
from pastecms.services.identity import user as user_service
from pastecms.services.identity.auth import Caller
from pastecms.services.pastes import idempotency
from pastecms.services.pastes import paste as paste_service

#: Catalogue entries no route can answer yet, and the face that will.
RESERVED = {}


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


def _keyed_submit(client, key, **fields):
    return client.post(
        "/api/paste/submit", json={"contents": "x", **fields}, headers={"Idempotency-Key": key}
    )


def _idempotency_key_reused(ctx):
    _keyed_submit(ctx.client, "key-1")
    return _keyed_submit(ctx.client, "key-1", title="another request")


def _idempotency_key_in_use(ctx):
    # The key's first request still running: it holds the key's claim.
    app = ctx.client.application
    with app.app_context(), idempotency.attempt(Caller(address="127.0.0.1"), "key-1", {}):
        return _keyed_submit(ctx.client, "key-1")


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


def _token_expired(ctx):
    ctx.make_user("alice")
    with ctx.client.application.app_context():
        user = user_service.by_username("alice")
        token = tokens.issue_access(user, now=utcnow() - timedelta(hours=1))
    return ctx.client.get(
        "/api/auth/token/access/renew",
        query_string={"token": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )


def _admin_pub(ctx, **settings):
    from tests.qexo import Pub

    app = ctx.make_app(**settings) if settings else ctx.client.application
    return Pub(app.test_client(), ctx.make_user("admin", is_admin=True)[1])


def _captcha(ctx):
    from tests.qexo import Pub

    client = ctx.make_app(
        FRIEND_APPLICATIONS=True, CAPTCHA="recaptcha_v2", CAPTCHA_SECRET="s"
    ).test_client()
    application = {"name": "n", "url": "https://a.example", "image": "https://a.example/i"}
    return Pub(client).post("ask_friend", application)


def _sandboxed(code):
    def trigger(ctx):
        pub = _admin_pub(
            ctx,
            CUSTOM_FIELDS_EXECUTE=True,
            CUSTOM_FIELDS_CPU_SECONDS=1,
            CUSTOM_FIELDS_TIMEOUT=10,
        )
        pub.post("set_custom", {"name": "f", "content": code})
        return pub.get("get_custom", key="f")

    return trigger


def _statistic(ctx):
    from tests.qexo import Pub

    pub = Pub(ctx.make_app(STATISTIC_DOMAINS=["blog.example"]).test_client())
    return pub.get("statistic", headers={"Referer": "https://elsewhere.example/"})


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
    return ctx.client.post("/v1/api-key/enable", json={})


def _csrf(ctx):
    # The web form posted without the token its page carries.
    client = ctx.make_app(WTF_CSRF_ENABLED=True).test_client()
    client.get("/")
    return client.post("/", data={"contents": "x"})


def _address_blocked(ctx):
    from pastecms.extensions import db
    from pastecms.models import BlockedNetwork

    with ctx.client.application.app_context():
        db.session.add(BlockedNetwork(cidr="203.0.113.0/24"))
        db.session.commit()
    return ctx.client.post(
        "/api/paste/submit",
        json={"contents": "x"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )


TRIGGERS = {
    "undefined_failure": _undefined,
    "auth_failure": lambda ctx: ctx.client.post("/api/paste/user", json={}),
    "forbidden_failure": _forbidden,
    "token_expired_failure": _token_expired,
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
    "idempotency_key_reused_failure": _idempotency_key_reused,
    "idempotency_key_in_use_failure": _idempotency_key_in_use,
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
    "captcha_failure": _captcha,
    "csrf_failure": _csrf,
    "address_blocked_failure": _address_blocked,
    "feature_disabled_failure": lambda ctx: ctx.client.get("/pub/statistic/"),
    "domain_not_verified_failure": _statistic,
    "nonexistent_talk_failure": lambda ctx: ctx.client.post(
        "/pub/like_talk/", data={"id": "0" * 32}
    ),
    "nonexistent_friend_failure": lambda ctx: _admin_pub(ctx).post("del_friend", {"time": "1.0"}),
    "nonexistent_file_failure": lambda ctx: _admin_pub(ctx).post("delete", {"file": "_config.yml"}),
    "nonexistent_custom_field_failure": lambda ctx: _admin_pub(ctx).post(
        "del_custom", {"name": "nothing"}
    ),
    "sandbox_violation_failure": _sandboxed("import os"),
    "sandbox_error_failure": _sandboxed("print(1 / 0)"),
    "sandbox_memory_failure": _sandboxed("x = 'a' * (10 ** 10)"),
    "sandbox_timeout_failure": _sandboxed("while True:\n    pass"),
}


def failure_of(response) -> str:
    """The failure name a response carries: JSON on the API, the error page on the web."""
    if response.is_json:
        return response.json["failure_name"]
    match = re.search(r'<code class="failure-name">(\w+)</code>', response.text)
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
    # With the status the face gives it: its catalogue status, except on a face whose
    # clients need another (Qexo's widgets read only the body of an HTTP 200).
    app = ctx.client.application
    with app.test_request_context(response.request.path):
        envelope = envelope_for(response.request.path)
    assert response.status_code == envelope.status_of(CATALOGUE[failure_name])
    assert envelope.status_of(CATALOGUE[failure_name]) in (CATALOGUE[failure_name].status, 200)


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
