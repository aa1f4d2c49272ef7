"""Demo data for `manage.py seed_demo`: one realistic municipality modelled on Hida City's ヒダスケ！
(seed 001), and a large scale for benchmarks. Each app's data has its own module here; each step is
idempotent (get_or_create on natural keys, or skipped when its rows already exist)."""
