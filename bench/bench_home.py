from django.test import Client

from bench.harness import emit, get_ok, median_ms


def run() -> list[dict]:
    client = Client()
    value = median_ms(get_ok(client, "/"))
    floor = median_ms(get_ok(client, "/_bench/floor/home/"))
    return [emit("home", value, "ms", floor)]
