"""The marketplace: needs, programs, sessions, applications, attendance, activity reports.

Invariants that the database can hold are constraints here (names `portal_<model>_<rule>`); the ones it
cannot (capacity under concurrency, no overlapping accepted sessions per helper) are held by the service
functions in portal/services, under row locks, and tested on PostgreSQL.
"""

import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.files import ImageFieldFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.categories import Category
from accounts.models import District, Municipality, Organization, Skill, User


class HistoryStamps(models.Model):
    """A model with django-simple-history, and what it reads off an instance when it writes a history
    row: who made the change and why (services set them before save()). The two are declared for the
    type checker only: no fields, nothing in the database."""

    _history_user: User | None
    _change_reason: str

    class Meta:
        abstract = True


class RelationshipType(models.TextChoices):
    """Relationship types from the national related-population survey (seed 002), used as report cuts."""

    DIRECT = "direct", _("直接寄与型")
    WORK = "work", _("就労型")
    EXCHANGE = "exchange", _("参加・交流型")
    HOBBY = "hobby", _("趣味・消費型")
    REMOTE = "remote", _("非訪問系")


# The same types in plain words, for public pages: the survey's terms (直接寄与型, 非訪問系) are for staff
# and the monthly reports, and mean little to a visitor.
RELATIONSHIP_PLAIN = {
    RelationshipType.DIRECT: _("地域のためのお手伝い"),
    RelationshipType.WORK: _("仕事・援農のお手伝い"),
    RelationshipType.EXCHANGE: _("体験・交流"),
    RelationshipType.HOBBY: _("趣味・楽しみ"),
    RelationshipType.REMOTE: _("現地に行かずにできるお手伝い"),
}


