"""The content webhook never calls the server's own machine or networks (OWASP's SSRF
cheat sheet): its address is checked after name resolution when it is created and again
at each call, the call goes to the address checked, redirects are not followed, and
credentials in its URL never reach the log."""

import logging

import pytest

from pastecms import ConfigurationError
from tests.hooks import Receiver, WebhookLog
from tests.qexo import Pub

#: A public address (the resolver's answer for names that should pass); no test ever
#: connects to it.
PUBLIC = "93.184.215.14"
LOOPBACK = "127.0.0.0/8"


@pytest.fixture
def admin_on(make_app, admin_token):
    """/pub as the admin, on an app with the settings given."""

    def on(**settings) -> Pub:
        return Pub(make_app(**settings).test_client(), admin_token)

    return on


@pytest.fixture
def webhook_log():
    logger = logging.getLogger("pastecms.services.content.webhook")
    kept = WebhookLog()
    logger.addHandler(kept)
    yield kept
    logger.removeHandler(kept)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def change_content(admin: Pub) -> None:
    admin.ok(admin.post("save", {"file": "a.txt", "content": "a"}))


# -- when it is created ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "answers", "says"),
    [
        ("http://127.0.0.1:8080/hook", None, "loopback"),
        ("http://localhost/hook", ["127.0.0.1", "::1"], "loopback"),
        ("http://2130706433/hook", None, "loopback"),  # 127.0.0.1 written as one number
        ("http://0.0.0.0/hook", None, "unspecified"),
        ("http://10.1.2.3/hook", None, "private"),
        ("http://192.168.0.1/hook", None, "private"),
        ("http://169.254.169.254/latest/meta-data/", None, "link-local"),
        ("http://[::1]/hook", None, "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", None, "loopback"),
        ("http://[::ffff:10.0.0.1]/hook", None, "private"),
        ("http://[fe80::1]/hook", None, "link-local"),
        ("http://224.0.0.1/hook", None, "multicast"),
        ("http://100.64.0.1/hook", None, "not a public"),  # carrier-grade NAT
        ("https://internal.test/hook", ["10.0.0.5"], "private"),
        # Every answer must be public: a client may connect to any of them.
        ("https://mixed.test/hook", [PUBLIC, "192.168.1.10"], "private"),
        ("https://nowhere.test/hook", [], "does not resolve"),
        ("https://unknown.test/hook", "unmapped", "does not resolve"),
    ],
)
def test_a_webhook_to_an_internal_address_is_refused(
    admin_pub, db_rows, resolver, uri, answers, says
):
    host = uri.split("/")[2]
    if answers != "unmapped" and answers is not None:
        resolver[host] = answers
    before = db_rows()

    response = admin_pub.post("create_webhook", {"uri": uri})

    assert admin_pub.failed(response) == "invalid_params_failure"
    message = response.json["msg"]
    assert says in message
    if says != "does not resolve":
        assert "PASTECMS_WEBHOOK_ALLOWED_NETWORKS" in message
    assert db_rows() == before


