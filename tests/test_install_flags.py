"""deploy/install.sh refuses bad flags with its usage line, before it touches anything."""

import subprocess

import pytest

from tests.live import ROOT

INSTALL = ROOT / "deploy" / "install.sh"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--prefix"], "--prefix takes a value"),
        (["--port"], "--port takes a value"),
        (["--prefix", "--no-systemd"], "--prefix takes a value"),
        (["--bogus"], "unknown option --bogus"),
        (["--port", "eighty"], "--port takes a number"),
    ],
)
def test_a_bad_flag_gets_the_usage_line_and_exit_2(args, complaint):
    result = subprocess.run(
        ["bash", str(INSTALL), *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2, result.stderr
    assert complaint in result.stderr
    assert "unbound variable" not in result.stderr
    if "number" not in complaint:
        assert result.stderr.count("usage: ") == 1 and "[--prefix DIR]" in result.stderr
