"""The console's keys and settings: the CMS API key, the site settings, the webhook and
custom fields, managed by an admin in the browser with the APIs' own rules."""

import re
import time

import pytest
from sqlalchemy import func, select

from pastecms.extensions import db
from pastecms.models import WebhookDelivery
from pastecms.services.content import webhook
from tests.conftest import Cms
from tests.hooks import Receiver
from tests.test_browser import browser, follow  # noqa: F401  (the fixture: one Chromium per module)
from tests.test_web_accounts import PASSWORD, csrf_token_of, sign_in

PUBLIC = "93.184.215.14"
LOOPBACK = "127.0.0.0/8"
KEY = re.compile(r'<code class="api-key">([0-9a-f]{64})</code>')

PAGES = ["/console/keys", "/console/settings", "/console/webhook", "/console/custom-fields"]
POSTS = [
    ("/console/keys/generate", {}),
    ("/console/keys/disable", {}),
    ("/console/keys/enable", {}),
    ("/console/settings", {"site_name": "Mine"}),
    ("/console/webhook", {"uri": "https://hook.test/h"}),
    ("/console/webhook/test", {}),
    ("/console/custom-fields", {"name": "card", "content": "print(1)"}),
    ("/console/custom-fields/delete", {"name": "card"}),
    ("/console/custom-fields/run", {"key": "card", "variables": ""}),
]
FIELDS_ON = {"CUSTOM_FIELDS_EXECUTE": True}


@pytest.fixture
def admin_web(make_app, make_user):
    """A web client signed in as an admin, on an app with the settings given."""

    def on(**settings):
        client = make_app(**settings).test_client()
        make_user("owner", is_admin=True)
        assert sign_in(client, "owner", PASSWORD).status_code == 303
        return client

    return on


@pytest.fixture
def admin(admin_web):
    return admin_web(**FIELDS_ON)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def deliveries(app, to: str) -> list[WebhookDelivery]:
    """The recorded deliveries to the host `to` (another test's background call, still
    under way when it ended, may add one of its own), the newest first."""
    with app.app_context():
        return [d for d in webhook.deliveries() if f"://{to}/" in d.destination.replace("***@", "")]


def failure_page(response, status: int, name: str) -> None:
    assert response.status_code == status, response.text
    # The form's line "(name)", or the error page's `<code>name</code>`.
    assert re.search(rf"[(>]{name}[)<]", response.text), response.text


# -- rights ----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_is_sent_to_sign_in_first(make_app, page):
    response = make_app(**FIELDS_ON).test_client().get(page)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/login?next={page}")


@pytest.mark.parametrize(("path", "data"), [*((page, None) for page in PAGES), *POSTS])
def test_a_user_who_is_not_an_admin_is_refused(make_app, make_user, db_rows, path, data):
    client = make_app(**FIELDS_ON).test_client()
    make_user("walter")
    sign_in(client, "walter", PASSWORD)
    before = db_rows()
    response = client.get(path) if data is None else client.post(path, data=data)
    failure_page(response, 403, "forbidden_failure")
    assert db_rows() == before


def test_the_section_is_listed_for_admins_only(admin, make_user, client):
    assert 'href="/console/keys"' in admin.get("/console/").text
    make_user("walter")
    sign_in(client, "walter", PASSWORD)
    assert 'href="/console/keys"' not in client.get("/console/").text


@pytest.mark.parametrize(("path", "data"), POSTS)
def test_every_form_needs_its_csrf_token(make_app, make_user, db_rows, path, data):
    app = make_app(WTF_CSRF_ENABLED=True, **FIELDS_ON)
    make_user("owner", is_admin=True)
    client = app.test_client()
    sign_in(client, "owner", PASSWORD, csrf_token=csrf_token_of(client.get("/login").text))
    before = db_rows()
    failure_page(client.post(path, data=data), 400, "csrf_failure")
    assert db_rows() == before
    # With the token of a page, the same form passes the check.
    token = csrf_token_of(client.get("/console/keys").text)
    assert "csrf_failure" not in client.post(path, data={**data, "csrf_token": token}).text


