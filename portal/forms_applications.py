from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import Application
from portal.selectors_applications import public_name


class ApplyForm(forms.Form):
    message = forms.CharField(
        label=_("備考（任意）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("主催者に伝えたいこと（到着が遅れる、など）"),
    )


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


class SessionCancelForm(forms.Form):
    """Staff cancel a session: the reason (one line, optional) goes to every participant."""

    reason = forms.CharField(
        label=_("中止の理由（参加者に届きます）"), max_length=500, required=False
    )


class DecisionForm(forms.Form):
    """A host's decision on one application from the roster; the reason, when given, is told to the
    helper (required of staff who cancel: the service says so)."""

    decision = forms.ChoiceField(
        choices=[("accept", _("参加確定")), ("decline", _("お見送り")), ("cancel", _("取り消し"))]
    )
    reason = forms.CharField(label=_("理由（参加者に届きます）"), max_length=500, required=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleImageField, self).clean(d, initial) for d in data][:6]
        return [super().clean(data, initial)] if data else []


class ThankYouForm(forms.Form):
    body = forms.CharField(
        label=_("お礼のメッセージ"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    photos = MultipleImageField(label=_("写真（6枚まで）"), required=False)


class ImpressionForm(forms.Form):
    body = forms.CharField(
        label=_("感想"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    may_publish = forms.BooleanField(
        label=_("活動レポートに載せてもよい"), required=False, initial=True
    )


class AttendanceForm(forms.Form):
    """One radio group per accepted/attended/no-show application: `app_<pk>` = attended / no_show."""

    CHOICES = [
        (Application.Status.ATTENDED, _("参加")),
        (Application.Status.NO_SHOW, _("欠席")),
    ]

    def __init__(self, *args, applications=(), **kwargs):
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
