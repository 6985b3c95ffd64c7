"""The site owner's console: who may open it, and how a signed-in user reaches it."""

import pytest
from flask import url_for

from pastecms.views.console import SECTIONS
from tests.test_web_accounts import PASSWORD, sign_in


@pytest.fixture
def signed_in_as(client, make_user):
    """Sign `client` in on the web as a new user (an admin with admin=True)."""

    def sign_in_as(username, admin=False):
        make_user(username, is_admin=admin)
        assert sign_in(client, username, PASSWORD).status_code == 303
        return client

    return sign_in_as


def test_a_visitor_is_sent_to_sign_in_first(client):
    response = client.get("/console/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=/console/")


def test_the_console_is_reachable_from_the_header_and_the_account_page(signed_in_as):
    client = signed_in_as("olivia", admin=True)
    for page in ("/my", "/account"):
        assert 'href="/console/"' in client.get(page).text
    home = client.get("/console/")
    assert home.status_code == 200
    assert 'aria-label="Console"' in home.text


def test_a_user_who_is_not_an_admin_sees_no_admin_section(signed_in_as):
    client = signed_in_as("walter")
    home = client.get("/console/")
    assert home.status_code == 200
    # Sections open to every user (their own articles) may show; no admin's section does.
    with client.application.test_request_context():
        admin_only = [url_for(s.endpoint) for s in SECTIONS if s.admin]
    for url in admin_only:
        assert f'href="{url}"' not in home.text