def test_the_pages_need_no_script_and_carry_no_inline_style(admin, resolver):
    resolver["hook.test"] = [PUBLIC]
    admin.post("/console/webhook", data={"uri": "https://hook.test/h"})
    admin.post("/console/custom-fields", data={"name": "card", "content": "print(1)"})
    answers = [admin.get(page) for page in PAGES]
    answers.append(admin.post("/console/keys/generate"))
    answers.append(admin.post("/console/custom-fields/run", data={"key": "card"}))
    for answer in answers:
        assert answer.status_code == 200
        assert "<script" not in answer.text and " style=" not in answer.text
        assert "script-src" not in answer.headers["Content-Security-Policy"]
        assert "default-src 'self'" in answer.headers["Content-Security-Policy"]


# -- the CMS API key -------------------------------------------------------------------------


def test_a_generated_key_is_shown_once_and_works_on_the_cms_api(admin):
    assert "none generated yet" in admin.get("/console/keys").text
    generated = admin.post("/console/keys/generate")
    assert generated.status_code == 200
    assert generated.headers["Cache-Control"] == "no-store"
    key = KEY.search(generated.text).group(1)

    page = admin.get("/console/keys")
    assert key not in page.text and "enabled" in page.text
    assert Cms(admin, key).get("/v1/articles").status_code == 200
    # The same key through the CMS API's own status.
    assert Cms(admin, key).get("/v1/api-key/status").json["enabled"] is True

    again = KEY.search(admin.post("/console/keys/generate").text).group(1)
    assert again != key
    assert Cms(admin, key).get("/v1/articles").status_code == 401
    assert Cms(admin, again).get("/v1/articles").status_code == 200


def test_a_disabled_key_is_refused_until_enabled(admin):
    key = KEY.search(admin.post("/console/keys/generate").text).group(1)
    disabled = admin.post("/console/keys/disable", follow_redirects=True)
    assert "The additional API key is disabled." in disabled.text
    assert "disabled" in disabled.text and 'action="/console/keys/enable"' in disabled.text
    assert Cms(admin, key).get("/v1/articles").status_code == 401
    enabled = admin.post("/console/keys/enable", follow_redirects=True)
    assert "The additional API key is enabled." in enabled.text
    assert Cms(admin, key).get("/v1/articles").status_code == 200


def test_enabling_before_any_key_is_a_named_failure(admin, db_rows):
    before = db_rows()
    failure_page(admin.post("/console/keys/enable"), 404, "nonexistent_api_key_failure")
    assert db_rows() == before


# -- the site settings -----------------------------------------------------------------------


def test_settings_are_saved_as_the_cms_api_saves_them(admin):
    form = {"site_name": "My blog", "site_url": "https://blog.example", "footer_text": "Hi"}
    saved = admin.post("/console/settings", data=form)
    assert saved.status_code == 303 and saved.headers["Location"] == "/console/settings"
    settings = admin.get("/v1/settings").json["settings"]
    assert {key: settings[key] for key in form} == form
    page = admin.get("/console/settings").text
    assert "The settings are saved." in page and 'value="https://blog.example"' in page


@pytest.mark.parametrize(
    ("form", "field", "name"),
    [
        ({"site_name": "  "}, "site_name", "invalid_params_failure"),
        (
            {"site_name": "Ok", "site_url": "ftp://blog.example"},
            "site_url",
            "invalid_params_failure",
        ),
        ({"social_github": "javascript:alert(1)"}, "social_github", "invalid_params_failure"),
        ({"footer_text": "x" * 2001}, "footer_text", "invalid_params_failure"),
    ],
)
def test_a_refused_setting_is_named_on_the_form_and_nothing_is_saved(
    admin, db_rows, form, field, name
):
    admin.post("/console/settings", data={"site_name": "Before"})
    before = db_rows()
    response = admin.post("/console/settings", data=form)
    failure_page(response, 400, name)
    assert f'name="{field}"' in response.text and 'aria-invalid="true"' in response.text
    if len(form[field]) < 100:
        assert f'value="{form[field]}"' in response.text, "what was typed is kept"
    assert db_rows() == before


# -- the webhook -----------------------------------------------------------------------------


