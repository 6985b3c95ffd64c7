"""The console's site files: an admin keeps the site's plain files (a theme's
`_config.yml`) in the browser, through the service /pub/save and /pub/delete use."""

import pytest

from tests.test_web_accounts import PASSWORD, csrf_token_of, sign_in

CONFIG = "themes/landscape/_config.yml"


def save(client, path=CONFIG, content="title: My blog\n"):
    return client.post("/console/files", data={"file": path, "content": content})


@pytest.fixture
def signed_in_as(client, make_user):
    """Sign `client` in on the web as a new user (an admin with admin=True)."""

    def sign_in_as(username, admin=False):
        make_user(username, is_admin=admin)
        assert sign_in(client, username, PASSWORD).status_code == 303
        return client

    return sign_in_as


@pytest.fixture
def admin(signed_in_as):
    return signed_in_as("olivia", admin=True)


def test_a_file_saved_in_the_console_is_what_the_qexo_face_lists(admin, admin_pub):
    assert save(admin).status_code == 303
    assert CONFIG in admin.get("/console/files").text
    configs = admin_pub.ok(admin_pub.get("get_configs"))["configs"]
    assert [c["path"] for c in configs] == [CONFIG]
    # Edit it: the page shows the text, a save replaces it.
    page = admin.get("/console/files/edit", query_string={"file": CONFIG})
    assert page.status_code == 200 and "title: My blog" in page.text
    assert save(admin, content="title: Renamed\n").status_code == 303
    assert "title: Renamed" in admin.get("/console/files/edit?file=" + CONFIG).text


def test_a_file_is_deleted_after_its_confirmation_page(admin):
    save(admin)
    question = admin.get("/console/files/delete", query_string={"file": CONFIG})
    assert question.status_code == 200 and "Delete" in question.text
    assert CONFIG in admin.get("/console/files").text  # the question deleted nothing
    assert admin.post("/console/files/delete", data={"file": CONFIG}).status_code == 303
    gone = admin.get("/console/files/edit", query_string={"file": CONFIG})
    assert gone.status_code == 404 and "nonexistent_file_failure" in gone.text


@pytest.mark.parametrize("path", ["../etc/passwd", "/abs/path.yml", "a//b.yml", ""])
def test_a_bad_path_is_named_on_the_form_and_stores_nothing(admin, path, db_rows):
    before = db_rows()
    answer = save(admin, path=path)
    assert answer.status_code == 400
    assert "New file" in answer.text  # the form again, with what was typed
    assert db_rows() == before


def test_only_an_admin_keeps_the_site_files(client, signed_in_as):
    assert client.get("/console/files").status_code == 303  # a visitor: sign in first
    walter = signed_in_as("walter")
    assert walter.get("/console/files").status_code == 403
    answer = save(walter)
    assert answer.status_code == 403 and "forbidden_failure" in answer.text
    assert 'href="/console/files"' not in walter.get("/console/").text


def test_a_save_without_its_csrf_token_is_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    make_user("olivia", is_admin=True)
    login_page = client.get("/login").text
    sign_in(client, "olivia", PASSWORD, csrf_token=csrf_token_of(login_page))
    refused = save(client)
    assert refused.status_code == 400 and "csrf_failure" in refused.text
    token = csrf_token_of(client.get("/console/files").text)
    answer = client.post(
        "/console/files", data={"file": CONFIG, "content": "x: 1\n", "csrf_token": token}
    )
    assert answer.status_code == 303
