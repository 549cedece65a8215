"""A small governance program and a Run covering every status, built from the model for the HTML report tests.

`sample_spec(text)` passes every free-text field through `text`, so tests can plant a payload in all of them;
`plant_payload` does the same to a copy of a spec folder.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

from cxgov.engine.results import (ActionInfo, MetricHealth, PreviousInfo, ProblemInfo, Result, Run, ScoreInfo,
                                  SourceHealth, Span, ThresholdInfo, TrendInfo, UnmatchedId, WaiverInfo)
from cxgov.errors import Location
from cxgov.metrics import pareto, stats
from cxgov.spec.model import (Action, Approval, Defaults, Duration, Filter, Intent, Journey, Kpi, Metric, Owner,
                              Principle, Problem, Program, RaciActivity, Review, RootCause, Scope, Segment, Selector,
                              Source, Spec, Standard, Theme, Threshold, Touchpoint, Trend, Waiver, Window)

AS_OF = date(2026, 11, 20)
GENERATED_AT = datetime(2026, 11, 21, 8, 30, tzinfo=timezone.utc)
WINDOW_28D = Span(date(2026, 10, 24), date(2026, 11, 20))
QUARTER = Span(date(2026, 7, 1), date(2026, 9, 30))
PREVIOUS_QUARTER = Span(date(2026, 4, 1), date(2026, 6, 30))
SPEC_DIGEST = "sha256:" + "ab" * 32
DATA_DIGEST = "sha256:" + "cd" * 32
COMMIT = "0123456789abcdef0123456789abcdef01234567"
PAYLOAD = '<script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">'

Text = Callable[[str], str]


def _plain(s: str) -> str:
    return s


def _loc(file: str, line: int) -> Location:
    return Location(f"specs/{file}", line, 5)


def sample_spec(text: Text = _plain) -> Spec:
    """Northwind-like program: 2 journeys, 9 touchpoints (one retired, one ungoverned), RACI with findings."""
    t = text
    principles = (Principle(id="effortless", name=t("Effortless"), description=t("As few steps as possible.")),
                  Principle(id="one-contact", name=t("Resolved in one contact"), description=None))
    program = Program(id="northwind-bank", name=t("Northwind Bank"), timezone="Europe/London", owner="cx-office",
                      sponsor="daniel-okafor", description=t("Retail banking in the UK."),
                      intent=Intent(statement=t("Customers settle their money matters in one contact."),
                                    principles=principles),
                      review=Review(cadence="quarterly", last_reviewed=date(2026, 9, 30)),
                      defaults=Defaults(min_sample=30, max_waiver_days=180, max_accountable=3),
                      location=_loc("program.yaml", 6))
    owners = (
        Owner(id="cx-office", name=t("Customer Experience Office"), kind="team", email=t("cx@northwind.example"),
              members=("ana-lopez",)),
        Owner(id="digital-sales", name=t("Digital Sales"), kind="team"),
        Owner(id="web-team", name=t("Web Platform"), kind="team"),
        Owner(id="contact-centre", name=t("Contact Centre"), kind="team"),
        Owner(id="service-operations", name=t("Service Operations"), kind="team"),
        Owner(id="ana-lopez", name=t("Ana Lopez"), kind="person", title=t("Head of CX")),
        Owner(id="daniel-okafor", name=t("Daniel Okafor"), kind="person", title=t("Chief Operating Officer")),
        Owner(id="idle-ian", name=t("Ian Idle"), kind="person", title=t("Analyst")),
    )
    journeys = (
        Journey(id="open-account", name=t("Open an account"), owner="digital-sales",
                stages=("consideration", "purchase", "onboarding"), description=t("From first look to first use.")),
        Journey(id="resolve-a-problem", name=t("Resolve a problem"), owner="service-operations",
                stages=("report", "resolve")),
    )

    def tp(id, name, journey, stage, channel, owner, **kw) -> Touchpoint:
        kw.setdefault("systems", (t("web-portal"),))
        kw.setdefault("processes", (t("account-opening"),))
        return Touchpoint(id=id, name=t(name), journey=journey, stage=stage, channel=channel, owner=owner,
                          description=t(f"About {name}."), **kw)

    touchpoints = (
        tp("web-compare", "Compare accounts tool", "open-account", "consideration", "web", "digital-sales",
           responsible=("web-team",)),
        tp("web-form", "Online application form", "open-account", "purchase", "web", "digital-sales",
           responsible=("web-team",), consulted=("contact-centre",), informed=("cx-office",),
           systems=(t("web-portal"), t("kyc-service")), processes=(t("identity-verification"),),
           moment_of_truth=True, labels={"region": t("uk")}),
        tp("app-form", "Apply in the app", "open-account", "purchase", "app", "digital-sales",
           responsible=("web-team",), moment_of_truth=True),
        tp("paper-form", "Paper application by post", "open-account", "purchase", "post", "digital-sales",
           status="retired"),
        tp("app-onboarding", "Onboarding in the app", "open-account", "onboarding", "app", "web-team"),
        tp("web-help", "Help pages", "open-account", "onboarding", "web", "web-team", status="planned"),
        tp("phone-complaints", "Complaints line", "resolve-a-problem", "report", "phone", "contact-centre",
           responsible=("service-operations",)),
        tp("chat-complaints", "Complaints in chat", "resolve-a-problem", "report", "chat", "contact-centre"),
        tp("resolution-call", "Resolution call", "resolve-a-problem", "resolve", "phone", "service-operations"),
    )
    sources = (Source(id="surveys", table="survey_responses", timestamp="responded_at", touchpoint="touchpoint_id",
                      segment="segment", description=t("Post-contact surveys."), location=_loc("data.yaml", 3)),
               Source(id="tickets", table="tickets", timestamp="opened_at", touchpoint="touchpoint_id",
                      location=_loc("data.yaml", 9)),
               Source(id="app", table="app_sessions", timestamp="started_at", touchpoint="touchpoint_id",
                      location=_loc("data.yaml", 15)))
    metrics = (
        Metric(id="csat", name=t("Customer satisfaction"), kind="csat", source="surveys", column="score",
               where=Filter((("question", (t("satisfaction"),)),)), description=t("Top-two-box share."),
               location=_loc("data.yaml", 20)),
        Metric(id="nps", name=t("Net Promoter Score"), kind="nps", source="surveys", column="score",
               where=Filter((("question", (t("recommend"),)),)), location=_loc("data.yaml", 21)),
        Metric(id="resolved-24h", name=t("Resolved within 24 hours"), kind="sla", source="tickets",
               duration=Duration("opened_at", "resolved_at", "hours"), within=24, location=_loc("data.yaml", 22)),
        Metric(id="fcr", name=t("First contact resolution"), kind="ratio", source="tickets",
               condition=Filter((("first_contact_resolved", (True,)),)), location=_loc("data.yaml", 28)),
        Metric(id="app-seconds", name=t("App session seconds"), kind="mean", source="app", column="seconds",
               location=_loc("data.yaml", 30)),
    )
    standards = (
        Standard(id="digital-csat", name=t("Digital touchpoints satisfy customers"), metric="csat",
                 threshold=Threshold(">=", 75, 80), window=Window("28d", days=28),
                 applies_to=Selector(channel=("web", "app")), min_sample=50, severity="medium",
                 principle="effortless", description=t("Web and app satisfaction."),
                 location=_loc("standards.yaml", 7)),
        Standard(id="complaints-resolved-24h", name=t("Complaints resolved within 24 hours"), metric="resolved-24h",
                 threshold=Threshold(">=", 90, 95), window=Window("28d", days=28),
                 applies_to=Selector(journey=("resolve-a-problem",), stage=("report",)), severity="high",
                 owner="service-operations", principle="one-contact", location=_loc("standards.yaml", 20)),
        Standard(id="first-contact-resolution", name=t("Solved in the first contact"), metric="fcr",
                 threshold=Threshold(">=", 70, 75), window=Window("28d", days=28),
                 applies_to=Selector(touchpoints=("phone-complaints", "chat-complaints")), severity="high",
                 location=_loc("standards.yaml", 32)),
        Standard(id="app-sessions", name=t("App sessions are short"), metric="app-seconds",
                 threshold=Threshold("<=", 300, 240), window=Window("28d", days=28),
                 applies_to=Selector(touchpoints=("app-onboarding",)), severity="low",
                 location=_loc("standards.yaml", 44)),
    )
    kpis = (
        Kpi(id="relationship-nps", name=t("Relationship NPS by segment"), metric="nps",
            threshold=Threshold(">=", 20, 30), window=Window("quarter", period="quarter"), scope=Scope("program"),
            by="segment", owner="cx-office", location=_loc("kpis.yaml", 6)),
        Kpi(id="premier-nps", name=t("Premier NPS"), metric="nps", threshold=Threshold(">=", 30, 40),
            window=Window("quarter", period="quarter"), scope=Scope("segment", "premier"), trend=Trend(5),
            owner="ana-lopez", description=t("Premier customers' NPS."), location=_loc("kpis.yaml", 15)),
    )
    segments = (Segment(id="retail", name=t("Retail customers")), Segment(id="premier", name=t("Premier customers")))
    waivers = (Waiver(id="w-chat", standard="first-contact-resolution", touchpoints=("chat-complaints",),
                      justification=t("Chat platform migration, change CHG-1042."), approved_by="daniel-okafor",
                      expires=date(2026, 12, 31), granted=date(2026, 10, 1), location=_loc("waivers.yaml", 5)),)
    actions = (Action(id="act-17", standard="complaints-resolved-24h", touchpoint="phone-complaints",
                      owner="contact-centre", due=date(2026, 12, 15), status="in_progress",
                      description=t("Add an evening shift."), location=_loc("actions.yaml", 5)),
               Action(id="act-9", standard="digital-csat", touchpoint="web-form", owner="web-team",
                      due=date(2026, 10, 31), status="done", description=t("Shorter form."),
                      location=_loc("actions.yaml", 12)))
    raci = (
        RaciActivity(id="maintain-intent", name=t("Maintain the experience intent"), cycle_step="intent",
                     assignments=(("daniel-okafor", "A"), ("ana-lopez", "R"), ("cx-office", "C"),
                                  ("digital-sales", "I")), description=t("Yearly refresh.")),
        RaciActivity(id="inventory", name=t("Keep the touchpoint inventory"), cycle_step="inventory",
                     assignments=(("ana-lopez", "AR"), ("web-team", "C"))),
        RaciActivity(id="redesign", name=t("Prioritise redesigns"), cycle_step="redesign",
                     assignments=(("ana-lopez", "A"), ("daniel-okafor", "A"), ("web-team", "R"))),
        RaciActivity(id="dashboard", name=t("Publish the scorecard"), cycle_step="dashboard",
                     assignments=(("cx-office", "C"), ("ana-lopez", "I"))),
    )
    approvals = (  # one within the quarterly review cycle before AS_OF, one older
        Approval(id="appr-chat-waiver", change="waivers/w-chat", approved_by="ana-lopez",
                 reason=t("Chat platform migration slipped to December."), date=date(2026, 6, 1),
                 location=_loc("approvals.yaml", 9)),
        Approval(id="appr-complaints-warn", change="complaints-resolved-24h", field="threshold.warn",
                 approved_by="daniel-okafor", reason=t("Carrier outage; the 95% warning level returns in January."),
                 date=date(2026, 11, 2), location=_loc("approvals.yaml", 3)),
    )
    return Spec(root=Path("specs"), files=(Path("specs/program.yaml"),), digest=SPEC_DIGEST, program=program,
                owners=owners, segments=segments, channels=("web", "app", "phone", "chat", "post"),
                journeys=journeys, touchpoints=touchpoints, sources=sources, metrics=metrics, standards=standards,
                kpis=kpis, waivers=waivers, actions=actions, raci=raci, approvals=approvals)


def _result(spec: Spec, rule_id: str, status: str, *, touchpoint: str | None = None, scope=None, value=None,
            n=0, ci=(None, None), **kw) -> Result:
    rule = spec.rule(rule_id)
    metric = spec.metric(rule.metric)
    owner = rule.owner or (spec.touchpoint(touchpoint).owner if touchpoint else None)
    unit = {"nps": "points", "csat": "%", "sla": "%", "ratio": "%", "mean": "s"}[metric.kind]
    return Result(rule=rule_id, kind="standard" if touchpoint else "kpi",
                  scope=scope or ((("touchpoint", touchpoint),) if touchpoint else ()),
                  metric=metric.id, metric_kind=metric.kind, status=status,
                  window=kw.pop("window", WINDOW_28D if touchpoint else QUARTER),
                  threshold=ThresholdInfo(rule.threshold.op, rule.threshold.fail, rule.threshold.warn),
                  severity=rule.severity, location=Location(rule.location.file, rule.location.line),
                  touchpoint=touchpoint, rule_name=rule.name, value=value, n=n, ci_low=ci[0], ci_high=ci[1],
                  unit=unit, owner=kw.pop("owner", owner), principle=rule.principle, **kw)


def sample_run(spec: Spec, text: Text = _plain) -> Run:
    """One result of every status, KPIs with previous windows and a significant drop, actions and a waiver."""
    t = text
    action_17 = ActionInfo("act-17", "contact-centre", date(2026, 12, 15), "in_progress", t("Add an evening shift."))
    action_9 = ActionInfo("act-9", "web-team", date(2026, 10, 31), "done", t("Shorter form."))
    waiver = WaiverInfo("w-chat", t("Chat platform migration, change CHG-1042."), "daniel-okafor",
                        date(2026, 12, 31), True)
    r = _result
    results = (
        r(spec, "digital-csat", "pass", touchpoint="web-compare", value=84.25, n=212, ci=(78.7, 88.5)),
        r(spec, "digital-csat", "breach", touchpoint="web-form", value=71.45, n=180, ci=(64.5, 77.5),
          actions=(action_9,)),
        r(spec, "digital-csat", "warn", touchpoint="app-form", value=78.05, n=95, ci=(68.7, 85.2)),
        r(spec, "digital-csat", "insufficient", touchpoint="app-onboarding", value=90.0, n=12, ci=(62.0, 98.0)),
        r(spec, "complaints-resolved-24h", "breach", touchpoint="phone-complaints", value=87.5, n=240,
          ci=(82.7, 91.1), actions=(action_17,)),
        r(spec, "complaints-resolved-24h", "pass", touchpoint="chat-complaints", value=96.0, n=150, ci=(91.5, 98.2)),
        r(spec, "first-contact-resolution", "breach", touchpoint="phone-complaints", value=64.95, n=300,
          ci=(59.4, 70.1)),
        r(spec, "first-contact-resolution", "waived", touchpoint="chat-complaints", value=61.0, n=140,
          ci=(52.7, 68.7), underlying_status="breach", waiver=waiver),
        r(spec, "app-sessions", "error", touchpoint="app-onboarding",
          notes=(t("source 'app': table app_sessions is not in the metrics database"),)),
        r(spec, "relationship-nps", "pass", scope=(("segment", "retail"),), value=31.2, n=820, ci=(25.6, 36.8),
          previous=PreviousInfo(29.0, 790, PREVIOUS_QUARTER)),
        r(spec, "relationship-nps", "warn", scope=(("segment", "premier"),), value=24.0, n=210, ci=(13.0, 35.0),
          previous=PreviousInfo(33.5, 200, PREVIOUS_QUARTER)),
        r(spec, "premier-nps", "breach", scope=(("segment", "premier"),), value=24.0, n=210, ci=(13.0, 35.0),
          previous=PreviousInfo(38.0, 205, PREVIOUS_QUARTER),
          trend=TrendInfo(5, -14.0, -2.1, 0.036, True, True)),
    )
    health = (
        SourceHealth("surveys", Span(date(2026, 7, 1), AS_OF), 4210, 0, True, 12, 2,
                     (UnmatchedId("Web-Form", 10, "web-form"),), 1, (MetricHealth("nps", 3, 1),),
                     Location("specs/data.yaml", 3)),
        SourceHealth("tickets", Span(date(2026, 9, 26), AS_OF), 900, 7, True, 450, 0,
                     (UnmatchedId("<b>phone</b>", 300), UnmatchedId("chat-2", 150)), 2, (), Location("specs/data.yaml", 9),
                     finding=text("450 of its 900 rows (50.0%, more than the 5% allowed) belong to no touchpoint")),
    )
    return Run(as_of=AS_OF, spec_path="specs", spec_digest=SPEC_DIGEST, data_digest=DATA_DIGEST, results=results,
               git_commit=COMMIT, cxgov_version="0.1.0", program="northwind-bank", health=health)


def section(page: str, name: str) -> str:
    """The HTML of one `<section id=name>` of a report page."""
    start = page.index(f'<section id="{name}"')
    return page[start:page.index("</section>", start)]


SAMPLE_SQL = {"digital-csat": "SELECT count(*) FILTER (WHERE \"question\" = ?) AS n\nFROM metrics.\"survey_responses\""}


REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SPEC = REPO / "specs"


def example_db(folder: Path, rows: int = 20_000) -> Path:
    """Metric data for the example program (specs/), generated by `cxgov data generate`."""
    from click.testing import CliRunner

    from cxgov.cli import main

    db = folder / "example.duckdb"
    result = CliRunner().invoke(main, ["data", "generate", "--db", str(db), "--spec", str(EXAMPLE_SPEC),
                                       "--rows", str(rows), "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    return db


FREE_TEXT_KEYS = frozenset({"name", "description", "statement", "justification", "title", "reason"})
FREE_TEXT_LISTS = frozenset({"systems", "processes"})


def plant_payload(src: Path, dst: Path, payload: str = PAYLOAD) -> int:
    """Copy the spec folder `src` to `dst` with `payload` appended to every free-text value; how many were changed."""
    import yaml

    planted = 0

    def walk(node):
        nonlocal planted
        if isinstance(node, dict):
            for key, value in node.items():
                if key in FREE_TEXT_KEYS and isinstance(value, str):
                    node[key] = value + payload
                    planted += 1
                elif key in FREE_TEXT_LISTS and isinstance(value, list):
                    node[key] = [f"{item}{payload}" for item in value]
                    planted += len(value)
                elif key == "labels" and isinstance(value, dict):
                    node[key] = {k: f"{v}{payload}" for k, v in value.items()}
                    planted += len(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in sorted(src.rglob("*.y*ml")):
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        walk(document)
        target.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return planted


CYCLE_STEPS = ("intent", "inventory", "redesign", "dialogue", "knowledge", "communication", "recognition",
               "dashboard")


def crowded_raci(src: Path, dst: Path, owners: int = 30, activities: int = 120) -> tuple[str, ...]:
    """Copy the spec folder `src` to `dst` with `owners` more teams and `activities` more RACI activities among
    them (each with one A, one R and one C): a RACI report of many pages. The names of the teams added."""
    import shutil

    shutil.copytree(src, dst)
    names = tuple(f"Regional Team {i:02}" for i in range(owners))
    lines = ["version: 1", "owners:"]
    lines += [f"  - {{id: regional-{i:02}, name: {name}, kind: team}}" for i, name in enumerate(names)]
    lines.append("raci:")
    for i in range(activities):
        a, r, c = (f"regional-{(i + shift) % owners:02}" for shift in (0, 7, 13))
        lines.append(f"  - {{id: regional-act-{i:03}, name: Review regional complaint handling and escalation "
                     f"routes {i:03}, cycle_step: {CYCLE_STEPS[i % len(CYCLE_STEPS)]}, "
                     f"assignments: {{{a}: A, {r}: R, {c}: C}}}}")
    (dst / "regional.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return names


ROOT_CAUSES = (("staff-training", "Lack of training of customer service staff", "contact-centre"),
               ("billing-errors", "Billing system errors", "web-team"),
               ("website-usability", "Website hard to use", "web-team"),
               ("late-delivery", "Late card delivery", "contact-centre"))
# DOMAIN.md's worked example: categories by root cause, and parking mapped to none
CATEGORY_COUNTS = {"staff-training": {"calls-not-answered": 30, "impolite-agent": 20},
                   "billing-errors": {"wrong-bill": 25, "double-charge": 20},
                   "website-usability": {"cannot-find-info": 15}, "late-delivery": {"late-delivery": 10}}


def with_problems(spec: Spec, text: Text = _plain) -> Spec:
    """The sample spec with DOMAIN.md's worked example as a problems analysis, and an action on one cause."""
    t = text
    causes = tuple(RootCause(id=i, name=t(name), owner=owner) for i, name, owner in ROOT_CAUSES)
    problem = Problem(id="complaint-causes", name=t("Why customers complain"), source="tickets",
                      window=Window("quarter", period="quarter"), category="reason",
                      causes=tuple((v, c) for c, values in CATEGORY_COUNTS.items() for v in values),
                      owner="cx-office", severity="high", location=_loc("problems.yaml", 8))
    action = Action(id="act-31", root_cause="staff-training", standard="", owner="contact-centre",
                    due=date(2027, 1, 31), status="open", description=t("Coaching on call handling"),
                    location=_loc("actions.yaml", 30))
    return replace(spec, root_causes=causes, problems=(problem,), actions=(*spec.actions, action))


