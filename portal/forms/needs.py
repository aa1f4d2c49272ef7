"""Forms of needs: a resident's intake (large text, postal lookup), staff's intake on their behalf."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import PostalCodeField
from accounts.models import District, Municipality, Organization, User
from portal.forms.common import (
    BIG,
    FormTokenField,
    address_from_postal,
    chosen_object,
    clean_image,
    form_field,
    postal_lookup_attrs,
)
from portal.models import Need


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

    def __init__(self, *args: Any, municipality_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        district = form_field(self, "district", forms.ModelChoiceField)
        district.queryset = (
            District.objects.filter(municipality_id=municipality_id)
            if municipality_id is not None
            else District.objects.none()
        )
        district.empty_label = _("わからない・選ばない")
        postal_lookup_attrs(self.fields["postal_code"], "address")
        form_field(self, "helpers_wanted", forms.IntegerField).min_value = 1

    def clean_photo(self) -> Any:
        return clean_image(self.cleaned_data.get("photo"))

    def clean_helpers_wanted(self) -> int | None:
        value = self.cleaned_data["helpers_wanted"]
        if value is not None and value < 1:
            raise ValidationError(_("1人以上にしてください。"))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("preferred_dates") and not data.get("dates_flexible"):
            self.add_error(
                "preferred_dates",
                _("希望の日にちを書くか、「日にちはいつでもよい」にチェックしてください。"),
            )
        if data.get("postal_code") and not data.get("address"):
            data["address"] = address_from_postal(data["postal_code"])
        return data


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
    form_token = FormTokenField()

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = Organization.objects.filter(memberships__user=user).order_by("name")
        self.has_organizations = self.organizations.exists()
        if self.has_organizations:
            organization = form_field(self, "organization", forms.ModelChoiceField)
            organization.queryset = self.organizations
            organization.required = True
            organization.empty_label = None
            del self.fields["municipality"], self.fields["nushi_name"]
        else:
            del self.fields["organization"]
            self.fields["municipality"].required = True
            self.fields["nushi_name"].required = True

    @property
    def municipality_id(self) -> int | None:
        if self.has_organizations:
            chosen = chosen_object(self, "organization") or self.organizations.first()
            return chosen.municipality_id if chosen else None
        chosen = chosen_object(self, "municipality")
        return chosen.pk if chosen else None


class StaffIntakeForm(forms.Form):
    """Staff enter a need on a resident's behalf (phone, paper, visit)."""

    organization = forms.ModelChoiceField(
        label=_("ヌシ（団体・個人）"), queryset=Organization.objects.none()
    )
    channel = forms.ChoiceField(label=_("受付方法"), choices=Need.Channel.choices, initial="phone")
    form_token = FormTokenField()

    def __init__(self, *args: Any, municipality_ids: Iterable[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(
            self, "organization", forms.ModelChoiceField
        ).queryset = Organization.objects.filter(municipality_id__in=municipality_ids).order_by(
            "name"
        )
