"""A person's notification preferences, and the one-click unsubscribe page of non-transactional emails."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.permissions import AuthenticatedHttpRequest
from notifications import preferences
from notifications.forms import PreferenceForm
from notifications.kinds import Topic
from notifications.models import OutboxMessage


@login_required
@require_http_methods(["GET", "POST"])
def preferences_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    choices = preferences.channel_choices(user.pk)
    saved = preferences.preference_of(user)
    channel = saved.channel if saved.channel in dict(choices) else OutboxMessage.Channel.EMAIL
    form = PreferenceForm(
        request.POST or None,
        channel_choices=choices,
        initial={
            "channel": channel,
            "topics": sorted(set(Topic.values) - preferences.opted_out_topics(user.pk)),
        },
    )
    if request.method == "POST" and form.is_valid():
        preferences.preferences_update(
            actor=user, channel=form.cleaned_data["channel"], opted_out=form.opted_out
        )
        messages.success(request, _("通知の受け取り方を保存しました。"))
        return redirect("notification_preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "line_linked": len(choices) > 1,
            "line_login": settings.LINE_LOGIN_ENABLED,
            "line_add_friend_url": settings.LINE_ADD_FRIEND_URL,
        },
    )


# The link is its own authority: the signature names the person and the topic, so no sign-in is asked,
# and mail clients POST here without a CSRF token (RFC 8058 one-click). Only a POST changes anything;
# a GET (a link opened, or fetched by a mail scanner) shows a button, or that the topic is already off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user, topic = preferences.read_unsubscribe_token(token)
    except signing.SignatureExpired:
        return _unsubscribe_page(
            request,
            error=_(
                "この配信停止のリンクは有効期限が切れています。ログインして「通知の受け取り方」から"
                "変更してください。"
            ),
        )
    except signing.BadSignature:
        return _unsubscribe_page(
            request,
            error=_(
                "この配信停止のリンクは正しくありません。メールにあるリンクをそのまま開くか、"
                "ログインして「通知の受け取り方」から変更してください。"
            ),
        )
    if request.method == "POST":
        preferences.topic_unsubscribe(user_id=user.pk, topic=topic)
        # Then the page says so (the mail client's one-click POST has its answer in the status).
        return redirect(request.path)
    done = topic in preferences.opted_out_topics(user.pk)
    return _unsubscribe_page(request, topic=str(Topic(topic).label), done=done)


def _unsubscribe_page(
    request: HttpRequest, *, error: str = "", topic: str = "", done: bool = False
) -> HttpResponse:
    return render(
        request,
        "notifications/unsubscribe.html",
        {"error": error, "topic": topic, "done": done},
        status=400 if error else 200,
    )
