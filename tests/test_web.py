"""The web face: the paste form and the pages a paste's `url` points to."""

import io
import re
import time
import uuid

import pytest

from tests.conftest import Api

PASTE_URL = re.compile(r"/paste/([A-Za-z0-9_-]{22})$")


def post_form(client, **fields):
    return client.post("/", data={"language": "text", "expires_in": "never", **fields})


def create(client, **fields) -> str:
    """Post the form; return the new paste's public id."""
    response = post_form(client, **fields)
    assert response.status_code == 302, response.text
    match = PASTE_URL.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def views(api, paste_id, password=None) -> int:
    # The details read itself counts one; subtract it.
    return api.details(paste_id, password=password).json["views"] - 1


def test_front_page_shows_the_paste_form(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert 'name="contents"' in response.text
    assert 'name="csrf_token"' in response.text
    assert '<option value="python"' in response.text


def test_form_creates_a_paste_and_redirects_to_it(client, api):
    paste_id = create(
        client, contents="def f():\n    return 1\n", title="A func", language="python"
    )

    details = api.details(paste_id).json
    assert details["contents"] == "def f():\n    return 1\n"
    assert details["title"] == "A func"
    assert details["language"] == "python"
    assert details["expiry_time"] is None


def test_paste_page_is_highlighted_and_shows_the_token_once(client):
    paste_id = create(
        client, contents="def f():\n    return 1\n", title="A func", language="python"
    )

    page = client.get(f"/paste/{paste_id}")
    assert page.status_code == 200
    assert "A func" in page.text
    assert 'class="highlight"' in page.text
    assert '<span class="k">def</span>' in page.text
    assert "deactivation token" in page.text

    again = client.get(f"/paste/{paste_id}")
    assert "deactivation token" not in again.text


def test_form_token_deactivates_the_paste(client, api):
    response = post_form(client, contents="bye")
    paste_id = PASTE_URL.search(response.headers["Location"]).group(1)
    page = client.get(f"/paste/{paste_id}").text
    token = re.search(r"<code>([^<]+)</code>", page).group(1)
    result = api.post("/api/paste/deactivate", {"paste_id": paste_id, "deactivation_token": token})
    assert result.status_code == 200
    assert client.get(f"/paste/{paste_id}").status_code == 404


@pytest.mark.parametrize("language", ["python", "text"])
def test_every_line_number_links_to_its_line(client, api, language):
    # Blank lines first: Pygments drops them unless told not to, which would number
    # `import os` 1 where the raw text has it on line 3.
    paste_id = api.submit("\n\nimport os\nx = 1\n", language=language)["paste_id_repr"]
    page = client.get(f"/paste/{paste_id}").text

    numbers = re.findall(r'<a href="#L(\d+)">(\d+)</a>', page)
    assert numbers == [(n, n) for n in ("1", "2", "3", "4")]
    lines = dict(re.findall(r'<span id="L(\d+)">(.*?)</span>\n', page))
    assert list(lines) == ["1", "2", "3", "4"]
    assert lines["1"] == lines["2"] == ""
    assert re.sub(r"<[^>]+>", "", lines["3"]) == "import os"


def test_plain_text_is_laid_out_like_highlighted_code(client, api):
    """The same box, numbers and padding (the stylesheet's `.lines`) for both."""
    for language in ("python", "text"):
        paste_id = api.submit("x = 1\n", language=language)["paste_id_repr"]
        page = client.get(f"/paste/{paste_id}").text
        assert '<table class="lines">' in page
        assert re.search(r'<td class="code"><pre><code><span id="L1">.*x.*1.*</span>\n', page)


def test_line_ranges_come_from_a_static_script(client, api):
    """Which the Content-Security-Policy allows (default-src 'self'); no page has an
    inline one (`test_no_page_has_inline_script_or_style`)."""
    paste_id = api.submit("x = 1\n", language="python")["paste_id_repr"]
    page = client.get(f"/paste/{paste_id}").text
    assert '<script src="/static/lines.js" defer></script>' in page
    with client.get("/static/lines.js") as script:
        assert script.status_code == 200
        assert script.mimetype in ("text/javascript", "application/javascript")


def test_paste_page_escapes_html(client, api):
    paste = api.submit("<script>alert('x')</script>", title="<b>bold</b>")
    page = client.get(f"/paste/{paste['paste_id_repr']}").text
    assert "<script>alert" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_unknown_language_still_renders(client, api):
    paste = api.submit("just text", language="klingon")
    page = client.get(f"/paste/{paste['paste_id_repr']}")
    assert page.status_code == 200
    assert "just text" in page.text


def test_form_expiry_choice_sets_an_absolute_expiry(client, api):
    before = int(time.time())
    paste_id = create(client, contents="brief", expires_in="10m")
    expiry = api.details(paste_id).json["expiry_time"]
    assert before + 600 <= expiry <= int(time.time()) + 600


def test_form_paste_of_a_signed_in_user_is_theirs(client, api, make_user):
    make_user("alice", password="correct horse")
    client.post(
        "/api/authentication/login", json={"username": "alice", "password": "correct horse"}
    )
    paste_id = create(client, contents="mine")
    assert api.details(paste_id).json["poster_username"] == "alice"


def test_form_uploads_attachments(client, api):
    response = client.post(
        "/",
        data={
            "contents": "with file",
            "attachments": [(io.BytesIO(b"file body"), "notes.txt", "text/plain")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    paste_id = PASTE_URL.search(response.headers["Location"]).group(1)
    assert api.details(paste_id).json["attachments"] == [
        {"file_name": "notes.txt", "file_size": 9, "mime_type": "text/plain"}
    ]
    download = client.get(f"/paste/{paste_id}/attachment/notes.txt")
    assert download.data == b"file body"


BAD_FORMS = [
    ({}, 400),
    ({"contents": ""}, 400),
    ({"contents": "   "}, 400),
    ({"contents": "x", "expires_in": "forever"}, 400),
    ({"contents": "x", "language": "py thon"}, 400),
    ({"contents": "x", "title": "t" * 257}, 400),
    ({"contents": "nul\x00"}, 400),
    ({"contents": "x", "password": "short"}, 400),
]


@pytest.mark.parametrize(("form", "status"), BAD_FORMS)
def test_bad_form_is_shown_again_with_the_reason(client, db_rows, form, status):
    before = db_rows()
    response = client.post("/", data=form)
    assert response.status_code == status
    assert 'role="alert"' in response.text
    assert 'name="contents"' in response.text
    assert db_rows() == before


def test_refused_form_keeps_what_was_typed(client):
    response = post_form(client, contents="my long text", expires_in="forever", title="Keep me")
    assert response.status_code == 400
    assert "my long text" in response.text
    assert 'value="Keep me"' in response.text


def test_form_over_the_paste_size_limit_is_413(make_app, db_rows):
    client = make_app(MAX_PASTE_SIZE=10).test_client()
    before = db_rows()
    response = post_form(client, contents="x" * 11)
    assert response.status_code == 413
    assert 'role="alert"' in response.text
    assert db_rows() == before


def test_form_attachment_over_the_limit_is_413(make_app, db_rows):
    client = make_app(MAX_ATTACHMENT_SIZE=4).test_client()
    before = db_rows()
    response = client.post(
        "/",
        data={"contents": "x", "attachments": [(io.BytesIO(b"12345"), "big.bin")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert db_rows() == before


# password-protected pastes


def test_protected_paste_asks_for_its_password(client, api):
    paste = api.submit("WEB SECRET", password="pw-for-the-web")
    page = client.get(f"/paste/{paste['paste_id_repr']}")
    assert page.status_code == 200
    assert "password-protected" in page.text
    assert 'type="password"' in page.text
    assert "WEB SECRET" not in page.text
    assert views(api, paste["paste_id_repr"], "pw-for-the-web") == 0


def test_wrong_password_does_not_unlock(client, api):
    paste = api.submit("WEB SECRET", password="pw-for-the-web")
    response = client.post(f"/paste/{paste['paste_id_repr']}", data={"password": "nope"})
    assert response.status_code == 401
    assert "auth_failure" in response.text
    assert "WEB SECRET" not in response.text
    assert client.get(f"/paste/{paste['paste_id_repr']}/raw").status_code == 401


def test_unlock_form_without_a_password_is_refused(client, api):
    paste = api.submit("WEB SECRET", password="pw-for-the-web")
    response = client.post(f"/paste/{paste['paste_id_repr']}", data={})
    assert response.status_code == 400
    assert "WEB SECRET" not in response.text


def test_right_password_unlocks_page_raw_and_download(client, api):
    paste = api.submit("WEB SECRET", password="pw-for-the-web")
    paste_id = paste["paste_id_repr"]
    unlocked = client.post(f"/paste/{paste_id}", data={"password": "pw-for-the-web"})
    assert unlocked.status_code == 200
    assert "WEB SECRET" in unlocked.text

    assert "WEB SECRET" in client.get(f"/paste/{paste_id}").text
    assert client.get(f"/paste/{paste_id}/raw").text == "WEB SECRET"
    assert client.get(f"/paste/{paste_id}/download").text == "WEB SECRET"
    # Another browser is still asked.
    other = api.client.application.test_client()
    assert "WEB SECRET" not in other.get(f"/paste/{paste_id}").text


def test_author_of_a_protected_form_paste_sees_it_at_once(client):
    paste_id = create(client, contents="MY SECRET", password="pw-of-mine")
    assert "MY SECRET" in client.get(f"/paste/{paste_id}").text


# raw and download


def test_raw_is_the_exact_text(client, api):
    contents = "line one\n<b>not html</b>\n\ttabbed ☕"
    paste = api.submit(contents)
    response = client.get(f"/paste/{paste['paste_id_repr']}/raw")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.text == contents


def test_download_is_a_text_file_named_after_the_paste(client, api):
    paste = api.submit("downloaded")
    response = client.get(f"/paste/{paste['paste_id_repr']}/download")
    assert response.status_code == 200
    assert response.text == "downloaded"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"{paste['paste_id_repr']}.txt" in disposition


def test_page_raw_and_download_each_count_a_view(client, api):
    paste = api.submit("counted")
    paste_id = paste["paste_id_repr"]
    for suffix in ("", "/raw", "/download"):
        assert client.get(f"/paste/{paste_id}{suffix}").status_code == 200
    assert views(api, paste_id) == 3


@pytest.mark.parametrize("suffix", ["", "/raw", "/download"])
@pytest.mark.parametrize("paste_id", ["garbage", "AAAAAAAAAAAAAAAAAAAAAA", "1"])
def test_unknown_paste_pages_are_404_pages(client, db_rows, paste_id, suffix):
    before = db_rows()
    response = client.get(f"/paste/{paste_id}{suffix}")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "nonexistent_paste_failure" in response.text
    assert db_rows() == before


def test_unknown_web_route_is_an_html_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "not_found_failure" in response.text


# CSRF


def test_form_post_without_csrf_token_is_refused(make_app, db_rows):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    before = db_rows()
    response = client.post("/", data={"contents": "forged", "expires_in": "never"})
    assert response.status_code == 400
    assert db_rows() == before

    # The same browser, with the token its form carries, gets through.
    form = client.get("/").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post(
        "/", data={"contents": "genuine", "expires_in": "never", "csrf_token": token}
    )
    assert response.status_code == 302


def test_unlock_post_without_csrf_token_is_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    paste_id = Api(client).submit("hidden", password="pw-hidden")["paste_id_repr"]
    response = client.post(f"/paste/{paste_id}", data={"password": "pw-hidden"})
    assert response.status_code == 400
    assert "hidden" not in response.text


def test_json_api_needs_no_csrf_token(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/api/paste/submit", json={"contents": "script"})
    assert response.status_code == 200


# language auto-detect


def test_form_offers_auto_detect_as_the_default(client):
    form = client.get("/").text
    assert re.search(r'<option value="auto"\s+selected>auto-detect</option>', form)
    assert '<option value="python"' in form


@pytest.mark.parametrize(
    ("contents", "title", "language"),
    [
        ("import os\n\ndef main():\n    print(os.getcwd())\n", "", "python"),
        ('package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println(1)\n}\n', "", "go"),
        ("#!/bin/sh\necho hello\n", "", "bash"),
        ('{"a": [1, 2]}', "", "json"),
        ("Dear Bob, see you on Monday.", "", "text"),
        ("x = 1", "script.rb", "ruby"),
        ("plain words", "notes.txt", "text"),
    ],
)
def test_auto_detect_guesses_the_language(client, api, contents, title, language):
    paste_id = create(client, contents=contents, title=title, language="auto")
    assert api.details(paste_id).json["language"] == language


@pytest.mark.parametrize("contents", ["[" * 5000, "[" * 3000 + "]" * 3000])
def test_auto_detect_survives_json_nested_too_deep_to_read(client, api, contents):
    # Python's JSON reader gives up on deep nesting (RecursionError): a guess, not a crash.
    paste_id = create(client, contents=contents, language="auto")
    assert api.details(paste_id).json["contents"] == contents


def test_auto_detected_python_is_highlighted(client):
    paste_id = create(client, contents="import os\n\ndef main():\n    pass\n", language="auto")
    assert '<span class="k">def</span>' in client.get(f"/paste/{paste_id}").text


def test_an_explicit_language_stays(client, api):
    paste_id = create(client, contents="import os\n\ndef main():\n    pass\n", language="text")
    assert api.details(paste_id).json["language"] == "text"


def test_the_api_does_not_guess(api):
    paste = api.submit("import os\n\ndef main():\n    pass\n")
    assert api.details(paste["paste_id_repr"]).json["language"] == "text"


RUBY = "x = 1\n"


def _by_form(client):
    return create(client, contents=RUBY, title="script.rb", language="auto")


def _by_curl_file(client):
    return _shell_id(shell_post(client, file=("script.rb", RUBY.encode())))


def _by_curl_body(client):
    return _shell_id(shell_post(client, RUBY.encode(), query="?title=script.rb&lang=auto"))


def _by_curl_put(client):
    return _shell_id(client.put("/script.rb", data=RUBY.encode()))


def _shell_id(response) -> str:
    assert response.status_code == 200, response.text
    return SHELL_ANSWER.match(response.text).group(1)


@pytest.mark.parametrize("post", [_by_form, _by_curl_file, _by_curl_body, _by_curl_put])
def test_every_way_of_posting_by_hand_guesses_the_language_once(client, api, monkeypatch, post):
    from pastecms.services.pastes import language

    guesses = []
    real = language.guess
    monkeypatch.setattr(language, "guess", lambda *args: guesses.append(args) or real(*args))
    paste_id = post(client)
    assert api.details(paste_id).json["language"] == "ruby"
    assert len(guesses) == 1


@pytest.mark.parametrize(("sent", "stored"), [({}, "text"), ({"language": "auto"}, "auto")])
def test_the_api_stores_the_language_as_sent_even_with_a_file_name_title(api, sent, stored):
    # Modern Paste's contract: plain text when none is sent, and answers carry the name
    # sent; a guess would change both.
    paste = api.submit(RUBY, title="script.rb", **sent)
    assert paste["language"] == stored
    assert api.details(paste["paste_id_repr"]).json["language"] == stored


# line endings


@pytest.mark.parametrize("typed", ["one\r\ntwo\r\n", "one\rtwo\r", "one\ntwo\n", "one\r\ntwo\r"])
def test_form_contents_are_stored_with_unix_line_endings(client, typed):
    paste_id = create(client, contents=typed)
    assert client.get(f"/paste/{paste_id}/raw").data == b"one\ntwo\n"


def test_the_api_keeps_line_endings(client, api):
    paste = api.submit("one\r\ntwo\r\n")
    assert client.get(f"/paste/{paste['paste_id_repr']}/raw").data == b"one\r\ntwo\r\n"


# a wrong paste password


def test_wrong_password_shows_the_prompt_again_with_the_reason(client, api):
    paste = api.submit("WEB SECRET", password="pw-for-the-web")
    paste_id = paste["paste_id_repr"]
    response = client.post(f"/paste/{paste_id}", data={"password": "nope"})
    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert "password is wrong" in response.text
    assert 'type="password"' in response.text
    assert f'action="/paste/{paste_id}"' in response.text
    assert "WEB SECRET" not in response.text

    again = client.post(f"/paste/{paste_id}", data={"password": "pw-for-the-web"})
    assert again.status_code == 200
    assert "WEB SECRET" in again.text


def test_too_many_wrong_passwords_still_show_the_prompt(make_app, db_rows):
    app = make_app(RATELIMIT_FAILED_ATTEMPTS="2 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    client = app.test_client()
    paste_id = Api(client).submit("WEB SECRET", password="pw-for-the-web")["paste_id_repr"]
    statuses = [client.post(f"/paste/{paste_id}", data={"password": "nope"}) for _ in range(3)]
    assert [r.status_code for r in statuses] == [401, 401, 429]
    assert "Too many attempts" in statuses[-1].text
    assert 'type="password"' in statuses[-1].text


def test_raw_of_a_locked_paste_links_to_its_prompt(client, api):
    paste_id = api.submit("WEB SECRET", password="pw-for-the-web")["paste_id_repr"]
    response = client.get(f"/paste/{paste_id}/raw")
    assert response.status_code == 401
    assert f'href="/paste/{paste_id}"' in response.text
    assert "WEB SECRET" not in response.text


# error pages for people


def test_missing_paste_page_speaks_to_people(client):
    response = client.get("/paste/AAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text
    assert "This paste does not exist or has expired." in response.text
    # The name is there for bug reports, in the small print only.
    small = re.search(r"<small>(.*?)</small>", response.text, re.S).group(1)
    assert "nonexistent_paste_failure" in small
    assert "nonexistent_paste_failure" not in response.text.replace(small, "")


@pytest.mark.parametrize(
    ("method", "path", "status", "words"),
    [
        ("get", "/no/such/page", 404, "There is no page at this address."),
        ("delete", "/", 405, "This page cannot be used that way."),
        ("get", "/paste/garbage/attachment/x.txt", 404, "This paste does not exist"),
    ],
)
def test_every_web_error_page_speaks_to_people(client, method, path, status, words):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert words in response.text
    assert "<small>" in response.text


def test_a_long_error_message_is_text_under_a_short_heading(make_app):
    # The longest message a person meets: a form post whose Secure-only session cookie
    # the browser kept off plain HTTP, explained with the setting that causes it.
    client = make_app(WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True).test_client()
    response = client.post("/logout", base_url="http://paste.example")
    assert response.status_code == 400
    heading = re.search(r"<h1>(.*?)</h1>", response.text, re.S).group(1)
    title = re.search(r"<title>(.*?)</title>", response.text, re.S).group(1)
    assert heading == "That did not work"
    assert title == "That did not work · pastecms"
    message = re.search(r'<p class="error-message">(.*?)</p>', response.text, re.S).group(1)
    assert len(message) > 200
    assert "PASTECMS_SESSION_COOKIE_SECURE=false" in message


def test_unexpected_error_page_leaks_nothing(make_app, monkeypatch):
    app = make_app()
    from pastecms.services.pastes import paste as paste_service

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(paste_service, "page", broken)
    response = app.test_client().get("/paste/AAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text


# security headers and the icon

# A script is a static file's (`<script src=...>`), never inline.
INLINE = re.compile(r"<script(?![^>]*\ssrc=)|<style|\sstyle=|\son[a-z]+=", re.I)


def html_pages(client, api):
    paste_id = api.submit("import os\n", language="python")["paste_id_repr"]
    locked = api.submit("locked", password="pw-for-the-web")["paste_id_repr"]
    return {
        "form": client.get("/"),
        "paste": client.get(f"/paste/{paste_id}"),
        "prompt": client.get(f"/paste/{locked}"),
        "wrong password": client.post(f"/paste/{locked}", data={"password": "nope"}),
        "refused form": client.post("/", data={"contents": ""}),
        "missing paste": client.get("/paste/garbage"),
        "unknown page": client.get("/no/such/page"),
        "api reference": client.get("/api/docs"),
    }


def test_every_html_page_carries_the_security_headers(client, api):
    for name, page in html_pages(client, api).items():
        assert page.mimetype == "text/html", name
        policy = page.headers["Content-Security-Policy"]
        for directive in (
            "default-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ):
            assert directive in policy, name
        assert "unsafe-inline" not in policy
        assert page.headers["X-Frame-Options"] == "DENY", name
        assert page.headers["Referrer-Policy"] in ("same-origin", "no-referrer"), name
        assert page.headers["X-Content-Type-Options"] == "nosniff", name


def test_no_page_has_inline_script_or_style(client, api):
    for name, page in html_pages(client, api).items():
        assert not INLINE.search(page.text), (name, INLINE.search(page.text))


def test_raw_text_is_not_sniffed(client, api):
    paste_id = api.submit("<html><script>alert(1)</script>")["paste_id_repr"]
    response = client.get(f"/paste/{paste_id}/raw")
    assert response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_favicon_is_served(client):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert icon.data[:4] == b"\x00\x00\x01\x00"
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200
        assert svg.mimetype == "image/svg+xml"
    assert 'rel="icon"' in client.get("/").text


# deleting


def deletion_link(client, paste_id) -> str:
    page = client.get(f"/paste/{paste_id}").text
    return re.search(r'class="deactivation-link" href="http://localhost(/[^"]+)"', page).group(1)


def test_new_paste_page_offers_a_deletion_link_and_button(client):
    paste_id = create(client, contents="to be deleted")
    page = client.get(f"/paste/{paste_id}").text
    link = re.search(r'class="deactivation-link" href="http://localhost(/[^"]+)"', page).group(1)
    assert link.startswith(f"/paste/{paste_id}/deactivate/")
    assert f'class="button danger" href="http://localhost{link}"' in page


def test_deactivation_link_asks_then_deletes(client, db_rows):
    paste_id = create(client, contents="to be deleted")
    link = deletion_link(client, paste_id)

    confirm = client.get(link)
    assert confirm.status_code == 200
    assert "Delete this paste?" in confirm.text
    assert f'method="post" class="inline" action="{link}"' in confirm.text
    assert 'name="csrf_token"' in confirm.text
    assert client.get(f"/paste/{paste_id}").status_code == 200  # asking deleted nothing

    deleted = client.post(link)
    assert deleted.status_code == 200
    assert "The paste is deleted." in deleted.text
    assert client.get(f"/paste/{paste_id}").status_code == 404
    assert client.get(link).status_code == 404


def test_deactivation_link_works_in_another_browser_later(client, api):
    paste_id = create(client, contents="to be deleted")
    link = deletion_link(client, paste_id)
    other = api.client.application.test_client()
    assert other.post(link).status_code == 200
    assert other.get(f"/paste/{paste_id}").status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_wrong_deactivation_token_deletes_nothing(client, api, db_rows, method):
    paste_id = api.submit("stays")["paste_id_repr"]
    before = db_rows()
    response = getattr(client, method)(f"/paste/{paste_id}/deactivate/not-the-token")
    assert response.status_code == 401
    assert response.mimetype == "text/html"
    assert db_rows() == before


def test_delete_needs_the_csrf_token(make_app, db_rows):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    form = client.get("/").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post("/", data={"contents": "x", "expires_in": "never", "csrf_token": token})
    paste_id = PASTE_URL.search(response.headers["Location"]).group(1)
    link = deletion_link(client, paste_id)
    before = db_rows()
    assert client.post(link).status_code == 400
    assert db_rows() == before
    assert client.post(link, data={"csrf_token": token}).status_code == 200


def sign_in(client, make_user, name="alice"):
    make_user(name, password="correct horse")
    response = client.post(
        "/api/authentication/login", json={"username": name, "password": "correct horse"}
    )
    assert response.status_code == 200


def test_owner_can_delete_their_paste(client, api, make_user):
    sign_in(client, make_user)
    paste_id = create(client, contents="mine")
    client.get(f"/paste/{paste_id}")  # the flashed link is shown once
    page = client.get(f"/paste/{paste_id}").text
    assert f'href="/paste/{paste_id}/delete"' in page
    assert "Delete this paste?" in client.get(f"/paste/{paste_id}/delete").text
    assert client.post(f"/paste/{paste_id}/delete").status_code == 200
    assert client.get(f"/paste/{paste_id}").status_code == 404


def test_others_get_no_delete_button_and_cannot_delete(client, api, make_user):
    paste_id = api.submit("not yours")["paste_id_repr"]
    assert "/delete" not in client.get(f"/paste/{paste_id}").text
    assert client.post(f"/paste/{paste_id}/delete").status_code == 401
    sign_in(client, make_user, "mallory")
    assert "/delete" not in client.get(f"/paste/{paste_id}").text
    assert client.get(f"/paste/{paste_id}/delete").status_code == 403
    assert client.post(f"/paste/{paste_id}/delete").status_code == 403
    assert client.get(f"/paste/{paste_id}").status_code == 200


def test_delete_pages_escape_the_title(client, api):
    paste = api.submit("x", title="<script>alert(1)</script>")
    paste_id = paste["paste_id_repr"]
    link = f"/paste/{paste_id}/deactivate/{paste['deactivation_token']}"
    for page in (client.get(link), client.post(link)):
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


# the archive


def test_archive_lists_recent_pastes_newest_first(client, api):
    for n in range(3):
        api.submit(f"contents {n}", title=f"paste {n}")
    page = client.get("/archive")
    assert page.status_code == 200
    titles = re.findall(r">(paste \d)</a>", page.text)
    assert titles == ["paste 2", "paste 1", "paste 0"]
    assert "contents 2" in page.text


def test_archive_most_viewed_first(client, api):
    quiet = api.submit("q", title="quiet")["paste_id_repr"]
    loud = api.submit("l", title="loud")["paste_id_repr"]
    for _ in range(3):
        client.get(f"/paste/{loud}/raw")
    client.get(f"/paste/{quiet}/raw")
    page = client.get("/archive?sort=top").text
    assert re.findall(r">(quiet|loud)</a>", page) == ["loud", "quiet"]
    assert 'aria-current="page">Most viewed' in page


def test_archive_lists_protected_pastes_without_contents(client, api):
    api.submit("THE HIDDEN TEXT", title="locked one", password="pw-for-the-web")
    for sort in ("recent", "top"):
        page = client.get(f"/archive?sort={sort}").text
        assert "locked one" in page
        assert "Password-protected" in page
        assert "THE HIDDEN TEXT" not in page


def test_archive_previews_pastes_within_the_page_byte_budget_only(make_app):
    client = make_app(MAX_PAGE_BYTES=100).test_client()
    api = Api(client)
    api.submit("EARLIER TEXT " * 10, title="earlier one")
    api.submit("LATER TEXT", title="later one")
    page = client.get("/archive").text
    assert "later one" in page and "LATER TEXT" in page
    assert "earlier one" in page and "EARLIER TEXT" not in page
    assert "Too large to preview with this page" in page


def test_archive_is_paginated(client, api):
    for n in range(25):
        api.submit(f"c{n}", title=f"paste {n:02}")
    first = client.get("/archive").text
    assert len(re.findall(r">paste \d\d</a>", first)) == 20
    assert 'rel="next" href="/archive?page=2&amp;sort=recent"' in first
    assert 'rel="prev"' not in first
    assert "Page 1<" in first
    listed = re.findall(r">(paste \d\d)</a>", first)
    # Pages are numbered from 1 (and 0 reads as 1).
    for query in ("?page=1", "?page=0"):
        assert re.findall(r">(paste \d\d)</a>", client.get(f"/archive{query}").text) == listed
    second = client.get("/archive?page=2").text
    assert re.findall(r">(paste \d\d)</a>", second) == [f"paste {n:02}" for n in range(4, -1, -1)]
    assert '<ol class="archive" start="21">' in second
    assert "Page 2<" in second
    assert 'rel="next"' not in second
    assert 'rel="prev" href="/archive?page=1&amp;sort=recent"' in second


def test_archive_leaves_out_deleted_and_expired_pastes(client, api):
    paste = api.submit("gone", title="deleted one")
    api.post(
        "/api/paste/deactivate",
        {"paste_id": paste["paste_id_repr"], "deactivation_token": paste["deactivation_token"]},
    )
    assert "deleted one" not in client.get("/archive").text


@pytest.mark.parametrize("query", ["sort=oldest", "page=-1", "page=x", "page=99999999999"])
def test_archive_with_bad_options_is_an_html_400(client, query):
    response = client.get(f"/archive?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_archive_escapes_titles_and_contents(client, api):
    api.submit("<script>alert(2)</script>", title="<img src=x onerror=alert(1)>")
    page = client.get("/archive").text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# dark theme


def test_pages_follow_the_system_theme_until_one_is_chosen(client):
    page = client.get("/").text
    assert '<html lang="en">' in page
    assert '<meta name="color-scheme" content="light dark">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    with client.get("/static/style.css") as css:
        assert "@media (prefers-color-scheme: dark)" in css.text
        assert ':root[data-theme="dark"]' in css.text
        assert "@media (max-width: 40rem)" in css.text
    with client.get("/static/pygments-dark.css") as css:
        assert "@media (prefers-color-scheme: dark)" in css.text


def test_theme_toggle_works_without_javascript(client, api):
    paste_id = api.submit("x")["paste_id_repr"]
    page = client.get(f"/paste/{paste_id}").text
    link = re.search(r'<a href="(/theme\?set=dark[^"]*)"', page).group(1)
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/paste/{paste_id}"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("theme=dark;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert '<html lang="en" data-theme="dark">' in client.get(f"/paste/{paste_id}").text

    client.get("/theme?set=light&next=/archive")
    assert '<html lang="en" data-theme="light">' in client.get("/").text
    back = client.get("/theme?set=auto&next=/archive?sort=top")
    assert back.headers["Location"] == "/archive?sort=top"
    assert '<html lang="en">' in client.get("/").text


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "/ok\r\nX-Injected: 1",
    ],
)
def test_theme_toggle_only_goes_back_to_this_site(client, next_url):
    response = client.get("/theme", query_string={"set": "dark", "next": next_url})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "evil.example" not in location or location.startswith("/%")
    assert "X-Injected" not in response.headers


def test_theme_toggle_refuses_an_unknown_theme(client):
    response = client.get("/theme?set=purple")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Set-Cookie" not in response.headers


def test_a_forged_theme_cookie_is_ignored(client):
    client.set_cookie("theme", '"><script>alert(1)</script>')
    page = client.get("/").text
    assert '<html lang="en">' in page
    assert "<script>alert" not in page


# for shells

SHELL_ANSWER = re.compile(
    r"\Ahttp://localhost/paste/([A-Za-z0-9_-]{22})\n"
    r"http://localhost/paste/\1/deactivate/([A-Za-z0-9_-]+)\n\Z"
)


def shell_post(client, body=None, *, file=None, query="", **headers):
    """What curl sends: `--data-binary @-` (a form-typed body) or `-F file=@name`."""
    if file is not None:
        name, data = file
        return client.post(
            f"/{query}",
            data={"file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
            headers=headers,
        )
    return client.post(
        f"/{query}",
        data=body,
        content_type=headers.pop("content_type", "application/x-www-form-urlencoded"),
        headers=headers,
    )


def test_curl_file_upload_creates_a_paste(client, api):
    response = shell_post(client, file=("notes.py", b"print('hi')\n"))
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    paste_id, token = SHELL_ANSWER.match(response.text).groups()
    details = api.details(paste_id).json
    assert details["contents"] == "print('hi')\n"
    assert details["title"] == "notes.py"
    assert details["language"] == "python"
    assert client.get(f"/paste/{paste_id}/raw").data == b"print('hi')\n"


def test_curl_piped_body_creates_a_paste_byte_exact(client, api):
    text = "#!/bin/sh\necho 'a&b=c'\r\nexit 0\n"
    response = shell_post(client, text.encode())
    assert response.status_code == 200, response.text
    paste_id, _ = SHELL_ANSWER.match(response.text).groups()
    details = api.details(paste_id).json
    assert details["contents"] == text
    assert details["language"] == "bash"
    assert details["title"] == "Untitled"


def test_curl_deletion_url_deletes(client, api):
    response = shell_post(client, b"short-lived")
    paste_id, token = SHELL_ANSWER.match(response.text).groups()
    assert client.post(f"/paste/{paste_id}/deactivate/{token}").status_code == 200
    assert client.get(f"/paste/{paste_id}").status_code == 404


def test_curl_options_in_the_query(client, api):
    before = int(time.time())
    response = shell_post(client, b"select 1", query="?expires=1h&lang=sql&title=q")
    paste_id, _ = SHELL_ANSWER.match(response.text).groups()
    details = api.details(paste_id).json
    assert details["language"] == "sql"
    assert details["title"] == "q"
    assert before + 3600 <= details["expiry_time"] <= int(time.time()) + 3600


@pytest.mark.parametrize(
    ("body", "query", "status", "name"),
    [
        (b"   ", "", 400, "incomplete_params_failure"),
        (b"\xff\xfe not utf-8", "", 400, "invalid_params_failure"),
        (b"nul\x00", "", 400, "invalid_params_failure"),
        (b"x", "?expires=forever", 400, "invalid_params_failure"),
        (b"x", "?lang=py%20thon", 400, "invalid_params_failure"),
    ],
)
def test_curl_refusals_are_one_plain_line(client, db_rows, body, query, status, name):
    before = db_rows()
    response = shell_post(client, body, query=query)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert response.text.startswith(f"{name}: ")
    assert response.text.count("\n") == 1
    assert db_rows() == before


def test_curl_over_the_paste_size_limit_is_413(make_app, db_rows):
    client = make_app(MAX_PASTE_SIZE=10).test_client()
    before = db_rows()
    response = shell_post(client, b"x" * 11)
    assert response.status_code == 413
    assert response.text.startswith("payload_too_large_failure: ")
    assert db_rows() == before


def test_curl_over_the_request_size_limit_is_a_plain_413(make_app, db_rows):
    client = make_app(MAX_CONTENT_LENGTH=100).test_client()
    before = db_rows()
    response = shell_post(client, b"x" * 101)
    assert response.status_code == 413
    assert response.text.startswith("payload_too_large_failure: ")
    assert db_rows() == before


def test_curl_shares_the_api_submit_rate_limit(make_app):
    app = make_app(RATELIMIT_SUBMIT="2 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    client = app.test_client()
    assert Api(client).post("/api/paste/submit", {"contents": "api"}).status_code == 200
    assert shell_post(client, b"shell").status_code == 200
    third = shell_post(client, b"one more")
    assert third.status_code == 429
    assert third.text.startswith("rate_limit_failure: ")
    assert "Retry-After" in third.headers


def test_curl_needs_no_csrf_token_and_ignores_the_session(make_app, api, make_user):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    sign_in(client, make_user)
    response = shell_post(client, b"anonymous")
    assert response.status_code == 200
    paste_id, _ = SHELL_ANSWER.match(response.text).groups()
    assert Api(client).details(paste_id).json["poster_username"] == "Anonymous"


def test_curl_with_an_api_key_posts_as_its_user(client, api, make_user):
    _, key = make_user("keyholder")
    response = shell_post(client, b"keyed", Authorization=f"Bearer {key}")
    paste_id, _ = SHELL_ANSWER.match(response.text).groups()
    assert api.details(paste_id).json["poster_username"] == "keyholder"


def test_paste_page_gives_raw_text_to_shells(client, api):
    text = "<b>raw</b>\n"
    paste_id = api.submit(text)["paste_id_repr"]
    for response in (
        client.get(f"/paste/{paste_id}?raw"),
        client.get(f"/paste/{paste_id}", headers={"Accept": "text/plain"}),
    ):
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        assert response.text == text
    browser = client.get(f"/paste/{paste_id}", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.mimetype == "text/html"
    assert "Accept" in browser.headers["Vary"]
    assert client.get(f"/paste/{paste_id}", headers={"Accept": "*/*"}).mimetype == "text/html"


def test_raw_text_of_missing_or_locked_pastes_is_plain(client, api):
    missing = client.get("/paste/garbage?raw")
    assert missing.status_code == 404
    assert missing.text.startswith("nonexistent_paste_failure: ")
    locked = api.submit("SECRET", password="pw-for-the-web")["paste_id_repr"]
    response = client.get(f"/paste/{locked}", headers={"Accept": "text/plain"})
    assert response.status_code == 401
    assert response.mimetype == "text/plain"
    assert "SECRET" not in response.text


# script injection, everywhere the web shows what a poster typed

EVIL = "<script>alert(1)</script>"


def test_attachment_names_and_titles_are_escaped_on_every_page(client, api):
    evil_file = "<img src=x onerror=alert(1)>.txt"
    paste = api.submit(
        EVIL,
        title=EVIL,
        attachments=[{"name": evil_file, "data": "aGVsbG8=", "mime_type": "text/plain"}],
    )
    paste_id = paste["paste_id_repr"]
    pages = [
        client.get(f"/paste/{paste_id}"),
        client.get("/archive"),
        client.get(f"/paste/{paste_id}/deactivate/{paste['deactivation_token']}"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text
        assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in pages[0].text


def test_an_unsafe_language_name_is_refused_on_the_form(client, db_rows):
    before = db_rows()
    response = post_form(client, contents="x", language='"><script>alert(1)</script>')
    assert response.status_code == 400
    assert "<script>alert" not in response.text
    assert db_rows() == before


def test_refused_form_escapes_what_was_typed(client):
    response = post_form(client, contents=EVIL, title='"><script>alert(1)</script>', password="x")
    assert response.status_code == 400
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_shell_upload_file_name_is_escaped_on_the_page(client):
    response = shell_post(client, file=("<svg onload=alert(1)>.py", b"print(1)\n"))
    paste_id, _ = SHELL_ANSWER.match(response.text).groups()
    page = client.get(f"/paste/{paste_id}").text
    assert "<svg onload" not in page
    assert "&lt;svg onload=alert(1)&gt;.py" in page


@pytest.mark.parametrize(
    ("title", "saved_as"),
    [
        ("demo.py", "demo.py"),
        ("My notes", "My notes.txt"),
        ("../../etc/passwd", "etcpasswd.txt"),
        ("...", None),
        (None, None),
    ],
)
def test_a_download_is_named_after_the_title(client, api, title, saved_as):
    fields = {"title": title} if title is not None else {}
    paste_id = api.submit("print(1)\n", **fields)["paste_id_repr"]
    response = client.get(f"/paste/{paste_id}/download")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    expected = saved_as or f"{paste_id}.txt"
    assert f'filename="{expected}"' in disposition or f"filename={expected}" in disposition


def test_the_paste_service_guesses_for_any_face_that_asks(app):
    from pastecms.extensions import db
    from pastecms.services.identity.auth import Caller
    from pastecms.services.pastes import paste as paste_service

    caller = Caller(address="192.0.2.1")
    with app.app_context():
        asked = paste_service.submit(RUBY, caller, title="script.rb", guess_language=True)
        named = paste_service.submit(RUBY, caller, title="script.rb", language="python")
        plain = paste_service.submit(RUBY, caller, title="script.rb")
        db.session.rollback()
    assert (asked.language, named.language, plain.language) == ("ruby", "python", "text")
