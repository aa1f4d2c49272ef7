"""Every kind of outgoing message, and which of them a person may opt out of.

A kind names a folder of templates, templates/notifications/<kind>/ (subject.txt, body.txt, line.txt and,
where a rich email helps, body.html). notify() refuses a kind that is not listed here, and a test renders
every kind in both languages and both channels.

Transactional messages (an acceptance, a reminder, a cancellation, anything about security) always go out;
the rest belong to a Topic that a person can switch off on their page or with the one-click unsubscribe
link in the message.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    NEW_PROGRAMS = "new_programs", _("新しいプログラムのお知らせ")
    DIGEST = "digest", _("おすすめのまとめ")
    NEWS = "news", _("お互いさまからのお知らせ")


class Kind(models.TextChoices):
    APPLICATION_ACCEPTED = "application_accepted", _("参加の確定")
    APPLICATION_WAITLISTED = "application_waitlisted", _("キャンセル待ちの受付")
    APPLICATION_APPLIED = "application_applied", _("応募の受付（選考中）")
    APPLICATION_PROMOTED = "application_promoted", _("キャンセル待ちからの参加確定")
    # To the nushi: someone applied to a selection session and waits for their decision.
    APPLICATION_RECEIVED = "application_received", _("選考の応募が届いたお知らせ")
    APPLICATION_CANCELLED = "application_cancelled", _("参加のキャンセル・取り消し")
    NEED_SUBMITTED = "need_submitted", _("困りごとの受付")
    NEED_REJECTED = "need_rejected", _("困りごとをお受けできなかったお知らせ")
    PROGRAM_CONFIRM_REQUEST = "program_confirm_request", _("プログラム案の確認のお願い")
    PROGRAM_CONFIRMED = "program_confirmed", _("プログラム案の確認")
    PROGRAM_CHANGES_REQUESTED = "program_changes_requested", _("プログラム案の修正依頼")
    PROGRAM_PUBLISHED = "program_published", _("プログラムの公開")
    PROGRAM_REJECTED = "program_rejected", _("プログラムをお受けできなかったお知らせ")
    SELECTION_DUE = "selection_due", _("選考の期限")
    SESSION_CANCELLED = "session_cancelled", _("日程の中止")
    SESSION_MOVED = "session_moved", _("日程の変更")
    SESSION_MOVED_RELEASED = "session_moved_released", _("日程の変更による参加の取り消し")
    SESSION_MESSAGE = "session_message", _("日程のメッセージ")
    APPLICATION_MESSAGE = "application_message", _("参加者とのメッセージ")
    APPLICATION_DECLINED = "application_declined", _("参加をお受けできなかったお知らせ")
    LATE_CANCELLATION = "late_cancellation", _("直前のキャンセル")
    THANK_YOU = "thank_you", _("お礼")
    # Reminders before a session (notifications.reminders plans them).
    REMINDER_WEEK_BEFORE = "reminder_week_before", _("1週間前のリマインダー")
    REMINDER_DAY_BEFORE = "reminder_day_before", _("前日のリマインダー")
    REMINDER_MORNING = "reminder_morning", _("当日朝のリマインダー")
    # Points (points/notices.py).
    POINTS_CREDITED = "points_credited", _("ポイントの付与")
    POINTS_REVERSED = "points_reversed", _("ポイントの取消")
    POINTS_EXPIRING = "points_expiring", _("ポイントの有効期限が近いお知らせ")
    POINTS_PENDING = "points_pending", _("ポイント付与の保留（事務局向け）")
    DELIVERY_FAILED = "delivery_failed", _("通知を送れなかったお知らせ")
    CONTACT_RECEIVED = "contact_received", _("お問い合わせの受信")
    CONTACT_RECEIPT = "contact_receipt", _("お問い合わせの受付")
    NEWS = "news", _("お互いさまからのお知らせ")
    MONTHLY_REPORT_READY = "monthly_report_ready", _("月次参加レポートの作成")
    # matching: a host's or staff's invitation to one session, and the weekly digest of new programs.
    SESSION_INVITATION = "session_invitation", _("お手伝いのお誘い")
    DIGEST = "digest", _("新しいプログラムのおすすめ")


# Kinds a person may switch off, by topic. Every kind not listed is transactional.
TOPIC_OF: dict[str, Topic] = {
    Kind.NEWS: Topic.NEWS,
    Kind.SESSION_INVITATION: Topic.NEW_PROGRAMS,
    Kind.DIGEST: Topic.DIGEST,
}

# Matching's messages: together they count against settings.MATCHING_MESSAGES_PER_WEEK per helper.
MATCHING_KINDS = (Kind.SESSION_INVITATION, Kind.DIGEST)


def is_transactional(kind: str) -> bool:
    return kind not in TOPIC_OF
