"""Matching's own state: when each helper's weekly digest is due."""

from django.conf import settings
from django.db import models


class DigestSchedule(models.Model):
    """When a helper's next weekly digest of new programs is due. The beat job claims due rows (moves
    `due_at` a week ahead under FOR UPDATE SKIP LOCKED, portal.services.matching) before it ranks and
    writes anything, so a second beat started by mistake finds nothing due and doubles nothing."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="digest_schedule",
    )
    due_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The beat's claim: due rows, oldest first.
            models.Index(fields=["due_at"], name="matching_digest_due"),
        ]

    def __str__(self) -> str:
        return f"digest of {self.user_id} due {self.due_at:%Y-%m-%d %H:%M}"