def problem_results(spec: Spec) -> tuple[Result, ...]:
    """The worked example's results as the engine makes them: shares, ranks, the vital few, statuses."""
    counts = {c: sum(v.values()) for c, v in CATEGORY_COUNTS.items()} | {"parking": 5}
    problem = spec.problems[0]
    out = []
    for bar in pareto.pareto(counts, 80.0):
        cause = spec.root_cause(bar.key)
        actions = tuple(ActionInfo(a.id, a.owner, a.due, a.status, a.description, False)
                        for a in spec.actions_by_root_cause.get(bar.key, ()))
        status = "pass" if cause is None or not bar.vital or actions else "breach"
        notes = ("a vital cause with no open action: nobody is working on it",) if status == "breach" else ()
        info = ProblemInfo(root_cause=bar.key if cause else None, name=cause.name if cause else bar.key,
                           rank=bar.rank, cumulative=bar.cumulative, vital=bar.vital, vital_share=80.0, total=125,
                           parts=tuple(CATEGORY_COUNTS.get(bar.key, {"parking": 5}).items()), by="category")
        out.append(Result(rule=problem.id, kind="problem",
                          scope=(("root_cause", bar.key) if cause else ("category", bar.key),),
                          metric="", metric_kind="problem", status=status, window=QUARTER,
                          threshold=ThresholdInfo("<=", 100.0), severity="high",
                          location=Location("specs/problems.yaml", 8), rule_name=problem.name, value=bar.share,
                          n=bar.count, ci_low=bar.ci_low, ci_high=bar.ci_high, unit="%",
                          owner=cause.owner if cause else "cx-office", actions=actions, notes=notes, problem=info))
    return tuple(out)


