"""Forms of programs: staff's program form, photos, the public listing's filters."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.categories import Category
from accounts.forms import PostalCodeField
from accounts.models import District, Skill
from portal.forms.common import (
    CommaListField,
    FormTokenField,
    PhotoInput,
    address_from_postal,
    clean_image,
    form_field,
    postal_lookup_attrs,
)
from portal.models import Program
from portal.query_params import shown_value, validate_listing_date
from portal.selectors.programs import ListingSort
from portal.services.programs import ON_BEHALF_CHANNELS


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
    form_token = FormTokenField()  # used when the form creates a program (not when it edits one)

    class Meta:
        model = Program
        fields = [
            "title", "summary", "story", "background", "about_nushi", "category", "relationship_type",
            "tags", "district", "min_age", "residents_only", "required_skills", "what_to_bring",
            "points_per_participant", "okaeshi", "cover_image", "is_online", "online_url",
            "online_instructions", "meeting_place", "meeting_postal_code", "meeting_address", "latitude", "longitude",
        ]  # fmt: skip
        widgets = {
            "story": forms.Textarea(attrs={"rows": 6}),
            "background": forms.Textarea(attrs={"rows": 4}),
            "about_nushi": forms.Textarea(attrs={"rows": 4}),
            "what_to_bring": forms.Textarea(attrs={"rows": 3}),
            "online_instructions": forms.Textarea(attrs={"rows": 3}),
            "cover_image": PhotoInput(),
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
            "online_url": _(
                "オンラインのプログラムのとき、参加が確定した人と主催者・事務局にだけ表示され、リマインダーにも入ります（公開されません）。"
            ),
            "online_instructions": _(
                "ミーティングID・パスコード、事前に用意するものなど。参加が確定した人と主催者・事務局にだけ表示され、リマインダーにも入ります（公開されません）。"
            ),
            "latitude": _(
                "公開の地図に出る印です。個人宅ではなく、集合場所（公民館など）に置いてください（例: 36.2381）。下の地図をタップしても入ります。"
            ),
            "longitude": _("例: 137.1863"),
            "cover_image": _(
                "公開には必要です。一覧のカードとプログラムのページに出ます。人の顔や家の住所がわかる写真は避けてください。"
            ),
        }

    def __init__(self, *args: Any, municipality_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "district", forms.ModelChoiceField).queryset = (
            District.objects.filter(municipality_id=municipality_id)
            if municipality_id is not None
            else District.objects.none()
        )
        postal_lookup_attrs(self.fields["meeting_postal_code"], "meeting_address")

    def clean_cover_image(self) -> Any:
        return clean_image(self.cleaned_data.get("cover_image"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("is_online") and not data.get("meeting_place"):
            self.add_error("meeting_place", _("現地で行うプログラムには集合場所が必要です。"))
        if not data.get("is_online"):
            for name in ("online_url", "online_instructions"):
                if data.get(name):
                    self.add_error(
                        name,
                        _("「オンライン」にチェックしたプログラムにだけ入力できます。"),
                    )
        lat, lng = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lng is None):
            self.add_error("longitude", _("緯度と経度は両方入力してください。"))
        if lat is not None and not (20 <= lat <= 46):
            self.add_error("latitude", _("日本の範囲の緯度を入力してください。"))
        if lng is not None and not (122 <= lng <= 154):
            self.add_error("longitude", _("日本の範囲の経度を入力してください。"))
        if data.get("meeting_postal_code") and not data.get("meeting_address"):
            data["meeting_address"] = address_from_postal(data["meeting_postal_code"])
        return data


class PhotoForm(forms.Form):
    image = forms.ImageField(label=_("写真"))
    caption = forms.CharField(
        label=_("写真の説明"),
        max_length=200,
        help_text=_("目の不自由な方の読み上げに使います（例: 畝を立てる参加者）"),
    )
    form_token = FormTokenField()

    def clean_image(self) -> Any:
        return clean_image(self.cleaned_data.get("image"))


MODE_CHOICES = [("", _("すべて")), ("onsite", _("現地")), ("online", _("オンライン"))]

NOT_A_CHOICE = {"invalid_choice": _("選べる値ではありません")}
NOT_A_DATE = {"invalid": _("日付の形ではありません。例: 2026-12-24")}


class ProgramFilterForm(forms.Form):
    """The public listing's filters and order (GET). Every field is optional; an invalid value is left
    out of the search (the rest still applies) and named in a message (problems())."""

    q = forms.CharField(
        label=_("キーワード"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("例: みょうが")}),
        error_messages={"max_length": _("%(limit_value)d文字までです")},
    )
    category = forms.ChoiceField(
        label=_("カテゴリ"),
        choices=[("", _("すべて")), *Category.choices],
        required=False,
        error_messages=NOT_A_CHOICE,
    )
    district = forms.TypedChoiceField(
        label=_("地区"), coerce=int, required=False, empty_value=None, error_messages=NOT_A_CHOICE
    )
    date_from = forms.DateField(
        label=_("この日から"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_listing_date],
        error_messages=NOT_A_DATE,
    )
    date_to = forms.DateField(
        label=_("この日まで"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_listing_date],
        error_messages=NOT_A_DATE,
    )
    weekend = forms.BooleanField(label=_("土日のみ"), required=False)
    open_only = forms.BooleanField(label=_("空きのある日程だけ"), required=False)
    mode = forms.ChoiceField(
        label=_("参加のしかた"), choices=MODE_CHOICES, required=False, error_messages=NOT_A_CHOICE
    )
    sort = forms.ChoiceField(
        label=_("並べ替え"),
        choices=ListingSort.choices,
        required=False,
        error_messages=NOT_A_CHOICE,
    )

    def __init__(
        self, *args: Any, districts: Iterable[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # (id, label) pairs from selectors.listing_districts (cached), not a queryset: no query here.
        form_field(self, "district", forms.ChoiceField).choices = [("", _("すべて")), *districts]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("「この日から」より前の日です"))
        return data

    def filters(self) -> dict[str, Any]:
        """The valid, non-empty filters (the order is not one: sort_order())."""
        self.is_valid()
        return {
            k: v for k, v in self.cleaned_data.items() if k != "sort" and v not in (None, "", False)
        }

    def sort_order(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("sort") or ListingSort.DATE

    def problems(self) -> list[str]:
        """A message for each filter left out because its value is not valid, naming the filter, the
        value and why; the order falls back to the default, with a message too."""
        self.is_valid()
        messages = []
        for name, errors in self.errors.items():
            field = self.fields.get(name)
            if field is None:  # no form-wide errors: clean() names its field
                continue
            params = {
                "filter": field.label,
                "value": shown_value(self.data.get(name, "")),
                "reason": " ".join(str(error).rstrip("。") for error in errors),
            }
            if name == "sort":
                message = _(
                    "「%(filter)s」の「%(value)s」は使えないため、開催日が近い順に並べています（%(reason)s）。"
                )
            else:
                message = _(
                    "「%(filter)s」の「%(value)s」は使えないため、この条件を外してさがしました（%(reason)s）。"
                )
            messages.append(message % params)
        return messages


class ConfirmForNushiForm(forms.Form):
    """Staff record the nushi's confirmation of a draft, given by phone, on paper or at a visit."""

    channel = forms.ChoiceField(
        label=_("ヌシから確認を受けた方法"),
        choices=[(c.value, c.label) for c in ON_BEHALF_CHANNELS],
    )
