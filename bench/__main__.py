"""python -m bench [NAME ...]: migrate and seed the large demo data (idempotent), then run benchmarks.

Runs against DATABASE_URL (PostgreSQL, `make bench` points it at the otagaisama_bench database), with
DEBUG off so that templates are cached as in production."""

import importlib
import os
import pkgutil
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")  # no HTTPS redirect under the test client

import django


def main(names: list[str]) -> int:
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # Production-like: no test instrumentation (setup_test_environment would make every template
    # render emit a signal and copy its context, inflating only the template-heavy side of a ratio),
    # and emails go nowhere instead of onto stdout, where the JSON lines are.
    settings.ROOT_URLCONF = "bench.urls"
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    if not settings.IS_POSTGRES:
        print("bench: DATABASE_URL must point to PostgreSQL", file=sys.stderr)
        return 2
    if os.environ.get("BENCH_SKIP_SEED") != "1":
        call_command("migrate", "--noinput", verbosity=0)
        call_command("seed_demo", "--scale", "large", "--with-demo-logins", stdout=sys.stderr)
        # A live database has its planner statistics kept by autovacuum; a just-seeded one may have
        # none yet, and the plans (and so the figures) would depend on when autovacuum got there.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    import bench

    modules = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    for name in modules:
        if names and name.removeprefix("bench_") not in names:
            continue
        importlib.import_module(f"bench.{name}").run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
