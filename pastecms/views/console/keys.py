"""The console's keys and settings (admins): the CMS API key, the site settings, the
content webhook and the custom fields, through the same services as /v1/api-key,
/v1/settings, /pub/create_webhook and /pub/*_custom."""

from flask import current_app, flash, redirect, request, url_for

from pastecms.api import endpoint
from pastecms.errors import (
    FeatureDisabledFailure,
    IncompleteParamsFailure,
    InvalidParamsFailure,
    NonexistentCustomFieldFailure,
    SandboxErrorFailure,
    SandboxMemoryFailure,
    SandboxTimeoutFailure,
    SandboxViolationFailure,
)
from pastecms.schemas.console_keys import (
    CustomFieldDeleteFormIn,
    CustomFieldFormIn,
    CustomFieldRunFormIn,
    WebhookFormIn,
    settings_form_in,
)
from pastecms.services.content import webhook
from pastecms.services.identity import apikey
from pastecms.services.site import custom_fields
from pastecms.services.site import settings as settings_service
from pastecms.views.console import SECTIONS, Section, bp, console_page
from pastecms.views.envelopes import Page, WebPage, web_page

SECTIONS.append(Section("Keys and settings", "console.keys"))

#: A page that shows a secret once (a new key, a webhook's token): kept by no cache and
#: by no browser history.
NO_STORE = {"Cache-Control": "no-store"}
_FORM_FAILURES = (IncompleteParamsFailure, InvalidParamsFailure)
_SANDBOX_FAILURES = (
    SandboxViolationFailure,
    SandboxErrorFailure,
    SandboxMemoryFailure,
    SandboxTimeoutFailure,
)
SettingsFormIn = settings_form_in(settings_service.KEYS)


def custom_fields_shown() -> bool:
    """Whether the console shows custom fields: only where their code may run
    (CUSTOM_FIELDS_EXECUTE), as /pub/get_custom does."""
    return bool(current_app.config["CUSTOM_FIELDS_EXECUTE"])


def _require_custom_fields() -> None:
    if not custom_fields_shown():
        raise FeatureDisabledFailure("Custom fields are switched off on this server.")


def _settings_context() -> dict:
    return {"keys": settings_service.KEYS, **settings_service.get_all()}


def _webhook_context() -> dict:
    return {"webhook": webhook.current(), "deliveries": webhook.deliveries(), "created": None}


def _custom_fields_context() -> dict:
    return {"fields": custom_fields.list_all(), "output": None, "ran": None}


settings_form = WebPage("console/settings.html", retry=_FORM_FAILURES, context=_settings_context)
webhook_form = WebPage("console/webhook.html", retry=_FORM_FAILURES, context=_webhook_context)
custom_fields_form = WebPage(
    "console/custom_fields.html",
    retry=(*_FORM_FAILURES, NonexistentCustomFieldFailure, *_SANDBOX_FAILURES),
    context=_custom_fields_context,
)


@bp.context_processor
def keys_navigation() -> dict:
    """Whether the section's navigation lists custom fields."""
    return {"custom_fields_shown": custom_fields_shown}


# -- the CMS API key --------------------------------------------------------------------


@bp.get("/keys")
@endpoint(web_page)
@console_page
def keys(data, caller):
    """The admin's additional API key (as /v1/api-key/status describes it), with buttons
    to generate, disable and enable it; never the key itself."""
    return Page("console/keys.html", key=apikey.status(caller))


@bp.post("/keys/generate")
@endpoint(web_page, headers=NO_STORE)
@console_page
def generate_key(data, caller):
    """A new additional key, shown on this answer only (`Cache-Control: no-store`); the
    previous one stops working, the admin's own key does not."""
    return Page("console/key_new.html", generated=apikey.generate(caller))


@bp.post("/keys/disable")
@endpoint(web_page)
@console_page
def disable_key(data, caller):
    """Disable the additional key until enabled again."""
    apikey.disable(caller)
    flash("The additional API key is disabled.", "console")
    return redirect(url_for("console.keys"), code=303)