class Need(HistoryStamps):
    """A nushi's 困りごと in their own words. Never public; staff curate it into a Program."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("need status", "受付")
        IN_DESIGN = "in_design", _("プログラム作成中")
        PUBLISHED = "published", _("公開済み")
        REJECTED = "rejected", _("見送り")
        WITHDRAWN = "withdrawn", _("取り下げ")

    class Channel(models.TextChoices):
        WEB = "web", _("ウェブ")
        PHONE = "phone", _("電話")
        PAPER = "paper", _("紙・窓口")
        VISIT = "visit", _("訪問")

    municipality = models.ForeignKey(
        Municipality, verbose_name=_("自治体"), on_delete=models.PROTECT, related_name="needs"
    )
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("地区"),
    )
    nushi = models.ForeignKey(
        Organization, verbose_name=_("ヌシ"), on_delete=models.PROTECT, related_name="needs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="needs_created",
        verbose_name=_("登録した人"),
    )
    channel = models.CharField(
        _("受付方法"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    title = models.CharField(_("困りごと"), max_length=100)
    description = models.TextField(_("くわしい内容"), max_length=4000)
    meeting_place = models.CharField(_("場所"), max_length=100, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    preferred_dates = models.CharField(_("希望の日にち"), max_length=200, blank=True)
    dates_flexible = models.BooleanField(_("日にちはいつでもよい"), default=False)
    helpers_wanted = models.PositiveSmallIntegerField(_("来てほしい人数"), default=1)
    okaeshi = models.CharField(_("お礼にできること（オカエシ）"), max_length=200, blank=True)
    photo = models.ImageField(_("写真"), upload_to="needs/%Y/%m/", blank=True)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    rejection_reason = models.TextField(_("見送りの理由"), blank=True, max_length=2000)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("更新日時"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("困りごと")
        verbose_name_plural = _("困りごと")
        ordering = ["-created_at"]
        indexes = [
            # Staff review queue: needs of one municipality in a given state, newest first.
            models.Index(
                fields=["municipality", "status", "-created_at"], name="portal_need_queue"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(helpers_wanted__gte=1), name="portal_need_helpers_wanted_positive"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Program(HistoryStamps):
    """The curated, public listing built from a need."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PENDING_NUSHI = "pending_nushi", _("ヌシ確認待ち")
        CHANGES_REQUESTED = "changes_requested", _("修正依頼あり")
        CONFIRMED = "confirmed", _("ヌシ確認済み")
        PUBLISHED = "published", _("公開中")
        CLOSED = "closed", _("募集終了")
        CANCELLED = "cancelled", _("中止")
        REJECTED = "rejected", _("見送り")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="programs",
        verbose_name=_("自治体"),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="programs",
        verbose_name=_("地区"),
    )
    nushi = models.ForeignKey(
        Organization, verbose_name=_("ヌシ"), on_delete=models.PROTECT, related_name="programs"
    )
    need = models.ForeignKey(
        Need,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="programs",
        verbose_name=_("困りごと"),
    )
    title = models.CharField(_("タイトル"), max_length=100)
    summary = models.CharField(_("ひとこと紹介"), max_length=200, blank=True)
    story = models.TextField(_("どんなお手伝い？"), blank=True, max_length=4000)
    background = models.TextField(_("背景"), blank=True, max_length=4000)
    about_nushi = models.TextField(_("ヌシの紹介"), blank=True, max_length=2000)
    category = models.CharField(_("カテゴリ"), max_length=20, choices=Category.choices)
    relationship_type = models.CharField(
        _("関わり方の型"),
        max_length=20,
        choices=RelationshipType.choices,
        default=RelationshipType.DIRECT,
    )
    tags = models.JSONField(_("タグ"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("参加できる年齢（以上）"), null=True, blank=True)
    residents_only = models.BooleanField(_("市内在住の方限定"), default=False)
    required_skills = models.JSONField(_("必要なスキル"), default=list, blank=True)
    what_to_bring = models.TextField(_("持ち物・服装"), blank=True, max_length=1000)
    points_per_participant = models.PositiveIntegerField(_("付与ポイント（1人あたり）"), default=0)
    okaeshi = models.CharField(_("ヌシからのオカエシ"), max_length=200, blank=True)
    is_online = models.BooleanField(_("オンライン"), default=False)
    # Private like meeting_address: only accepted helpers receive it (in their reminders).
    online_url = models.URLField(_("オンライン参加用のリンク"), blank=True)
    # Private like online_url: how to join (meeting ID, passcode, what to have ready).
    online_instructions = models.TextField(_("オンライン参加の方法"), blank=True, max_length=2000)
    meeting_place = models.CharField(_("集合場所"), max_length=100, blank=True)
    meeting_postal_code = models.CharField(_("集合場所の郵便番号"), max_length=8, blank=True)
    meeting_address = models.CharField(_("集合場所の住所"), max_length=200, blank=True)
    latitude = models.DecimalField(_("緯度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("経度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    cover_image = models.ImageField(_("メイン写真"), upload_to="programs/%Y/%m/", blank=True)
    # A card-sized copy for the listing (accounts.images.thumbnail_of), made with the cover.
    cover_thumbnail = models.ImageField(
        verbose_name=_("表紙の縮小画像"), upload_to="thumbs/%Y/%m/", blank=True, editable=False
    )
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    status_note = models.TextField(_("修正依頼・見送りの理由"), blank=True, max_length=2000)
    # How the nushi's confirmation came: on the web (the nushi pressed the button) or to staff, who
    # recorded it on the nushi's behalf (phone, paper, visit); the history says who and when.
    confirmed_via = models.CharField(
        _("ヌシの確認方法"), max_length=10, choices=Need.Channel.choices, blank=True
    )
    # Secret for the nushi's preview link; rotated when a draft is sent again.
    preview_token = models.UUIDField(
        verbose_name=_("プレビュー用の鍵"), default=uuid.uuid4, editable=False
    )
    # Empty once its author's account is deleted (SET_NULL): the program must stay editable then.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="programs_created",
        verbose_name=_("登録した人"),
    )
    published_at = models.DateTimeField(verbose_name=_("公開日時"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("更新日時"), auto_now=True)
    # What the keyword search looks in: the public text folded for width, kana and case, with the
    # readings of its kanji (portal.search.program_search_text), written by the service that saves a
    # program's text (services.programs._apply). PostgreSQL serves `LIKE '%みょうが%'` on it from a
    # pg_trgm GIN index (migration 0011).
    search_text = models.TextField(_("検索用の文字列"), blank=True, default="", editable=False)

    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta:
        verbose_name = _("プログラム")
        verbose_name_plural = _("プログラム")
        ordering = ["-published_at", "-created_at"]
        indexes = [
            # Public listing: published programs of all municipalities, newest first.
            models.Index(fields=["status", "-published_at"], name="portal_program_listing"),
            # Staff pages: one municipality's programs by state.
            models.Index(fields=["municipality", "status"], name="portal_program_staff"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def relationship_type_plain(self) -> str:
        plain = RELATIONSHIP_PLAIN.get(RelationshipType(self.relationship_type))
        return str(plain or self.get_relationship_type_display())

    @property
    def required_skill_labels(self) -> list[str]:
        return [str(Skill(code).label) for code in self.required_skills if code in Skill.values]


class Photo(models.Model):
    """A photo (`image`, from accounts.images.process_upload) and its card-sized copy for galleries
    (`thumbnail`, from thumbnail_of). Rows older than thumbnails show the image itself."""

    thumbnail = models.ImageField(
        verbose_name=_("縮小画像"), upload_to="thumbs/%Y/%m/", blank=True, editable=False
    )
    image: ImageFieldFile  # each kind of photo declares its own field (its own upload folder)

    class Meta:
        abstract = True

    @property
    def thumbnail_url(self) -> str:
        return (self.thumbnail or self.image).url


class ProgramPhoto(Photo):
    program = models.ForeignKey(
        Program, verbose_name=_("プログラム"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("写真"), upload_to="programs/%Y/%m/")
    caption = models.CharField(_("説明（代替テキスト）"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(verbose_name=_("表示順"), default=0)

    class Meta:
        verbose_name = _("プログラム写真")
        verbose_name_plural = _("プログラム写真")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.caption or self.image.name or ""


class Session(HistoryStamps):
    """One dated occurrence of a program. `places_taken` mirrors the number of accepted (and attended)
    applications and is kept in step in the same transaction as the application rows; the CHECK below
    makes overbooking impossible even if a service forgot its lock."""

    class AcceptanceMode(models.TextChoices):
        FIRST_COME = "first_come", _("先着順")
        SELECTION = "selection", _("選考")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("予定")
        CANCELLED = "cancelled", _("中止")
        CLOSED = "closed", _("終了（出欠確定）")

    program = models.ForeignKey(
        Program, verbose_name=_("プログラム"), on_delete=models.CASCADE, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("開始"))
    ends_at = models.DateTimeField(_("終了"))
    capacity = models.PositiveIntegerField(_("募集人数"))
    places_taken = models.PositiveIntegerField(_("確定人数"), default=0)
    apply_deadline = models.DateTimeField(_("申込締切"))
    rain_starts_at = models.DateTimeField(_("予備日の開始"), null=True, blank=True)
    rain_ends_at = models.DateTimeField(_("予備日の終了"), null=True, blank=True)
    moved_to_rain_date = models.BooleanField(_("予備日に変更済み"), default=False)
    # The start before the move to the rain date: the program page shows the move as one
    # ("7月5日 → 雨天のため7月6日に変更"), not as two equal dates.
    moved_from_starts_at = models.DateTimeField(
        _("予備日に変更する前の開始"), null=True, blank=True
    )
    # How many times the session's times changed after it was created (the rain date, an edit): the
    # helpers' calendar events carry it as their SEQUENCE, so each change replaces the event.
    times_changed = models.PositiveIntegerField(_("日時の変更回数"), default=0)
    acceptance_mode = models.CharField(
        _("受付方法"),
        max_length=20,
        choices=AcceptanceMode.choices,
        default=AcceptanceMode.FIRST_COME,
    )
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("開催日")
        verbose_name_plural = _("開催日")
        ordering = ["starts_at"]
        indexes = [
            # Listing filters by date range over upcoming sessions.
            models.Index(fields=["starts_at"], name="portal_session_starts"),
            # Program page and the listing's per-program aggregate: one program's sessions by date.
            models.Index(fields=["program", "starts_at"], name="portal_session_program"),
            # Programs with places left by their next session (home, municipality and nushi pages,
            # the listing's 空きのある日程だけ): most upcoming sessions may be full, and walking the
            # starts_at index past them read 9,000 rows of the large demo for 18 open ones.
            models.Index(
                fields=["starts_at"],
                condition=Q(status="scheduled", places_taken__lt=F("capacity")),
                name="portal_session_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="portal_session_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="portal_session_starts_before_ends"
            ),
            models.CheckConstraint(
                condition=Q(apply_deadline__lte=F("starts_at")),
                name="portal_session_deadline_before_start",
            ),
            models.CheckConstraint(
                condition=Q(places_taken__lte=F("capacity")),
                name="portal_session_places_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(rain_starts_at__isnull=True)
                | Q(rain_ends_at__isnull=False, rain_starts_at__lt=F("rain_ends_at")),
                name="portal_session_rain_date_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.starts_at:%Y-%m-%d %H:%M}"

    def is_ahead(self, now: datetime | None = None) -> bool:
        """Scheduled and not started: places can still be taken, decisions made and the waitlist
        promoted (take_place checks the same in its conditional UPDATE)."""
        return self.status == self.Status.SCHEDULED and (now or timezone.now()) < self.starts_at

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.places_taken, 0)


def new_checkin_code() -> str:
    # 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L): easy to read out and type.
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(8))


class Application(HistoryStamps):
    """A helper's request to join a session.

    applied → accepted / waitlisted / declined → attended / no_show; or cancelled.
    Only `accepted` and `attended` hold a place (count in Session.places_taken).
    """

    class Status(models.TextChoices):
        APPLIED = "applied", _("選考中")
        ACCEPTED = "accepted", _("参加確定")
        WAITLISTED = "waitlisted", _("キャンセル待ち")
        DECLINED = "declined", _("お見送り")
        CANCELLED = "cancelled", _("キャンセル")
        ATTENDED = "attended", _("参加済み")
        NO_SHOW = "no_show", _("欠席")

    HOLDS_PLACE = (Status.ACCEPTED, Status.ATTENDED)
    ACTIVE = (Status.APPLIED, Status.ACCEPTED, Status.WAITLISTED, Status.ATTENDED)

    session = models.ForeignKey(
        Session, verbose_name=_("開催日"), on_delete=models.PROTECT, related_name="applications"
    )
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("お手伝いさん"),
    )
    message = models.TextField(_("備考"), blank=True, max_length=1000)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.APPLIED
    )
    checkin_code = models.CharField(
        _("受付コード"), max_length=8, unique=True, default=new_checkin_code
    )
    late_cancellation = models.BooleanField(_("直前キャンセル"), default=False)
    decided_at = models.DateTimeField(verbose_name=_("決定日時"), null=True, blank=True)
    cancelled_at = models.DateTimeField(verbose_name=_("キャンセル日時"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("更新日時"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("応募")
        verbose_name_plural = _("応募")
        ordering = ["created_at", "pk"]
        indexes = [
            # Roster and waitlist of one session, in order of application.
            models.Index(fields=["session", "status", "created_at"], name="portal_app_roster"),
            # A helper's my page and the overlap check: their applications by state.
            models.Index(fields=["helper", "status"], name="portal_app_helper"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "helper"],
                condition=Q(status__in=["applied", "accepted", "waitlisted", "attended"]),
                name="portal_application_one_active_per_helper",
            )
        ]

    def __str__(self) -> str:
        return f"{self.helper} → {self.session}"


class Attendance(HistoryStamps):
    """The record that a helper came. Points are credited from it (idempotency key attendance:<id>)."""

    class Method(models.TextChoices):
        QR = "qr", _("QRコード")
        CODE = "code", _("受付コード入力")
        BULK = "bulk", _("一括登録")

    application = models.OneToOneField(
        Application,
        on_delete=models.PROTECT,
        related_name="attendance",
        verbose_name=_("応募"),
    )
    checked_in_at = models.DateTimeField(verbose_name=_("受付日時"))
    method = models.CharField(verbose_name=_("受付方法"), max_length=10, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("記録した人"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("出席")
        verbose_name_plural = _("出席")

    def __str__(self) -> str:
        return f"{self.application} ✓"


class ActivityReport(HistoryStamps):
    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PUBLISHED = "published", _("公開中")

    program = models.ForeignKey(
        Program, verbose_name=_("プログラム"), on_delete=models.CASCADE, related_name="reports"
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("開催日"),
    )
    title = models.CharField(_("タイトル"), max_length=100)
    body = models.TextField(_("本文"), max_length=4000)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("書いた人"),
    )
    published_at = models.DateTimeField(verbose_name=_("公開日時"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("活動レポート")
        verbose_name_plural = _("活動レポート")
        ordering = ["-published_at", "-created_at"]

    def __str__(self) -> str:
        return self.title


class ActivityReportPhoto(Photo):
    report = models.ForeignKey(
        ActivityReport,
        verbose_name=_("活動レポート"),
        on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.ImageField(_("写真"), upload_to="reports/%Y/%m/")
    caption = models.CharField(_("説明（代替テキスト）"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(verbose_name=_("表示順"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("活動レポートの写真")
        verbose_name_plural = _("活動レポートの写真")

    def __str__(self) -> str:
        return self.caption or self.image.name or ""


# --- The helper's journey after applying (messages, thank-you loop) -----------------------


class SessionMessage(models.Model):
    """One message in a session's thread. Without `application`: the group thread, read by every helper
    holding a place, the nushi's members and the municipality's staff (can_use_thread decides). With
    it: the private thread between that application's helper and the hosts (can_use_private_thread)."""

    session = models.ForeignKey(
        Session, verbose_name=_("開催日"), on_delete=models.CASCADE, related_name="messages"
    )
    application = models.ForeignKey(
        "Application",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="private_messages",
        db_index=False,  # portal_sessionmsg_private below starts with it,
        verbose_name=_("応募"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="session_messages",
        verbose_name=_("書いた人"),
    )
    body = models.TextField(_("メッセージ"), max_length=2000)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    # Who wrote it, as the thread shows it: set by portal.selectors.sessions, not a column.
    author_label: str

    class Meta:
        verbose_name = _("開催日のメッセージ")
        verbose_name_plural = _("開催日のメッセージ")
        ordering = ["created_at", "pk"]
        indexes = [
            # The thread page: one session's messages in order.
            models.Index(fields=["session", "created_at"], name="portal_sessionmsg_thread"),
            # The private thread page: one application's messages in order.
            models.Index(fields=["application", "created_at"], name="portal_sessionmsg_private"),
        ]

    def __str__(self) -> str:
        return self.body[:40]


class ThankYou(models.Model):
    """The nushi's thank-you to the helpers who attended a session (photos in ThankYouPhoto)."""

    session = models.ForeignKey(
        Session, verbose_name=_("開催日"), on_delete=models.CASCADE, related_name="thank_yous"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="thank_yous",
        verbose_name=_("書いた人"),
    )
    body = models.TextField(_("お礼のメッセージ"), max_length=2000)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("お礼のメッセージ")
        verbose_name_plural = _("お礼のメッセージ")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:40]


class ThankYouPhoto(Photo):
    thank_you = models.ForeignKey(
        ThankYou,
        verbose_name=_("お礼のメッセージ"),
        on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.ImageField(_("写真"), upload_to="thanks/%Y/%m/")
    caption = models.CharField(_("説明（代替テキスト）"), max_length=200, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("お礼の写真")
        verbose_name_plural = _("お礼の写真")

    def __str__(self) -> str:
        return self.caption or self.image.name or ""


class Impression(models.Model):
    """A helper's short impression after attending; staff may quote it in the activity report only
    when the helper agreed (`may_publish`)."""

    application = models.OneToOneField(
        Application,
        on_delete=models.CASCADE,
        related_name="impression",
        verbose_name=_("応募"),
    )
    body = models.TextField(_("感想"), max_length=1000)
    may_publish = models.BooleanField(_("活動レポートに載せてもよい"), default=True)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("感想")
        verbose_name_plural = _("感想")

    def __str__(self) -> str:
        return self.body[:40]


class FormToken(models.Model):
    """One sending of a form that creates something (a need, a program, a session, a message, a
    contact, ...): the one-time token the form carried, and what it created. Claimed in the
    transaction of the create, so the same form sent again (back and send, a double tap) leads to
    what the first sending created instead of creating it twice."""

    token = models.UUIDField(verbose_name=_("鍵"), primary_key=True)
    # NULL: sent by a visitor who is not signed in (the contact form).
    user = models.ForeignKey(
        User,
        verbose_name=_("ユーザー"),
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    # The pk of what the sending created; NULL only inside the transaction that creates it.
    object_id = models.BigIntegerField(verbose_name=_("作成したもの"), null=True)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), default=timezone.now)

    class Meta:
        verbose_name = _("フォームの送信")
        verbose_name_plural = _("フォームの送信")

    def __str__(self) -> str:
        return str(self.token)
