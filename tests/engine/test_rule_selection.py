"""--rule and explain name rules by id: a misspelt id is a usage error that suggests the id meant."""

from __future__ import annotations

import pytest

from cxgov.engine.plan import select_rules
from cxgov.errors import UsageError
from engine_fixtures import kpi, make_spec, standard


def test_a_misspelt_rule_id_suggests_the_closest_ids():
    spec = make_spec(standards=[standard("complaints-resolved-24h")], kpis=[kpi("relationship-nps")])
    with pytest.raises(UsageError) as caught:
        select_rules(spec, ["complaints-resolved-24", "relationship-nsp"])
    assert caught.value.message == "no standard or KPI with id 'complaints-resolved-24', 'relationship-nsp'"
    assert caught.value.hint == ("did you mean 'complaints-resolved-24h', 'relationship-nps'? rules in this spec: "
                                 "complaints-resolved-24h, relationship-nps")


def test_an_unrelated_id_lists_the_rules_without_a_guess():
    spec = make_spec(standards=[standard("complaints-resolved-24h")])
    with pytest.raises(UsageError) as caught:
        select_rules(spec, ["zzz"])
    assert caught.value.hint == "rules in this spec: complaints-resolved-24h"
