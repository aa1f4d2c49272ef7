"""Offline metrics for `manage.py evaluate_matching`: pure functions over rankings (helper id -> session
ids, best first) and what each helper really applied to afterwards."""

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np


def precision_at(
    ranked: Mapping[int, Sequence[int]], truth: Mapping[int, set[int]], k: int
) -> float:
    scores = [len(set(ranked.get(h, [])[:k]) & t) / k for h, t in truth.items() if t]
    return float(np.mean(scores)) if scores else 0.0


def recall_at(ranked: Mapping[int, Sequence[int]], truth: Mapping[int, set[int]], k: int) -> float:
    scores = [len(set(ranked.get(h, [])[:k]) & t) / len(t) for h, t in truth.items() if t]
    return float(np.mean(scores)) if scores else 0.0


def exposure(ranked: Mapping[int, Sequence[int]], k: int) -> Counter:
    return Counter(s for rows in ranked.values() for s in rows[:k])


def coverage(ranked: Mapping[int, Sequence[int]], sessions: Sequence[int], k: int) -> float:
    """Share of the open sessions recommended to at least one helper."""
    shown = exposure(ranked, k)
    return sum(1 for s in sessions if shown[s]) / len(sessions) if sessions else 0.0


def gini(values: Sequence[float]) -> float:
    """0 when every session is shown equally often, towards 1 when a few take all the exposure."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0 or x.sum() == 0:
        return 0.0
    n = x.size
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def fill_share(ranked: Mapping[int, Sequence[int]], capacity: Mapping[int, int], k: int) -> float:
    """Share of sessions that would fill: shown to at least as many helpers as they have places."""
    shown = exposure(ranked, k)
    return sum(1 for s, c in capacity.items() if shown[s] >= c) / len(capacity) if capacity else 0.0
