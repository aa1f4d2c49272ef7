"""The matching engine: what each helper sees first, whom staff invite, who gets the places of an
oversubscribed selection session. Pure functions over plain data; it sends nothing and changes no
application (portal does both, through its services and notices).

Entry points:
- matching.engine.rank_sessions(helper, table, model=, now=, k=10): sessions for one helper, best first,
  each a Ranked with its score, its terms and one or two reasons (Ranked.reason: 「週末・岐阜県内」).
- matching.engine.rank_helpers(session, helpers, model=, now=): helpers to invite to one session, with
  reasons for staff (Ranked.staff_reason).
- matching.engine.rank_sessions_many(helpers, table, model=, now=, k=5): the weekly digest's ranking for
  many helpers, spreading exposure as it goes.
- matching.allocation.allocate(places, scores, newcomers=, quota=): the proposal for selection sessions.
- matching.evaluation: the offline metrics of `manage.py evaluate_matching`.

The inputs are matching.engine.HelperFeatures and SessionFeatures (dataclasses), a SessionTable of column
arrays and a TextModel (character n-gram TF-IDF); portal.selectors.matching builds them from the
database. Weights: matching.engine.Weights, overridden by settings.MATCHING_WEIGHTS. Travel data:
matching/travel.py and matching/data/.
"""
