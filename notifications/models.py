"""The outbox: every notification is a row written in the same transaction as the change that caused it.

A row is written at most once per (recipient, kind, object_key) — the unique constraint makes a second
write of the same notification a no-op — and delivered eventually: a beat sweep re-claims rows whose send
did not finish (worker or Redis restart), see notifications.delivery.deliver_due. Delivery is
at-least-once: a worker killed after the mail server accepted a message, before it recorded `sent_at`,
leaves a claim that the sweep takes again after the lease, and the message goes out a second time with
the same Message-ID (OutboxMessage.message_id), so mail clients fold the repeat; a LINE push carries a
retry key derived from it (notifications.line.retry_key), so LINE folds a repeated push.

A row's state: waiting (no `sent_at`, fewer than MAX_ATTEMPTS tries), sent (`sent_at`, over `channel`),
failed (MAX_ATTEMPTS tries used: staff may send it again) or skipped (`skipped_at`: the recipient opted
out of its topic after it was written).
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Topic

# Tries of a row before the sweep gives it up and its municipality's staff are told.
MAX_ATTEMPTS = 8
SUBJECT_MAX_LENGTH = 200


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", _("送信待ち")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("送信できなかった")
        SKIPPED = "skipped", _("配信停止のため送らなかった")

    class Channel(models.TextChoices):
        EMAIL = "email", _("メール")
        LINE = "line", _("LINE")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="outbox_messages",
        verbose_name=_("宛先"),
    )
    # The municipality whose business the message is about, given by the caller of notify() (a helper
    # belongs to none, so it cannot be derived from the recipient). It scopes the staff page of failed
    # sends; empty for messages about no municipality (those only superusers see). The foreign key's
    # index serves that page.
    municipality = models.ForeignKey(
        "accounts.Municipality",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("自治体"),
    )
    kind = models.CharField(verbose_name=_("種類"), max_length=50)
    # What the message is about, e.g. "need:12" or "application:345:accepted".
    object_key = models.CharField(verbose_name=_("関係するもの"), max_length=100)
    # Decided at send time (the recipient's preference, a linked LINE account, LINE's answer): the channel
    # the message actually went out on.
    channel = models.CharField(
        verbose_name=_("送信経路"), max_length=10, choices=Channel.choices, default=Channel.EMAIL
    )
    subject = models.CharField(verbose_name=_("件名"), max_length=SUBJECT_MAX_LENGTH)
    body = models.TextField(verbose_name=_("本文"))
    # The same message for a LINE chat bubble, and an HTML part for kinds whose email has one.
    line_text = models.TextField(verbose_name=_("LINE の本文"), blank=True)
    html_body = models.TextField(verbose_name=_("HTML の本文"), blank=True)
    ics = models.TextField(
        verbose_name=_("カレンダーの添付"), blank=True, help_text=_("iCalendar 形式。なければ空")
    )
    due_at = models.DateTimeField(verbose_name=_("送信予定日時"))
    # Set when a worker claims the row; a claim older than the lease is taken again by the sweep.
    claimed_at = models.DateTimeField(verbose_name=_("送信開始日時"), null=True, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("送信日時"), null=True, blank=True)
    # Set instead of `sent_at` when the recipient opted out of the message's topic before it went out.
    skipped_at = models.DateTimeField(verbose_name=_("見送り日時"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(verbose_name=_("試行回数"), default=0)
    # The last failed try; on a sent row, why LINE refused a push that then went by email.
    last_error = models.TextField(verbose_name=_("最後のエラー"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        indexes = [
            # The sweep: unsent rows whose time has come.
            models.Index(
                fields=["due_at"], condition=Q(sent_at__isnull=True), name="notif_outbox_due"
            ),
            # The staff delivery page: one municipality's rows, newest first, a page at a time.
            models.Index(fields=["municipality", "-created_at"], name="notif_outbox_municipality"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "object_key"], name="notifications_outbox_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def state(self) -> "OutboxMessage.State":
        if self.sent_at is not None:
            return self.State.SENT
        if self.skipped_at is not None:
            return self.State.SKIPPED
        if self.attempts >= MAX_ATTEMPTS:
            return self.State.FAILED
        return self.State.WAITING

    @classmethod
    def in_state(cls, state: str) -> Q:
        """The rows in `state`, as a filter; the one definition `state` above is the Python twin of."""
        return {
            cls.State.SENT: Q(sent_at__isnull=False),
            cls.State.SKIPPED: Q(sent_at__isnull=True, skipped_at__isnull=False),
            cls.State.FAILED: Q(
                sent_at__isnull=True, skipped_at__isnull=True, attempts__gte=MAX_ATTEMPTS
            ),
            cls.State.WAITING: Q(
                sent_at__isnull=True, skipped_at__isnull=True, attempts__lt=MAX_ATTEMPTS
            ),
        }[cls.State(state)]

    @property
    def message_id(self) -> str:
        """The email Message-ID: the same on every try of this row, so a repeat folds in mail clients."""
        domain = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"<outbox-{self.pk}@{domain}>"


class ReminderSchedule(models.Model):
    """When a municipality's accepted helpers are reminded of a session: a week before, the day before
    and the morning of, each switched on or off with its time of day (Asia/Tokyo). A municipality
    without a row uses the defaults below (notifications.reminders.schedule_for).

    Defaults: a week before at 18:00 and the day before at 18:00 (after a working day, when people
    plan the next one), the morning of at 07:00 (before most sessions, which start at 08:00 or later;
    a session starting before the morning time gets no morning reminder)."""

    municipality = models.OneToOneField(
        "accounts.Municipality",
        on_delete=models.CASCADE,
        related_name="reminder_schedule",
        verbose_name=_("自治体"),
    )
    week_before = models.BooleanField(_("1週間前に送る"), default=True)
    week_before_at = models.TimeField(_("1週間前の送信時刻"), default=datetime.time(18, 0))
    day_before = models.BooleanField(_("前日に送る"), default=True)
    day_before_at = models.TimeField(_("前日の送信時刻"), default=datetime.time(18, 0))
    morning = models.BooleanField(_("当日の朝に送る"), default=True)
    morning_at = models.TimeField(_("当日の朝の送信時刻"), default=datetime.time(7, 0))

    class Meta:
        verbose_name = _("リマインダーの送信予定")
        verbose_name_plural = _("リマインダーの送信予定")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class Preference(models.Model):
    """How a person wants to be told: by email or on LINE. No row = the defaults (email)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("ユーザー"),
    )
    channel = models.CharField(
        max_length=10,
        choices=OutboxMessage.Channel.choices,
        default=OutboxMessage.Channel.EMAIL,
        verbose_name=_("受け取り方"),
    )
    updated_at = models.DateTimeField(verbose_name=_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("通知の受け取り方")
        verbose_name_plural = _("通知の受け取り方")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.channel}"


class TopicOptOut(models.Model):
    """A topic a person switched off (on their page or with an unsubscribe link). One row per person
    and topic: unsubscribing twice, or from two mail clients at once, leaves one row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_opt_outs",
        verbose_name=_("ユーザー"),
    )
    topic = models.CharField(verbose_name=_("話題"), max_length=30, choices=Topic.choices)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("受け取らないお知らせ")
        verbose_name_plural = _("受け取らないお知らせ")
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="notifications_optout_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.topic}"
