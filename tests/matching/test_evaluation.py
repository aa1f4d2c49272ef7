from matching.evaluation import coverage, fill_share, gini, precision_at, recall_at


def test_metrics():
    ranked = {1: [10, 11, 12, 13, 14], 2: [10, 15]}
    truth = {1: {11, 20}, 2: {99}}
    assert precision_at(ranked, truth, 5) == (1 / 5 + 0) / 2
    assert recall_at(ranked, truth, 20) == (1 / 2 + 0) / 2
    assert coverage(ranked, [10, 11, 16, 17], 5) == 0.5
    assert gini([1, 1, 1, 1]) == 0 and gini([0, 0, 0, 8]) == 0.75
    assert fill_share(ranked, {10: 2, 11: 2}, 5) == 0.5
