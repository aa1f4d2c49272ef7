"""A Redis cache that fails open: with Redis unreachable, every read is a miss and every write is dropped,
with a logged warning, instead of an exception on the request.

Nothing the portal keeps in the cache is the truth (PostgreSQL is): cached pages and fragments, the
listing's districts, and rate-limit counters (allauth's, django-ratelimit's on applying). So a Redis
outage must cost speed and rate limiting, never a page: the helper who applies gets the page, and the
rate limits let requests through until Redis is back. Django's own RedisCache raises instead, and
django-redis' IGNORE_EXCEPTIONS would mean a second Redis client library; this subclass is the small
part of it we need.

After a failure the cache stays in "miss" mode for OUTAGE_SECONDS without trying Redis (one warning per
outage, not one per call, and no connect timeout paid on every call of every request); then it tries
again. /healthz asks Redis directly (`check()`), so it still answers 503 during an outage.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

OUTAGE_SECONDS = 10.0

# Per location, shared by the threads of a process (Django keeps one cache object per thread).
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def _fail_open(on_error: Callable[..., Any]):
    """Run the RedisCache method unless Redis is known to be down; on a Redis error, log once per outage
    and answer what `on_error(*args, **kwargs)` gives (what the caller would get from an empty cache)."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self: "FailOpenRedisCache", *args, **kwargs):
            if self._is_down():
                return on_error(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                self._mark_down(exc)
                return on_error(*args, **kwargs)

        return wrapper

    return decorate


def _default(key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return kwargs.get("default", default)


def _none(*args: Any, **kwargs: Any) -> None:
    return None


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _true(*args: Any, **kwargs: Any) -> bool:
    # add() on an empty cache succeeds. Answering True keeps the callers that use add() as a lock or a
    # first hit moving: allauth's rate-limit lock is taken (its limit is not applied), django-ratelimit
    # counts a first request, allauth.mfa accepts the TOTP code (its replay guard is off until Redis
    # is back, which the warning in the log says).
    return True


def _empty_dict(*args: Any, **kwargs: Any) -> dict:
    return {}


def _empty_list(*args: Any, **kwargs: Any) -> list:
    return []


def _incr(key: Any, delta: int = 1, *args: Any, **kwargs: Any) -> int:
    return kwargs.get("delta", delta)  # a counter that starts again from zero


class FailOpenRedisCache(RedisCache):
    def _location(self) -> str:
        # RedisCache keeps its locations in _servers; the stubs leave the attribute out.
        return ",".join(self._servers)  # type: ignore[attr-defined]

    def _is_down(self) -> bool:
        until = _down_until.get(self._location())
        return until is not None and time.monotonic() < until

    def _mark_down(self, exc: Exception) -> None:
        with _lock:
            first = not self._is_down()
            _down_until[self._location()] = time.monotonic() + OUTAGE_SECONDS
        if first:
            log.warning(
                "cache unreachable, serving without it (pages uncached, rate limits not applied) "
                "for %ss before trying again: %r",
                OUTAGE_SECONDS,
                exc,
            )

    def check(self) -> None:
        """Write and read back one key through Redis itself, raising whatever Redis raises (for
        /healthz: an outage must show there, whatever the fail-open mode says)."""
        key = self.make_and_validate_key("healthz")
        self._cache.set(key, "ok", 5)
        if self._cache.get(key, None) != "ok":
            raise RedisError("read back failed")
        with _lock:
            _down_until.pop(self._location(), None)  # Redis answers: stop skipping it

    @_fail_open(_true)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().add(key, value, timeout, version)

    @_fail_open(_default)
    def get(self, key, default=None, version=None):
        return super().get(key, default, version)

    @_fail_open(_none)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set(key, value, timeout, version)

    @_fail_open(_false)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return super().touch(key, timeout, version)

    @_fail_open(_false)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_fail_open(_empty_dict)
    def get_many(self, keys, version=None):
        return super().get_many(keys, version)

    @_fail_open(_false)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    @_fail_open(_incr)
    def incr(self, key, delta=1, version=None):
        return super().incr(key, delta, version)

    @_fail_open(_empty_list)
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set_many(data, timeout, version)

    @_fail_open(_none)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    @_fail_open(_false)
    def clear(self):
        return super().clear()
