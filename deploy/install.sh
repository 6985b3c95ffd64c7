#!/usr/bin/env bash
# pastecms on one Debian host: the README's Deploy steps 1 to 6 as one script, run as root.
#
#   deploy/install.sh [--prefix DIR] [--source DIR] [--no-systemd] [--port PORT]
#                     [--server-name NAME] [--database-uri URI] [--redis-uri URI]
#
# What it does, in the README's order (each step is skipped when already done, so a
# second run changes nothing and keeps the secret key):
#   1. the system user `pastecms` and its state folder /var/lib/pastecms (0750); the code
#      in /srv/pastecms (a clone of --source, by default the checkout this script is in,
#      when /srv/pastecms does not exist yet); its virtualenv with the project installed
#      editable with [postgres,redis]; /srv/pastecms/instance linked to the state folder
#   3. /etc/pastecms/env (0640, root:pastecms) with a secret key made once and kept
#   4. `flask --app wsgi db upgrade`, as the service user, with the settings file
#   5. the systemd units in /etc/systemd/system, enabled and started
#   6. the nginx site in /etc/nginx/sites-available/pastecms, linked from sites-enabled,
#      checked and reloaded
# Step 2 (PostgreSQL's role and database, `apt-get install`) and step 7 (TLS) stay yours.
#
# --prefix DIR puts every path above under DIR (tests run it on a scratch folder);
# --no-systemd makes no system user (files belong to the caller, commands run as the
# caller) and neither starts units nor reloads nginx: the files are written all the same.
# --port is gunicorn's loopback port (8000), --server-name the site's (paste.example.org).
# --database-uri and --redis-uri go into a new settings file only (default: the local
# PostgreSQL database `pastecms` by peer authentication, Redis db 0); an empty value
# leaves the setting out: SQLite in the state folder, or in-memory limits with one worker.
set -euo pipefail

PREFIX=
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SYSTEMD=1
PORT=8000
SERVER_NAME=
DATABASE_URI=postgresql+psycopg://pastecms@/pastecms
REDIS_URI=redis://127.0.0.1:6379/0

usage() { sed -n '4,5p' "${BASH_SOURCE[0]}" | sed 's/^# */usage: /; 2s/^usage: /       /' >&2; exit 2; }
# An option that takes a value: refused with the usage line when the value is missing.
value() {
  if [ $# -lt 2 ] || [[ "$2" == --* ]]; then
    echo "install.sh: $1 takes a value" >&2
    usage
  fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) value "$@"; PREFIX="${2%/}"; shift 2 ;;
    --source) value "$@"; SOURCE="$2"; shift 2 ;;
    --no-systemd) SYSTEMD=0; shift ;;
    --port) value "$@"; PORT="$2"; shift 2 ;;
    --server-name) value "$@"; SERVER_NAME="$2"; shift 2 ;;
    --database-uri) value "$@"; DATABASE_URI="$2"; shift 2 ;;
    --redis-uri) value "$@"; REDIS_URI="$2"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "install.sh: unknown option $1" >&2; usage ;;
  esac