# A second analysis, by themes found in the survey comments, with csat as its score: cause -> (mentions now, in
# the previous window, top-two-box answers among the rows mentioning it); 110 comments, 12 without text
THEMES = (("waiting", "Waiting and slowness", "staff-capacity", ("slow", "wait*", "took ages")),
          ("rude", "Unfriendly staff", "staff-training", ("rude", "impolite")),
          ("fees", "Fees and charges", "billing-errors", ("hidden fee", "charge*")))
THEME_COUNTS = {"staff-capacity": (40, 30, 12), "staff-training": (25, 28, 10), "billing-errors": (15, 14, 9)}
COMMENTS, COMMENTS_TOP = 110, 64  # rows with a comment, and their top-two-box answers
UNMATCHED, NO_TEXT = 30, 12


def with_theme_problems(spec: Spec, text: Text = _plain) -> Spec:
    """`with_problems`'s spec with a second analysis: themes in the survey comments, scored by csat (a cause of
    its own, staff-capacity, that no action works on)."""
    t = text
    cause = RootCause(id="staff-capacity", name=t("Too few staff at peak times"), owner="service-operations")
    themes = tuple(Theme(id=i, name=t(name), root_cause=c, patterns=patterns) for i, name, c, patterns in THEMES)
    problem = Problem(id="what-customers-write", name=t("What customers write about"), source="surveys",
                      window=Window("28d", days=28), text="comment", themes=themes,
                      where=Filter((("question", (t("satisfaction"),)),)), score="csat", owner="cx-office",
                      severity="medium", location=_loc("problems.yaml", 30))
    return replace(spec, root_causes=(*spec.root_causes, cause), problems=(*spec.problems, problem))


