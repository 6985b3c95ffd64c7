"""Commands: `pastecms users create`, `pastecms pastes purge`, `pastecms tokens purge`,
`pastecms db upgrade`, `pastecms serve` (the same as `flask --app wsgi ...` in a source
checkout; `pastecms` needs only the installed package)."""

import os
import sys

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from marshmallow import ValidationError

from pastecms.errors import Failure
from pastecms.extensions import bind_migrations, db
from pastecms.inputs import params_failure
from pastecms.schemas.user import UserCreateIn
from pastecms.services import paste as paste_service
from pastecms.services import refresh_token
from pastecms.services import user as user_service

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


class MigrationCommands(click.Command):
    """`db`: stands in for Flask-Migrate's command group, and hands each invocation to it
    (see `extensions.bind_migrations`)."""

    def make_context(self, info_name, args, parent=None, **extra):
        bind_migrations(parent.ensure_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


def init_app(app: Flask) -> None:
    app.cli.add_command(
        MigrationCommands("db", help="Create or upgrade the schema (Flask-Migrate).")
    )
    app.cli.add_command(users)
    app.cli.add_command(pastes)
    app.cli.add_command(tokens)


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

    return app_from_environment()


#: The `pastecms` console command: Flask's CLI (`db`, `users`, `pastes`, `tokens`,
#: `routes`, `shell`) on the app the environment configures, plus `serve`.
main = FlaskGroup(
    name="pastecms",
    create_app=_installed_app,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="pastecms: serve it, upgrade its database, manage users and purge old data.",
)
main.add_command(serve)
