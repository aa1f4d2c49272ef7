"""Forms for needs, programs, sessions, photos and reports. They validate (in Japanese) and never write:
views pass `cleaned_data` to a service."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts import postal
from accounts.forms import PostalCodeField
from accounts.images import process_upload
from accounts.models import District, Municipality, Organization, Skill
from portal.models import ActivityReport, Category, Need, Program, Session
from portal.query_params import validate_listing_date
from portal.services.sessions import session_errors

BIG = {"class": "text-xl"}  # the need form is for elderly residents too: large text in the inputs
DATETIME = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _clean_image(value):
    """A new upload is checked, resized and stripped of EXIF; a stored file passes through."""
    if value and hasattr(value, "content_type"):
        return process_upload(value)
    return value


def _postal_lookup_attrs(field, address_field: str) -> None:
    """With htmx, the address appears as soon as the code is typed (portal.views.needs.postal_lookup)."""
    field.widget.attrs.update(
        {
            "hx-get": reverse_lazy("postal_lookup"),
            "hx-trigger": "change",
            "hx-target": f"#postal-result-{address_field}",
            "hx-swap": "outerHTML",
            "hx-include": f"#id_{address_field}",
            "hx-vals": f'{{"field": "{address_field}"}}',
            "aria-describedby": f"postal-result-{address_field}",
        }
    )
    field.help_text = format_html(
        '{} <span id="postal-result-{}" aria-live="polite"></span>', field.help_text, address_field
    )


def _address_from_postal(code: str) -> str:
    return postal.lookup(code).address


class NeedForm(forms.ModelForm):
    """A resident's need in their own words: few fields, large text, photo optional."""

    postal_code = PostalCodeField(
        required=False,
        label=_("場所の郵便番号"),
        help_text=_("わかれば入力してください。住所が空なら郵便番号から入れます。"),
    )

    class Meta:
        model = Need
        fields = [
            "title", "description", "district", "meeting_place", "postal_code", "address",
            "preferred_dates", "dates_flexible", "helpers_wanted", "okaeshi", "photo",
        ]  # fmt: skip
        labels = {
            "title": _("困っていること（ひとことで）"),
            "description": _("くわしく教えてください"),
            "meeting_place": _("場所（集合場所）"),
            "helpers_wanted": _("何人くらい来てほしいですか"),
            "district": _("地区"),
        }
        help_texts = {
            "title": _("例: みょうが畑の草取りを手伝ってほしい"),
            "preferred_dates": _("例: 5月の土日の午前中"),
            "okaeshi": _("例: とれたての野菜、お昼ごはん"),
            "photo": _("なくてもかまいません。位置情報などは消してから保存します。"),
        }
        widgets = {
            "title": forms.TextInput(attrs=BIG),
            "description": forms.Textarea(attrs={**BIG, "rows": 5}),
            "meeting_place": forms.TextInput(attrs=BIG),
            "address": forms.TextInput(attrs={**BIG, "autocomplete": "street-address"}),
            "preferred_dates": forms.TextInput(attrs=BIG),
            "helpers_wanted": forms.NumberInput(attrs={**BIG, "min": 1, "max": 100}),
            "okaeshi": forms.TextInput(attrs=BIG),
        }

    def __init__(self, *args, municipality_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.filter(municipality_id=municipality_id)
        self.fields["district"].empty_label = _("わからない・選ばない")
        _postal_lookup_attrs(self.fields["postal_code"], "address")
        self.fields["helpers_wanted"].min_value = 1

    def clean_photo(self):
        return _clean_image(self.cleaned_data.get("photo"))

    def clean_helpers_wanted(self):
        value = self.cleaned_data["helpers_wanted"]
        if value is not None and value < 1:
            raise ValidationError(_("1人以上にしてください。"))
        return value

    def clean(self):
        data = super().clean()
        if not data.get("preferred_dates") and not data.get("dates_flexible"):
            self.add_error(
                "preferred_dates",
                _("希望の日にちを書くか、「日にちはいつでもよい」にチェックしてください。"),
            )
        if data.get("postal_code") and not data.get("address"):
            data["address"] = _address_from_postal(data["postal_code"])
        return data


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: each error on the field it names when the form
    has that field, otherwise at the top of the form. (Django's add_error refuses, with an exception,
    an error on a model field the form does not show, which turned such a rule into a server error.)"""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def chosen_object(form: forms.BaseForm, name: str):
    """What a bound form's choice field names, read before the form is validated (another form's
    choices depend on it), or None when the value names nothing: the field's own cleaning turns
    whatever was posted (a word, a huge number, several values) into an object or a refusal."""
    if not form.is_bound:
        return None
    try:
        return form.fields[name].clean(form[name].data)
    except ValidationError:
        return None


class NushiChoiceForm(forms.Form):
    """Who the need is from, for a signed-in resident: one of their organisations, or (with none yet)
    a municipality and a name to post as an individual nushi."""

    organization = forms.ModelChoiceField(
        label=_("どなたの困りごとですか"), queryset=Organization.objects.none(), required=False
    )
    municipality = forms.ModelChoiceField(
        label=_("お住まいの自治体"), queryset=Municipality.objects.all(), required=False
    )
    nushi_name = forms.CharField(
        label=_("お名前または団体名"), max_length=100, required=False, widget=forms.TextInput(BIG)
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = Organization.objects.filter(memberships__user=user).order_by("name")
        self.has_organizations = orgs.exists()
        if self.has_organizations:
            self.fields["organization"].queryset = orgs
            self.fields["organization"].required = True
            self.fields["organization"].empty_label = None
            del self.fields["municipality"], self.fields["nushi_name"]
        else:
            del self.fields["organization"]
            self.fields["municipality"].required = True
            self.fields["nushi_name"].required = True

    @property
    def municipality_id(self) -> int | None:
        if self.has_organizations:
            chosen = chosen_object(self, "organization")
            return (chosen or self.fields["organization"].queryset.first()).municipality_id
        chosen = chosen_object(self, "municipality")
        return chosen.pk if chosen else None


class StaffIntakeForm(forms.Form):
    """Staff enter a need on a resident's behalf (phone, paper, visit)."""

    organization = forms.ModelChoiceField(
        label=_("ヌシ（団体・個人）"), queryset=Organization.objects.none()
    )
    channel = forms.ChoiceField(label=_("受付方法"), choices=Need.Channel.choices, initial="phone")

    def __init__(self, *args, municipality_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(
            municipality_id__in=municipality_ids
        ).order_by("name")


class CommaListField(forms.CharField):
    """Tags typed as 「農業、体験、週末」 or "a, b": a list of short strings."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return "、".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value) or ""
        parts = [p.strip() for p in value.replace("、", ",").replace("，", ",").split(",")]
        tags = list(dict.fromkeys(p for p in parts if p))
        if any(len(t) > 20 for t in tags) or len(tags) > 10:
            raise ValidationError(_("タグは20文字以内で10個までにしてください。"))
        return tags


class ProgramForm(forms.ModelForm):
    tags = CommaListField(
        label=_("タグ"), required=False, help_text=_("読点かカンマで区切ります（例: 農業、週末）")
    )
    required_skills = forms.MultipleChoiceField(
        label=_("あると助かるスキル"),
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    meeting_postal_code = PostalCodeField(
        required=False, label=_("くわしい住所の郵便番号（非公開）")
    )

    class Meta:
        model = Program
        fields = [
            "title", "summary", "story", "background", "about_nushi", "category", "relationship_type",
            "tags", "district", "min_age", "residents_only", "required_skills", "what_to_bring",
            "points_per_participant", "okaeshi", "cover_image", "is_online", "meeting_place",
            "meeting_postal_code", "meeting_address", "latitude", "longitude",
        ]  # fmt: skip
        widgets = {
            "story": forms.Textarea(attrs={"rows": 6}),
            "background": forms.Textarea(attrs={"rows": 4}),
            "about_nushi": forms.Textarea(attrs={"rows": 4}),
            "what_to_bring": forms.Textarea(attrs={"rows": 3}),
        }
        # The public place (name, district, map point) and the private exact address are separate
        # fields: the address is shown only to those who may see the nushi's contact
        # (can_see_nushi_contact), never on the public page, its map, structured data or .ics.
        labels = {
            "district": _("地区"),
            "meeting_place": _("集合場所（公開）"),
            "meeting_address": _("くわしい住所（非公開）"),
        }
        help_texts = {
            "meeting_place": _(
                "公民館・駅・集落の名前など、誰に見られてもよい場所を書いてください。個人宅の住所は書かないでください。"
            ),
            "meeting_address": _("参加が確定した人と、主催者・事務局だけに表示されます。"),
            "latitude": _(
                "公開の地図に出る印です。個人宅ではなく、集合場所（公民館など）に置いてください（例: 36.2381）。下の地図をタップしても入ります。"
            ),
            "longitude": _("例: 137.1863"),
        }

    def __init__(self, *args, municipality_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.filter(municipality_id=municipality_id)
        _postal_lookup_attrs(self.fields["meeting_postal_code"], "meeting_address")

    def clean_cover_image(self):
        return _clean_image(self.cleaned_data.get("cover_image"))

    def clean(self):
        data = super().clean()
        if not data.get("is_online") and not data.get("meeting_place"):
            self.add_error("meeting_place", _("現地で行うプログラムには集合場所が必要です。"))
        lat, lng = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lng is None):
            self.add_error("longitude", _("緯度と経度は両方入力してください。"))
        if lat is not None and not (20 <= lat <= 46):
            self.add_error("latitude", _("日本の範囲の緯度を入力してください。"))
        if lng is not None and not (122 <= lng <= 154):
            self.add_error("longitude", _("日本の範囲の経度を入力してください。"))
        if data.get("meeting_postal_code") and not data.get("meeting_address"):
            data["meeting_address"] = _address_from_postal(data["meeting_postal_code"])
        return data


class SessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = [
            "starts_at", "ends_at", "capacity", "apply_deadline", "rain_starts_at", "rain_ends_at",
            "acceptance_mode",
        ]  # fmt: skip
        widgets = {
            name: forms.DateTimeInput(attrs=DATETIME, format=DATETIME_FORMAT)
            for name in ("starts_at", "ends_at", "apply_deadline", "rain_starts_at", "rain_ends_at")
        }
        help_texts = {"rain_starts_at": _("雨などで延期するときの予備日（なければ空のまま）")}

    def __init__(self, *args, places_taken: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.places_taken = places_taken
        self.fields["capacity"].widget.attrs["min"] = 1

    def clean(self):
        data = super().clean()
        errors = session_errors(
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
            capacity=data.get("capacity"),
            apply_deadline=data.get("apply_deadline"),
            rain_starts_at=data.get("rain_starts_at"),
            rain_ends_at=data.get("rain_ends_at"),
            places_taken=self.places_taken,
        )
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data

    def _post_clean(self):
        # The model's CHECK constraints repeat session_errors(); skip model validation so that the
        # Japanese message above is the only one shown (the database still enforces them).
        pass


class PhotoForm(forms.Form):
    image = forms.ImageField(label=_("写真"))
    caption = forms.CharField(
        label=_("写真の説明"),
        max_length=200,
        help_text=_("目の不自由な方の読み上げに使います（例: 畝を立てる参加者）"),
    )

    def clean_image(self):
        return _clean_image(self.cleaned_data.get("image"))


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ReportForm(forms.ModelForm):
    photos = MultipleImageField(label=_("写真（複数選べます）"), required=False)
    photo_caption = forms.CharField(
        label=_("写真の説明"), max_length=200, required=False, help_text=_("例: 皮はぎをする参加者")
    )

    class Meta:
        model = ActivityReport
        fields = ["session", "title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, program: Program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = program.sessions.order_by("-starts_at")
        self.fields["session"].required = False

    def clean_photos(self):
        return [process_upload(photo) for photo in self.cleaned_data.get("photos") or []]


MODE_CHOICES = [("", _("すべて")), ("onsite", _("現地")), ("online", _("オンライン"))]


class ProgramFilterForm(forms.Form):
    """The public listing's filters (GET). Every field is optional; invalid values are ignored."""

    q = forms.CharField(
        label=_("キーワード"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("例: みょうが")}),
    )
    category = forms.ChoiceField(
        label=_("カテゴリ"), choices=[("", _("すべて")), *Category.choices], required=False
    )
    district = forms.TypedChoiceField(label=_("地区"), coerce=int, required=False, empty_value=None)
    date_from = forms.DateField(
        label=_("この日から"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_listing_date],
    )
    date_to = forms.DateField(
        label=_("この日まで"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_listing_date],
    )
    weekend = forms.BooleanField(label=_("土日のみ"), required=False)
    open_only = forms.BooleanField(label=_("空きのある日程だけ"), required=False)
    mode = forms.ChoiceField(label=_("参加のしかた"), choices=MODE_CHOICES, required=False)

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        # (id, label) pairs from selectors.listing_districts (cached), not a queryset: no query here.
        self.fields["district"].choices = [("", _("すべて")), *districts]

    def filters(self) -> dict:
        """The valid, non-empty filters; an invalid one (a malformed date) is left out, not fatal."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}
