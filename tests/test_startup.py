"""A refused start says what is wrong and how to mend it, in one line."""

import os
import subprocess
import sys

import pytest
from flask import Flask

from config import ProdConfig, TestConfig
from pastecms import ConfigurationError, config, create_app, ratelimit
from tests.live import ROOT, free_port

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


KEY = "k" * 32


def run_flask(*args, app="wsgi", **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("PASTECMS_")}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", app, *args],
        cwd=ROOT,
        env={**base, "PASTECMS_CONFIG": "Config", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


#: How gunicorn is started on a checkout: with the settings named, or plainly, in the
#: checkout, where gunicorn finds ./gunicorn.conf.py by itself.
STARTS = {"named": ["--config", str(GUNICORN_CONF)], "plain": []}


def run_gunicorn(tmp_path, start="named", **settings) -> subprocess.CompletedProcess:
    """gunicorn with the shipped settings and the production config, on a free port and
    a database of its own, until it exits (a refused start ends it) or a minute passes."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PASTECMS_")}
    env = {
        **base,
        "PASTECMS_CONFIG": "ProdConfig",
        "PASTECMS_DATABASE_URI": f"sqlite:///{tmp_path / 'refused.db'}",
        "PASTECMS_BIND": f"127.0.0.1:{free_port()}",
        **settings,
    }
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", *STARTS[start], "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "PASTECMS_SECRET_KEY is not set"),
        ({"PASTECMS_SECRET_KEY": "short"}, "PASTECMS_SECRET_KEY is too short (5 characters"),
        (
            {
                "PASTECMS_SECRET_KEY": KEY,
                "PASTECMS_DATABASE_URI": "postgresql+pg8000://pastecms@127.0.0.1/pastecms",
            },
            "whose driver (pg8000) is not installed: pip install pg8000",
        ),
        (
            {"PASTECMS_SECRET_KEY": KEY, "PASTECMS_DATABASE_URI": "nosuchdb://x"},
            "PASTECMS_DATABASE_URI names an unknown database (nosuchdb)",
        ),
        (
            {"PASTECMS_SECRET_KEY": KEY, "PASTECMS_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/33"},
            "PASTECMS_WEBHOOK_ALLOWED_NETWORKS: '10.0.0.0/33' does not appear to be",
        ),
        # Once these started, and every list answered 500.
        (
            {"PASTECMS_SECRET_KEY": KEY, "PASTECMS_MAX_PAGE_SIZE": "abc"},
            "PASTECMS_MAX_PAGE_SIZE is 'abc'; it takes a whole number from 1 to 10000.",
        ),
        (
            {"PASTECMS_SECRET_KEY": KEY, "PASTECMS_MAX_PAGE_BYTES": "abc"},
            "PASTECMS_MAX_PAGE_BYTES is 'abc'; it takes a whole number of at least 0, or null",
        ),
    ],
)
@pytest.mark.parametrize("app", ["wsgi", "pastecms:create_app"])
def test_a_refused_start_is_one_line_without_a_traceback(env, says, app):
    result = run_flask("db", "upgrade", app=app, **env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "No such command" not in result.stderr


# Every setting is checked at start against `config.SETTINGS`: values it does not take.
BAD_VALUES = {
    "int": ["abc", 1.5, True, [1]],
    "number": ["abc", float("nan"), False],
    "bool": ["maybe", 2, 0.5],
    "text": [1.5, ["x"], True],
    "choice": ["bogus", 1],
    "limits": ["lots", "60 per fortnight", 60],
    "list": [42, [1, 2], {"a": "b"}],
}


def _bad_values():
    for setting in config.SETTINGS:
        values = list(BAD_VALUES[setting.kind])
        if setting.low is not None:
            values.append(setting.low - (1 if setting.kind == "int" else 0.5))
        if setting.high is not None:
            values.append(setting.high + 1)
        if not setting.optional:
            values.append(None)
        for value in values:
            yield pytest.param(setting, value, id=f"{setting.name}={value!r}")


@pytest.mark.parametrize(("setting", "value"), list(_bad_values()))
def test_a_setting_given_a_value_it_does_not_take_refuses_the_start_in_one_line(setting, value):
    with pytest.raises(ConfigurationError) as refused:
        create_app(TestConfig, {setting.name: value})
    message = str(refused.value)
    assert message == f"PASTECMS_{setting.name} is {value!r}; it takes {setting.accepts()}."
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "given", "taken"),
    [
        ("MAX_PAGE_SIZE", "50", 50),
        ("MAX_PAGE_BYTES", " 2048 ", 2048),
        ("HIGHLIGHT_TIME_LIMIT", "0.5", 0.5),
        ("CAPTCHA_TIMEOUT", 3, 3),
        ("REQUIRE_LOGIN_TO_PASTE", "True", True),
        ("ENABLE_USER_REGISTRATION", "off", False),
        ("ENCRYPT_PASTE_IDS", 0, False),
        ("PASTE_ID_KEY", 12345678, "12345678"),
        ("MAX_PAGE_BYTES", None, None),
    ],
)
def test_numbers_and_booleans_given_as_text_are_converted(name, given, taken):
    app = create_app(TestConfig, {name: given})
    assert app.config[name] == taken
    assert type(app.config[name]) is type(taken)
    with app.app_context():
        assert getattr(config.settings(), name.lower()) == taken


def test_every_setting_of_the_config_classes_is_checked_at_start():
    classes = (config.Config, config.DevConfig, config.ProdConfig, config.TestConfig)
    defined = {name for cls in classes for name in vars(cls) if name.isupper()}
    assert defined <= {setting.name for setting in config.SETTINGS}


def test_the_defaults_of_every_config_class_are_taken():
    for cls in (config.Config, config.DevConfig, config.ProdConfig, config.TestConfig):
        config.checked({name: getattr(cls, name) for name in dir(cls) if name.isupper()})


def test_settings_are_frozen_and_do_not_show_secrets():
    app = create_app(TestConfig, {"MAX_PAGE_SIZE": 7})
    with app.app_context():
        settings = config.settings()
    assert settings.max_page_size == 7
    with pytest.raises(AttributeError):
        settings.max_page_size = 8
    assert "test-secret-key" not in repr(settings)


def test_a_long_enough_secret_key_starts(tmp_path):
    result = run_flask(
        "db",
        "current",
        PASTECMS_SECRET_KEY=KEY,
        PASTECMS_DATABASE_URI=f"sqlite:///{tmp_path / 'started.db'}",
    )
    assert result.returncode == 0, result.stderr


def test_a_missing_postgresql_driver_names_the_extra_to_install(monkeypatch):
    # As if psycopg were not installed: importing it raises ImportError.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'pastecms\[postgres\]'"):
        create_app(TestConfig, {"DATABASE_URI": "postgresql+psycopg://u@127.0.0.1/db"})


# More than one worker counting rate limits in memory: each counts alone.


@pytest.mark.parametrize(
    ("settings", "workers", "refused"),
    [
        ({"RATELIMIT_REQUIRE_SHARED_STORAGE": True}, 2, True),
        ({"RATELIMIT_REQUIRE_SHARED_STORAGE": True}, 1, False),
        (
            {
                "RATELIMIT_REQUIRE_SHARED_STORAGE": True,
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            },
            3,
            False,
        ),
        ({"RATELIMIT_REQUIRE_SHARED_STORAGE": True, "RATELIMIT_ENABLED": False}, 3, False),
    ],
)
def test_several_workers_may_not_count_limits_each_in_its_own_memory(
    make_app, settings, workers, refused
):
    app = make_app(**{"RATELIMIT_STORAGE_URI": "memory://", **settings})
    if refused:
        with pytest.raises(ConfigurationError, match="set PASTECMS_RATELIMIT_STORAGE_URI=redis"):
            ratelimit.check_workers(app, workers)
    else:
        ratelimit.check_workers(app, workers)


def test_outside_production_several_workers_in_memory_only_warn(make_app, caplog):
    app = make_app(RATELIMIT_REQUIRE_SHARED_STORAGE=False, RATELIMIT_STORAGE_URI="memory://")
    ratelimit.check_workers(app, 2)
    assert "2 workers would each count rate limits in their own memory" in caplog.text


def test_the_shipped_server_settings_serve_other_flask_apps_too():
    # The benchmark serves its ceiling, a bare Flask app, with the same gunicorn settings:
    # it has no limits to share, so nothing to refuse.
    ratelimit.check_workers(Flask("not_pastecms"), 3)


def test_production_config_requires_shared_limit_storage():
    assert ProdConfig.RATELIMIT_REQUIRE_SHARED_STORAGE is True


@pytest.mark.live
@pytest.mark.parametrize("start", STARTS)
def test_gunicorn_refuses_to_start_workers_that_would_count_limits_apart(tmp_path, start):
    # Refused once, in the master, before any worker: one line, and the server exits.
    result = run_gunicorn(tmp_path, start, PASTECMS_SECRET_KEY="x" * 32, PASTECMS_WORKERS="3")
    assert result.returncode == 1
    assert result.stderr.count("would each count rate limits in their own memory") == 1
    assert "Booting worker" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.live
@pytest.mark.parametrize("start", STARTS)
def test_gunicorn_refuses_to_start_without_a_secret_key_in_one_line(tmp_path, start):
    # Each worker loads the app (no preload), and one refusing would be replaced every
    # second for ever (a plain `gunicorn wsgi:app` did so): the master refuses first.
    result = run_gunicorn(tmp_path, start, PASTECMS_WORKERS="3")
    assert result.returncode == 1
    assert result.stderr.count("pastecms: PASTECMS_SECRET_KEY is not set") == 1
    assert "Booting worker" not in result.stderr
    assert "Traceback" not in result.stderr
