"""The outbox: every notification is a row written in the same transaction as the change that caused it.

A row is written at most once per (recipient, kind, object_key) — the unique constraint makes a second
write of the same notification a no-op — and delivered eventually: a beat sweep re-claims rows whose send
did not finish (worker or Redis restart), see notifications.delivery.deliver_due. Delivery is
at-least-once: a worker killed after the mail server accepted a message, before it recorded `sent_at`,
leaves a claim that the sweep takes again after the lease, and the message goes out a second time with
the same Message-ID (OutboxMessage.message_id), so mail clients fold the repeat.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# An email subject as stored (rendering.one_line_subject cuts a longer one to fit).
SUBJECT_MAX_LENGTH = 200


class OutboxMessage(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("メール")
        LINE = "line", _("LINE")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox_messages"
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
    )
    kind = models.CharField(max_length=50)
    # What the message is about, e.g. "need:12" or "application:345:accepted".
    object_key = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    body = models.TextField()
    # The same message for a LINE chat bubble, and an HTML part for kinds whose email has one.
    line_text = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    ics = models.TextField(blank=True, help_text="iCalendar attachment, if any")
    due_at = models.DateTimeField()
    # Set when a worker claims the row; a claim older than the lease is taken again by the sweep.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        indexes = [
            # The sweep: unsent rows whose time has come.
            models.Index(
                fields=["due_at"], condition=Q(sent_at__isnull=True), name="notif_outbox_due"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "object_key"], name="notifications_outbox_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def message_id(self) -> str:
        """The email Message-ID: the same on every try of this row, so a repeat folds in mail clients."""
        domain = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"<outbox-{self.pk}@{domain}>"