def test_a_webhook_to_a_public_address_is_created(admin_pub, resolver):
    resolver["hook.test"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    created = admin_pub.ok(admin_pub.post("create_webhook", {"uri": "https://hook.test/h"}))
    assert created["webhook_url"].startswith("https://hook.test/h?token=")


@pytest.mark.parametrize(
    ("allowed", "uri"),
    [
        (LOOPBACK, "http://127.0.0.1:8080/hook"),
        ([LOOPBACK, "::1"], "http://localhost/hook"),
        ("127.0.0.0/8, ::1/128", "http://localhost/hook"),
        ("10.0.0.0/8", "https://ci.internal.test/hook"),
        ("10.0.0.5", "https://ci.internal.test/hook"),
    ],
)
def test_internal_addresses_the_operator_lists_are_allowed(admin_on, resolver, allowed, uri):
    resolver["localhost"] = ["127.0.0.1", "::1"]
    resolver["ci.internal.test"] = ["10.0.0.5"]
    admin = admin_on(WEBHOOK_ALLOWED_NETWORKS=allowed)
    assert admin.ok(admin.post("create_webhook", {"uri": uri}))["webhook_url"].startswith(uri)


def test_an_allowed_network_allows_only_itself(admin_on, resolver):
    resolver["localhost"] = ["127.0.0.1", "::1"]
    admin = admin_on(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
    refused = admin.post("create_webhook", {"uri": "http://localhost/hook"})  # ::1 is not
    assert admin.failed(refused) == "invalid_params_failure"
    assert "::1" in refused.json["msg"]
    refused = admin.post("create_webhook", {"uri": "http://10.0.0.1/hook"})
    assert admin.failed(refused) == "invalid_params_failure"


@pytest.mark.parametrize(
    "allowed",
    ["10.0.0.0/33", "not-a-network", "10.0.0.1/8", "127.0.0.0/8,,nope", [10], {"a": 1}, 7],
)
def test_a_bad_allowed_network_refuses_to_start(make_app, allowed):
    with pytest.raises(ConfigurationError, match="PASTECMS_WEBHOOK_ALLOWED_NETWORKS") as refused:
        make_app(WEBHOOK_ALLOWED_NETWORKS=allowed)
    assert "\n" not in refused.value.message


def test_no_internal_network_is_allowed_by_default(make_app):
    assert make_app().config["WEBHOOK_ALLOWED_NETWORKS"] == []


# -- when it is called ------------------------------------------------------------------------


def test_a_webhook_whose_name_now_points_inside_is_not_called(
    admin_pub, resolver, receiver, webhook_log
):
    # DNS rebinding: the name was public when the webhook was created, and answers the
    # server's own address by the time content changes.
    resolver["hook.test"] = [PUBLIC]
    uri = f"http://hook.test:{receiver.port}/hook"
    admin_pub.ok(admin_pub.post("create_webhook", {"uri": uri}))
    resolver["hook.test"] = ["127.0.0.1"]

    change_content(admin_pub)

    logged = webhook_log.wait()
    assert "failed" in logged and "loopback" in logged
    assert receiver.requests == []


def test_a_stored_internal_webhook_is_not_called_once_its_network_is_no_longer_allowed(
    admin_on, admin_pub, receiver, webhook_log
):
    allowed = admin_on(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
    allowed.ok(allowed.post("create_webhook", {"uri": receiver.url}))

    change_content(admin_pub)  # an app with the default settings

    assert "loopback" in webhook_log.wait()
    assert receiver.requests == []


def test_the_call_goes_to_the_address_that_was_checked(admin_on, resolver, receiver):
    # A name that answers the receiver's address when it is checked (at creation, then
    # at the call) and another's after (127.0.0.2, where a second server listens): the
    # call goes where the check said, under the webhook's own name.
    elsewhere = Receiver(host="127.0.0.2")
    try:
        checked = iter(["127.0.0.1", "127.0.0.1"])
        resolver["hook.test"] = lambda: [next(checked, "127.0.0.2")]
        admin = admin_on(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
        admin.ok(admin.post("create_webhook", {"uri": f"http://hook.test:{receiver.port}/h"}))

        change_content(admin)

        receiver.wait()
        assert receiver.requests[-1][2]["Host"] == f"hook.test:{receiver.port}"
        assert elsewhere.requests == []
    finally:
        elsewhere.close()


def test_a_redirect_is_not_followed(admin_on, receiver, webhook_log):
    redirecting = Receiver(status=302, headers={"Location": receiver.url})
    try:
        admin = admin_on(WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32")
        admin.ok(admin.post("create_webhook", {"uri": redirecting.url}))

        change_content(admin)

        redirecting.wait()
        logged = webhook_log.wait()
        assert "failed" in logged and "302" in logged
        assert receiver.requests == []
    finally:
        redirecting.close()


def test_credentials_in_the_webhooks_url_are_sent_as_basic_auth(admin_on, receiver):
    admin = admin_on(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
    uri = receiver.url.replace("http://", "http://hook%20user:s3cr%3At@")
    admin.ok(admin.post("create_webhook", {"uri": uri}))

    change_content(admin)

    receiver.wait()
    headers = receiver.requests[-1][2]
    # base64 of "hook user:s3cr:t"
    assert headers["Authorization"] == "Basic aG9vayB1c2VyOnMzY3I6dA=="


def test_a_failed_call_never_logs_the_webhooks_credentials_path_or_query(admin_on, webhook_log):
    dead = Receiver()
    dead.close()  # nothing listens there any more: the call fails, and is logged
    admin = admin_on(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
    uri = dead.url.replace("http://", "http://user:secret@") + "?key=hush"
    created = admin.ok(admin.post("create_webhook", {"uri": uri}))

    change_content(admin)

    logged = webhook_log.wait()
    assert "failed" in logged and f"127.0.0.1:{dead.port}/" in logged
    for secret in ("user", "secret", "/hook", "hush", created["token"]):
        assert secret not in logged


def test_a_refused_call_never_logs_the_webhooks_credentials(
    admin_on, admin_pub, receiver, webhook_log
):
    allowed = admin_on(WEBHOOK_ALLOWED_NETWORKS=LOOPBACK)
    uri = receiver.url.replace("http://", "http://user:secret@")
    allowed.ok(allowed.post("create_webhook", {"uri": uri}))

    change_content(admin_pub)

    logged = webhook_log.wait()
    assert "loopback" in logged and "secret" not in logged and "user" not in logged


def test_a_failed_call_is_counted_for_the_operator(admin_on, resolver, receiver, webhook_log):
    from tests.test_metrics import samples

    token = "webhook-scrape-" + "w" * 32  # an app of this test's own, with fresh counts
    admin = admin_on(METRICS_TOKEN=token)
    bearer = {"Authorization": f"Bearer {token}"}
    resolver["hook.test"] = [PUBLIC]
    admin.ok(admin.post("create_webhook", {"uri": f"http://hook.test:{receiver.port}/hook"}))
    resolver["hook.test"] = ["127.0.0.1"]
    failures = ("pastecms_webhook_failures_total", ())
    assert samples(admin.client, bearer)[failures] == 0

    change_content(admin)

    assert "failed" in webhook_log.wait()
    assert samples(admin.client, bearer)[failures] == 1
