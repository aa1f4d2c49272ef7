"""Staff's correction of a closed session's attendance (attended <-> no-show)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms.common import ReasonConfirmForm


class AttendanceCorrectForm(ReasonConfirmForm):
    """The reason is required: it is recorded with the correction (the history's one-line reason, the
    ledger's reversal) and told to the helper when points are taken back. One line, as those columns
    hold it (the form renderer makes a single-line input's text one line)."""

    reason = forms.CharField(
        label=_("訂正の理由（記録に残り、ポイントを取り消すときはご本人に届きます）"),
        max_length=300,
        error_messages={"required": _("訂正の理由を入力してください。")},
    )