done
case "$PORT" in ''|*[!0-9]*) echo "install.sh: --port takes a number" >&2; exit 2 ;; esac
if [ "$SYSTEMD" = 1 ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (or with --no-systemd, to write the files only)" >&2
  exit 1
fi

APP="$PREFIX/srv/pastecms"
STATE="$PREFIX/var/lib/pastecms"
ETC="$PREFIX/etc/pastecms"
ENV_FILE="$ETC/env"
SITE="$PREFIX/etc/nginx/sites-available/pastecms"
UNITS="$PREFIX/etc/systemd/system"

say() { printf 'install.sh: %s\n' "$*"; }
# Run a command as the service user (as the caller with --no-systemd).
as_service() {
  if [ "$SYSTEMD" = 1 ]; then runuser -u pastecms -- "$@"; else "$@"; fi
}
# Write stdin to a file only when its contents differ; "changed" says whether it did.
changed=0
write_if_changed() {
  local target="$1" mode="$2" tmp
  tmp="$(mktemp "$target.XXXXXX")"
  cat > "$tmp"
  if [ -e "$target" ] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    changed=0
  else
    chmod "$mode" "$tmp"
    mv -f "$tmp" "$target"
    say "wrote $target"
    changed=1
  fi
}

# 1. User, code and state.
if [ "$SYSTEMD" = 1 ]; then
  id -u pastecms >/dev/null 2>&1 || adduser --system --group --home "$STATE" pastecms
  install -d -o pastecms -g pastecms -m 0750 "$STATE"
else
  install -d -m 0750 "$STATE"
fi
if [ ! -e "$APP" ]; then
  install -d "$(dirname "$APP")"
  git clone --quiet "$SOURCE" "$APP"
  say "cloned $SOURCE into $APP"
fi
if [ ! -x "$APP/.venv/bin/python" ]; then
  python3 -m venv "$APP/.venv"
fi
if ! "$APP/.venv/bin/python" -m pip --disable-pip-version-check show -q pastecms 2>/dev/null; then
  "$APP/.venv/bin/pip" install --disable-pip-version-check --quiet -e "$APP[postgres,redis]"
  say "installed pastecms[postgres,redis] into $APP/.venv"
fi
if [ ! -L "$APP/instance" ]; then
  if [ -e "$APP/instance" ]; then
    echo "install.sh: $APP/instance exists and is not a link to $STATE: move it away" >&2
    exit 1
  fi
  ln -s "$STATE" "$APP/instance"
fi

# 3. Settings, with the secret key made once and kept.
if [ "$SYSTEMD" = 1 ]; then
  install -d -o root -g pastecms -m 0750 "$ETC"
else
  install -d -m 0750 "$ETC"
fi
if [ ! -e "$ENV_FILE" ]; then
  (
    umask 027
    {
      echo "PASTECMS_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
      [ -n "$DATABASE_URI" ] && echo "PASTECMS_DATABASE_URI=$DATABASE_URI"
      if [ -n "$REDIS_URI" ]; then
        echo "PASTECMS_RATELIMIT_STORAGE_URI=$REDIS_URI"
      else
        echo "PASTECMS_WORKERS=1"
      fi
      [ "$PORT" != 8000 ] && echo "PASTECMS_BIND=127.0.0.1:$PORT"
      [ -n "$REDIS_URI" ] && echo "# PASTECMS_WORKERS=5              (gunicorn workers; default 2 x CPUs + 1)"
      echo "# PASTECMS_THREADS=8              (requests a worker answers at once; default 8 with one worker, else 1)"
      true
    } > "$ENV_FILE.new"
    mv "$ENV_FILE.new" "$ENV_FILE"
  )
  say "wrote $ENV_FILE with a new secret key"
fi
if [ "$SYSTEMD" = 1 ]; then chgrp pastecms "$ENV_FILE"; fi
chmod 0640 "$ENV_FILE"

# 4. Schema, as the service user, with the settings file.
(
  cd "$APP"
  as_service sh -c \
    'set -a; . "$1"; set +a; exec .venv/bin/flask --app wsgi db upgrade' sh "$ENV_FILE"
)

# 5. systemd: the units, with this install's paths.
install -d "$UNITS"
units_changed=0
for unit in pastecms.service pastecms-purge.service pastecms-purge.timer; do
  sed -e "s#/srv/pastecms#$APP#g" -e "s#/etc/pastecms/env#$ENV_FILE#g" \
    -e "s#/var/lib/pastecms#$STATE#g" "$APP/deploy/$unit" | write_if_changed "$UNITS/$unit" 0644
  if [ "$changed" = 1 ]; then units_changed=1; fi
done
if [ "$SYSTEMD" = 1 ]; then
  systemctl daemon-reload
  systemctl enable --now pastecms pastecms-purge.timer
  if [ "$units_changed" = 1 ]; then systemctl restart pastecms; fi
fi

# 6. nginx: the site, with this install's upstream, static root and server name.
install -d "$(dirname "$SITE")" "$PREFIX/etc/nginx/sites-enabled"
{
  if [ -n "$SERVER_NAME" ]; then
    sed -e "s#server_name paste\.example\.org;#server_name $SERVER_NAME;#"
  else
    cat
  fi
} < "$APP/deploy/nginx/pastecms.conf" \
  | sed -e "s#server 127\.0\.0\.1:8000 #server 127.0.0.1:$PORT #" \
    -e "s#alias /srv/pastecms/pastecms/static/;#alias $APP/pastecms/static/;#" \
  | write_if_changed "$SITE" 0644
site_changed=$changed
[ -L "$PREFIX/etc/nginx/sites-enabled/pastecms" ] \
  || ln -s "$SITE" "$PREFIX/etc/nginx/sites-enabled/pastecms"
if [ "$SYSTEMD" = 1 ] && [ "$site_changed" = 1 ]; then
  nginx -t && systemctl reload nginx
fi

if [ "$SYSTEMD" = 1 ]; then
  say "done: $APP serves on 127.0.0.1:$PORT behind $SITE"
else
  say "done: the files are written (no user made, nothing started or reloaded)."
  say "next: start it with:  cd $APP && set -a && . $ENV_FILE && set +a && .venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app"
  say "      and point nginx at $SITE (nginx -t && systemctl reload nginx)"
fi
