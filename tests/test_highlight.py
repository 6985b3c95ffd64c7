"""The web page's highlighting costs bounded CPU whatever the contents, is made once per
paste and shared by every worker, and runs while no write (no SQLite write lock) is held.
"""

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update

from pastecms.extensions import db
from pastecms.models import Highlight, Paste
from pastecms.services.identity.auth import Caller
from pastecms.services.ids import paste_ids
from pastecms.services.pastes import highlight, pygmentize
from pastecms.services.pastes import paste as paste_service

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
    assert '<span id="L1">a a a a a' in page
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
    assert '<span id="L1">def f():</span>\n<span id="L2">    return 1</span>\n</code>' in page
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
    assert '<span id="L1">def f():</span>' in second and '<span class="k">' not in second
    assert made == ["python"]
    assert len(db_rows()["paste_highlights"]) == 1
    # Once made, every viewer reads it.
    assert '<span class="k">def</span>' in page_of(app.test_client(), paste)
    assert made == ["python"]


#: Every language name Modern Paste offers: CodeMirror 5's modes, as fpaste lists them.
CODEMIRROR_MODES = (
    "apl asciiarmor asn.1 asterisk brainfuck clike clojure cmake cobol coffeescript "
    "commonlisp crystal css cypher d dart diff django dockerfile dtd dylan ebnf ecl eiffel "
    "elm erlang factor fcl forth fortran gas gfm gherkin go groovy haml handlebars haskell "
    "haskell-literate haxe htmlembedded htmlmixed http idl javascript jinja2 jsx julia "
    "livescript lua markdown mathematica mbox mirc mllike modelica mscgen mumps nginx nsis "
    "ntriples octave oz pascal pegjs perl php pig powershell properties protobuf pug puppet "
    "python q r rpm rst ruby rust sas sass scheme shell sieve slim smalltalk smarty solr soy "
    "sparql spreadsheet sql stex stylus swift tcl textile tiddlywiki tiki toml tornado troff "
    "ttcn ttcn-cfg turtle twig vb vbscript velocity verilog vhdl vue webidl xml xquery yacas "
    "yaml yaml-frontmatter z80"
).split()
#: The modes Pygments has no lexer for, nor a near one: shown as plain text.
WITHOUT_A_HIGHLIGHTER = {
    "asciiarmor", "asn.1", "fcl", "mirc", "mumps", "oz", "solr", "spreadsheet", "textile",
    "tiddlywiki", "tiki", "ttcn", "yacas", "z80",
}  # fmt: skip


@pytest.mark.parametrize("mode", CODEMIRROR_MODES)
def test_every_modern_paste_language_name_has_its_highlighter(mode):
    from pygments.lexers import get_lexer_by_name

    from pastecms.services.pastes import language

    name = language.highlighter(mode, "x = 1\n")
    if mode in WITHOUT_A_HIGHLIGHTER:
        assert name == language.FALLBACK
    else:
        assert highlight._lexer(name) is not None, (mode, name)
        get_lexer_by_name(name)


@pytest.mark.parametrize(
    ("contents", "lexer"),
    [
        ("#include <stdio.h>\nint main(void) {\n    return 0;\n}\n", "c"),
        ("#include <vector>\nusing namespace std;\nstd::vector<int> v;\n", "cpp"),
        (
            "public class A {\n  public static void main(String[] a) {\n"
            '    System.out.println("x");\n  }\n}\n',
            "java",
        ),
    ],
)
def test_clike_is_guessed_among_the_c_like_languages(contents, lexer):
    from pastecms.services.pastes import language

    assert language.highlighter("clike", contents) == lexer


@pytest.mark.parametrize("mode", ["clike", "shell", "htmlmixed", "mllike", "stex"])
def test_a_paste_sent_with_a_codemirror_mode_is_shown_highlighted_and_keeps_its_name(
    client, api, mode
):
    paste = api.submit("#include <stdio.h>\nint main(void) { return 0; }\n", language=mode)
    assert paste["language"] == mode
    page = client.get(f"/paste/{paste['paste_id_repr']}").text
    assert '<span class="' in page, mode
    assert api.details(paste["paste_id_repr"]).json["language"] == mode


# Made ahead (HIGHLIGHT_AHEAD): a background thread highlights each new paste once it is
# committed; tests wait for it with `highlight.wait_ahead`.


