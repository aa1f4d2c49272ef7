"""The thin query module of the matching engine: reads sessions, programs, profiles and applications and
hands matching.engine its plain dataclasses; then the reads behind the recommendations, the invitation
candidates and the allocation proposal. No scoring here (matching/ does that), no writes.

The table of open sessions (column arrays and the fitted text model) is built once per web process and
reused for settings.MATCHING_TABLE_SECONDS: scoring 10,000 sessions for one helper is then one NumPy pass.
Whatever is shown is read again from the database first (`still_open`), so a stale table can hide a
brand-new session for a few minutes but never show a closed or full one.
"""

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Count, F, Field, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.categories import Category
from accounts.models import HelperProfile, Municipality, User
from matching import travel
from matching.allocation import Place, Proposed, allocate
from matching.engine import (
    HelperFeatures,
    Ranked,
    SessionFeatures,
    SessionTable,
    TextModel,
    Weights,
    rank_helpers,
    rank_sessions,
)
from notifications.kinds import MATCHING_KINDS, TOPIC_OF, Kind
from notifications.models import OutboxMessage, TopicOptOut
from portal.models import Application, Program, Session
from portal.selectors.applications import lives_in_home
from portal.selectors.sessions import decisions_open

# How much of a program's story goes into its text for similarity (the start says what it is about).
STORY_CHARS = 400
# The most helpers scored for one session's candidate list (the SQL pre-filter keeps the likeliest).
CANDIDATE_POOL = 1000


def open_sessions_qs(now: datetime) -> QuerySet[Session]:
    """Sessions a helper could still apply for: scheduled, published, before the deadline, places left."""
    return Session.objects.filter(
        status=Session.Status.SCHEDULED,
        program__status=Program.Status.PUBLISHED,
        apply_deadline__gt=now,
        places_taken__lt=F("capacity"),
    )


def program_text(program: Program) -> str:
    tags = " ".join(str(t) for t in program.tags or [])
    label = str(Category(program.category).label) if program.category in Category.values else ""
    return " ".join([program.title, program.summary, label, tags, program.story[:STORY_CHARS]])


def session_features(sessions: Sequence[Session]) -> list[SessionFeatures]:
    """Features of sessions fetched with `program__municipality` and `program__nushi` (one more query:
    the active applications per session)."""
    demand = dict(
        Application.objects.filter(
            session__in=[s.pk for s in sessions], status__in=Application.ACTIVE
        )
        .exclude(status=Application.Status.ATTENDED)
        .values_list("session")
        .annotate(n=Count("pk"))
    )
    out = []
    for s in sessions:
        p, town = s.program, s.program.municipality
        # The meeting point, else the municipality's map centre, else the prefectural office.
        lat, lon = travel.home_point(town.prefecture)
        if town.latitude is not None and town.longitude is not None:
            lat, lon = float(town.latitude), float(town.longitude)
        if p.latitude is not None and p.longitude is not None:
            lat, lon = float(p.latitude), float(p.longitude)
        out.append(
            SessionFeatures(
                id=s.pk,
                program_id=p.pk,
                title=p.title,
                nushi_id=p.nushi_id,
                nushi_name=p.nushi.name,
                municipality_id=town.pk,
                municipality_name=town.name,
                prefecture=town.prefecture,
                category=p.category,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                apply_deadline=s.apply_deadline,
                capacity=s.capacity,
                places_taken=s.places_taken,
                demand=demand.get(s.pk, 0),
                is_open=s.status == Session.Status.SCHEDULED
                and p.status == Program.Status.PUBLISHED,
                is_online=p.is_online,
                min_age=p.min_age,
                residents_only=p.residents_only,
                required_skills=tuple(p.required_skills or ()),
                tags=tuple(str(t) for t in p.tags or ()),
                text=program_text(p),
                latitude=lat,
                longitude=lon,
                published_at=p.published_at,
            )
        )
    return out


