"""People and places: users, municipalities, districts, hosting organisations, helper profiles.

One User can be a helper (has a HelperProfile), act for one or more Organizations (as nushi) and be staff
of one or more Municipalities, all at once. One helper identity works across every municipality hosted by
the deployment.
"""

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

PREFECTURES = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
]  # fmt: skip
PREFECTURE_CHOICES = [(p, p) for p in PREFECTURES]


class Skill(models.TextChoices):
    FARMING = "farming", _("農作業")
    LABOUR = "labour", _("力仕事")
    DRIVING = "driving", _("運転")
    COOKING = "cooking", _("料理")
    DIY = "diy", _("大工・DIY")
    CRAFT = "craft", _("伝統工芸・手仕事")
    IT = "it", _("IT・パソコン")
    MEDIA = "media", _("写真・SNS発信")
    LANGUAGE = "language", _("語学・通訳")
    CHILDREN = "children", _("子ども・教育")
    CARE = "care", _("介護・福祉")
    EVENTS = "events", _("イベント運営")


class Weekday(models.IntegerChoices):
    MON = 0, _("月")
    TUE = 1, _("火")
    WED = 2, _("水")
    THU = 3, _("木")
    FRI = 4, _("金")
    SAT = 5, _("土")
    SUN = 6, _("日")


class Season(models.TextChoices):
    SPRING = "spring", _("春")
    SUMMER = "summer", _("夏")
    AUTUMN = "autumn", _("秋")
    WINTER = "winter", _("冬")


