"""No id is handed out twice: a link to a paste that was burnt, or deactivated and purged,
never shows the next person's paste, on SQLite as on PostgreSQL."""

import itertools

import pytest
from sqlalchemy import delete

from pastecms.extensions import db
from pastecms.models import (
    ApiKey,
    Attachment,
    BlockedNetwork,
    CustomField,
    FriendLink,
    ModerationEntry,
    Notification,
    Paste,
    PasteReport,
    SiteFile,
    User,
    WebhookDelivery,
)

_serial = itertools.count()


def _user() -> User:
    n = next(_serial)
    return User(username=f"user{n}", password_hash="x")


def _paste() -> Paste:
    return Paste(title="t", language="text", contents="c", deactivation_token_hash="h")


# A new row for every table whose integer id the database hands out (parents made with
# the row, and left standing when the row is deleted).
NEW_ROW = {
    "users": _user,
    "api_keys": lambda: ApiKey(user=_user(), key_hash=f"{next(_serial):064x}", prefix="p"),
    "pastes": _paste,
    "attachments": lambda: Attachment(
        paste=_paste(), file_name="a.txt", mime_type="text/plain", file_size=1, data=b"a"
    ),
    "friend_links": lambda: FriendLink(
        time=f"{next(_serial):032d}", name="n", url="u", image="i", description="d"
    ),
    "notifications": lambda: Notification(label="l", content="c"),
    "custom_fields": lambda: CustomField(name=f"field{next(_serial)}", content="c"),
    "site_files": lambda: SiteFile(path=f"source/{next(_serial)}.js", content="c", size=1),
    "paste_reports": lambda: PasteReport(paste_id=_stored(_paste()).id, reason="spam"),
    "blocked_networks": lambda: BlockedNetwork(cidr=f"10.{next(_serial) % 256}.0.0/16"),
    "moderation_log": lambda: ModerationEntry(actor_name="a", action="hide", target="t"),
    "webhook_deliveries": lambda: WebhookDelivery(
        event="test", destination="https://hook.example/***", status=204, duration_ms=1
    ),
}


def _stored(row):
    """`row`, flushed: a parent whose id its child names by value (no relationship)."""
    db.session.add(row)
    db.session.flush()
    return row


def test_every_table_with_counted_ids_is_checked():
    counted = {
        table.name
        for table in db.metadata.tables.values()
        if table.autoincrement_column is not None
    }
    assert counted == set(NEW_ROW)
    # A database made from the models (not the migrations) counts them the same way.
    for name in counted:
        assert db.metadata.tables[name].dialect_options["sqlite"]["autoincrement"], name


@pytest.mark.parametrize("table", NEW_ROW)
def test_the_id_of_a_deleted_newest_row_is_never_given_again(app, table):
    with app.app_context():
        row = NEW_ROW[table]()
        db.session.add(row)
        db.session.commit()
        model, deleted = type(row), row.id
        db.session.execute(delete(model).where(model.id == deleted))
        db.session.commit()

        again = NEW_ROW[table]()
        db.session.add(again)
        db.session.commit()
        assert again.id > deleted


def _gone(api, paste_id) -> bool:
    response = api.details(paste_id)
    return response.status_code == 404 and (
        response.json["failure_name"] == "nonexistent_paste_failure"
    )


def test_a_burnt_pastes_link_never_shows_the_next_paste(api):
    burnt = api.submit("read me once", burn_after_read=True)["paste_id_repr"]
    assert api.details(burnt).json["contents"] == "read me once"

    following = api.submit("someone else's")["paste_id_repr"]
    assert following != burnt
    assert _gone(api, burnt)


def test_a_purged_pastes_link_never_shows_the_next_paste(api, runner):
    old = api.submit("taken back")
    deactivated = api.post(
        "/api/paste/deactivate",
        {"paste_id": old["paste_id_repr"], "deactivation_token": old["deactivation_token"]},
    )
    assert deactivated.status_code == 200
    result = runner.invoke(args=["pastes", "purge"])
    assert "Purged 1 paste." in result.output

    following = api.submit("someone else's")["paste_id_repr"]
    assert following != old["paste_id_repr"]
    assert _gone(api, old["paste_id_repr"])