def _sessions_with_program(qs: QuerySet[Session]) -> QuerySet[Session]:
    return qs.select_related("program__municipality", "program__nushi").defer(
        "program__background", "program__about_nushi", "program__what_to_bring"
    )


@dataclass
class OpenSessions:
    table: SessionTable
    model: TextModel
    built: float


_open: OpenSessions | None = None


def open_sessions(now: datetime | None = None) -> OpenSessions:
    """The table of open sessions and the text model fitted on their programs, per process (see the
    module docstring)."""
    global _open
    if _open is None or time.monotonic() - _open.built > settings.MATCHING_TABLE_SECONDS:
        sessions = list(_sessions_with_program(open_sessions_qs(now or timezone.now())))
        features = session_features(sessions)
        model = TextModel(sorted({f.text for f in features}))
        _open = OpenSessions(SessionTable.build(features, model), model, time.monotonic())
    return _open


def forget_open_sessions() -> None:
    """Drop this process's table (tests; a demo seed)."""
    global _open
    _open = None


PROFILE_FIELDS = (
    "user_id", "interests", "skills", "available_weekdays", "available_seasons", "available_times",
    "home_prefecture", "home_municipality", "birth_year", "bio", "display_name",
)  # fmt: skip


def helper_features(
    user_ids: Iterable[int], now: datetime | None = None, *, replay: bool = False
) -> list[HelperFeatures]:
    """Features of helpers (users with a helper profile), in the order of `user_ids`: three queries
    (profiles, applications with their sessions, municipalities of their prefectures), each a list of
    values (no model instances: the digest reads 100,000 helpers). `replay` (the evaluation) reads
    only the history before `now`, as if it were then."""
    now = now or timezone.now()
    ids = list(user_ids)
    profiles = {
        p["user_id"]: p
        for p in HelperProfile.objects.filter(user_id__in=ids).values(*PROFILE_FIELDS)
    }
    applications = Application.objects.filter(helper_id__in=list(profiles))
    if replay:
        applications = applications.filter(session__starts_at__lt=now)
    rows = applications.exclude(
        status__in=[Application.Status.CANCELLED, Application.Status.DECLINED]
    ).values_list(
        "helper_id",
        "session_id",
        "status",
        "session__starts_at",
        "session__ends_at",
        "session__program__nushi_id",
        "session__program__municipality_id",
        "session__program__title",
        "session__program__summary",
    )
    apps: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        apps[row[0]].append(row)
    prefectures = {p["home_prefecture"] for p in profiles.values() if p["home_prefecture"]}
    towns: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, prefecture, name in Municipality.objects.filter(prefecture__in=prefectures).values_list(
        "pk", "prefecture", "name"
    ):
        towns[prefecture].append((pk, name))
    out = []
    for user_id in ids:
        p = profiles.get(user_id)
        if p is None:
            continue
        mine = apps.get(user_id, [])
        attended = [r for r in mine if r[2] == Application.Status.ATTENDED]
        held = [r for r in mine if r[2] in Application.HOLDS_PLACE and r[4] > now]
        past_titles = [f"{r[7]} {r[8]}" for r in mine if r[3] < now or r[2] != "applied"]
        home = p["home_prefecture"]
        out.append(
            HelperFeatures(
                id=user_id,
                interests=frozenset(p["interests"] or ()),
                skills=frozenset(p["skills"] or ()),
                weekdays=frozenset(int(d) for d in p["available_weekdays"] or ()),
                seasons=frozenset(p["available_seasons"] or ()),
                times_of_day=frozenset(p["available_times"] or ()),
                prefecture=home,
                birth_year=p["birth_year"],
                text=" ".join([p["bio"], *past_titles[-10:]]).strip(),
                helped_nushi=frozenset(r[5] for r in attended),
                helped_municipalities=frozenset(r[6] for r in attended),
                attended=len(attended),
                busy=tuple((r[3], r[4]) for r in held),
                applied=frozenset(
                    r[1] for r in mine if r[2] != Application.Status.NO_SHOW and r[4] > now
                ),
                resident_of=frozenset(
                    pk
                    for pk, name in towns.get(home, ())
                    if lives_in_home(home, p["home_municipality"], prefecture=home, name=name)
                ),
                display_name=p["display_name"],
            )
        )
    return out


