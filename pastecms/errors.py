"""The failure catalogue: every refusal pastecms can answer with, in one table.

A service refuses by raising one of these; each face's envelope renders it. A
`failure_name` never changes once shipped: clients match on it.
"""


class Failure(Exception):
    """A refusal with a stable name, an HTTP status and a message safe to show.

    Not raised itself: every refusal is one of the named subclasses below.
    """

    failure_name = "undefined_failure"
    status = 500
    message = "The server encountered an unexpected error."

    def __init__(self, message=None, *, details=None, headers=None):
        self.message = message or type(self).message
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)


class UndefinedFailure(Failure):
    """Anything unexpected: the app's one handler logs the exception and answers this,
    without the exception's text."""

    failure_name, status = "undefined_failure", 500


class AuthFailure(Failure):
    failure_name, status = "auth_failure", 401
    message = "Authentication is missing or invalid."


class ForbiddenFailure(Failure):
    failure_name, status = "forbidden_failure", 403
    message = "You are not allowed to do this."


class TokenExpiredFailure(Failure):
    failure_name, status = "token_expired_failure", 440
    message = "The access token has expired."


class IncompleteParamsFailure(Failure):
    failure_name, status = "incomplete_params_failure", 400
    message = "A required parameter is missing or blank."


class InvalidParamsFailure(Failure):
    failure_name, status = "invalid_params_failure", 400
    message = "A parameter has the wrong type, format or range."


class NonexistentUserFailure(Failure):
    failure_name, status = "nonexistent_user_failure", 404
    message = "The user does not exist or is no longer active."


class NonexistentPasteFailure(Failure):
    failure_name, status = "nonexistent_paste_failure", 404
    message = "The paste does not exist or is no longer active."


class NonexistentAttachmentFailure(Failure):
    failure_name, status = "nonexistent_attachment_failure", 404
    message = "The paste has no attachment of that name."


class NonexistentTalkFailure(Failure):
    failure_name, status = "nonexistent_talk_failure", 404
    message = "The talk does not exist."


class NonexistentFriendFailure(Failure):
    failure_name, status = "nonexistent_friend_failure", 404
    message = "The friend link does not exist."


class NonexistentCustomFieldFailure(Failure):
    failure_name, status = "nonexistent_custom_field_failure", 404
    message = "There is no custom field of that name."


class NonexistentArticleFailure(Failure):
    failure_name, status = "nonexistent_article_failure", 404
    message = "Article not found"


class NonexistentCategoryFailure(Failure):
    failure_name, status = "nonexistent_category_failure", 404
    message = "Category not found"


class NonexistentTagFailure(Failure):
    failure_name, status = "nonexistent_tag_failure", 404
    message = "Tag not found"


class NonexistentImageFailure(Failure):
    failure_name, status = "nonexistent_image_failure", 404
    message = "Image not found"


class NonexistentFileFailure(Failure):
    failure_name, status = "nonexistent_file_failure", 404
    message = "There is no file at this path."


class NonexistentApiKeyFailure(Failure):
    failure_name, status = "nonexistent_api_key_failure", 404
    message = "You have no API key yet: generate one."


class ConflictFailure(Failure):
    failure_name, status = "conflict_failure", 409
    message = "That name is already taken."


class IdempotencyKeyInUseFailure(Failure):
    """A request with an `Idempotency-Key` whose first request is still running: its
    answer is not known yet, so the retry is sent back to come again (with Retry-After)."""

    failure_name, status = "idempotency_key_in_use_failure", 409
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


class IdempotencyKeyReusedFailure(Failure):
    """An `Idempotency-Key` sent again with another request than the one it first came
    with: a key names one request, and a new request needs a new key."""

    failure_name, status = "idempotency_key_reused_failure", 422
    message = "This Idempotency-Key came with another request: send a new request with a new key."


class UsernameNotAvailableFailure(Failure):
    failure_name, status = "username_not_available_failure", 409
    message = "That username is not available."


