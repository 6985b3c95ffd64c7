"""Flask commands: `db`, `users create` and `pastes purge`."""

import base64
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from pastecms.extensions import db
from pastecms.models import Attachment, Paste, User, utcnow
from pastecms.services.ids import paste_ids

STATUS = "/api/authentication/status"


def api_key_from(output: str) -> str:
    return output.strip().splitlines()[-1]


# db


def test_db_commands_are_listed_and_run(runner):
    listed = runner.invoke(args=["db", "--help"])
    assert listed.exit_code == 0, listed.output
    assert "upgrade" in listed.output and "downgrade" in listed.output
    # The schema is at its head already: upgrading again succeeds and changes nothing.
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    unknown = runner.invoke(args=["db", "no-such-command"])
    assert unknown.exit_code == 2 and "No such command" in unknown.output


def test_a_served_app_never_loads_the_migration_tools():
    # Alembic and Mako would weigh on every gunicorn worker, which never migrates.
    tools = "{'alembic', 'flask_migrate', 'mako'}"
    program = f"import sys, wsgi; print(sorted({{m.split('.')[0] for m in sys.modules}} & {tools}))"
    environment = {**os.environ, "PASTECMS_CONFIG": "Config", "PASTECMS_SECRET_KEY": "k" * 48}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"


# users create


def test_users_create_prints_a_working_api_key_last(runner, client):
    result = runner.invoke(args=["users", "create", "alice", "--password", "correct horse"])
    assert result.exit_code == 0, result.output
    key = api_key_from(result.output)
    assert " " not in key and len(key) >= 40

    status = client.post(STATUS, json={"api_key": key}).json
    assert status["is_authenticated"] is True
    assert status["user_details"]["username"] == "alice"
    paste = client.post("/api/paste/submit", json={"contents": "x", "api_key": key}).json
    assert paste["poster_username"] == "alice"


def test_users_create_admin_can_manage_others_pastes(app, runner, api, make_user):
    result = runner.invoke(
        args=["users", "create", "root", "--password", "correct horse", "--admin"]
    )
    assert result.exit_code == 0, result.output
    assert "admin" in result.output
    admin_key = api_key_from(result.output)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "root")).is_admin is True

    _, alice = make_user("alice")
    paste = api.submit("alice's", api_key=alice)
    response = api.post(
        "/api/paste/deactivate", {"paste_id": paste["paste_id_repr"], "api_key": admin_key}
    )
    assert response.status_code == 200


def test_users_create_without_admin_is_a_plain_user(app, runner):
    runner.invoke(args=["users", "create", "bob", "--password", "correct horse"])
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "bob")).is_admin is False


def test_users_create_password_logs_in(runner, client):
    runner.invoke(args=["users", "create", "alice", "--password", "correct horse"])
    response = client.post(
        "/api/authentication/login", json={"username": "alice", "password": "correct horse"}
    )
    assert response.status_code == 200


