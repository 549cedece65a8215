"""The aggregates a problems analysis adds to its source's scan, and the counts read back from a scan's rows.

By category: the count of the analysis's rows is grouped by the `category` dimension (one row per category value
and period), so categories found only in the data are reported too. By themes: one count per root cause (rows
whose folded text matches any of its themes) and per theme, the rows with no text (missing) and the rows whose
text matches no theme. Every count reads the same test per theme (one regular expression over the folded text,
behind a substring test), which the scan computes once per row. With `score`, the score metric's own aggregates
once over the rows mentioning each cause and once over the rest, named `{prefix}w{i}_` and `{prefix}o{i}_`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Mapping

from sqlglot import exp

from cxgov.data import sql, themes
from cxgov.data.scan import Aggregate
from cxgov.metrics import kinds
from cxgov.metrics.query import or_false, where_filter
from cxgov.spec.model import Metric, Problem, Source

ROWS, MISSING, NONE = "rows", "missing", "none"


def _text(problem: Problem) -> exp.Expr:
    return sql.col(problem.text or problem.category or "")


def blank(problem: Problem) -> exp.Expr:
    """The row's text or category is NULL or empty (spaces only): counted as missing."""
    column = _text(problem)
    trimmed = exp.Trim(this=sql.cast(column.copy(), "VARCHAR"))
    return exp.Paren(this=exp.or_(sql.is_null(column), exp.EQ(this=trimmed, expression=exp.Literal.string(""))))


def mentions(problem: Problem, cause: str, tests: list[exp.Expr] | None = None) -> exp.Expr:
    """The row counts for root cause `cause`: one of its categories, or a text matching one of its themes
    (`tests`, each theme's `matches` in the order of the themes, when made already)."""
    if problem.category:
        values = [sql.value(v) for v, c in problem.causes if c == cause]
        return or_false(exp.In(this=sql.cast(_text(problem), "VARCHAR"), expressions=values))
    tests = tests if tests is not None else _tests(problem)
    return _any([test.copy() for t, test in zip(problem.themes, tests) if t.root_cause == cause])


def matches(problem: Problem, patterns: tuple[str, ...] | list[str]) -> exp.Expr:
    """The row's text matches one of `patterns` (a theme's); never NULL."""
    return sql.Matches(this=sql.Folded(this=_text(problem)), pattern=sql.value(themes.regex(patterns)),
                       words=[sql.value(f"%{w}%") for w in themes.literals(patterns)])


def _tests(problem: Problem) -> list[exp.Expr]:
    return [matches(problem, t.patterns) for t in problem.themes]


def _any(tests: list[exp.Expr]) -> exp.Expr:
    return tests[0] if len(tests) == 1 else exp.Paren(this=exp.or_(*tests))


def aggregates(problem: Problem, source: Source, prefix: str, score: Metric | None, as_of_end: datetime,
               types: Mapping[str, str] | None = None) -> tuple[tuple[Aggregate, ...], tuple[Aggregate, ...]]:
    """(the counts, the score's aggregates): by category the counts are read per category value, the score over
    all the analysis's rows (a grouping set without `category`)."""
    where = where_filter(problem.where, types)

    def count(name: str, *conditions: exp.Expr) -> Aggregate:
        return Aggregate(prefix + name, "count", None,
                         sql.and_(exp.Paren(this=where.copy()), *(exp.Paren(this=c) for c in conditions)))

    items = [count(ROWS), count(MISSING, blank(problem))]
    tests = _tests(problem) if problem.text else []  # each theme's regular expression and words, made once
    if problem.text:
        present = exp.Not(this=blank(problem))
        items.append(count(NONE, present.copy(), exp.Not(this=_any([t.copy() for t in tests]))))
        items += [count(f"c{i}", present.copy(), mentions(problem, c, tests))
                  for i, c in enumerate(problem.cause_ids)]
        items += [count(f"t{j}", present.copy(), test.copy()) for j, test in enumerate(tests)]
    scored = []
    if score is not None:
        for i, cause in enumerate(problem.cause_ids):
            mentioned = mentions(problem, cause, tests)
            for side, condition in (("w", mentioned), ("o", exp.Not(this=mentioned.copy()))):
                for a in kinds.aggregates(score, source, as_of_end, score_prefix(prefix, side, i), types):
                    scored.append(replace(a, condition=sql.and_(exp.Paren(this=a.condition),
                                                                exp.Paren(this=where.copy()), exp.Paren(this=condition.copy()))))
    return tuple(items), tuple(scored)


def score_prefix(prefix: str, side: str, index: int) -> str:
    """The prefix of the score's aggregates among the rows mentioning (side "w") or not ("o") cause `index`."""
    return f"{prefix}{side}{index}_"


def required_columns(problem: Problem) -> tuple[tuple[str, str], ...]:
    """(column, spec key) of every column of its source the analysis reads."""
    own = [(problem.text, "text")] if problem.text else [(problem.category or "", "category")]
    return tuple(dict.fromkeys(own + [(c, f"where.{c}") for c in problem.where.columns()]))
