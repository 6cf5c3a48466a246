"""The scoring rules, weights and validation of ``indicators`` — pure, by hand."""

from __future__ import annotations

import pytest

from zhengwu.core.errors import Invalid
from zhengwu.plugins.assessment import indicators as ind
from zhengwu.plugins.assessment.runs import score_inputs


def known(name: str) -> bool | None:
    return {"m.up": True, "m.down": False}.get(name)


def leaf(key, metric="m.up", **rule):
    return {"key": key, "name": key, "weight": 1, "metric": metric, "rule": rule or {"kind": "rank"}}


@pytest.mark.parametrize(("value", "expected"), [
    (0.5, 0.0), (0.6, 0.0), (0.7, 0.5), (0.8, 1.0), (0.95, 1.0)])
def test_linear_higher_is_better_at_and_between_thresholds(value, expected):
    rule = ind.ScoringRule("linear", zero_at=0.6, full_at=0.8)
    assert ind.rule_fraction(rule, value, True, 10) == pytest.approx(expected)


@pytest.mark.parametrize(("value", "expected"), [(1.0, 1.0), (2.0, 1.0), (3.5, 0.5), (5.0, 0.0), (9, 0.0)])
def test_linear_lower_is_better(value, expected):
    rule = ind.ScoringRule("linear", zero_at=5.0, full_at=2.0)
    assert ind.rule_fraction(rule, value, False, 10) == pytest.approx(expected)


def test_pass_fail_exactly_at_the_threshold_passes_both_ways():
    up, down = ind.ScoringRule("pass_fail", threshold=0.9), ind.ScoringRule("pass_fail", threshold=3)
    assert ind.rule_fraction(up, 0.9, True, 5) == 1.0
    assert ind.rule_fraction(up, 0.8999, True, 5) == 0.0
    assert ind.rule_fraction(down, 3, False, 5) == 1.0
    assert ind.rule_fraction(down, 4, False, 5) == 0.0
    # the rule's direction wins over the metric's
    assert ind.rule_fraction(ind.ScoringRule("pass_fail", threshold=3, direction="lower"),
                             2, True, 5) == 1.0


def test_deduction_per_incident_with_a_floor_of_zero():
    rule = ind.ScoringRule("deduction", points=2)
    assert ind.rule_fraction(rule, 0, False, 10) == 1.0
    assert ind.rule_fraction(rule, 3, False, 10) == pytest.approx(0.4)   # 10 − 6 = 4 of 10
    assert ind.rule_fraction(rule, 5, False, 10) == 0.0
    assert ind.rule_fraction(rule, 9, False, 10) == 0.0


def test_rank_ties_share_the_best_rank():
    fr = ind.rank_fractions({"a": 0.9, "b": 0.7, "c": 0.9, "d": 0.5}, higher=True)
    # ranks 1, 3, 1, 4 of 4 → (4−r+1)/4
    assert fr == {"a": 1.0, "b": 0.5, "c": 1.0, "d": 0.25}
    assert ind.rank_fractions({"a": 1, "b": 3}, higher=False) == {"a": 1.0, "b": 0.5}


def test_weights_are_relative_and_total_100():
    tree = ind.parse_system([
        {"key": "g", "name": "组", "weight": 3, "children": [
            leaf("x"), {**leaf("y"), "weight": 3}]},
        {"key": "m", "name": "人工", "weight": 1, "manual_max": 10}])
    ind.validate_system(tree, known)
    pts = ind.full_points(tree)
    assert pts["g"] == 75 and pts["m"] == 25
    assert pts["x"] == pytest.approx(18.75) and pts["y"] == pytest.approx(56.25)


def _inputs(tree, values, manual=None, targets=("t1", "t2", "t3")):
    return {"system": {"tree": tree}, "metrics": {"m.up": {"higher_is_better": True},
                                                   "m.down": {"higher_is_better": False}},
            "targets": [{"code": t, "name": t.upper()} for t in targets],
            "values": values, "manual": manual or {}}


def test_scores_totals_ranks_and_missing_by_hand():
    tree = ind.tree_to_json(ind.parse_system([
        {**leaf("rate", zero_at=0.5, full_at=1.0, kind="linear"), "weight": 2},
        {**leaf("cnt", "m.down", kind="deduction", points=5), "weight": 1},
        {"key": "visit", "name": "现场检查", "weight": 1, "manual_max": 20}]))
    values = {"t1": {"m.up": 1.0, "m.down": 1}, "t2": {"m.up": 0.75, "m.down": 0},
              "t3": {"m.up": None, "m.down": 10}}
    results, missing = score_inputs(_inputs(tree, values, {"t1": {"visit": 10}, "t2": {"visit": 20}}))
    by = {r["code"]: r for r in results}
    # points: rate 50, cnt 25, visit 25
    assert by["t1"]["scores"] == {"rate": 50.0, "cnt": 20.0, "visit": 12.5}
    assert by["t1"]["total"] == 82.5
    assert by["t2"]["scores"] == {"rate": 25.0, "cnt": 25.0, "visit": 25.0}
    assert by["t2"]["total"] == 75.0
    assert by["t3"]["total"] == 0.0
    assert [r["code"] for r in results] == ["t1", "t2", "t3"]
    assert [r["rank"] for r in results] == [1, 2, 3]
    assert {(m["target"], m["indicator"], m["reason"]) for m in missing} == {
        ("t3", "rate", "no_value"), ("t3", "visit", "no_manual_score")}


def test_equal_totals_share_a_rank():
    tree = ind.tree_to_json(ind.parse_system([leaf("r", kind="pass_fail", threshold=0.5)]))
    results, _ = score_inputs(_inputs(tree, {"t1": {"m.up": 0.6}, "t2": {"m.up": 0.1},
                                             "t3": {"m.up": 0.5}}))
    assert [(r["code"], r["rank"], r["total"]) for r in results] == [
        ("t1", 1, 100.0), ("t3", 1, 100.0), ("t2", 3, 0.0)]


def _problems(tree) -> dict[str, str]:
    with pytest.raises(Invalid) as err:
        ind.validate_system(ind.parse_system(tree), known)
    assert err.value.code == "assessment.invalid_system"
    return {p.field: p.code for p in err.value.params["problems"]}


def test_validation_names_every_bad_indicator():
    problems = _problems([
        leaf("unknown", "m.nope", kind="linear", zero_at=0, full_at=1),
        leaf("backwards", kind="linear", zero_at=1, full_at=0),
        {**leaf("weightless", kind="pass_fail", threshold=1), "weight": 0},
        {"key": "parent", "name": "p", "weight": 1, "metric": "m.up",
         "rule": {"kind": "rank"}, "children": [leaf("kid", kind="rank")]},
        {"key": "nothing", "name": "n", "weight": 1},
        leaf("norule", kind="bogus"),
        {"key": "manual", "name": "m", "weight": 1, "manual_max": -1},
        leaf("kid", kind="rank"),
    ])
    assert problems == {
        "unknown": "assessment.unknown_metric", "backwards": "assessment.bad_thresholds",
        "weightless": "assessment.bad_weight", "parent": "assessment.leaf_with_children",
        "nothing": "assessment.leaf_without_source", "norule": "assessment.bad_rule",
        "manual": "assessment.bad_manual_max", "kid": "assessment.duplicate_key"}


def test_lower_is_better_thresholds_must_go_down_and_empty_trees_are_refused():
    assert _problems([leaf("d", "m.down", kind="linear", zero_at=1, full_at=5)]) == {
        "d": "assessment.bad_thresholds"}
    assert _problems([]) == {"—": "assessment.empty_system"}
