"""Fair allocation for oversubscribed selection sessions: a proposal staff read, adjust and confirm.

The problem: applicants (helpers) and places (each session's open places). Assign applicants to places so
that total fit (the engine's score for the pair) is largest, with
- capacity: a session gets at most its open places;
- no overlap: a helper gets at most one place in one proposal (so never two sessions at once; the
  engine's eligibility already left out pairs overlapping a place the helper holds);
- a quota for first-timers: ceil(quota x places) of each session's places are reserved for helpers who
  never attended anything, whenever enough of them applied, so newcomers are not crowded out by regulars.

It is solved as an assignment problem with SciPy's linear_sum_assignment (Hungarian / LAPJV, exact): one
column per place, plus one "not this time" column per applicant. Costs are lexicographic through big
constants: filling a place beats leaving it empty (FILL), a newcomer in a reserved place beats a regular
there (QUOTA), and then the fit scores decide. Pairs the engine found ineligible are forbidden.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from matching.engine import Ranked

FILL = 10_000.0
QUOTA = 1_000.0
FORBIDDEN = 1e9


@dataclass(frozen=True)
class Place:
    session_id: int
    places: int  # still open


@dataclass(frozen=True)
class Proposed:
    helper_id: int
    session_id: int
    ranked: Ranked  # score and reasons, for staff
    reserved: bool  # in a place reserved for first-timers


def newcomer_places(places: int, quota: float) -> int:
    return min(places, math.ceil(places * quota))


def allocate(
    places: Sequence[Place],
    scores: Mapping[tuple[int, int], Ranked],
    *,
    newcomers: set[int],
    quota: float,
) -> list[Proposed]:
    """The proposal: who gets which place. `scores[(helper_id, session_id)]` holds every eligible pair
    (a missing pair is not allowed); `newcomers` are the helpers who never attended."""
    helpers = sorted({h for h, _s in scores})
    columns: list[tuple[int, bool]] = []  # (session_id, reserved for newcomers)
    for place in places:
        reserved = newcomer_places(place.places, quota)
        columns += [(place.session_id, True)] * reserved
        columns += [(place.session_id, False)] * (place.places - reserved)
    if not helpers or not columns:
        return []
    cost = np.full((len(helpers), len(columns) + len(helpers)), FORBIDDEN)
    for row, helper_id in enumerate(helpers):
        cost[row, len(columns) + row] = 0.0  # not this time
        for col, (session_id, reserved) in enumerate(columns):
            ranked = scores.get((helper_id, session_id))
            if ranked is None:
                continue
            penalty = QUOTA if reserved and helper_id not in newcomers else 0.0
            cost[row, col] = -(FILL + ranked.score) + penalty
    rows, cols = linear_sum_assignment(cost)
    proposal = []
    for row, col in zip(rows, cols, strict=True):
        if col < len(columns) and cost[row, col] < FORBIDDEN:
            session_id, reserved = columns[col]
            helper_id = helpers[row]
            proposal.append(
                Proposed(
                    helper_id,
                    session_id,
                    scores[(helper_id, session_id)],
                    reserved and helper_id in newcomers,
                )
            )
    proposal.sort(key=lambda p: (p.session_id, -p.ranked.score, p.helper_id))
    return proposal
