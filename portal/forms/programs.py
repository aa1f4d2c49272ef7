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
    address_from_postal,
    clean_image,
    form_field,
    postal_lookup_attrs,
)
from portal.models import Program
from portal.query_params import validate_listing_date


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
            "points_per_participant", "okaeshi", "cover_image", "is_online", "online_url",
            "meeting_place", "meeting_postal_code", "meeting_address", "latitude", "longitude",
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
            "online_url": _(
                "オンラインのプログラムのとき、参加が確定した人にだけリマインダーで届きます（公開されません）。"
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

    def clean_image(self) -> Any:
        return clean_image(self.cleaned_data.get("image"))


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

    def __init__(
        self, *args: Any, districts: Iterable[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # (id, label) pairs from selectors.listing_districts (cached), not a queryset: no query here.
        form_field(self, "district", forms.ChoiceField).choices = [("", _("すべて")), *districts]

    def filters(self) -> dict[str, Any]:
        """The valid, non-empty filters; an invalid one (a malformed date) is left out, not fatal."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}
