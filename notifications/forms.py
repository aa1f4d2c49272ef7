from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.kinds import Topic


class PreferenceForm(forms.Form):
    """A person's channel and the optional topics they want. Transactional messages are not listed:
    they always go out."""

    channel = forms.ChoiceField(label=_("受け取り方"), widget=forms.RadioSelect)
    topics = forms.MultipleChoiceField(
        label=_("受け取るお知らせ"),
        choices=Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "応募の結果、リマインダー、中止や変更のお知らせなど、大切なお知らせはいつも届きます。"
        ),
    )

    def __init__(self, *args: Any, channel_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["channel"])  # declared as one above
        field.choices = channel_choices
        if len(channel_choices) == 1:
            self.fields["channel"].help_text = _(
                "LINE で受け取るには、LINE アカウントをつないでください。"
            )

    @property
    def opted_out(self) -> set[str]:
        """The topics left unticked: those the person switches off."""
        return set(Topic.values) - set(self.cleaned_data["topics"])
