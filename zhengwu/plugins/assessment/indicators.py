"""Indicator systems (考核指标体系) as values: the weighted tree, its validation and the scoring
rules. Pure: no database, no principal — ``systems`` stores the tree, ``runs`` applies it.

A system is a list of top-level indicators; each indicator has a ``key`` (unique in the
system, the name manual scores use), a ``name`` and a relative ``weight`` (> 0: siblings share
their parent's points in proportion to their weights; the whole system is worth 100 points).
An indicator is either a **group** (``children``) or a **leaf**:

* a **metric** leaf names a metric of the host's registry (``zhengwu_metrics``) and a scoring
  rule (``rule``) that turns the target's value into a fraction of the leaf's points;
* a **manual** leaf (``manual_max``) is scored by an assessor (on-site inspection, third-party
  survey, training, model sites): a score in ``[0, manual_max]``, worth ``score/manual_max``
  of the leaf's points.

Scoring rules (``ScoringRule.kind``), each giving a fraction in [0, 1]:

* ``linear`` — ``(v − zero_at) / (full_at − zero_at)`` clamped to [0, 1]: at or beyond
  ``zero_at`` 0, at or beyond ``full_at`` full. ``full_at > zero_at`` when higher is better,
  ``full_at < zero_at`` when lower is better (the direction is the rule's ``direction`` or the
  metric's ``higher_is_better``);
* ``rank`` — by rank among the run's targets that have a value (1 = best; ties share the best
  rank of the tie, 1, 1, 3): ``(n − rank + 1) / n``, so the best gets full and the worst 1/n;
* ``pass_fail`` — full when ``v ≥ threshold`` (higher is better) or ``v ≤ threshold`` (lower
  is better), else 0;
* ``deduction`` — ``full − points × v`` (v a count of incidents), floor 0; ``points`` is in
  points of the leaf, not a fraction.

A target without a value (the metric answers None, a manual score not entered) scores 0 on
that leaf and the run lists it as missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zhengwu.core.errors import Invalid, InvalidField

__all__ = [
    "RULE_KINDS",
    "Indicator",
    "ScoringRule",
    "competition_ranks",
    "direction_of",
    "full_points",
    "leaves",
    "parse_system",
    "rank_fractions",
    "rule_fraction",
    "tree_to_json",
    "validate_system",
    "walk",
]

RULE_KINDS = ("linear", "rank", "pass_fail", "deduction")
DIRECTIONS = ("higher", "lower")
MAX_DEPTH = 6
MAX_INDICATORS = 500
TOTAL_POINTS = 100.0


@dataclass(frozen=True)
class ScoringRule:
    kind: str
    zero_at: float | None = None
    full_at: float | None = None
    threshold: float | None = None
    points: float | None = None
    direction: str | None = None  # None: the metric's higher_is_better


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    weight: float
    metric: str | None = None
    rule: ScoringRule | None = None
    manual_max: float | None = None
    children: tuple[Indicator, ...] = field(default_factory=tuple)

    @property
    def is_leaf(self) -> bool:
        return not self.children


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def parse_system(tree: Any) -> tuple[Indicator, ...]:
    """The tree as stored (JSON: a list of indicator objects) → indicators. Shape errors are
    ``assessment.invalid_system`` problems; the rules are checked by ``validate_system``."""
    problems: list[InvalidField] = []
    result = _parse_list(tree, "indicators", problems, depth=1)
    _raise(problems)
    return result


def _parse_list(items: Any, where: str, problems: list[InvalidField],
                depth: int) -> tuple[Indicator, ...]:
    if not isinstance(items, list):
        problems.append(_problem("assessment.tree_shape", where, "须为指标列表",
                                 "must be a list of indicators"))
        return ()
    if depth > MAX_DEPTH:
        problems.append(_problem("assessment.too_deep", where, f"指标层级不超过 {MAX_DEPTH} 层",
                                 f"at most {MAX_DEPTH} levels"))
        return ()
    out = []
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if not isinstance(item, Mapping):
            problems.append(_problem("assessment.tree_shape", here, "须为指标对象",
                                     "must be an indicator object"))
            continue
        key = str(item.get("key") or "").strip()
        name = str(item.get("name") or "").strip()
        weight = _num(item.get("weight"))
        rule = None
        raw_rule = item.get("rule")
        if isinstance(raw_rule, Mapping):
            rule = ScoringRule(kind=str(raw_rule.get("kind") or ""),
                               zero_at=_num(raw_rule.get("zero_at")),
                               full_at=_num(raw_rule.get("full_at")),
                               threshold=_num(raw_rule.get("threshold")),
                               points=_num(raw_rule.get("points")),
                               direction=raw_rule.get("direction") or None)
        elif raw_rule is not None:
            problems.append(_problem("assessment.tree_shape", f"{key or here}.rule",
                                     "评分规则须为对象", "the rule must be an object"))
        children = item.get("children") or []
        out.append(Indicator(
            key=key or here, name=name, weight=weight if weight is not None else float("nan"),
            metric=(str(item["metric"]).strip() or None) if item.get("metric") else None,
            rule=rule, manual_max=_num(item.get("manual_max")),
            children=_parse_list(children, key or here, problems, depth + 1) if children else ()))
    return tuple(out)


def tree_to_json(tree: Sequence[Indicator]) -> list[dict[str, Any]]:
    """Indicators → the stored JSON (canonical: every key present, in a fixed order)."""
    def one(ind: Indicator) -> dict[str, Any]:
        rule = None
        if ind.rule is not None:
            r = ind.rule
            rule = {"kind": r.kind, "zero_at": r.zero_at, "full_at": r.full_at,
                    "threshold": r.threshold, "points": r.points, "direction": r.direction}
        return {"key": ind.key, "name": ind.name, "weight": ind.weight, "metric": ind.metric,
                "rule": rule, "manual_max": ind.manual_max,
                "children": [one(c) for c in ind.children]}
    return [one(i) for i in tree]


def _problem(code: str, indicator: str, zh: str, en: str) -> InvalidField:
    return InvalidField(code, f"指标 {indicator}：{zh}", f"indicator {indicator}: {en}",
                        field=indicator, params={"indicator": indicator})


def _raise(problems: list[InvalidField]) -> None:
    if problems:
        raise Invalid("assessment.invalid_system",
                      "指标体系有误：" + "；".join(p.zh for p in problems),
                      "invalid indicator system: " + "; ".join(p.en for p in problems),
                      field=problems[0].field, problems=problems)


def walk(tree: Iterable[Indicator]) -> Iterable[Indicator]:
    for ind in tree:
        yield ind
        yield from walk(ind.children)


def leaves(tree: Iterable[Indicator]) -> list[Indicator]:
    return [i for i in walk(tree) if i.is_leaf]


def validate_system(tree: Sequence[Indicator], higher_is_better: Callable[[str], bool | None]
                    ) -> None:
    """Every problem of the tree at once (``assessment.invalid_system``, each problem naming
    its indicator). ``higher_is_better(name)`` is the registry: None for an unknown metric."""
    problems: list[InvalidField] = []
    if not tree:
        problems.append(_problem("assessment.empty_system", "—", "指标体系没有指标",
                                 "the system has no indicators"))
    seen: set[str] = set()
    count = 0
    for ind in walk(tree):
        count += 1
        k = ind.key
        if k in seen:
            problems.append(_problem("assessment.duplicate_key", k, "指标键重复",
                                     "the key is used twice"))
        seen.add(k)
        if not ind.name:
            problems.append(_problem("assessment.name_required", k, "须有名称", "a name is required"))
        if not (ind.weight > 0):  # NaN too
            problems.append(_problem("assessment.bad_weight", k, "权重须大于0",
                                     "the weight must be greater than 0"))
        if ind.children:
            if ind.metric or ind.rule or ind.manual_max is not None:
                problems.append(_problem("assessment.leaf_with_children", k,
                                         "有下级指标的指标不能同时设指标数据或人工评分",
                                         "an indicator with children cannot have a metric or a "
                                         "manual score"))
            continue
        if ind.metric and ind.manual_max is not None:
            problems.append(_problem("assessment.metric_and_manual", k, "不能同时取自指标数据和人工评分",
                                     "a leaf is either a metric or a manual score"))
        elif ind.metric:
            direction = higher_is_better(ind.metric)
            if direction is None:
                problems.append(_problem("assessment.unknown_metric", k,
                                         f"未知的指标数据 {ind.metric}",
                                         f"unknown metric {ind.metric}"))
                direction = True
            problems += _rule_problems(k, ind.rule, direction)
        elif ind.manual_max is not None:
            if not ind.manual_max > 0:
                problems.append(_problem("assessment.bad_manual_max", k, "人工评分的满分须大于0",
                                         "the manual maximum must be greater than 0"))
            if ind.rule is not None:
                problems.append(_problem("assessment.rule_on_manual", k, "人工评分指标不设评分规则",
                                         "a manual indicator has no scoring rule"))
        else:
            problems.append(_problem("assessment.leaf_without_source", k,
                                     "末级指标须取自指标数据（metric）或人工评分（manual_max）",
                                     "a leaf needs a metric or a manual maximum"))
    if count > MAX_INDICATORS:
        problems.append(_problem("assessment.too_many", "—", f"指标不超过 {MAX_INDICATORS} 个",
                                 f"at most {MAX_INDICATORS} indicators"))
    _raise(problems)


def direction_of(rule: ScoringRule, metric_higher: bool) -> bool:
    """True when higher values are better for this rule."""
    return metric_higher if rule.direction is None else rule.direction == "higher"


def _rule_problems(k: str, rule: ScoringRule | None, metric_higher: bool) -> list[InvalidField]:
    if rule is None:
        return [_problem("assessment.rule_required", k, "指标数据须有评分规则",
                         "a metric leaf needs a scoring rule")]
    if rule.kind not in RULE_KINDS:
        return [_problem("assessment.bad_rule", k, f"评分规则须为 {'、'.join(RULE_KINDS)}",
                         f"the rule must be one of {', '.join(RULE_KINDS)}")]
    if rule.direction is not None and rule.direction not in DIRECTIONS:
        return [_problem("assessment.bad_rule", k, "方向须为 higher 或 lower",
                         "the direction must be higher or lower")]
    higher = direction_of(rule, metric_higher)
    if rule.kind == "linear":
        if rule.zero_at is None or rule.full_at is None:
            return [_problem("assessment.bad_thresholds", k, "线性评分须有 zero_at 和 full_at",
                             "a linear rule needs zero_at and full_at")]
        if (rule.full_at <= rule.zero_at) if higher else (rule.full_at >= rule.zero_at):
            return [_problem("assessment.bad_thresholds", k,
                             "满分阈值须" + ("高于" if higher else "低于") + "零分阈值",
                             "full_at must be " + ("above" if higher else "below") + " zero_at")]
    if rule.kind == "pass_fail" and rule.threshold is None:
        return [_problem("assessment.bad_thresholds", k, "达标评分须有 threshold",
                         "a pass/fail rule needs a threshold")]
    if rule.kind == "deduction" and not (rule.points is not None and rule.points > 0):
        return [_problem("assessment.bad_rule", k, "扣分规则须有大于0的每次扣分 points",
                         "a deduction rule needs points > 0")]
    return []


def full_points(tree: Sequence[Indicator], total: float = TOTAL_POINTS) -> dict[str, float]:
    """Each indicator's points: its share of its parent's points by relative weight."""
    out: dict[str, float] = {}

    def share(items: Sequence[Indicator], points: float) -> None:
        weights = sum(i.weight for i in items)
        for ind in items:
            out[ind.key] = points * ind.weight / weights
            if ind.children:
                share(ind.children, out[ind.key])
    share(tree, total)
    return out


def rule_fraction(rule: ScoringRule, value: float, metric_higher: bool,
                  leaf_points: float) -> float:
    """The fraction of the leaf's points ``value`` earns (rules other than ``rank``)."""
    higher = direction_of(rule, metric_higher)
    if rule.kind == "linear":
        assert rule.zero_at is not None and rule.full_at is not None
        return min(1.0, max(0.0, (value - rule.zero_at) / (rule.full_at - rule.zero_at)))
    if rule.kind == "pass_fail":
        assert rule.threshold is not None
        return 1.0 if (value >= rule.threshold if higher else value <= rule.threshold) else 0.0
    if rule.kind == "deduction":
        assert rule.points is not None
        if leaf_points <= 0:
            return 0.0
        return max(0.0, leaf_points - rule.points * value) / leaf_points
    raise ValueError(f"rule {rule.kind} is not scored one value at a time")


def rank_fractions(values: Mapping[str, float], higher: bool) -> dict[str, float]:
    """``rank`` rule: target → fraction; ties share the best rank of the tie (1, 1, 3)."""
    n = len(values)
    ranks = competition_ranks(values.values(), reverse=higher)
    return {target: (n - ranks[v] + 1) / n for target, v in values.items()}


def competition_ranks(values: Iterable[float], *, reverse: bool) -> dict[float, int]:
    """Value → its rank (1 = first in the order; equal values share the best rank: 1, 1, 3)."""
    ranks: dict[float, int] = {}
    for i, v in enumerate(sorted(values, reverse=reverse)):
        ranks.setdefault(v, i + 1)
    return ranks