def theme_problem_results(spec: Spec) -> tuple[Result, ...]:
    """The themes analysis's results as the engine makes them: shares, ranks, the vital few, the csat gap."""
    problem = spec.problem("what-customers-write")
    assert problem is not None
    now = {c: n for c, (n, _, _) in THEME_COUNTS.items()}
    before = {c: b for c, (_, b, _) in THEME_COUNTS.items()}
    total = sum(now.values())
    out = []
    for bar in pareto.pareto(now, problem.vital_share, before):
        cause = spec.root_cause(bar.key)
        assert cause is not None
        n, _, top = THEME_COUNTS[bar.key]
        actions = tuple(ActionInfo(a.id, a.owner, a.due, a.status, a.description, False)
                        for a in spec.actions_by_root_cause.get(bar.key, ()))
        status = "breach" if bar.vital and not actions else "pass"
        with_, without = _csat(top, n), _csat(COMMENTS_TOP - top, COMMENTS - n)
        difference, low, high = pareto.gap(with_, without, feasible=(-100.0, 100.0))
        score = ScoreInfo("csat", with_[0], n, with_[1:], without[0], COMMENTS - n, without[1:], difference, low,
                          high)
        info = ProblemInfo(root_cause=bar.key, name=cause.name, rank=bar.rank, cumulative=bar.cumulative,
                           vital=bar.vital, vital_share=problem.vital_share, total=total,
                           parts=tuple((th.id, n) for th in problem.themes if th.root_cause == bar.key), by="theme",
                           unmatched=UNMATCHED, change=bar.change, z=bar.z, p_value=bar.p_value,
                           significant=bar.significant, score=score)
        notes = (("a vital cause with no open action: nobody is working on it",) if status == "breach" else ()) + (
            f"{NO_TEXT} row(s) without text counted as missing",)
        out.append(Result(rule=problem.id, kind="problem", scope=(("root_cause", bar.key),), metric="csat",
                          metric_kind="problem", status=status, window=WINDOW_28D,
                          threshold=ThresholdInfo("<=", 100.0), severity=problem.severity,
                          location=Location("specs/problems.yaml", 30), rule_name=problem.name, value=bar.share,
                          n=bar.count, missing=NO_TEXT, ci_low=bar.ci_low, ci_high=bar.ci_high, unit="%",
                          owner=cause.owner, previous=PreviousInfo(bar.previous_share, bar.previous_count,
                                                                   Span(date(2026, 9, 26), date(2026, 10, 23))),
                          actions=actions, notes=notes, problem=info))
    return tuple(out)


def _csat(top: int, n: int) -> tuple[float, float, float]:
    """(value, ci_low, ci_high) in percent of a top-two-box share, with its Wilson interval."""
    low, high = stats.wilson(top, n)  # type: ignore[misc]
    return 100.0 * top / n, 100.0 * low, 100.0 * high


def golden_spec(text: Text = _plain) -> Spec:
    """The golden files' program: the sample program with both problems analyses (by category, by themes)."""
    return with_theme_problems(with_problems(sample_spec(text), text), text)


def golden_run(spec: Spec, text: Text = _plain) -> Run:
    """`sample_run` with the results of both problems analyses."""
    base = sample_run(spec, text)
    return replace(base, results=(*base.results, *problem_results(spec), *theme_problem_results(spec)))
