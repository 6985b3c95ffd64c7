"""A stranger's wrong passwords never lock the owner out of a device they signed in
from before (OWASP's device cookie): such a device's logins are counted on their own,
while every other client still meets the account's limit. On every login: the JWT one,
the paste API's and the web form's."""

import pytest

PASSWORD = "correct horse"
WRONG = "wrong horse battery"


def jwt_login(client, password):
    return client.post("/api/auth/auth", json={"username": "owner", "password": password})


def api_login(client, password):
    return client.post(
        "/api/authentication/login", json={"username": "owner", "password": password}
    )


def web_login(client, password):
    return client.post("/login", data={"login": "owner", "password": password})


LOGINS = [
    pytest.param(jwt_login, 200, id="jwt"),
    pytest.param(api_login, 200, id="paste-api"),
    pytest.param(web_login, 303, id="web-form"),
]


@pytest.fixture
def clients(make_app, make_user):
    """Clients of one app by address: each its own cookies."""
    app = make_app(RATELIMIT_FAILED_ATTEMPTS="3 per minute", RATELIMIT_ACCOUNT="1000 per minute")
    make_user("owner", PASSWORD)

    def client_at(address):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    return client_at


def lock_out_the_account(clients, login):
    """A stranger fails from address after address until the account's limit is up."""
    for n in range(10):
        response = login(clients(f"198.51.100.{n}"), WRONG)
        if response.status_code == 429:
            return
    raise AssertionError("the account was never locked")


@pytest.mark.parametrize(("login", "signed_in"), LOGINS)
def test_a_stranger_cannot_lock_the_owner_out_of_a_device_that_signed_in_before(
    clients, login, signed_in
):
    owner = clients("203.0.113.7")
    assert login(owner, PASSWORD).status_code == signed_in
    assert owner.get_cookie("pastecms_device") is not None

    lock_out_the_account(clients, login)

    # A client the account never signed in from meets the account's limit, password or
    # not: the guesses stay slowed.
    assert login(clients("203.0.113.8"), PASSWORD).status_code == 429
    # The owner's device still signs in.
    assert login(owner, PASSWORD).status_code == signed_in


@pytest.mark.parametrize(("login", "signed_in"), LOGINS)
def test_a_known_device_is_limited_on_its_own(clients, login, signed_in):
    """A stolen device cookie is no free pass: its wrong passwords are limited too."""
    owner = clients("203.0.113.7")
    assert login(owner, PASSWORD).status_code == signed_in
    statuses = [login(owner, WRONG).status_code for _ in range(4)]
    assert statuses[-1] == 429, statuses
    # Its failures used up its own allowance, not the account's.
    assert login(clients("203.0.113.8"), PASSWORD).status_code == signed_in


def test_a_device_cookie_of_another_account_or_forged_counts_for_nothing(clients, make_user):
    make_user("other", PASSWORD)
    other = clients("203.0.113.9")
    other.post("/api/auth/auth", json={"username": "other", "password": PASSWORD})
    stolen = other.get_cookie("pastecms_device").value
    lock_out_the_account(clients, jwt_login)
    for cookie in (stolen, "1.forged.0000", stolen.rsplit(".", 1)[0] + ".00"):
        stranger = clients("203.0.113.10")
        stranger.set_cookie("pastecms_device", cookie)
        assert jwt_login(stranger, PASSWORD).status_code == 429, cookie
