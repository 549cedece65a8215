"""The columns problems analyses read, for `cxgov data generate`: a category per row, or a free-text comment.

A category column holds the values the analysis maps (`causes`), skewed in the order written (the k-th value
weighs 1/k, so a Pareto has a vital few), a small share of "other" that no cause maps, and a few NULLs. A text
column holds, for the rows the analysis counts, phrasings of its themes' patterns (several sentence shapes, case
and spacing variants, sometimes two themes in one comment), or noise that must not match: near misses of the
patterns (`slower` for `slow`, `await` for `wait*`, `took many ages` for `took ages`) and ordinary praise; some
rows have no comment (NULL or blank). Low scores on the analysis's `score` metric mention a theme more often, so
the key-driver gap shows. Python builds the value lists (checked against the reference matcher, so noise never
matches and every phrasing does); the row query picks from them by hash, like every other column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from cxgov.data import themes
from cxgov.metrics.ratings import answer_scale
from cxgov.spec.model import Problem, Spec

BUCKETS = 4096  # entries of each value list: a weight is resolved to 1/4096
OTHER = "other"
OTHER_WEIGHT = 0.04  # of the mapped values' weight
MISSING_CATEGORY = 0.01
NO_COMMENT, BLANK_COMMENT = 0.22, 0.03  # shares of rows with a NULL and with an empty or blank comment
THEMED, THEMED_LOW_SCORE, SECOND_THEME = 0.35, 0.8, 0.15
TEMPLATES = ("{p}.", "Honestly, {p} every single time.", "It was {p} and nobody helped", "{P}!!",
             "not happy: {p}", "Everything was fine apart from {p}, again.", "{P}   ... please fix this")
PRAISE = ("Great service, thank you", "Quick and easy.", "No complaints at all", "The branch staff were lovely",
          "n/a", "All good", "Sorted in minutes, brilliant", "Helpful and clear", "Fine.", "Very happy with the app")


@dataclass(frozen=True)
class ProblemColumn:
    """How one generated column of a problems analysis is filled."""

    problem: Problem
    families: tuple[int, ...]  # the family rows the analysis counts; other rows get NULL
    values: tuple[str, ...]  # categories, or themed comments; BUCKETS entries, weighted by repetition
    noise: tuple[str, ...] = ()  # comments matching no theme (text only)
    score_column: str | None = None  # text: the score metric's column, low answers mention themes more often
    low_score: float = 0.0  # answers below this are low


def _buckets(weighted: Sequence[tuple[str, float]]) -> tuple[str, ...]:
    total = sum(w for _, w in weighted) or 1.0
    out: list[str] = []
    acc = 0.0
    for value, weight in weighted:
        acc += weight
        out += [value] * (round(BUCKETS * acc / total) - len(out))
    return tuple(out)


def _realised(pattern: str) -> tuple[str, ...]:
    """Words a pattern matches as a customer would write them: a `*` pattern as its stem and with an ending."""
    words = " ".join(pattern.strip().split())
    if words.endswith("*"):
        stem = words.rstrip("*")
        return (stem, stem + ("s" if stem.endswith("e") else "ing"))
    return (words,)


def _near_misses(pattern: str) -> tuple[str, ...]:
    """Texts that look like the pattern but are not its whole words."""
    words = pattern.strip().rstrip("*").split()
    if len(words) > 1:
        return (" ".join(words[:1] + ["many"] + words[1:]), "".join(words))
    if pattern.strip().endswith("*"):
        return ("a" + words[0], "un" + words[0] + "ed")
    return (words[0] + ("r" if words[0].endswith("e") else "er"), words[0] + "ness")


def _themed(problem: Problem) -> tuple[str, ...]:
    weighted = []
    for rank, theme in enumerate(problem.themes, start=1):
        phrases = []
        for n, pattern in enumerate(theme.patterns):
            for m, word in enumerate(_realised(pattern)):
                for t, template in enumerate(TEMPLATES):
                    text = template.format(p=word, P=word.upper() if (n + m + t) % 3 == 0 else word.capitalize())
                    if themes.matches(text, theme.patterns):
                        phrases.append(text)
        weighted += [(text, 1.0 / rank / len(phrases)) for text in phrases]
    return _buckets(weighted)


def _noise(problem: Problem) -> tuple[str, ...]:
    every = [p for t in problem.themes for p in t.patterns]
    near = [template.format(p=miss, P=miss.capitalize()) for p in every for miss in _near_misses(p)
            for template in TEMPLATES[:3]]
    texts = [text for text in dict.fromkeys(near + list(PRAISE)) if not themes.matches(text, every)]
    return _buckets([(text, 1.0) for text in texts])


def plan(spec: Spec, problem: Problem, families: Sequence[dict[str, object]]) -> ProblemColumn:
    counted = tuple(f for f, family in enumerate(families)
                    if all(family.get(column) in values for column, values in problem.where.terms))
    if problem.category:
        mapped = list(dict.fromkeys(v for v, _ in problem.causes))
        weighted = [(v, 1.0 / k) for k, v in enumerate(mapped, start=1)]
        if OTHER not in mapped:
            weighted.append((OTHER, OTHER_WEIGHT * sum(w for _, w in weighted)))
        return ProblemColumn(problem, counted, _buckets(weighted))
    score = spec.metric(problem.score) if problem.score and problem.score in spec.by_id["metrics"] else None
    low = 0.0
    if score is not None and score.column:
        scale = answer_scale(score)
        low = (scale.min + scale.max) / 2
    return ProblemColumn(problem, counted, _themed(problem), _noise(problem),
                         score.column if score is not None and score.column else None, low)


def pick(values_param: str, u: str) -> str:
    """SQL: the entry of a bucket list parameter chosen by the uniform `u`."""
    return f"list_extract({values_param}, 1 + CAST(floor({u} * {BUCKETS}) AS INTEGER))"


def column_sql(column: ProblemColumn, param: str, u: Callable[[int], str], score: str | None) -> str:
    """SQL filling the column; `param` names its value list parameters (`{param}` and `{param}_noise`), `u(k)`
    gives the k-th uniform of the row, `score` the quoted score column of the same row (text only)."""
    counted = ", ".join(str(f) for f in column.families) or "-1"
    if column.problem.category:
        return (f"CASE WHEN cx_f NOT IN ({counted}) OR {u(0)} < {MISSING_CATEGORY} THEN NULL "
                f"ELSE {pick('$' + param, u(1))} END")
    themed = THEMED if score is None else (f"CASE WHEN {score} < {column.low_score!r} THEN {THEMED_LOW_SCORE} "
                                           f"ELSE {THEMED} END")
    return (f"CASE WHEN cx_f NOT IN ({counted}) OR {u(0)} < {NO_COMMENT} THEN NULL "
            f"WHEN {u(0)} < {NO_COMMENT + BLANK_COMMENT} THEN CASE WHEN {u(1)} < 0.5 THEN '' ELSE '  ' END "
            f"WHEN {u(1)} < {themed} THEN {pick('$' + param, u(2))} "
            f"|| CASE WHEN {u(3)} < {SECOND_THEME} THEN ' Also: ' || {pick('$' + param, u(4))} ELSE '' END "
            f"ELSE {pick('$' + param + '_noise', u(2))} END")


def params(column: ProblemColumn, param: str) -> dict[str, list[str]]:
    out = {param: list(column.values)}
    if not column.problem.category:
        out[param + "_noise"] = list(column.noise)
    return out