@dataclass(frozen=True)
class Recommendation:
    session: Session
    ranked: Ranked


def still_open(session_ids: list[int], now: datetime) -> dict[int, Session]:
    rows = _sessions_with_program(open_sessions_qs(now).filter(pk__in=session_ids))
    return {s.pk: s for s in rows}


def recommendations_for(user: User, *, k: int = 5) -> list[Recommendation]:
    """「あなたへのおすすめ」: the k best sessions for a signed-in helper, each with its reason; empty
    for someone without a helper profile. Queries: the helper's three, then the shown sessions (plus
    the table's three when this process builds it)."""
    if not user.is_authenticated:
        return []
    now = timezone.now()
    features = helper_features([user.pk], now)
    if not features:
        return []
    opens = open_sessions(now)
    # A margin past k: a session that closed since the table was built is dropped below.
    ranked = rank_sessions(features[0], opens.table, model=opens.model, now=now, k=k * 2)
    fresh = still_open([r.id for r in ranked], now)
    return [Recommendation(fresh[r.id], r) for r in ranked if r.id in fresh][:k]


def matching_messages_this_week(user_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """How many invitations and digests each helper was sent (written) in the last 7 days."""
    return dict(
        OutboxMessage.objects.filter(
            recipient_id__in=list(user_ids),
            kind__in=MATCHING_KINDS,
            created_at__gt=now - timedelta(days=7),
        )
        .values_list("recipient_id")
        .annotate(n=Count("pk"))
    )


@dataclass(frozen=True)
class Candidate:
    profile: HelperProfile
    ranked: Ranked
    newcomer: bool  # never attended anything
    invited: bool  # this session's invitation already sent
    blocked: str  # why they cannot be invited now ("" when they can)


def _profile_list_has(field: str, value: str) -> Q:
    """The HelperProfile's `field`, a JSONField holding a list, has `value` among its items. On
    PostgreSQL jsonb containment (@>); SQLite (the embedded default) has no `contains` lookup on a
    JSONField (Django raises NotSupportedError), so there the items are read with json_each."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__contains": [value]})
    quote = connection.ops.quote_name
    meta = HelperProfile._meta
    # The table and column names are ours (HelperProfile is the queryset's base table); the value is a
    # parameter.
    json_field = meta.get_field(field)
    assert isinstance(json_field, Field)  # noqa: S101 - a concrete field of ours
    column = f"{quote(meta.db_table)}.{quote(json_field.column or field)}"
    sql = f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = %s)"  # noqa: S608 (ours)
    return Q(RawSQL(sql, [value], output_field=BooleanField()))  # noqa: S611 (as above)


def _candidate_pool(session: Session) -> list[int]:
    """The helpers worth scoring for this session, by SQL: interested in its category, skilled in what
    it needs, who helped this nushi or municipality, or who live in its prefecture; not already applied."""
    program = session.program
    likely = (
        _profile_list_has("interests", program.category)
        | Q(home_prefecture=program.municipality.prefecture)
        | Q(
            user__applications__status=Application.Status.ATTENDED,
            user__applications__session__program__municipality_id=program.municipality_id,
        )
    )
    for skill in program.required_skills or ():
        likely |= _profile_list_has("skills", skill)
    return list(
        HelperProfile.objects.filter(likely)
        .exclude(
            user__applications__session=session,
            user__applications__status__in=Application.ACTIVE,
        )
        .order_by("-user_id")
        .values_list("user_id", flat=True)
        .distinct()[:CANDIDATE_POOL]
    )


def invitation_candidates(session: Session, *, k: int = 20) -> list[Candidate]:
    """The helpers staff and the nushi may invite to `session` (fetched with program__municipality and
    program__nushi), best first, with reasons and whether each may be invited now."""
    now = timezone.now()
    pool = _candidate_pool(session)
    features = helper_features(pool, now)
    target = session_features([session])[0]
    ranked = rank_helpers(target, features, model=open_sessions(now).model, now=now, k=k)
    newcomers = {h.id for h in features if h.attended == 0}
    ids = [r.id for r in ranked]
    profiles = HelperProfile.objects.in_bulk(ids, field_name="user_id")
    sent = matching_messages_this_week(ids, now)
    invited = set(
        OutboxMessage.objects.filter(
            recipient_id__in=ids, kind=Kind.SESSION_INVITATION, object_key=f"session:{session.pk}"
        ).values_list("recipient_id", flat=True)
    )
    opted_out = set(
        TopicOptOut.objects.filter(
            user_id__in=ids, topic=TOPIC_OF[Kind.SESSION_INVITATION]
        ).values_list("user_id", flat=True)
    )
    out = []
    for r in ranked:
        blocked = ""
        if r.id in invited:
            blocked = _("お誘い済み")
        elif r.id in opted_out:
            blocked = _("お誘いを受け取らない設定です")
        elif sent.get(r.id, 0) >= settings.MATCHING_MESSAGES_PER_WEEK:
            blocked = _("今週はもうお知らせを送りました")
        out.append(Candidate(profiles[r.id], r, r.id in newcomers, r.id in invited, blocked))
    return out


@dataclass(frozen=True)
class AllocationProposal:
    sessions: list[Session]
    proposed: list[Proposed]
    applicants: dict[int, HelperProfile]
    left_out: list[int]  # applicants with no place in the proposal


def selection_sessions(program: Program) -> list[Session]:
    """The program's selection sessions whose decisions are still open."""
    now = timezone.now()
    sessions = _sessions_with_program(
        Session.objects.filter(
            program=program, acceptance_mode=Session.AcceptanceMode.SELECTION
        ).order_by("starts_at", "pk")
    )
    return [s for s in sessions if decisions_open(s, now)]


def allocation_proposal(program: Program) -> AllocationProposal:
    """The proposal for the program's open selection sessions: who should get the open places, among
    those who applied (選考中), with each person's reasons."""
    now = timezone.now()
    sessions = selection_sessions(program)
    applied = list(
        Application.objects.filter(
            session__in=sessions, status=Application.Status.APPLIED
        ).values_list("helper_id", "session_id")
    )
    helper_ids = sorted({h for h, _s in applied})
    features = {h.id: h for h in helper_features(helper_ids, now)}
    model = open_sessions(now).model
    weights = Weights.from_settings()
    scores: dict[tuple[int, int], Ranked] = {}
    for session, target in zip(sessions, session_features(sessions), strict=True):
        applicants = [features[h] for h, s in applied if s == session.pk and h in features]
        # They applied: their own application must not make them ineligible here.
        applicants = [
            HelperFeatures(**{**a.__dict__, "applied": a.applied - {session.pk}})
            for a in applicants
        ]
        for r in rank_helpers(target, applicants, model=model, now=now, weights=weights):
            scores[(r.id, session.pk)] = r
    places = [Place(s.pk, s.capacity - s.places_taken) for s in sessions]
    newcomers = {h.id for h in features.values() if h.attended == 0}
    proposed = allocate(places, scores, newcomers=newcomers, quota=weights.newcomer_quota)
    placed = {p.helper_id for p in proposed}
    return AllocationProposal(
        sessions=sessions,
        proposed=proposed,
        applicants=HelperProfile.objects.in_bulk(helper_ids, field_name="user_id"),
        left_out=[h for h in helper_ids if h not in placed],
    )
