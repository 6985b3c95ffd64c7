"""Captchas on forms visitors submit (friend applications): none, reCAPTCHA v2, or
reCAPTCHA v3 with a minimum score, verified against a configurable URL."""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from pastecms.config import settings
from pastecms.errors import CaptchaFailure, ServiceUnavailableFailure

log = logging.getLogger("pastecms")

NONE = "none"
RECAPTCHA_V2 = "recaptcha_v2"
RECAPTCHA_V3 = "recaptcha_v3"
KINDS = (NONE, RECAPTCHA_V2, RECAPTCHA_V3)
MAX_ANSWER_BYTES = 64 * 1024


def settings_problem(config) -> str | None:
    """What is wrong with the captcha settings in `config`, or None: checked when the app
    starts, so a typo is a refusal to start rather than a form nobody can pass."""
    kind = config["CAPTCHA"]
    if kind not in KINDS:
        return f"PASTECMS_CAPTCHA must be one of {', '.join(KINDS)}, not {kind!r}."
    if kind != NONE and not config["CAPTCHA_SECRET"]:
        return f"PASTECMS_CAPTCHA={kind} needs PASTECMS_CAPTCHA_SECRET."
    return None


def verify(token: str | None, address: str | None) -> None:
    """Pass when the configured captcha accepts `token` from the client at `address` (or
    no captcha is configured).

    Raises `CaptchaFailure` for a missing or refused token (or a v3 score under
    CAPTCHA_MIN_SCORE), `ServiceUnavailableFailure` when the verifier cannot be asked.
    """
    config = settings()
    kind = config.captcha
    if kind == NONE:
        return
    if not token:
        raise CaptchaFailure("A captcha answer (`verify`) is required.")
    verdict = _ask(config.captcha_verify_url, config.captcha_secret, token, address)
    if verdict.get("success") is not True:
        raise CaptchaFailure()
    if kind == RECAPTCHA_V3:
        score = verdict.get("score")
        if not isinstance(score, int | float) or score < float(config.captcha_min_score):
            raise CaptchaFailure()


def _ask(url: str, secret: str, token: str, address: str | None) -> dict:
    form = {"secret": secret, "response": token}
    if address:
        form["remoteip"] = address
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=float(settings().captcha_timeout)) as response:
            verdict = json.loads(response.read(MAX_ANSWER_BYTES))
    except (OSError, ValueError) as error:  # URLError, timeouts, HTTP errors, bad JSON
        log.warning("captcha verification failed: %s", error)
        raise ServiceUnavailableFailure("The captcha could not be checked; retry later.") from None
    if not isinstance(verdict, dict):
        raise ServiceUnavailableFailure("The captcha could not be checked; retry later.")
    return verdict
