"""Pushing a message to one person on LINE (Messaging API, with the official line-bot-sdk).

What LINE answers decides what the outbox does next:
- 2xx: sent.
- 409 with our retry key: LINE already accepted this very push (an earlier try timed out after LINE took
  it, or a worker died before recording the send). Sent, and nothing is pushed twice.
- any other 4xx (400 the user id is unknown or not a friend of the official account, 401/403 the
  token or the plan refuses, 429 the monthly quota is used up, ...): `LineRefused`. Trying again would
  get the same answer, so the message goes by email at once.
- 5xx (`LineUnavailable`), a timeout, a refused connection: the exception propagates, and the row is
  tried again later like a failed email (notifications.delivery), with the same retry key: if LINE did
  take the timed-out push, the retry gets 409 and the person sees one message.

The retry key is a UUID derived from the row's Message-ID, so every try of a row carries the same key
(LINE honours a key for 24 hours, far longer than the outbox's first tries take).
"""

import uuid
from functools import cache

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    TextMessage,
)

# LINE's limit for one text message.
MAX_TEXT = 5000


class LineUnavailable(Exception):
    """LINE answered with a 5xx (or something else unexpected): the push is tried again later."""


class LineRefused(Exception):
    """LINE answered the push with a 4xx other than 409: it will not take this message."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"LINE {status}: {detail}")
        self.status = status


def is_configured() -> bool:
    return bool(settings.LINE_CHANNEL_ACCESS_TOKEN)


def line_user_id(user_id: int) -> str | None:
    """The person's LINE user id, from the LINE account they linked with "LINE でログイン"."""
    return (
        SocialAccount.objects.filter(user_id=user_id, provider="line")
        .order_by("pk")
        .values_list("uid", flat=True)
        .first()
    )


def retry_key(message_id: str) -> str:
    """The X-Line-Retry-Key of a row: the same on every try, different for every row."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"line-push:{message_id}"))


@cache
def _api(base_url: str, access_token: str) -> MessagingApi:
    """One client (and connection pool) per process and configuration, not one per push."""
    configuration = Configuration(host=base_url.rstrip("/"), access_token=access_token)
    # One try is one request: retrying is the outbox's job, with the same retry key.
    configuration.retries = False
    return MessagingApi(ApiClient(configuration))


def push(*, to: str, text: str, retry_key: str) -> None:
    """Push `text` to the LINE user `to`. Returns when LINE has the message (now or on an earlier try);
    raises LineRefused when LINE will not take it, anything else when the try should be repeated."""
    api = _api(settings.LINE_API_BASE_URL, settings.LINE_CHANNEL_ACCESS_TOKEN)
    request = PushMessageRequest(to=to, messages=[TextMessage(text=text[:MAX_TEXT])])
    try:
        api.push_message_with_http_info(
            request, x_line_retry_key=retry_key, _request_timeout=settings.LINE_API_TIMEOUT
        )
    except ApiException as exc:
        status = exc.status or 0
        if status == 409:
            return  # accepted before, under this retry key
        if 400 <= status < 500:
            raise LineRefused(status, _detail(exc)) from exc
        raise LineUnavailable(f"LINE {status}: {_detail(exc)}") from exc


def _detail(exc: ApiException) -> str:
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    return str(body or exc.reason or "")[:500]
