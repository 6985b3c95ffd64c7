"""Commands: `pastecms users create|list|promote|demote|reset-password|deactivate`,
`pastecms pastes purge`, `pastecms tokens purge`, `pastecms backup DEST`,
`pastecms db upgrade`, `pastecms serve` (the same as `flask --app wsgi ...` in a source
checkout; `pastecms` needs only the installed package)."""

import os
import sys
from importlib.metadata import PackageNotFoundError, version

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, NoAppException, ScriptInfo, with_appcontext
from marshmallow import ValidationError

from pastecms.errors import Failure
from pastecms.extensions import bind_migrations, db
from pastecms.inputs import params_failure
from pastecms.schemas.user import UserCreateIn
from pastecms.services.identity import refresh_token
from pastecms.services.identity import user as user_service
from pastecms.services.operations import backup as backup_service
from pastecms.services.pastes import paste as paste_service

users = AppGroup("users", help="Manage user accounts.")
pastes = AppGroup("pastes", help="Maintain stored pastes.")
tokens = AppGroup("tokens", help="Maintain stored JWT refresh tokens.")


@users.command("create")
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when omitted.",
)
@click.option("--email", default=None)
@click.option("--admin", is_flag=True, help="Give the user the site's content.")
def create_user(username, password, email, admin):
    """Create a user (even with registration off) and print its API key on the last line."""
    try:
        fields = _validated(UserCreateIn, username=username, password=password, email=email)
        user = user_service.create(
            fields.pop("username"),
            fields.pop("password"),
            email=fields["email"],
            is_admin=admin,
            enforce_registration_setting=False,
        )
        db.session.commit()
    except Failure as failure:
        db.session.rollback()
        raise click.ClickException(f"{failure.failure_name}: {failure.message}") from None
    role = "admin" if admin else "user"
    click.echo(f"Created {role} {user.username!r}. API key (shown only now):")
    click.echo(user.api_key)


@users.command("list")
def list_users():
    """List every user: name, role, whether active, email, since when."""
    for user in user_service.everyone():
        role = "admin" if user.is_admin else "user"
        state = "active" if user.is_active else "deactivated"
        since = user.signup_time.strftime("%Y-%m-%d")
        click.echo(f"{user.username}\t{role}\t{state}\t{user.email or '-'}\t{since}")


@users.command("promote")
@click.argument("username")
def promote_user(username):
    """Make a user an admin: they own the site's content."""
    _commit(lambda: user_service.set_admin(username, True))
    click.echo(f"{username!r} is an admin.")


@users.command("demote")
@click.argument("username")
def demote_user(username):
    """Make an admin a plain user again."""
    _commit(lambda: user_service.set_admin(username, False))
    click.echo(f"{username!r} is no longer an admin.")


@users.command("reset-password")
@click.argument("username")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for when omitted.",
)
def reset_password(username, password):
    """Give a user a new password; their other logins end."""

    def change():
        # The same rule as registration's for a password.
        _validated(UserCreateIn, username=username, password=password)
        user_service.reset_password(username, password)

    _commit(change)
    click.echo(f"{username!r} has a new password; their sessions and refresh tokens ended.")


@users.command("deactivate")
@click.argument("username")
def deactivate_user(username):
    """Deactivate a user with their pastes, keys, refresh tokens and sessions."""
    _commit(lambda: user_service.deactivate_named(username))
    click.echo(f"{username!r} is deactivated.")


def _commit(change) -> None:
    """Run a service call and commit it; a failure is the command's one-line error."""
    try:
        change()
        db.session.commit()
    except Failure as failure:
        db.session.rollback()
        raise click.ClickException(f"{failure.failure_name}: {failure.message}") from None


def _validated(schema_class, **values) -> dict:
    """The same checks as the API's, so the CLI cannot make what registration refuses."""
    try:
        return schema_class().load({key: value for key, value in values.items() if value})
    except ValidationError as error:
        raise params_failure(error) from None


@pastes.command("purge")
def purge_pastes():
    """Delete expired and deactivated pastes with their attachments."""
    count = paste_service.purge()
    db.session.commit()
    click.echo(f"Purged {count} paste{'' if count == 1 else 's'}.")


