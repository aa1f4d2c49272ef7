from typing import TYPE_CHECKING, Any

from django import forms
from django.core.files.base import File
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import postal
from accounts.categories import Category
from accounts.images import IMAGE_ERROR_MESSAGES, process_upload
from accounts.models import HelperProfile, Season, Skill, TimeOfDay, User, Weekday

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class PostalCodeField(forms.CharField):
    """A Japanese postal code, normalised to 123-4567 and checked against Japan Post's list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 8)
        kwargs.setdefault("label", _("郵便番号"))
        kwargs.setdefault("help_text", _("例: 509-4201（ハイフンなしでも入力できます）"))
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "postal-code", "placeholder": "123-4567"}
        )

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return value
        return postal.lookup(value).code


class SignupExtraForm(forms.Form):
    """Fields allauth's signup form gains: how the helper is shown, and where they live."""

    display_name = forms.CharField(
        label=_("表示名（ニックネーム可）"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    postal_code = PostalCodeField()
    # The consent this signup records (accounts.pages: the versions in force when it is sent).
    agree = forms.BooleanField(
        label=_("利用規約とプライバシーポリシーに同意します"),
        error_messages={
            "required": _("登録するには、利用規約とプライバシーポリシーへの同意が必要です。")
        },
    )

    # Consent last, right above the button, after everything it consents to is typed (allauth's
    # signup form applies this order once it has added the passwords).
    field_order = ["email", "display_name", "postal_code", "password1", "password2", "agree"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The field template shows help text as HTML: the links are built here, escaped.
        self.fields["agree"].help_text = format_html(
            gettext(
                '<a href="{}" target="_blank">利用規約</a>と<a href="{}" target="_blank">プライバシーポリシー</a>（新しいタブで開きます）をお読みください。'
            ),
            reverse("page_terms"),
            reverse("page_privacy"),
        )

    def signup(self, request: HttpRequest, user: User) -> None:
        from accounts import pages
        from accounts.services import consent_record, helper_profile_create

        helper_profile_create(
            user=user,
            display_name=self.cleaned_data["display_name"],
            postal_code=self.cleaned_data["postal_code"],
        )
        consent_record(user=user, versions=pages.required_versions())


def _birth_year_choices() -> "list[tuple[int | str, StrOrPromise]]":
    this_year = timezone.localdate().year
    return [("", _("選んでください"))] + [(y, f"{y}年") for y in range(this_year - 10, 1919, -1)]


class HelperProfileForm(forms.ModelForm):
    postal_code = PostalCodeField(required=False)
    birth_year = forms.TypedChoiceField(
        label=_("生まれた年"),
        choices=_birth_year_choices,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("年齢条件のあるプログラムに応募するときに使います。公開されません。"),
    )
    skills = forms.MultipleChoiceField(
        label=_("得意なこと"),
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    interests = forms.MultipleChoiceField(
        label=_("興味のある分野"),
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    available_weekdays = forms.TypedMultipleChoiceField(
        label=_("参加しやすい曜日"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    available_seasons = forms.MultipleChoiceField(
        label=_("参加しやすい季節"),
        choices=Season.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    available_times = forms.MultipleChoiceField(
        label=_("参加しやすい時間帯"),
        help_text=_("12時までに始まる日程は午前、17時までは午後、それより後は夕方からです。"),
        choices=TimeOfDay.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = HelperProfile
        fields = [
            "display_name", "postal_code", "birth_year", "skills", "interests",
            "available_weekdays", "available_seasons", "available_times", "bio", "photo",
        ]  # fmt: skip
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        error_messages = {"photo": IMAGE_ERROR_MESSAGES}

    def clean_photo(self) -> File | None:
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "content_type"):  # a new upload, not the stored file
            return process_upload(photo)
        return photo