class TimeOfDay(models.TextChoices):
    """When in the day (Asia/Tokyo) a helper can come: a session starting before noon is 午前, before
    17:00 午後, later 夕方から (matching.engine.time_of_day)."""

    MORNING = "morning", _("午前")
    AFTERNOON = "afternoon", _("午後")
    EVENING = "evening", _("夕方から")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in by email. `is_staff` only opens the Django admin; what a staff member may
    touch there is decided by their StaffMembership rows (accounts.permissions)."""

    # None removes an inherited field (Django's documented way); the stubs type these as str.
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("メールアドレス"), unique=True)
    name = models.CharField(_("氏名"), max_length=100, blank=True)
    phone = PhoneNumberField(_("電話番号"), blank=True)
    # The language of the emails this person receives: the one they signed up in, then the one they
    # last chose with the language switch (accounts.views.set_language).
    language = models.CharField(
        _("お知らせの言語"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # AbstractUser's stubs expect django.contrib.auth's UserManager, whose create_user takes a username;
    # ours is keyed by email (the same interface Django's own createsuperuser uses with USERNAME_FIELD).
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    # Caches for one request, left on the user object by accounts.permissions; not columns.
    _staff_municipality_ids: set[int] | None
    _organization_ids: set[int] | None

    class Meta:
        verbose_name = _("ユーザー")
        verbose_name_plural = _("ユーザー")

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]


class Municipality(models.Model):
    name = models.CharField(_("自治体名"), max_length=50)
    prefecture = models.CharField(_("都道府県"), max_length=4, choices=PREFECTURE_CHOICES)
    slug = models.SlugField(_("URL名"), unique=True)
    site_name = models.CharField(
        _("サイト名"), max_length=50, blank=True, help_text=_("例: ヒダスケ！")
    )
    helper_brand_name = models.CharField(
        _("お手伝いさんの呼び名"), max_length=30, blank=True, help_text=_("例: ヒダスケさん")
    )
    points_name = models.CharField(
        _("地域通貨の名前"), max_length=30, blank=True, help_text=_("例: さるぼぼコイン")
    )
    contact_email = models.EmailField(_("事務局のメールアドレス"), blank=True)
    contact_phone = PhoneNumberField(_("事務局の電話番号"), blank=True)
    # Where staff's map for placing a meeting point opens (the town hall, say).
    latitude = models.DecimalField(
        _("地図の中心（緯度）"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("地図の中心（経度）"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")
        ordering = ["prefecture", "name"]

    def __str__(self) -> str:
        return f"{self.prefecture}{self.name}"

    @property
    def helper_label(self) -> str:
        return self.helper_brand_name or str(_("お手伝いさん"))


class District(models.Model):
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="districts",
        verbose_name=_("自治体"),
    )
    name = models.CharField(_("地区名"), max_length=50)
    order = models.PositiveSmallIntegerField(_("並び順"), default=0)

    class Meta:
        verbose_name = _("地区")
        verbose_name_plural = _("地区")
        ordering = ["municipality", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="accounts_district_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StaffMembership(models.Model):
    """Makes a user staff (自治体職員 / 事務局) of one municipality. Staff see and change only the data of
    municipalities they hold a membership in."""

    user = models.ForeignKey(
        User, verbose_name=_("ユーザー"), on_delete=models.CASCADE, related_name="staff_memberships"
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name=_("自治体"),
    )
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("職員の所属")
        verbose_name_plural = _("職員の所属")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality"], name="accounts_staffmembership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.municipality}"


class Organization(models.Model):
    """A hosting body: the nushi (ヌシ) of needs and programs. An individual resident is an Organization
    of kind 個人 with one member, so every nushi is handled the same way."""

    class Kind(models.TextChoices):
        RMO = "rmo", _("地域運営組織")
        SHURAKU = "shuraku", _("集落")
        NPO = "npo", _("NPO")
        BUSINESS = "business", _("事業者")
        COMPANY_TEAM = "company_team", _("企業チーム")
        INDIVIDUAL = "individual", _("個人")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="organizations",
        verbose_name=_("自治体"),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organizations",
        verbose_name=_("地区"),
    )
    name = models.CharField(_("名前"), max_length=100)
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    description = models.TextField(_("紹介"), blank=True, max_length=2000)
    # Private contact details: shown only to staff of the municipality and to helpers accepted for one
    # of this nushi's sessions (portal.permissions.can_see_nushi_contact decides, nowhere else).
    phone = PhoneNumberField(_("電話番号"), blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    members = models.ManyToManyField(
        User,
        through="OrganizationMembership",
        related_name="organizations",
        verbose_name=_("メンバー"),
    )
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("団体・ヌシ")
        verbose_name_plural = _("団体・ヌシ")
        ordering = ["municipality", "name"]

    def __str__(self) -> str:
        return self.name


class OrganizationMembership(models.Model):
    class Role(models.TextChoices):
        REPRESENTATIVE = "representative", _("代表者")
        MEMBER = "member", _("メンバー")

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("団体"),
    )
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="organization_memberships",
        verbose_name=_("ユーザー"),
    )
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name = _("団体メンバー")
        verbose_name_plural = _("団体メンバー")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="accounts_organizationmembership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organization}"


class HelperProfile(models.Model):
    user = models.OneToOneField(
        User, verbose_name=_("ユーザー"), on_delete=models.CASCADE, related_name="helper_profile"
    )
    display_name = models.CharField(_("表示名"), max_length=40)
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    home_prefecture = models.CharField(
        _("お住まいの都道府県"), max_length=4, choices=PREFECTURE_CHOICES, blank=True
    )
    home_municipality = models.CharField(_("お住まいの市区町村"), max_length=50, blank=True)
    skills = models.JSONField(_("得意なこと"), default=list, blank=True)
    # Values of accounts.categories.Category, the list programs are filed under.
    interests = models.JSONField(_("興味のある分野"), default=list, blank=True)
    available_weekdays = models.JSONField(_("参加しやすい曜日"), default=list, blank=True)
    available_seasons = models.JSONField(_("参加しやすい季節"), default=list, blank=True)
    available_times = models.JSONField(_("参加しやすい時間帯"), default=list, blank=True)
    bio = models.TextField(_("自己紹介"), blank=True, max_length=1000)
    photo = models.ImageField(_("写真"), upload_to="helpers/%Y/%m/", blank=True)
    birth_year = models.PositiveSmallIntegerField(_("生まれた年"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("お手伝いさんプロフィール")
        verbose_name_plural = _("お手伝いさんプロフィール")
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900),
                name="accounts_helperprofile_birth_year_sane",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_complete(self) -> bool:
        """What an application needs: a name to show, where the helper comes from, an age."""
        return bool(self.display_name and self.home_prefecture and self.birth_year)

    @property
    def home_area(self) -> str:
        return f"{self.home_prefecture}{self.home_municipality}"


class PageText(models.Model):
    """A municipality's own text of one of the public service's pages (利用規約, プライバシーポリシー,
    お問い合わせ, よくある質問). Without a row the page shows the shipped default text
    (templates/pages/defaults/). The body is plain text: it is escaped and shown paragraph by paragraph
    (accounts.pages.paragraphs), never as HTML.

    `version` is the consent version the text belongs to (terms and privacy only, accounts.pages): an
    edit saved as a material change raises it above every version in use, and everyone is asked to
    accept again."""

    class Kind(models.TextChoices):
        TERMS = "terms", _("利用規約")
        PRIVACY = "privacy", _("プライバシーポリシー")
        CONTACT = "contact", _("お問い合わせ")
        FAQ = "faq", _("よくある質問")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="page_texts", verbose_name=_("自治体")
    )
    kind = models.CharField(_("ページ"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("見出し"), max_length=100)
    body = models.TextField(_("本文"), max_length=30000)
    version = models.PositiveIntegerField(_("版"), default=1)
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ページの文章")
        verbose_name_plural = _("ページの文章")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "kind"], name="accounts_pagetext_one_per_kind"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="accounts_pagetext_version"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality}: {self.get_kind_display()}"


class Consent(models.Model):
    """One acceptance of one version of the terms or the privacy policy: at signup, and again on the
    consent page whenever the version in force is newer than the person's last acceptance."""

    class Document(models.TextChoices):
        TERMS = "terms", _("利用規約")
        PRIVACY = "privacy", _("プライバシーポリシー")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    document = models.CharField(_("文書"), max_length=20, choices=Document.choices)
    version = models.PositiveIntegerField(_("版"))
    accepted_at = models.DateTimeField(_("同意日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("規約への同意")
        verbose_name_plural = _("規約への同意")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document", "version"], name="accounts_consent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.document} v{self.version}"


class SignupOrigin(models.Model):
    """The municipality whose page a signup came from (its town page, one of its programs, a
    session's apply page): the brand of that helper's account emails (accounts.branding). A row of
    its own rather than a key on User, so that a User stays of no municipality (accounts.scoping: one
    helper identity works across all of them). No row: signed up from the portal's own pages."""

    user = models.OneToOneField(
        User, verbose_name=_("ユーザー"), on_delete=models.CASCADE, related_name="signup_origin"
    )
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("自治体"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(verbose_name=_("作成日時"), default=timezone.now)

    class Meta:
        verbose_name = _("登録したときの自治体")
        verbose_name_plural = _("登録したときの自治体")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.municipality_id}"