def test_users_create_works_with_registration_off(make_app):
    runner = make_app(ENABLE_USER_REGISTRATION=False).test_cli_runner()
    result = runner.invoke(args=["users", "create", "alice", "--password", "correct horse"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("taken_as", ["alice", "ALICE"])
def test_users_create_refuses_a_taken_name(runner, make_user, db_rows, taken_as):
    make_user("alice")
    before = db_rows()
    result = runner.invoke(args=["users", "create", taken_as, "--password", "correct horse"])
    assert result.exit_code != 0
    assert "username_not_available_failure" in result.output
    assert db_rows() == before


# pastes purge


def _attachment(name: str) -> list:
    return [{"name": name, "data": base64.b64encode(b"data").decode()}]


def test_purge_deletes_expired_and_deactivated_pastes_and_their_attachments(
    app, api, runner, monkeypatch
):
    live = api.submit("live", attachments=_attachment("live.txt"))
    later = api.submit("expires later", expiry_time=int(time.time()) + 7 * 86400)
    expired = api.submit(
        "expires soon", expiry_time=int(time.time()) + 60, attachments=_attachment("exp.txt")
    )
    deactivated = api.submit("deactivated", attachments=_attachment("gone.txt"))
    api.post(
        "/api/paste/deactivate",
        {
            "paste_id": deactivated["paste_id_repr"],
            "deactivation_token": deactivated["deactivation_token"],
        },
    )
    real = utcnow
    monkeypatch.setattr(
        "pastecms.services.pastes.paste.utcnow", lambda: real() + timedelta(hours=1)
    )

    result = runner.invoke(args=["pastes", "purge"])
    assert result.exit_code == 0, result.output
    assert "Purged 2 pastes." in result.output

    with app.app_context():
        ids = paste_ids()
        remaining = set(db.session.scalars(select(Paste.id)))
        assert remaining == {ids.decode(live["paste_id_repr"]), ids.decode(later["paste_id_repr"])}
        assert set(db.session.scalars(select(Attachment.file_name))) == {"live.txt"}
        assert ids.decode(expired["paste_id_repr"]) not in remaining

    assert api.details(live["paste_id_repr"]).json["contents"] == "live"
    assert api.details(later["paste_id_repr"]).json["contents"] == "expires later"


def test_purge_with_nothing_to_do_keeps_everything(api, runner, db_rows):
    api.submit("live")
    before = db_rows()
    result = runner.invoke(args=["pastes", "purge"])
    assert result.exit_code == 0
    assert "Purged 0 pastes." in result.output
    assert db_rows() == before


@pytest.mark.parametrize(
    ("username", "password", "failure_name"),
    [
        ("bad name", "long enough", "invalid_params_failure"),
        ("x" * 65, "long enough", "invalid_params_failure"),
        ("carol", "short", "invalid_params_failure"),
    ],
)
def test_cli_refuses_what_registration_refuses(runner, db_rows, username, password, failure_name):
    before = db_rows()
    result = runner.invoke(args=["users", "create", username, "--password", password])
    assert result.exit_code != 0
    assert failure_name in result.output
    assert db_rows() == before


def test_help_and_version_need_no_settings():
    """A new user's first `pastecms --help`, with nothing set, lists the commands."""
    import subprocess
    import sys

    env = {"PATH": os.environ["PATH"]}
    for args, expected in [
        (["--help"], "users"),
        (["--version"], "pastecms "),
        (["users", "--help"], "reset-password"),
        (["db", "--help"], "upgrade"),
    ]:
        done = subprocess.run(
            [sys.executable, "-c", "from pastecms.cli import main; main()", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            timeout=60,
        )
        assert done.returncode == 0, (args, done.stderr)
        assert expected in done.stdout, (args, done.stdout)


def test_users_list_promote_demote_reset_password_and_deactivate(runner, make_user, client):
    make_user("carol", email="carol@example.org")
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0
    assert "carol\tuser\tactive\tcarol@example.org" in listed.output
    assert runner.invoke(args=["users", "promote", "carol"]).exit_code == 0
    assert "carol\tadmin\t" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "demote", "CAROL"]).exit_code == 0
    assert "carol\tuser\t" in runner.invoke(args=["users", "list"]).output
    reset = runner.invoke(args=["users", "reset-password", "carol", "--password", "a new horse"])
    assert reset.exit_code == 0, reset.output
    login = {"username": "carol", "password": "a new horse"}
    assert client.post("/api/auth/auth", json=login).status_code == 200
    short = runner.invoke(args=["users", "reset-password", "carol", "--password", "short"])
    assert short.exit_code == 1 and "invalid_params_failure" in short.output
    assert runner.invoke(args=["users", "deactivate", "carol"]).exit_code == 0
    assert "carol\tuser\tdeactivated" in runner.invoke(args=["users", "list"]).output
    assert client.post("/api/auth/auth", json=login).status_code == 401
    unknown = runner.invoke(args=["users", "promote", "nobody"])
    assert unknown.exit_code == 1 and "nonexistent_user_failure" in unknown.output