def drained() -> None:
    assert highlight.wait_ahead(timeout=30)


def _api_submit(client, contents):
    return client.post("/api/paste/submit", json={"contents": contents, "language": "python"})


def _form_submit(client, contents):
    return client.post("/", data={"contents": contents, "language": "auto", "title": "f.py"})


def _shell_post(client, contents):
    return client.post("/", data=contents.encode(), content_type="application/octet-stream")


def _shell_put(client, contents):
    return client.put("/notes.py", data=contents.encode())


def _new_paste_id(app, response) -> str:
    assert response.status_code in (200, 302), response.text
    with app.app_context():
        newest = db.session.scalar(select(Paste.id).order_by(Paste.id.desc()).limit(1))
        return str(paste_ids().encode(newest))


@pytest.mark.parametrize("submit", [_api_submit, _form_submit, _shell_post, _shell_put])
def test_the_first_reader_of_a_new_paste_finds_its_html_made(make_app, made, db_rows, submit):
    app = make_app(HIGHLIGHT_AHEAD=True)
    client = app.test_client()
    paste_id = _new_paste_id(app, submit(client, "import os\n\ndef main():\n    pass\n"))
    drained()
    assert len(db_rows()["paste_highlights"]) == 1

    assert '<span class="k">def</span>' in page_of(client, {"paste_id_repr": paste_id})
    assert made == []  # the reader's request ran no Pygments


def test_a_paste_with_no_language_costs_nothing_ahead(make_app, db_rows, monkeypatch):
    sent = []
    monkeypatch.setattr(pygmentize.Highlighter, "highlight", lambda *args: sent.append(args))
    client = make_app(HIGHLIGHT_AHEAD=True).test_client()
    client.post("/api/paste/submit", json={"contents": PYTHON})  # plain text, as documented
    drained()
    assert sent == []
    assert db_rows()["paste_highlights"] == []


def test_a_paste_over_budget_ahead_is_plain_text_and_never_tried_again(make_app, made):
    app = make_app(HIGHLIGHT_AHEAD=True, HIGHLIGHT_TIME_LIMIT=0.05)
    client = app.test_client()
    paste = client.post(
        "/api/paste/submit", json={"contents": PATHOLOGICAL, "language": "java"}
    ).json
    drained()
    for _ in range(2):
        page = page_of(client, paste)
        assert '<span id="L1">a a a a a' in page
        assert '<span class="n">a</span>' not in page
    assert made == []


def test_a_paste_the_thread_could_not_highlight_is_highlighted_by_its_first_view(
    make_app, made, monkeypatch, caplog
):
    def fails(self, contents, language, seconds):
        raise pygmentize.NoVerdict("the child could not start")

    monkeypatch.setattr(pygmentize.Highlighter, "highlight", fails)
    client = make_app(HIGHLIGHT_AHEAD=True).test_client()
    paste = client.post("/api/paste/submit", json={"contents": PYTHON, "language": "python"}).json
    drained()
    assert "ahead failed: the child could not start" in caplog.text
    assert '<span class="k">def</span>' in page_of(client, paste)
    assert made == ["python"]


class Hold:
    """The thread, held in its highlighting until the test lets it go (`set()`);
    `working` is set once it has taken a paste and is held."""

    def __init__(self):
        self.working = threading.Event()
        self._go = threading.Event()

    def set(self) -> None:
        self._go.set()

    def wait(self) -> None:
        self.working.set()
        assert self._go.wait(timeout=30)


@pytest.fixture
def held(monkeypatch):
    hold = Hold()
    real = pygmentize.Highlighter.highlight

    def waits(self, *args):
        hold.wait()
        return real(self, *args)

    monkeypatch.setattr(pygmentize.Highlighter, "highlight", waits)
    yield hold
    hold.set()


def test_a_reader_ahead_of_the_thread_gets_highlighted_html_not_plain_text(
    make_app, made, db_rows, held
):
    client = make_app(HIGHLIGHT_AHEAD=True).test_client()
    paste = client.post("/api/paste/submit", json={"contents": PYTHON, "language": "python"}).json
    # The thread is at work on it (it takes no claim): the reader makes it, as before.
    assert '<span class="k">def</span>' in page_of(client, paste)
    assert made == ["python"]
    held.set()
    drained()
    assert len(db_rows()["paste_highlights"]) == 1
    assert '<span class="k">def</span>' in page_of(client, paste)


