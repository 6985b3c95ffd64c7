"""Flask commands: `flask --app wsgi users create`, `flask --app wsgi pastes purge`,
`flask --app wsgi tokens purge`."""

import click
from flask import Flask
from flask.cli import AppGroup
from marshmallow import ValidationError

from pastecms.errors import Failure
from pastecms.extensions import db
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


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(pastes)
    app.cli.add_command(tokens)
