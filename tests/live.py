"""Real servers for tests that must cross the HTTP stack: gunicorn (and nginx) on loopback.

The benchmark scripts under bench/ use them too.
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "pastecms.conf"
STATIC = ROOT / "pastecms" / "static"


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
def gunicorn(
    env: dict,
    log_path: Path,
    *,
    config_file: Path | None = None,
    workers: int | None = 1,
    root: Path = ROOT,
    python: Path | str = sys.executable,
):
    """Serve `wsgi:app` with gunicorn on a free loopback port; yields the base URL.

    `env` is added to this process's environment (PASTECMS_* settings). Command-line
    options override the config file's bind and worker count (`workers=None` leaves the
    count to the config file). `root` is the checkout served (another one, to compare it
    with this one), `python` the interpreter of the virtualenv that serves it (an installed
    one, as its systemd unit would).
    """
    port = free_port()
    command = [str(python), "-m", "gunicorn"]
    if config_file is not None:
        command += ["--config", str(config_file)]
    command += ["--bind", f"127.0.0.1:{port}"]
    if workers is not None:
        # Both: the shipped settings derive their thread count from PASTECMS_WORKERS.
        command += ["--workers", str(workers)]
        env = {**env, "PASTECMS_WORKERS": str(workers)}
    command += ["wsgi:app"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, cwd=root, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
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
        "PASTECMS_SECRET_KEY": "live-test-secret-" + "x" * 32,
        "PASTECMS_DATABASE_URI": database_uri,
        "PASTECMS_BCRYPT_ROUNDS": "4",
    }
    env.update({f"PASTECMS_{key}": str(value) for key, value in settings.items()})
    return env


def find_nginx() -> str | None:
    """The nginx binary (Debian's package puts it in /usr/sbin), or None."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def render_site(
    upstream: str,
    port: int,
    static_root: Path,
    log_dir: Path,
    site: Path = SITE,
    webroot: Path | None = None,
) -> str:
    """deploy/nginx/pastecms.conf with a test's addresses and paths; nothing else changed,
    so that the file that ships is the file under test. `webroot` stands for certbot's
    /var/www/html (the log directory by default)."""
    text = site.read_text()
    for pattern, replacement in (
        (r"server 127\.0\.0\.1:8000\b", f"server {upstream}"),
        (r"listen 80;\s*listen \[::\]:80;", f"listen 127.0.0.1:{port};"),
        (r"alias /srv/pastecms/pastecms/static/;", f"alias {static_root}/;"),
        (r"/var/log/nginx/", f"{log_dir}/"),
        (r"(?m)^(\s*)root /var/www/html;", rf"\1root {webroot or log_dir};"),
    ):
        text, count = re.subn(pattern, replacement, text)
        if not count:
            # The shipped file changed shape: fix this renderer, never copy the file.
            raise RuntimeError(f"{pattern!r} not found in {site}")
    return text


@contextlib.contextmanager
def nginx(
    binary: str,
    upstream_url: str,
    prefix: Path,
    *,
    site: Path = SITE,
    worker_connections: int = 128,
):
    """nginx in the foreground with its own prefix (never the system service), serving
    `site` in front of `upstream_url`; yields its loopback port."""
    port = free_port()
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        (prefix / name).mkdir(parents=True, exist_ok=True)
    rendered = prefix / "pastecms.conf"
    static_root = site.parent.parent.parent / "pastecms" / "static"
    rendered.write_text(
        render_site(upstream_url.removeprefix("http://"), port, static_root, prefix, site)
    )
    # As root, the master would hand its workers to www-data, who may not read this
    # checkout or write the temporary prefix.
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"""
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {rendered};
}}
"""
    )
    command = [binary, "-p", str(prefix), "-e", str(prefix / "logs" / "error.log")]
    command += ["-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx refuses the rendered site: {check.stderr}")
    with open(prefix / "logs" / "stderr.log", "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        yield port
    finally:
        process.terminate()  # SIGTERM: fast shutdown of the master and its workers
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
