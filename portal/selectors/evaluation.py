"""The reads behind `manage.py evaluate_matching`: the history as it stood at a split time T, and what
helpers did after it. No scoring here (matching.engine ranks, matching.evaluation measures).

At T the sessions *open* are those whose program was published by then, whose deadline is after T and
which start within the window, not cancelled, and not already full by the applications made before T.
What the engine knows of them is what was known at T: the applications made before T (their number is
the demand; those that ended up holding a place, or not showing up, held one at T). What it knows of a
helper is their profile and their history of sessions that started before T (`helper_features(...,
replay=True)`), plus the window's sessions they had already applied to before T (never shown again, as
the live engine would not show them). The truth is what each helper applied to at T or later, among
the open sessions: an application is the helper's choice, whatever the nushi decided afterwards.

A profile is read as it is today: on the demo data it was written once, before the history; on a real
deployment a profile edited after T would leak a little of the future into the replay.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Count, Q

from matching.engine import HelperFeatures, SessionFeatures, SessionTable, TextModel
from portal.models import Application, Program, Session
from portal.selectors.matching import _sessions_with_program, helper_features, session_features


@dataclass
class Replay:
    split: datetime
    sessions: list[SessionFeatures]  # open at T, as known at T
    truth: dict[int, set[int]]  # helper -> sessions they applied to at T or later
    helpers: list[HelperFeatures]  # as known at T, in id order
    seen: dict[int, set[int]]  # helper -> open sessions they had applied to before T
    popularity: dict[int, int]  # program -> applications made before T
    model: TextModel
    table: SessionTable

    @property
    def ids(self) -> list[int]:
        return [s.id for s in self.sessions]


def replay_at(
    split: datetime,
    end: datetime,
    *,
    helpers: int,
    sessions_of: Q | None = None,
    helpers_of: Q | None = None,
) -> Replay:
    """The history at `split` and the truth up to `end`, for at most `helpers` helpers (the first by
    id among those who applied to an open session at T or later). `sessions_of` and `helpers_of`
    narrow the sessions and the helpers (Q objects on Session and on Application) to one part of the
    data, e.g. the demo's taste cohort on the large demo, whose other applications are random."""
    window = list(
        _sessions_with_program(
            Session.objects.filter(sessions_of or Q())
            .filter(
                starts_at__gt=split,
                starts_at__lte=end,
                apply_deadline__gt=split,
                program__published_at__lte=split,
                program__status__in=[Program.Status.PUBLISHED, Program.Status.CLOSED],
            )
            .exclude(status=Session.Status.CANCELLED)
        )
    )
    applications = Application.objects.filter(session__in=[s.pk for s in window])
    before = applications.filter(created_at__lt=split).exclude(cancelled_at__lt=split)
    demand = dict(before.values_list("session").annotate(n=Count("pk")))
    held = dict(
        before.filter(status__in=[*Application.HOLDS_PLACE, Application.Status.NO_SHOW])
        .values_list("session")
        .annotate(n=Count("pk"))
    )
    sessions = [
        replace(f, places_taken=held.get(f.id, 0), demand=demand.get(f.id, 0), is_open=True)
        for f in session_features(window)
        if held.get(f.id, 0) < f.capacity
    ]
    open_ids = {f.id for f in sessions}
    truth: dict[int, set[int]] = defaultdict(set)
    for helper_id, session_id in (
        applications.filter(created_at__gte=split, session__in=open_ids)
        .filter(helpers_of or Q())
        .exclude(status=Application.Status.CANCELLED)
        .values_list("helper_id", "session_id")
    ):
        truth[helper_id].add(session_id)
    chosen = sorted(truth)[:helpers]
    seen: dict[int, set[int]] = defaultdict(set)
    for helper_id, session_id in before.filter(
        helper_id__in=chosen, session__in=open_ids
    ).values_list("helper_id", "session_id"):
        seen[helper_id].add(session_id)
    people = [
        replace(h, applied=h.applied | seen[h.id])
        for h in helper_features(chosen, split, replay=True)
    ]
    popularity = dict(
        Application.objects.filter(created_at__lt=split)
        .filter(Q(session__program__published_at__lte=split))
        .values_list("session__program_id")
        .annotate(n=Count("pk"))
    )
    model = TextModel(sorted({f.text for f in sessions}))
    return Replay(
        split=split,
        sessions=sessions,
        truth={h: truth[h] for h in chosen},
        helpers=people,
        seen={h: seen[h] for h in chosen},
        popularity=popularity,
        model=model,
        table=SessionTable.build(sessions, model),
    )
