"""Forms of sessions: staff's session form and what a host does on the day (check-in, attendance, cancel,
messages, thanks)."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import public_name
from portal.forms.common import (
    DATETIME,
    DATETIME_FORMAT,
    FormTokenField,
    MultipleImageField,
    ReasonConfirmForm,
)
from portal.models import Application, Session
from portal.services.sessions import session_errors


class SessionForm(forms.ModelForm):
    form_token = FormTokenField()  # used when the form adds a session (not when it edits one)

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

    def __init__(self, *args: Any, places_taken: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places_taken = places_taken
        self.fields["capacity"].widget.attrs["min"] = 1

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
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

    def _post_clean(self) -> None:
        # The model's CHECK constraints repeat session_errors(); skip model validation so that the
        # Japanese message above is the only one shown (the database still enforces them).
        pass


class CheckinForm(forms.Form):
    code = forms.CharField(
        label=_("受付コード"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "inputmode": "text"}
        ),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("メッセージ"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    form_token = FormTokenField()


class SessionCancelForm(ReasonConfirmForm):
    """Staff cancel a session: the reason goes to every participant, so it is required."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = _("中止の理由（参加者全員に届きます）")


class ThankYouForm(forms.Form):
    body = forms.CharField(
        label=_("お礼のメッセージ"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    photos = MultipleImageField(label=_("写真（6枚まで）"), required=False, max_files=6)
    form_token = FormTokenField()


class AttendanceForm(forms.Form):
    """One radio group per accepted/attended/no-show application: `app_<pk>` = attended / no_show."""

    CHOICES = [
        (Application.Status.ATTENDED, _("参加")),
        (Application.Status.NO_SHOW, _("欠席")),
    ]

    def __init__(self, *args: Any, applications: Iterable[Application] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applications = list(applications)
        for application in self.applications:
            initial = (
                application.status
                if application.status in (Application.Status.ATTENDED, Application.Status.NO_SHOW)
                else None
            )
            self.fields[f"app_{application.pk}"] = forms.ChoiceField(
                label=public_name(application.helper),
                choices=self.CHOICES,
                widget=forms.RadioSelect,
                required=False,
                initial=initial,
            )

    def marks(self) -> dict[int, str]:
        return {
            int(name.removeprefix("app_")): value
            for name, value in self.cleaned_data.items()
            if value
        }
