"""Shared measuring helpers. Requests go through django.test.Client: the full middleware stack, URL
routing, templates and the database, without a socket (the same for the floor, so the ratio compares
only what our code adds)."""

import json
import statistics
import time
from collections.abc import Callable

from django.test import Client


def median_ms(fn: Callable[[], object], *, runs: int = 50, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def get_ok(client: Client, url: str) -> Callable[[], object]:
    def call():
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"GET {url} -> {response.status_code}")
        return response

    return call


def emit(name: str, value: float, unit: str, floor: float, **extra) -> dict:
    ratio = floor / value if unit.endswith("/s") else value / floor
    line = {"bench": name, "value": round(value, 3), "unit": unit, "floor": round(floor, 3),
            "ratio": round(ratio, 3), **extra}  # fmt: skip
    print(json.dumps(line, ensure_ascii=False), flush=True)
    return line
