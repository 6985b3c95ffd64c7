"""The web page's highlighting costs bounded CPU whatever the contents, is made once per
paste and shared by every worker, and runs while no write (no SQLite write lock) is held.
"""

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update

from pastecms.extensions import db
from pastecms.models import Highlight
from pastecms.services import highlight, pygmentize

# Quadratic for Pygments' Java lexer: tens of seconds of CPU at 32 KiB; here small enough
# that a broken budget costs the suite seconds, not minutes.
PATHOLOGICAL = "a " * 6000
PYTHON = "def f():\n    return 1\n"


@pytest.fixture
def made(monkeypatch):
    """How many times highlighting ran, in this process, while the test went on."""
    calls = []
    real = highlight.within_budget

    def counted(contents, language, seconds):
        calls.append(language)
        return real(contents, language, seconds)

    monkeypatch.setattr(highlight, "within_budget", counted)
    return calls


def page_of(client, paste) -> str:
    response = client.get(f"/paste/{paste['paste_id_repr']}")
    assert response.status_code == 200
    return response.text


def test_a_pathological_paste_over_budget_is_shown_as_plain_text(make_app, made):
    app = make_app(HIGHLIGHT_TIME_LIMIT=0.05)
    client = app.test_client()
    paste = client.post(
        "/api/paste/submit", json={"contents": PATHOLOGICAL, "language": "java"}
    ).json

    page = page_of(client, paste)
    assert "<pre><code>a a a a a" in page
    assert '<span class="n">a</span>' not in page
    # Given up once, never tried again: each view would otherwise cost the whole budget.
    page_of(client, paste)
    assert made == ["java"]


def test_highlighted_html_is_made_once_and_shared_by_every_worker(make_app, made):
    paste = (
        make_app()
        .test_client()
        .post("/api/paste/submit", json={"contents": PYTHON, "language": "python"})
        .json
    )
    for worker in (make_app(), make_app()):  # two apps: two workers on one database
        for _ in range(2):
            assert '<span class="k">def</span>' in page_of(worker.test_client(), paste)
    assert made == ["python"]


def test_html_made_by_another_highlighter_is_made_again(app, client, api, made):
    paste = api.submit(PYTHON, language="python")
    page_of(client, paste)
    with app.app_context():
        db.session.execute(update(Highlight).values(made_by="pygments 0.1, format 0"))
        db.session.commit()
    assert '<span class="k">def</span>' in page_of(client, paste)
    page_of(client, paste)
    assert made == ["python", "python"]


@pytest.mark.parametrize(
    ("settings", "language"),
    [({"HIGHLIGHT_MAX_SIZE": len(PYTHON) - 1}, "python"), ({}, "text"), ({}, "klingon")],
)
def test_large_plain_and_unknown_pastes_are_never_highlighted(
    make_app, made, db_rows, settings, language
):
    client = make_app(**settings).test_client()
    paste = client.post("/api/paste/submit", json={"contents": PYTHON, "language": language}).json
    page = page_of(client, paste)
    assert "<pre><code>def f():\n    return 1\n</code></pre>" in page
    assert made == []
    assert db_rows()["paste_highlights"] == []


def test_plain_text_is_escaped(client, api):
    paste = api.submit("<script>alert(1)</script>", language="text")
    page = page_of(client, paste)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_purge_removes_the_html_of_purged_pastes(app, client, api, runner, db_rows):
    paste = api.submit(PYTHON, language="python")
    page_of(client, paste)
    assert len(db_rows()["paste_highlights"]) == 1
    api.post(
        "/api/paste/deactivate",
        {"paste_id": paste["paste_id_repr"], "deactivation_token": paste["deactivation_token"]},
    )
    assert runner.invoke(args=["pastes", "purge"]).exit_code == 0
    assert db_rows()["paste_highlights"] == []


# Off the main thread (gunicorn's threaded workers, the development server), a child
# process does the work.


def _in_a_thread(function, *args):
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def test_off_the_main_thread_a_child_process_highlights_the_same(app):
    with app.app_context():
        here = highlight.within_budget(PYTHON, "python", 5.0)
    elsewhere = _in_a_thread(highlight.within_budget, PYTHON, "python", 5.0)
    assert threading.current_thread() is threading.main_thread()
    assert '<span class="k">def</span>' in here
    assert elsewhere == here


def test_off_the_main_thread_the_budget_holds_too():
    assert _in_a_thread(highlight.within_budget, PATHOLOGICAL, "java", 0.05) is None


def test_a_child_that_cannot_finish_gives_no_verdict_rather_than_plain_text(monkeypatch):
    # A child the machine kept from finishing in time says nothing about the paste.
    monkeypatch.setattr(pygmentize, "_CHILD_STARTUP_S", -4.99)
    with pytest.raises(pygmentize.NoVerdict):
        _in_a_thread(highlight.within_budget, PYTHON, "python", 5.0)


def test_a_paste_whose_highlighting_failed_is_highlighted_at_a_later_view(client, api, monkeypatch):
    real = highlight.within_budget
    failures = [pygmentize.NoVerdict("the child could not start")]

    def fails_once(contents, language, seconds):
        if failures:
            raise failures.pop()
        return real(contents, language, seconds)

    monkeypatch.setattr(highlight, "within_budget", fails_once)
    paste = api.submit(PYTHON, language="python")
    assert '<span class="k">def</span>' not in page_of(client, paste)
    assert '<span class="k">def</span>' in page_of(client, paste)


def test_the_highlighting_child_starts_without_the_app():
    # It starts on a paste's first view: Python and Pygments only, not Flask and the rest.
    finished = subprocess.run(
        [sys.executable, "-P", "-X", "importtime", pygmentize.__file__, "python", "5"],
        input=PYTHON.encode(),
        capture_output=True,
        check=True,
    )
    assert b'<span class="k">def</span>' in finished.stdout
    loaded = {line.rsplit("|", 1)[-1].strip() for line in finished.stderr.decode().splitlines()}
    assert "pygments" in loaded
    assert not {"flask", "sqlalchemy", "pastecms"} & loaded


def test_no_budget_means_no_highlighting():
    assert highlight.within_budget(PYTHON, "python", 0) is None


def test_no_write_is_held_while_highlighting(client, api, monkeypatch, pastes_are_writable):
    paste = api.submit(PYTHON, language="python")
    seen = []
    real = highlight.within_budget

    def probed(*args):
        seen.append(pastes_are_writable())
        return real(*args)

    monkeypatch.setattr(highlight, "within_budget", probed)
    page = page_of(client, paste)
    assert seen == [True]
    assert "1 view" in page


def test_of_viewers_arriving_together_one_highlights_the_rest_see_plain_text(
    app, api, monkeypatch, db_rows
):
    paste = api.submit(PYTHON, language="python")
    real = highlight.within_budget
    meanwhile, made = [], []

    def slow_and_watched(*args):
        # A second viewer arrives while this one is highlighting.
        if not meanwhile:
            meanwhile.append(page_of(app.test_client(), paste))
        made.append(args[1])
        return real(*args)

    monkeypatch.setattr(highlight, "within_budget", slow_and_watched)
    first = page_of(app.test_client(), paste)
    assert '<span class="k">def</span>' in first
    (second,) = meanwhile
    assert "<pre><code>def f():" in second and '<span class="k">' not in second
    assert made == ["python"]
    assert len(db_rows()["paste_highlights"]) == 1
    # Once made, every viewer reads it.
    assert '<span class="k">def</span>' in page_of(app.test_client(), paste)
    assert made == ["python"]
