"""Real servers for tests that must cross the HTTP stack: gunicorn (and nginx) on loopback."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def empty_database(uri: str) -> None:
    """Drop every table (and the migrations' version table) of a test or bench database."""
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(uri)
    with engine.begin() as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        metadata.drop_all(connection)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextlib.contextmanager
def gunicorn(env: dict, log_path: Path, *, config_file: Path | None = None, workers: int = 1):
    """Serve `wsgi:app` with gunicorn on a free loopback port; yields the base URL.

    `env` is added to this process's environment (PASTECMS_* settings). Command-line
    options override the config file's bind and worker count.
    """
    port = free_port()
    command = [sys.executable, "-m", "gunicorn"]
    if config_file is not None:
        command += ["--config", str(config_file)]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "wsgi:app"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url + "/healthz", process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_env(database_uri: str, **settings) -> dict:
    """Environment for a production-like server on the test database."""
    env = {
        "PASTECMS_CONFIG": "Config",
        "PASTECMS_SECRET_KEY": "live-test-secret",
        "PASTECMS_DATABASE_URI": database_uri,
        "PASTECMS_BCRYPT_ROUNDS": "4",
    }
    env.update({f"PASTECMS_{key}": str(value) for key, value in settings.items()})
    return env
