"""Allocation: never over capacity, never two places for one helper, the first-timers' quota."""

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.allocation import Place, allocate, newcomer_places
from matching.engine import Ranked


def ranked(score: float) -> Ranked:
    return Ranked(0, score, {}, ())


def test_it_maximises_fit_and_keeps_places_for_newcomers():
    places = [Place(1, 2)]
    scores = {(10, 1): ranked(9.0), (11, 1): ranked(8.0), (12, 1): ranked(1.0)}
    proposal = allocate(places, scores, newcomers={12}, quota=0.3)
    assert {p.helper_id for p in proposal} == {10, 12}
    assert [p.reserved for p in proposal if p.helper_id == 12] == [True]
    # Without the quota the best two win.
    proposal = allocate(places, scores, newcomers={12}, quota=0.0)
    assert {p.helper_id for p in proposal} == {10, 11}


def test_a_reserved_place_goes_to_a_regular_when_no_newcomer_applied():
    proposal = allocate(
        [Place(1, 2)], {(10, 1): ranked(1), (11, 1): ranked(2)}, newcomers=set(), quota=0.5
    )
    assert len(proposal) == 2


def test_ineligible_pairs_are_never_proposed():
    proposal = allocate([Place(1, 1), Place(2, 1)], {(10, 1): ranked(1)}, newcomers=set(), quota=0)
    assert [(p.helper_id, p.session_id) for p in proposal] == [(10, 1)]


@settings(max_examples=80, deadline=None)
@given(
    capacities=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    pairs=st.dictionaries(
        st.tuples(st.integers(1, 12), st.integers(0, 3)), st.floats(-5, 15), max_size=40
    ),
    newcomers=st.sets(st.integers(1, 12)),
    quota=st.sampled_from([0.0, 0.3, 0.5]),
)
def test_allocation_invariants(capacities, pairs, newcomers, quota):
    places = [Place(i, c) for i, c in enumerate(capacities)]
    scores = {k: ranked(v) for k, v in pairs.items() if k[1] < len(capacities)}
    proposal = allocate(places, scores, newcomers=newcomers, quota=quota)
    helpers = [p.helper_id for p in proposal]
    assert len(helpers) == len(set(helpers))  # one place per helper: never overlapping
    for place in places:
        taken = [p for p in proposal if p.session_id == place.session_id]
        assert len(taken) <= place.places  # never over capacity
        applicants = {h for h, s in scores if s == place.session_id}
        # Quota met whenever enough newcomers applied and none of them went elsewhere.
        free_newcomers = applicants & newcomers - {
            p.helper_id for p in proposal if p.session_id != place.session_id
        }
        want = min(newcomer_places(place.places, quota), len(free_newcomers))
        assert sum(p.helper_id in newcomers for p in taken) >= want
        # Places are filled when there are applicants left.
        left = applicants - set(helpers)
        assert len(taken) == place.places or not left
    assert all((p.helper_id, p.session_id) in scores for p in proposal)