@bp.post("/keys/enable")
@endpoint(web_page)
@console_page
def enable_key(data, caller):
    """Enable the additional key again; `nonexistent_api_key_failure` before the first
    generate."""
    apikey.enable(caller)
    flash("The additional API key is enabled.", "console")
    return redirect(url_for("console.keys"), code=303)


# -- the site settings ------------------------------------------------------------------


@bp.get("/settings")
@endpoint(web_page)
@console_page
def settings(data, caller):
    """The site settings of /v1/settings, in a form."""
    return Page("console/settings.html", form={}, failure=None, **_settings_context())


@bp.post("/settings")
@endpoint(settings_form, load=SettingsFormIn)
@console_page
def save_settings(data, caller):
    """Save the settings sent, as PUT /v1/settings does; a refused value
    (`invalid_params_failure`, naming the setting) shows the form again, nothing saved."""
    settings_service.update({key: value for key, value in data.items() if value is not None})
    flash("The settings are saved.", "console")
    return redirect(url_for("console.settings"), code=303)


# -- the webhook ------------------------------------------------------------------------


@bp.get("/webhook")
@endpoint(web_page)
@console_page
def webhook_page(data, caller):
    """The webhook (masked), a form to set it, a test button, and the last deliveries."""
    return Page("console/webhook.html", form={}, failure=None, **_webhook_context())


@bp.post("/webhook")
@endpoint(webhook_form, load=WebhookFormIn, headers=NO_STORE)
@console_page
def set_webhook(data, caller):
    """Make `uri` the webhook, under /pub/create_webhook's rules; its token is shown on
    this answer only. A refused URL (`invalid_params_failure`, saying why) shows the form
    again."""
    created = webhook.create(data["uri"])
    context = _webhook_context() | {"created": created}
    return Page("console/webhook.html", form={}, failure=None, **context)


@bp.post("/webhook/test")
@endpoint(webhook_form)
@console_page
def test_webhook(data, caller):
    """Call the webhook now and record the delivery; then the page, which lists it.
    Without a webhook: `invalid_params_failure`."""
    delivery = webhook.send_test()
    outcome = f"HTTP {delivery.status}" if delivery.status is not None else delivery.error
    flash(f"Test delivery: {outcome} ({delivery.duration_ms} ms).", "console")
    return redirect(url_for("console.webhook_page"), code=303)


# -- custom fields ----------------------------------------------------------------------


@bp.get("/custom-fields")
@endpoint(web_page)
@console_page
def custom_fields_page(data, caller):
    """The custom fields, to edit, delete and run; `feature_disabled_failure` unless
    CUSTOM_FIELDS_EXECUTE."""
    _require_custom_fields()
    return Page("console/custom_fields.html", form={}, failure=None, **_custom_fields_context())


@bp.post("/custom-fields")
@endpoint(custom_fields_form, load=CustomFieldFormIn)
@console_page
def save_custom_field(data, caller):
    """Create or replace a custom field, as /pub/set_custom does."""
    _require_custom_fields()
    custom_fields.save(data["name"], data["content"])
    flash(f"The custom field {data['name']} is saved.", "console")
    return redirect(url_for("console.custom_fields_page"), code=303)


@bp.post("/custom-fields/delete")
@endpoint(custom_fields_form, load=CustomFieldDeleteFormIn)
@console_page
def delete_custom_field(data, caller):
    """Delete a custom field, as /pub/del_custom does (`nonexistent_custom_field_failure`
    when there is none)."""
    _require_custom_fields()
    custom_fields.remove(data["name"])
    flash(f"The custom field {data['name']} is deleted.", "console")
    return redirect(url_for("console.custom_fields_page"), code=303)


@bp.post("/custom-fields/run")
@endpoint(custom_fields_form, load=CustomFieldRunFormIn)
@console_page
def run_custom_field(data, caller):
    """Run a custom field with the variables given, as /pub/get_custom does; the page
    with what it printed, or with the sandbox's refusal."""
    output = custom_fields.run(data["key"], data["variables"])
    context = _custom_fields_context() | {"output": output, "ran": data["key"]}
    return Page("console/custom_fields.html", form=request.form, failure=None, **context)
