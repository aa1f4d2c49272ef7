"""The activity report (活動レポート, `ActivityReport`) form; not the monthly 月次参加レポート (`reports/`)."""

from typing import Any

from django import forms
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

from accounts.images import process_upload
from portal.forms.common import FormTokenField, MultipleImageField, form_field
from portal.models import ActivityReport, Program


class ReportForm(forms.ModelForm):
    photos = MultipleImageField(label=_("写真（複数選べます）"), required=False)
    photo_caption = forms.CharField(
        label=_("写真の説明"), max_length=200, required=False, help_text=_("例: 皮はぎをする参加者")
    )
    form_token = FormTokenField()

    class Meta:
        model = ActivityReport
        fields = ["session", "title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        session = form_field(self, "session", forms.ModelChoiceField)
        session.queryset = program.sessions.order_by("-starts_at")
        session.required = False

    def clean_photos(self) -> list[ContentFile]:
        return [process_upload(photo) for photo in self.cleaned_data.get("photos") or []]
