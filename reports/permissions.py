"""Who may read and ask for 月次参加レポート.

- staff read and compute their own municipalities' months (others: 404, like every staff page);
- a deployment administrator (superuser) also reads and computes the roll-ups: all municipalities, and
  the municipalities of one prefecture;
- a prefecture's officer given PrefectureReportAccess reads and computes that prefecture's roll-up only.
"""

from django.db.models import Q, QuerySet

from accounts.models import Municipality, User
from accounts.permissions import AnyUser, staff_municipality_ids
from reports.models import MonthlyReport, MonthlyReportRun, PrefectureReportAccess, Scope


def prefecture_access(user: AnyUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    return set(
        PrefectureReportAccess.objects.filter(user_id=user.pk).values_list("prefecture", flat=True)
    )


def _visible(user: AnyUser) -> Q:
    q = Q(scope=Scope.MUNICIPALITY, municipality_id__in=staff_municipality_ids(user))
    if user.is_authenticated and user.is_superuser:
        return q | Q(scope__in=[Scope.PREFECTURE, Scope.ALL])
    prefectures = prefecture_access(user)
    if prefectures:
        q |= Q(scope=Scope.PREFECTURE, prefecture__in=prefectures)
    return q


def report_scope(user: AnyUser, queryset: QuerySet[MonthlyReport]) -> QuerySet[MonthlyReport]:
    return queryset.filter(_visible(user))


def run_scope(user: AnyUser, queryset: QuerySet[MonthlyReportRun]) -> QuerySet[MonthlyReportRun]:
    return queryset.filter(_visible(user))


def may_read_reports(user: AnyUser) -> bool:
    return bool(staff_municipality_ids(user)) or bool(prefecture_access(user))


def computable_scopes(user: User) -> list[tuple[str, str]]:
    """The scopes the user may compute, as the request form offers them ("m:<id>", "p:<prefecture>",
    "all"); the form refuses any other value, so this is the one rule for computing."""
    municipalities = Municipality.objects.filter(pk__in=staff_municipality_ids(user))
    choices = [(f"m:{m.pk}", str(m)) for m in municipalities]
    prefectures = sorted(prefecture_access(user))
    if user.is_superuser:
        prefectures = sorted(set(Municipality.objects.values_list("prefecture", flat=True)))
        choices.append(("all", str(Scope.ALL.label)))
    return choices + [(f"p:{p}", f"{p}（{Scope.PREFECTURE.label}）") for p in prefectures]
