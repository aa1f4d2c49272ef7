"""The home page (programs with places left, the latest activity reports with a photo, the towns)
against its floor: the same data by three raw queries (bench/floors.py)."""

from django.test import Client

from bench.bench_programs import paired_medians
from bench.harness import emit, get_ok


def run() -> list[dict]:
    client = Client()
    page = client.get("/").content.decode()
    # Measure the page as visitors see it: with programs and reports in it.
    assert 'data-testid="home-programs"' in page and 'data-testid="home-reports"' in page
    value, floor = paired_medians(get_ok(client, "/"), get_ok(client, "/_bench/floor/home/"))
    return [emit("home", value, "ms", floor)]
