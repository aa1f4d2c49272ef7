"""Replay the history with a time split and compare the engine with two baselines.

At the split time T, the sessions open then (deadline after T, starting within the window) are ranked for
every helper who applied to one of them, from what the database knew before T (applications of sessions
before T; places and demand at zero, as they were unknown). What each helper really applied to in the
window is the truth. Baselines: newest programs first; most popular programs first (applications before
T). Metrics: precision@5, recall@20, coverage (share of the open sessions in anyone's top 5), the Gini
coefficient of exposure in the top 5, and the share of sessions that would fill (shown to at least as many
helpers as they have places).

On the demo data the history is generated from hidden tastes the engine never reads
(portal/demo/matching.py), so the comparison is not circular."""

from dataclasses import replace
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from matching import evaluation
from matching.engine import SessionTable, TextModel, rank_sessions_many
from portal.models import Application, Program, Session
from portal.selectors.matching import _sessions_with_program, helper_features, session_features


class Command(BaseCommand):
    help = "Replay history with a time split: the engine against newest-first and most-popular."

    def add_arguments(self, parser):
        parser.add_argument(
            "--split-days", type=int, default=60, help="T = now minus this many days"
        )
        parser.add_argument("--window-days", type=int, default=60)
        parser.add_argument("--helpers", type=int, default=3000, help="at most this many helpers")

    def handle(self, *args, split_days: int, window_days: int, helpers: int, **options):
        split = timezone.now() - timedelta(days=split_days)
        end = split + timedelta(days=window_days)
        sessions = list(
            _sessions_with_program(
                Session.objects.filter(
                    starts_at__gt=split,
                    starts_at__lte=end,
                    apply_deadline__gt=split,
                    program__status__in=[Program.Status.PUBLISHED, Program.Status.CLOSED],
                ).exclude(status=Session.Status.CANCELLED)
            )
        )
        if not sessions:
            self.stdout.write("no sessions in the window: nothing to evaluate")
            return
        ids = [s.pk for s in sessions]
        truth: dict[int, set[int]] = {}
        for helper_id, session_id in (
            Application.objects.filter(session_id__in=ids)
            .exclude(status=Application.Status.CANCELLED)
            .values_list("helper_id", "session_id")
        ):
            truth.setdefault(helper_id, set()).add(session_id)
        chosen = sorted(truth)[:helpers]
        truth = {h: truth[h] for h in chosen}
        features = [
            replace(f, places_taken=0, demand=0, is_open=True) for f in session_features(sessions)
        ]
        model = TextModel(sorted({f.text for f in features}))
        table = SessionTable.build(features, model)
        people = helper_features(chosen, split, replay=True)
        engine = {
            h: [r.id for r in rows]
            for h, rows in rank_sessions_many(
                people, table, model=model, now=split, k=20, explain=False
            ).items()
        }
        by_id = {s.pk: s for s in sessions}
        newest = sorted(
            ids, key=lambda s: (-(by_id[s].program.published_at or split).timestamp(), s)
        )
        popularity = dict(
            Application.objects.filter(session__starts_at__lt=split)
            .values_list("session__program_id")
            .annotate(n=Count("pk"))
        )
        popular = sorted(ids, key=lambda s: (-popularity.get(by_id[s].program_id, 0), s))
        capacity = {s.pk: s.capacity for s in sessions}
        self.stdout.write(
            f"split {split:%Y-%m-%d}, {len(sessions)} open sessions, {len(truth)} helpers\n"
            f"{'':10} {'P@5':>7} {'R@20':>7} {'coverage':>9} {'gini':>6} {'fill':>6}"
        )
        for name, ranked in (
            ("engine", engine),
            ("newest", dict.fromkeys(chosen, newest[:20])),
            ("popular", dict.fromkeys(chosen, popular[:20])),
        ):
            shown = evaluation.exposure(ranked, 5)
            self.stdout.write(
                f"{name:10} {evaluation.precision_at(ranked, truth, 5):7.3f}"
                f" {evaluation.recall_at(ranked, truth, 20):7.3f}"
                f" {evaluation.coverage(ranked, ids, 5):9.3f}"
                f" {evaluation.gini([shown[s] for s in ids]):6.3f}"
                f" {evaluation.fill_share(ranked, capacity, 5):6.3f}"
            )
