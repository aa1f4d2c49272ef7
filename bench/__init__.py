"""Benchmarks: `make bench` (python -m bench). Each figure is printed as one JSON line
{"bench", "value", "unit", "floor", "ratio"} where the floor is the same work done the cheapest honest
way in the same run (a bare view, raw SQL) and ratio = value/floor for times, floor/value for rates."""
