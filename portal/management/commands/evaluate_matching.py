"""Replay the history with a time split and compare the engine with two baselines.

At the split time T (now minus --split-days), the sessions open then (published, deadline after T,
starting within --window-days, not full) are ranked for every helper who applied to one of them at T or
later, from what the database knew at T (portal.selectors.evaluation says exactly what). What each helper
really applied to from T on is the truth. Baselines: newest programs first; most popular programs first
(applications made before T); both skip what the helper had already applied to. A random order is
printed too, for reference: on the demo history both baselines score little above it. Metrics: precision@5,
recall@20, coverage (share of the open sessions in anyone's top 5), the Gini coefficient of exposure in
the top 5, and the share of sessions that would fill (shown to at least as many helpers as they have
places).

Weights are tuned on a validation split that ends where the test window begins, never on the test
window: `--split-days 120 --window-days 60 --weights '{"fairness": 0.5}'` (the window ends at the default
test split, now minus 60 days). --weights overrides settings.MATCHING_WEIGHTS for this run only.

On the demo data the history is generated from hidden tastes the engine never reads
(portal/demo/matching.py), so the comparison is not circular."""

import json
import random
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from matching import evaluation
from matching.engine import Weights, rank_sessions_many
from portal.demo.matching import TASTE_DOMAIN, TASTE_MARK
from portal.selectors.evaluation import Replay, replay_at

METRICS = ("P@5", "R@20", "coverage", "gini", "fill")


def rankings(replay: Replay, weights: Weights) -> dict[str, dict[int, list[int]]]:
    """Top 20 per helper for the engine, the two baselines and, for reference, a random order (what
    knowing nothing scores on this history)."""
    engine = {
        h: [r.id for r in rows]
        for h, rows in rank_sessions_many(
            replay.helpers, replay.table, model=replay.model, now=replay.split, k=20,
            weights=weights, explain=False,
        ).items()
    }  # fmt: skip
    ids = replay.ids
    published = {s.id: (s.published_at or replay.split).timestamp() for s in replay.sessions}
    program = {s.id: s.program_id for s in replay.sessions}
    newest = sorted(ids, key=lambda s: (-published[s], s))
    popular = sorted(ids, key=lambda s: (-replay.popularity.get(program[s], 0), s))

    def skip_seen(order: list[int]) -> dict[int, list[int]]:
        return {h: [s for s in order if s not in seen][:20] for h, seen in replay.seen.items()}

    rng = random.Random(0)
    return {
        "engine": engine,
        "newest": skip_seen(newest),
        "popular": skip_seen(popular),
        "random": {
            h: [s for s in rng.sample(ids, len(ids)) if s not in seen][:20]
            for h, seen in replay.seen.items()
        },
    }


def scores(replay: Replay, ranked: dict[int, list[int]]) -> dict[str, float]:
    ids = replay.ids
    shown = evaluation.exposure(ranked, 5)
    capacity = {s.id: s.capacity - s.places_taken for s in replay.sessions}
    return {
        "P@5": evaluation.precision_at(ranked, replay.truth, 5),
        "R@20": evaluation.recall_at(ranked, replay.truth, 20),
        "coverage": evaluation.coverage(ranked, ids, 5),
        "gini": evaluation.gini([shown[s] for s in ids]),
        "fill": evaluation.fill_share(ranked, capacity, 5),
    }


class Command(BaseCommand):
    help = "Replay history with a time split: the engine against newest-first and most-popular."

    def add_arguments(self, parser):
        parser.add_argument(
            "--split-days", type=int, default=60, help="T = now minus this many days"
        )
        parser.add_argument("--window-days", type=int, default=60)
        parser.add_argument("--helpers", type=int, default=3000, help="at most this many helpers")
        parser.add_argument(
            "--taste-cohort",
            action="store_true",
            help="only the demo's taste cohort: its helpers and its nushi's sessions (portal/demo/"
            "matching.py); on the large demo the other applications are random",
        )
        parser.add_argument(
            "--weights", default="", help='JSON overrides of the weights, e.g. {"fairness": 0.5}'
        )

    def handle(
        self,
        *args,
        split_days: int,
        window_days: int,
        helpers: int,
        weights: str,
        taste_cohort: bool = False,
        **options,
    ):
        try:
            overrides = json.loads(weights) if weights else {}
            chosen = Weights(**{**Weights.from_settings().__dict__, **overrides})
        except (ValueError, TypeError) as e:
            raise CommandError(f"--weights: {e}") from e
        split = timezone.now() - timedelta(days=split_days)
        narrow = {}
        if taste_cohort:
            narrow = {
                "sessions_of": Q(program__nushi__name__startswith=TASTE_MARK),
                "helpers_of": Q(helper__email__endswith=f"@{TASTE_DOMAIN}"),
            }
        replay = replay_at(split, split + timedelta(days=window_days), helpers=helpers, **narrow)
        if not replay.sessions or not replay.truth:
            self.stdout.write(
                "no open sessions or no applications in the window: nothing to evaluate"
            )
            return
        self.stdout.write(
            f"split {split:%Y-%m-%d}, {len(replay.sessions)} open sessions, {len(replay.truth)} helpers\n"
            f"{'':10} {'P@5':>7} {'R@20':>7} {'coverage':>9} {'gini':>6} {'fill':>6}"
        )
        for name, ranked in rankings(replay, chosen).items():
            m = scores(replay, ranked)
            self.stdout.write(
                f"{name:10} {m['P@5']:7.3f} {m['R@20']:7.3f} {m['coverage']:9.3f}"
                f" {m['gini']:6.3f} {m['fill']:6.3f}"
            )
