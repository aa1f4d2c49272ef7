from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from reports import permissions
from reports.figures import shift_month
from reports.models import Scope

# Months offered for computing on demand: the last three years of closed months.
MONTHS_OFFERED = 36


def closed_months() -> list[tuple[str, str]]:
    today = timezone.localdate()
    months = [shift_month(today.year, today.month, -k) for k in range(1, MONTHS_OFFERED + 1)]
    return [
        (f"{y}-{m:02d}", _("%(year)s年%(month)s月") % {"year": y, "month": m}) for y, m in months
    ]


class MonthlyReportRequestForm(forms.Form):
    """Which scope and which closed month to compute. The scopes offered are the ones the user may
    compute (reports.permissions.computable_scopes); anything else posted is an invalid choice."""

    scope = forms.ChoiceField(label=_("範囲"))
    month = forms.ChoiceField(label=_("対象月"))

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["scope"]).choices = permissions.computable_scopes(user)
        cast(forms.ChoiceField, self.fields["month"]).choices = closed_months()

    def cleaned_scope(self) -> dict:
        """scope, municipality_id, prefecture, year, month for reports.services."""
        value = self.cleaned_data["scope"]
        year, month = (int(part) for part in self.cleaned_data["month"].split("-"))
        where: dict = {"year": year, "month": month}
        if value.startswith("m:"):
            where |= {"scope": Scope.MUNICIPALITY, "municipality_id": int(value[2:])}
        elif value.startswith("p:"):
            where |= {"scope": Scope.PREFECTURE, "prefecture": value[2:]}
        else:
            where |= {"scope": Scope.ALL}
        return where