class InvalidEmailFailure(Failure):
    failure_name, status = "invalid_email_failure", 400
    message = "The email address is not valid."


class UnauthenticatedPastesDisabledFailure(Failure):
    failure_name, status = "unauthenticated_pastes_disabled_failure", 403
    message = "This server requires an API key or a login to post pastes."


class UserRegistrationDisabledFailure(Failure):
    failure_name, status = "user_registration_disabled_failure", 403
    message = "This server does not accept new registrations."


class PasteAttachmentsDisabledFailure(Failure):
    failure_name, status = "paste_attachments_disabled_failure", 403
    message = "This server does not accept paste attachments."


class PasteAttachmentTooLargeFailure(Failure):
    failure_name, status = "paste_attachment_too_large_failure", 413
    message = "An attachment is larger than this server allows."


class PayloadTooLargeFailure(Failure):
    failure_name, status = "payload_too_large_failure", 413
    message = "The request or the paste is larger than this server allows."


class AddressBlockedFailure(Failure):
    """A new paste from an address range an admin blocked (any face)."""

    failure_name, status = "address_blocked_failure", 403
    message = "This site takes no pastes from your network."


class CsrfFailure(Failure):
    """A web form posted without the CSRF token its page was served with, or without the
    session cookie that token is checked against; the message says which."""

    failure_name, status = "csrf_failure", 400
    message = "The form expired or did not come from this site: reload it and submit again."


class CaptchaFailure(Failure):
    failure_name, status = "captcha_failure", 403
    message = "Captcha verification failed."


class FeatureDisabledFailure(Failure):
    failure_name, status = "feature_disabled_failure", 403
    message = "This feature is switched off on this server."


class DomainNotVerifiedFailure(Failure):
    failure_name, status = "domain_not_verified_failure", 403
    message = "Domain not verified"


class SandboxViolationFailure(Failure):
    """Stored code tried what the sandbox forbids: an import, a name it does not offer
    (`open`, `eval`...), an attribute or name starting with an underscore."""

    failure_name, status = "sandbox_violation_failure", 403
    message = "The custom field's code uses something the sandbox forbids."


class SandboxTimeoutFailure(Failure):
    failure_name, status = "sandbox_timeout_failure", 422
    message = "The custom field's code ran out of time."


class SandboxMemoryFailure(Failure):
    failure_name, status = "sandbox_memory_failure", 422
    message = "The custom field's code ran out of memory."


class SandboxErrorFailure(Failure):
    """Stored code that does not compile, or raised an error of its own while running."""

    failure_name, status = "sandbox_error_failure", 422
    message = "The custom field's code failed."


class RateLimitFailure(Failure):
    failure_name, status = "rate_limit_failure", 429
    message = "Too many requests; retry later."


class ServiceUnavailableFailure(Failure):
    """Always sent with `Retry-After` (`retry_after` seconds, unless the raiser gives
    another): clients and load balancers are told when to come again, not just "later"."""

    failure_name, status = "service_unavailable_failure", 503
    message = "A service this server depends on is unavailable; retry later."
    retry_after = 5

    def __init__(self, message=None, *, details=None, headers=None):
        headers = {"Retry-After": str(self.retry_after), **(headers or {})}
        super().__init__(message, details=details, headers=headers)


class NotFoundFailure(Failure):
    failure_name, status = "not_found_failure", 404
    message = "There is nothing at this URL."


class MethodNotAllowedFailure(Failure):
    failure_name, status = "method_not_allowed_failure", 405
    message = "This URL does not accept that method."


def _catalogue(root) -> dict:
    found = {}
    waiting = list(root.__subclasses__())
    while waiting:
        cls = waiting.pop()
        if found.setdefault(cls.failure_name, cls) is not cls:
            raise TypeError(f"two failures are named {cls.failure_name!r}")
        waiting.extend(cls.__subclasses__())
    return found


#: failure_name -> Failure class, for documentation and tests. Every name is one class.
CATALOGUE = _catalogue(Failure)
