"""program_list and program_detail on the large demo data (10,000 programs, 30,000 sessions), each
against its floor: a bare view running one equivalent raw SQL query (bench/floors.py)."""

import statistics
import time

from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone, translation

from bench.harness import emit, get_ok
from portal.models import Program


def _typical_program_id() -> int:
    """A published program with three sessions, two of them upcoming (as most in the large data)."""
    return (
        Program.objects.filter(status=Program.Status.PUBLISHED)
        .annotate(
            n=Count("sessions"),
            up=Count("sessions", filter=Q(sessions__starts_at__gt=timezone.now())),
        )
        .filter(n=3, up=2)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def paired_medians(ours, floor, *, runs: int = 60, warmup: int = 5) -> tuple[float, float]:
    """Median ms of `ours` and of `floor`, measured alternately: this machine is shared, and load that
    comes and goes between two separate series would skew their ratio."""
    for _ in range(warmup):
        ours()
        floor()
    a, b = [], []
    for _ in range(runs):
        for fn, samples in ((ours, a), (floor, b)):
            started = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(a), statistics.median(b)


def run() -> list[dict]:
    client = Client()
    lines = []
    value, floor = paired_medians(
        get_ok(client, "/programs/"), get_ok(client, "/_bench/floor/programs/")
    )
    lines.append(emit("program_list", value, "ms", floor, programs=Program.objects.count()))
    # The same page with its 30-second results cache off: every request runs the query and renders
    # the 20 cards (what the first visitor after a change pays).
    from django.core.cache import cache
    from django.core.cache.utils import make_template_fragment_key

    from portal.views import programs as program_views

    saved, program_views.RESULTS_CACHE_SECONDS = program_views.RESULTS_CACHE_SECONDS, 0
    # Drop the fragment cached above (only ours: other benches share this Redis db).
    with translation.override("ja"):
        cache.delete(
            make_template_fragment_key("program_results", [program_views._results_key({}, 1)])
        )
    try:
        value, floor = paired_medians(
            get_ok(client, "/programs/"), get_ok(client, "/_bench/floor/programs/")
        )
        lines.append(emit("program_list_uncached", value, "ms", floor))
        # The Japanese keyword search through the trigram index (みょうが), uncached too, against the
        # floor query with the same LIKE condition.
        q = "?q=%E3%81%BF%E3%82%87%E3%81%86%E3%81%8C"
        value, floor = paired_medians(
            get_ok(client, f"/programs/{q}"), get_ok(client, f"/_bench/floor/programs/{q}")
        )
        lines.append(emit("program_search_uncached", value, "ms", floor))
    finally:
        program_views.RESULTS_CACHE_SECONDS = saved
    pk = _typical_program_id()
    page = client.get(f"/programs/{pk}/").content.decode()
    # The page as the program's visitors see it: with its photos and helpers' impressions.
    assert 'data-testid="program-photos"' in page and 'data-testid="impressions"' in page, pk
    value, floor = paired_medians(
        get_ok(client, f"/programs/{pk}/"), get_ok(client, f"/_bench/floor/programs/{pk}/")
    )
    lines.append(emit("program_detail", value, "ms", floor))
    return lines