def test_a_stopping_worker_logs_the_pastes_it_leaves_unhighlighted(make_app, held, caplog):
    client = make_app(HIGHLIGHT_AHEAD=True).test_client()
    for _ in range(2):
        client.post("/api/paste/submit", json={"contents": PYTHON, "language": "python"})
    assert highlight.finish_ahead(timeout=0.01) == 2
    assert "2 new pastes left unhighlighted" in caplog.text
    held.set()
    drained()


def test_a_paste_deleted_before_its_turn_is_not_highlighted(make_app, db_rows, held):
    client = make_app(HIGHLIGHT_AHEAD=True).test_client()
    first = client.post("/api/paste/submit", json={"contents": PYTHON, "language": "python"})
    paste = client.post("/api/paste/submit", json={"contents": PYTHON, "language": "python"}).json
    assert first.status_code == 200
    deleted = client.post(
        "/api/paste/deactivate",
        json={
            "paste_id": paste["paste_id_repr"],
            "deactivation_token": paste["deactivation_token"],
        },
    )
    assert deleted.status_code == 200
    held.set()
    drained()
    assert len(db_rows()["paste_highlights"]) == 1  # the first paste's only


def test_a_full_queue_leaves_a_paste_to_its_first_view(make_app, made, held, monkeypatch):
    monkeypatch.setattr(highlight, "AHEAD_QUEUE", 1)
    client = make_app(HIGHLIGHT_AHEAD=True).test_client()

    def submit():
        return client.post("/api/paste/submit", json={"contents": PYTHON, "language": "python"})

    pastes = [submit().json]
    assert held.working.wait(timeout=30)  # the thread has taken it: the queue is empty
    pastes += [submit().json for _ in range(2)]  # one waiting, one refused
    held.set()
    drained()
    for paste in pastes:
        assert '<span class="k">def</span>' in page_of(client, paste)
    assert len(made) == 1


def test_a_rolled_back_paste_is_not_highlighted(make_app, monkeypatch):
    sent = []
    monkeypatch.setattr(pygmentize.Highlighter, "highlight", lambda self, *args: sent.append(args))
    app = make_app(HIGHLIGHT_AHEAD=True)
    with app.app_context():
        paste_service.submit(PYTHON, Caller(address="192.0.2.1"), language="python")
        db.session.rollback()
        db.session.commit()  # a later commit of the session hands nothing over
    drained()
    assert sent == []


# A child that stays (`pygmentize.Highlighter`), for the thread.


def test_the_staying_child_highlights_as_pygments_does_and_survives_a_paste_over_budget():
    highlighter = pygmentize.Highlighter()
    try:
        assert highlighter.highlight(PYTHON, "python", 5.0) == pygmentize.highlighted(
            PYTHON, "python"
        )
        assert highlighter.highlight(PATHOLOGICAL, "java", 0.05) is None
        assert '<span class="k">def</span>' in highlighter.highlight(PYTHON, "python", 5.0)
    finally:
        highlighter.close()


def test_a_staying_child_that_dies_gives_no_verdict_and_the_next_paste_a_new_child():
    highlighter = pygmentize.Highlighter()
    try:
        highlighter.highlight(PYTHON, "python", 5.0)
        highlighter._process.kill()  # noqa: SLF001 - the test plays the crash
        with pytest.raises(pygmentize.NoVerdict):
            highlighter.highlight(PYTHON, "python", 5.0)
        assert '<span class="k">def</span>' in highlighter.highlight(PYTHON, "python", 5.0)
    finally:
        highlighter.close()


def test_a_paste_over_budget_is_counted_for_the_operator(make_app, made):
    from tests.test_metrics import samples

    token = "highlight-scrape-" + "h" * 32  # an app of this test's own, with fresh counts
    client = make_app(HIGHLIGHT_TIME_LIMIT=0.05, METRICS_TOKEN=token).test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    hits = ("pastecms_highlight_budget_hits_total", ())
    paste = client.post(
        "/api/paste/submit", json={"contents": PATHOLOGICAL, "language": "java"}
    ).json
    assert samples(client, bearer)[hits] == 0
    page_of(client, paste)
    page_of(client, paste)  # kept as plain text: not tried, nor counted, again
    assert samples(client, bearer)[hits] == 1