def test_setting_the_webhook_shows_its_token_once(admin, resolver):
    resolver["hook.test"] = [PUBLIC]
    created = admin.post("/console/webhook", data={"uri": "https://hook.test/blog/h"})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code class="webhook-token">([^<]+)</code>', created.text).group(1)
    page = admin.get("/console/webhook").text
    assert token not in page
    assert "https://hook.test/***?***" in page


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("ftp://hook.test/h", "http or https"),
        ("https://nowhere.test/hook", "does not resolve"),
    ],
)
def test_a_refused_webhook_is_named_on_the_form_and_nothing_is_saved(
    admin, db_rows, resolver, uri, says
):
    before = db_rows()
    response = admin.post("/console/webhook", data={"uri": uri})
    failure_page(response, 400, "invalid_params_failure")
    assert says in response.text
    assert f'value="{uri}"' in response.text
    assert db_rows() == before


def test_an_allowed_network_lets_the_console_set_an_internal_webhook(admin_web, receiver):
    client = admin_web(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
    assert client.post("/console/webhook", data={"uri": receiver.url}).status_code == 200


def test_a_test_delivery_is_sent_and_recorded(admin_web, app, receiver):
    client = admin_web(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
    created = client.post("/console/webhook", data={"uri": receiver.url})
    token = re.search(r'<code class="webhook-token">([^<]+)</code>', created.text).group(1)
    sent = client.post("/console/webhook/test")
    assert sent.status_code == 303
    path, body = receiver.wait()
    assert path == f"/hook?token={token}" and body["event"] == "test"
    page = client.get("/console/webhook").text
    assert "Test delivery: HTTP 204" in page
    assert re.search(r"<td>test</td>\s*<td>HTTP 204</td>", page)
    assert token not in page
    (delivery,) = deliveries(app, f"127.0.0.1:{receiver.port}")
    assert (delivery.event, delivery.status, delivery.error) == ("test", 204, None)
    assert delivery.destination == f"http://127.0.0.1:{receiver.port}/***?***"


def test_a_failed_test_delivery_is_recorded_with_its_reason(admin_web, app):
    failing = Receiver(status=500)
    try:
        client = admin_web(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
        client.post("/console/webhook", data={"uri": failing.url})
        client.post("/console/webhook/test")
    finally:
        failing.close()
    # The receiver is gone now: the next call cannot connect.
    client.post("/console/webhook/test")
    page = client.get("/console/webhook").text
    assert 'class="failed"' in page
    newest, oldest = deliveries(app, f"127.0.0.1:{failing.port}")
    assert (oldest.status, oldest.error) == (500, None)
    assert newest.status is None and newest.error


def test_a_webhook_refused_at_call_time_is_a_recorded_failure(admin_web, app, resolver):
    # Set while the name was public; it points at the server's own machine since.
    answers = [[PUBLIC]]
    resolver["hook.test"] = lambda: answers[-1]
    client = admin_web()
    client.post("/console/webhook", data={"uri": "https://user:pw@hook.test/h/secret"})
    answers.append(["127.0.0.1"])
    client.post("/console/webhook/test")
    (delivery,) = deliveries(app, "hook.test")
    assert delivery.status is None and delivery.error.startswith("Not called: ")
    assert "loopback" in delivery.error
    assert delivery.destination == "https://***@hook.test/***?***"
    row = repr([delivery.destination, delivery.error])
    assert "pw" not in row and "secret" not in row and "token" not in row


def test_a_test_delivery_without_a_webhook_is_a_named_failure(admin, db_rows):
    before = db_rows()
    response = admin.post("/console/webhook/test")
    failure_page(response, 400, "invalid_params_failure")
    assert "No webhook is set." in response.text
    assert db_rows() == before


def test_a_change_of_content_is_recorded_as_a_delivery(admin_web, app, make_user, receiver):
    client = admin_web(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
    client.post("/console/webhook", data={"uri": receiver.url})
    _, key = make_user("editor", is_admin=True)
    Cms(client, key).article()
    assert receiver.wait()[1]["event"] == "content_changed"
    to = f"127.0.0.1:{receiver.port}"
    deadline = time.monotonic() + 10
    while not deliveries(app, to) and time.monotonic() < deadline:
        time.sleep(0.05)
    (delivery,) = deliveries(app, to)
    assert (delivery.event, delivery.status) == ("content_changed", 204)
    assert "content_changed" in client.get("/console/webhook").text


def test_only_the_newest_deliveries_are_kept(app):
    with app.app_context():
        for number in range(webhook.KEEP_DELIVERIES + 5):
            outcome = webhook.Delivery(200 + number, None, number, None)
            webhook._record("test", "https://hook.test/h?token=t", outcome)
        db.session.commit()
        kept = db.session.scalar(select(func.count()).select_from(WebhookDelivery))
        statuses = [delivery.status for delivery in webhook.deliveries()]
    assert kept == webhook.KEEP_DELIVERIES
    assert statuses[0] == 200 + webhook.KEEP_DELIVERIES + 4 and statuses[-1] == 205


# -- custom fields ---------------------------------------------------------------------------


def test_custom_fields_are_not_shown_while_their_code_may_not_run(admin_web, db_rows):
    client = admin_web()
    assert "/console/custom-fields" not in client.get("/console/keys").text
    before = db_rows()
    failure_page(client.get("/console/custom-fields"), 403, "feature_disabled_failure")
    for path, data in POSTS[-3:]:
        failure_page(client.post(path, data=data), 403, "feature_disabled_failure")
    assert db_rows() == before


def test_a_custom_field_is_created_run_replaced_and_deleted(admin, admin_token):
    assert 'href="/console/custom-fields"' in admin.get("/console/keys").text
    code = 'print(json.dumps({"name": who, "sum": sum([1, 2, 3])}))'
    saved = admin.post("/console/custom-fields", data={"name": "card", "content": code})
    assert saved.status_code == 303
    page = admin.get("/console/custom-fields").text
    assert "The custom field card is saved." in page and "<code>card</code>" in page

    ran = admin.post("/console/custom-fields/run", data={"key": "card", "variables": "who=Ada\n"})
    assert ran.status_code == 200
    assert "{&#34;name&#34;: &#34;Ada&#34;, &#34;sum&#34;: 6}" in ran.text
    # The same field, as the Qexo API runs it.
    assert admin.get(f"/pub/get_custom?token={admin_token}&key=card&who=Ada").json["data"] == (
        '{"name": "Ada", "sum": 6}\n'
    )

    admin.post("/console/custom-fields", data={"name": "card", "content": 'print("two")'})
    assert "two" in admin.post("/console/custom-fields/run", data={"key": "card"}).text

    deleted = admin.post("/console/custom-fields/delete", data={"name": "card"})
    assert deleted.status_code == 303
    assert "No custom fields yet." in admin.get("/console/custom-fields").text


@pytest.mark.parametrize(
    ("path", "data", "status", "name"),
    [
        (
            "/console/custom-fields",
            {"name": "", "content": "print(1)"},
            400,
            "incomplete_params_failure",
        ),
        (
            "/console/custom-fields",
            {"name": "x" * 129, "content": ""},
            400,
            "invalid_params_failure",
        ),
        (
            "/console/custom-fields/delete",
            {"name": "nothing"},
            404,
            "nonexistent_custom_field_failure",
        ),
        ("/console/custom-fields/run", {"key": "nothing"}, 404, "nonexistent_custom_field_failure"),
        (
            "/console/custom-fields/run",
            {"key": "card", "variables": "who"},
            400,
            "invalid_params_failure",
        ),
        (
            "/console/custom-fields/run",
            {"key": "card", "variables": "who=" + "y" * 17000},
            400,
            "invalid_params_failure",
        ),
        ("/console/custom-fields/run", {"key": "bad"}, 403, "sandbox_violation_failure"),
    ],
)
def test_a_refused_custom_field_action_is_named_on_the_page(
    admin, db_rows, path, data, status, name
):
    admin.post("/console/custom-fields", data={"name": "card", "content": "print(who)"})
    admin.post("/console/custom-fields", data={"name": "bad", "content": "import os"})
    before = db_rows()
    response = admin.post(path, data=data)
    failure_page(response, status, name)
    assert "New custom field" in response.text, "the page, not an error page"
    assert db_rows() == before


# -- in a browser ----------------------------------------------------------------------------


@pytest.fixture
def console_site(live_env, tmp_path):
    """gunicorn with custom fields on and webhooks allowed to loopback receivers."""
    from tests.live import gunicorn

    env = live_env(
        RATELIMIT_ENABLED="false", CUSTOM_FIELDS_EXECUTE="true", WEBHOOK_ALLOWED_NETWORKS=LOOPBACK
    )
    with gunicorn(env, tmp_path / "app.log") as url:
        yield url


@pytest.mark.live
def test_every_page_of_the_section_works_in_chromium(
    browser,  # noqa: F811  (the fixture imported above)
    console_site,
    make_user,
    receiver,
):
    """Every page, the forms' answers too, without a console error, a failed stylesheet
    or a CSP violation; a key generated on the page works against /v1/articles."""
    from tests.test_browser import Visitor

    make_user("owner", is_admin=True)
    context = browser.new_context(base_url=console_site)
    try:
        owner = Visitor(context.new_page())
        page = owner.page
        page.on("console", owner.console)
        page.on("pageerror", lambda error: owner.errors.append(str(error)))
        page.on("response", owner.response)
        page.goto("/login?next=/console/")
        page.get_by_label("Username or email").fill("owner")
        page.get_by_label("Password").fill(PASSWORD)
        follow(page.get_by_role("button", name="Sign in"))
        follow(
            page.get_by_role("navigation", name="Console").get_by_role(
                "link", name="Keys and settings"
            )
        )
        assert page.locator("dd.key-state").inner_text() == "none generated yet"

        # The flow: generate a key, then call the CMS API with it.
        follow(page.get_by_role("button", name="Generate a key"))
        key = page.locator("code.api-key").inner_text()
        assert re.fullmatch(r"[0-9a-f]{64}", key)
        articles = page.request.get("/v1/articles", headers={"Authorization": f"Bearer {key}"})
        assert articles.status == 200 and articles.json()["total"] == 0
        follow(page.get_by_role("link", name="Back to the API key"))
        assert key not in page.content()
        follow(page.get_by_role("button", name="Disable"))
        assert page.locator("dd.key-state").inner_text() == "disabled"
        follow(page.get_by_role("button", name="Enable"))

        sections = page.get_by_role("navigation", name="Keys and settings")
        follow(sections.get_by_role("link", name="Site settings"))
        page.locator('input[name="site_name"]').fill("My blog")
        follow(page.get_by_role("button", name="Save the settings"))
        assert "The settings are saved." in page.locator("main").inner_text()
        page.locator('input[name="site_name"]').fill(" ")
        follow(page.get_by_role("button", name="Save the settings"))
        assert page.get_by_role("alert").is_visible()

        sections = page.get_by_role("navigation", name="Keys and settings")
        follow(sections.get_by_role("link", name="Webhook"))
        page.get_by_label(re.compile("^URL")).fill(receiver.url)
        follow(page.get_by_role("button", name="Set the webhook"))
        assert page.locator("code.webhook-token").is_visible()
        follow(page.get_by_role("button", name="Send a test delivery"))
        assert receiver.wait()[1]["event"] == "test"
        assert "HTTP 204" in page.locator("table.deliveries").inner_text()

        sections = page.get_by_role("navigation", name="Keys and settings")
        follow(sections.get_by_role("link", name="Custom fields"))
        new = page.locator("form.custom-field-new")
        new.get_by_label("Name").fill("hello")
        new.get_by_label("Code").fill('print("hello, " + who)')
        follow(new.get_by_role("button", name="Save"))
        page.locator("details.custom-field summary").click()
        page.get_by_label(re.compile("^Variables")).fill("who=world")
        follow(page.get_by_role("button", name="Run"))
        assert "hello, world" in page.locator(".custom-output pre").inner_text()

        # Phone width, dark mode: every page again.
        page.set_viewport_size({"width": 375, "height": 740})
        page.emulate_media(color_scheme="dark")
        for path in PAGES:
            assert page.goto(path).status == 200
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} is wider than a phone"
        assert owner.errors == []
    finally:
        context.close()