@tokens.command("purge")
def purge_tokens():
    """Delete expired refresh tokens (they renew nothing already; this keeps the table small)."""
    count = refresh_token.purge()
    db.session.commit()
    click.echo(f"Purged {count} expired refresh token{'' if count == 1 else 's'}.")


@click.command("backup")
@click.argument("destination", metavar="DEST", type=click.Path(dir_okay=False))
@with_appcontext
def backup(destination):
    """Back up the database (pastes, attachments, articles, images: everything) to the
    new file DEST, consistent while the server writes: SQLite's online backup, or
    pg_dump's custom format on PostgreSQL (the command to run when pg_dump is missing)."""
    try:
        made = backup_service.backup(current_app.config["SQLALCHEMY_DATABASE_URI"], destination)
    except backup_service.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the database to {made.path} ({made.size} bytes, {made.how}).")
    click.echo(
        "Keep PASTECMS_SECRET_KEY (or PASTECMS_PASTE_ID_KEY) with it: paste ids are "
        "encrypted with it, and a restore under another key changes every paste link."
    )


class MigrationCommands(click.Command):
    """`db`: stands in for Flask-Migrate's command group, and hands each invocation to it
    (see `extensions.bind_migrations`)."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            bind_migrations(parent.ensure_object(ScriptInfo).load_app())
        except NoAppException:
            # `db ... --help` needs no app: only a command that runs does.
            if "--help" not in args:
                raise
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


def init_app(app: Flask) -> None:
    app.cli.add_command(
        MigrationCommands("db", help="Create or upgrade the schema (Flask-Migrate).")
    )
    app.cli.add_command(users)
    app.cli.add_command(pastes)
    app.cli.add_command(tokens)
    app.cli.add_command(backup)


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve(gunicorn_args):
    """Serve with gunicorn and the shipped settings (pastecms/gunicorn_conf.py); any
    argument is passed on to gunicorn, e.g. `pastecms serve --bind 127.0.0.1:8000`."""
    # gunicorn builds the app itself, so this process only hands over. The settings are
    # named by their file, so that a reload (HUP) reads them afresh.
    settings = os.path.join(os.path.dirname(__file__), "gunicorn_conf.py")
    command = [sys.executable, "-m", "gunicorn", "--config", settings]
    os.execv(sys.executable, [*command, *gunicorn_args, "pastecms:app_from_environment()"])


def _installed_app() -> Flask:
    from pastecms import app_from_environment

    try:
        return app_from_environment()
    except SystemExit as refused:
        # Flask's CLI reports a NoAppException in one line and goes on listing the
        # commands it has (`pastecms --help` with no settings at all).
        raise NoAppException(str(refused.code)) from None


def _print_version(ctx, param, value) -> None:
    if value and not ctx.resilient_parsing:
        try:
            found = version("pastecms")
        except PackageNotFoundError:
            found = "unknown (not installed)"
        click.echo(f"pastecms {found}")
        ctx.exit()


#: The `pastecms` console command: Flask's CLI (`db`, `users`, `pastes`, `tokens`,
#: `routes`, `shell`) on the app the environment configures, plus `serve`. The commands
#: are the group's own, so that `--help` lists them and every `--help` works with no
#: settings; the app is built only when a command runs.
main = FlaskGroup(
    name="pastecms",
    create_app=_installed_app,
    add_version_option=False,
    # As `flask` does: the settings in a .env file found from the current folder up (the
    # checkout's, which `make run` writes), under the environment's own.
    load_dotenv=True,
    set_debug_flag=False,
    help="pastecms: serve it, upgrade its database, manage users and purge old data.",
    params=[
        click.Option(
            ["--version"],
            is_flag=True,
            expose_value=False,
            is_eager=True,
            callback=_print_version,
            help="Print the installed pastecms version.",
        )
    ],
)
main.add_command(serve)
main.add_command(MigrationCommands("db", help="Create or upgrade the schema (Flask-Migrate)."))
main.add_command(users)
main.add_command(pastes)
main.add_command(tokens)
main.add_command(backup)
