"""A refused start says what is wrong and how to mend it, in one line."""

import os
import subprocess
import sys

import pytest

from config import TestConfig
from pastecms import ConfigurationError, create_app
from tests.live import ROOT


def run_flask(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("PASTECMS_")}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env={**base, "PASTECMS_CONFIG": "Config", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "PASTECMS_SECRET_KEY is not set"),
        (
            {
                "PASTECMS_SECRET_KEY": "x",
                "PASTECMS_DATABASE_URI": "postgresql+pg8000://pastecms@127.0.0.1/pastecms",
            },
            "whose driver (pg8000) is not installed: pip install pg8000",
        ),
        (
            {"PASTECMS_SECRET_KEY": "x", "PASTECMS_DATABASE_URI": "nosuchdb://x"},
            "PASTECMS_DATABASE_URI names an unknown database (nosuchdb)",
        ),
    ],
)
def test_a_refused_start_is_one_line_without_a_traceback(env, says):
    result = run_flask("db", "upgrade", **env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "No such command" not in result.stderr


def test_a_missing_postgresql_driver_names_the_extra_to_install(monkeypatch):
    # As if psycopg were not installed: importing it raises ImportError.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'pastecms\[postgres\]'"):
        create_app(TestConfig, {"DATABASE_URI": "postgresql+psycopg://u@127.0.0.1/db"})
