"""Failed attempts at a secret are limited per target and per client address, and only
failures count."""

import pytest

from pastecms.errors import RateLimitFailure
from pastecms.services import attempts


@pytest.fixture
def limited(make_app):
    app = make_app(RATELIMIT_FAILED_ATTEMPTS="3 per minute", RATELIMIT_STORAGE_URI="memory://")
    with app.app_context():
        yield


def fail(times, target="paste-1", address="192.0.2.1"):
    for _ in range(times):
        attempts.check("password", target, address)
        attempts.failed("password", target, address)


def test_a_target_is_locked_after_its_failures_whatever_the_address(limited):
    for n in range(3):
        fail(1, address=f"192.0.2.{n}")
    with pytest.raises(RateLimitFailure) as refused:
        attempts.check("password", "paste-1", "198.51.100.7")
    assert 0 < int(refused.value.headers["Retry-After"]) <= 60
    attempts.check("password", "paste-2", "198.51.100.7")  # another target is open


def test_an_address_is_locked_after_its_failures_whatever_the_target(limited):
    for n in range(3):
        fail(1, target=f"paste-{n}")
    with pytest.raises(RateLimitFailure):
        attempts.check("password", "paste-99", "192.0.2.1")
    attempts.check("password", "paste-99", "192.0.2.2")  # another address is open


def test_checks_alone_never_use_up_the_limit(limited):
    for _ in range(10):
        attempts.check("password", "paste-1", "192.0.2.1")


def test_kinds_are_counted_apart(limited):
    fail(3)
    attempts.check("login", "paste-1", "192.0.2.1")


def test_apps_sharing_a_storage_under_other_prefixes_count_apart(make_app):
    """RATELIMIT_KEY_PREFIX keeps these counts apart as it keeps Flask-Limiter's own."""
    app = make_app(
        RATELIMIT_FAILED_ATTEMPTS="3 per minute",
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_KEY_PREFIX="first-app",
    )
    with app.app_context():
        fail(3)
        with pytest.raises(RateLimitFailure):
            attempts.check("password", "paste-1", "192.0.2.1")
        # Another app on the same storage, under its own prefix.
        app.config["RATELIMIT_KEY_PREFIX"] = "second-app"
        attempts.check("password", "paste-1", "192.0.2.1")
