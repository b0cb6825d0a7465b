"""Workflow definitions: what ships under workflows/, evidence parsing, and invalid files refused
with a message naming the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.domain.definitions import Workflow
from app.domain.errors import DefinitionError, InvalidInput, NotFound
from app.domain.loader import Registry, load_registry

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"

GENERIC_STATES = {
    "drafting",
    "parliament",
    "presidential_signature",
    "mfa_coordination",
    "notice_period",
    "effective",
    "suspended_armed_conflict",
    "revoked",
    "rejected",
}
NON_FINAL = GENERIC_STATES - {"effective", "revoked", "rejected"}
INTERNATIONAL_TRIGGERS = {
    "deposit",
    "notify_security_council",
    "record_armed_conflict",
    "take_effect",
    "suspend_for_armed_conflict",
    "end_armed_conflict",
    "revoke",
}


def reachable(workflow: Workflow) -> set[str]:
    seen, todo = {workflow.initial}, [workflow.initial]
    while todo:
        state = todo.pop()
        for t in workflow.transitions:
            if state in t.sources and t.dest not in seen:
                seen.add(t.dest)
                todo.append(t.dest)
    return seen


def required_keys(workflow: Workflow, trigger: str) -> set[str]:
    return {f.key for f in workflow.transition(trigger).evidence if f.required}


def keys(workflow: Workflow, trigger: str) -> set[str]:
    return {f.key for f in workflow.transition(trigger).evidence}


# --- every shipped definition -------------------------------------------------------------------


def test_every_shipped_workflow_loads_with_its_name():
    registry = load_registry(WORKFLOWS)
    assert {
        "apmbc/generic",
        "apmbc/lv",
        "apmbc/pl",
        "apmbc/ua/suspension",
        "rome-statute/generic",
        "vclt-56/generic",
    } <= set(registry.workflows)
    for name, workflow in registry.workflows.items():
        assert workflow.name == name
        assert name.split("/")[0] == workflow.treaty.code


def test_every_stage_is_reachable_from_the_initial_stage(registry: Registry):
    for workflow in registry.workflows.values():
        assert reachable(workflow) == set(workflow.stages), workflow.name


def test_every_open_stage_has_a_way_out(registry: Registry):
    for workflow in registry.workflows.values():
        for stage in workflow.stages.values():
            assert stage.final or workflow.available(stage.id), (workflow.name, stage.id)


def test_treaty_codes(registry: Registry):
    assert {"apmbc", "rome-statute", "vclt-56"} <= set(registry.treaties)
    assert registry.treaty("apmbc").clock.notice_period.months == 6
    assert registry.treaty("rome-statute").clock.notice_period.months == 12
    assert registry.treaty("vclt-56").clock.notice_period.months == 12


def test_unknown_treaty_code_is_refused_naming_the_known_ones(registry: Registry):
    with pytest.raises(NotFound) as exc:
        registry.treaty("ottawa")
    assert "'ottawa'" in exc.value.message
    assert "apmbc" in exc.value.message
    assert "rome-statute" in exc.value.message


def test_default_workflow_is_the_countrys_own_procedure_or_the_generic_one(registry: Registry):
    assert registry.default_workflow("PL", "apmbc").name == "apmbc/pl"
    assert registry.default_workflow("LV", "apmbc").name == "apmbc/lv"
    assert registry.default_workflow("EE", "apmbc").name == "apmbc/generic"
    # Poland's own procedure is written for the APMBC only
    assert registry.default_workflow("PL", "rome-statute").name == "rome-statute/generic"


# --- the generic APMBC workflow, exactly as issue 2 specifies it ------------------------------


@pytest.fixture
def generic(registry: Registry) -> Workflow:
    return registry.workflow("apmbc/generic")


def test_generic_apmbc_has_exactly_the_specified_states(generic: Workflow):
    assert set(generic.stages) == GENERIC_STATES
    assert generic.initial == "drafting"
    assert {s for s, st in generic.stages.items() if st.final} == {
        "effective",
        "revoked",
        "rejected",
    }


def test_generic_apmbc_triggers_sources_and_dests(generic: Workflow):
    moves = {t.trigger: (set(t.sources), t.dest) for t in generic.transitions}
    assert moves == {
        "submit_to_parliament": ({"drafting"}, "parliament"),
        "record_reading": ({"parliament"}, "parliament"),
        "adopt": ({"parliament"}, "presidential_signature"),
        "reject": ({"parliament"}, "rejected"),
        "sign": ({"presidential_signature"}, "mfa_coordination"),
        "return_to_parliament": ({"presidential_signature"}, "parliament"),
        "deposit": ({"mfa_coordination"}, "notice_period"),
        "notify_security_council": ({"notice_period"}, "notice_period"),
        "record_armed_conflict": ({"notice_period"}, "notice_period"),
        "take_effect": ({"notice_period"}, "effective"),
        "suspend_for_armed_conflict": ({"notice_period"}, "suspended_armed_conflict"),
        "end_armed_conflict": ({"suspended_armed_conflict"}, "effective"),
        "revoke": (NON_FINAL, "revoked"),
    }


@pytest.mark.parametrize(
    ("trigger", "specified", "required"),
    [
        ("submit_to_parliament", {"bill"}, set()),
        (
            "record_reading",
            {"chamber", "reading", "votes_for", "votes_against", "abstained"},
            {"chamber", "reading"},
        ),
        ("adopt", {"votes_for", "votes_against", "abstained"}, {"votes_for", "votes_against"}),
        ("reject", {"votes_for", "votes_against", "abstained"}, set()),
        ("sign", {"signed_by"}, set()),
        ("return_to_parliament", {"reason"}, {"reason"}),
        ("deposit", {"reasons", "depositary_reference"}, {"reasons"}),
        ("notify_security_council", {"reference"}, set()),
        ("record_armed_conflict", {"description"}, {"description"}),
        ("end_armed_conflict", {"description"}, {"description"}),
        ("revoke", {"reason", "reference"}, {"reason"}),
    ],
)
def test_generic_apmbc_evidence_keys(generic: Workflow, trigger, specified, required):
    assert specified <= keys(generic, trigger)
    assert required_keys(generic, trigger) == required


def test_reading_must_be_a_whole_number_from_one(generic: Workflow):
    reading = generic.transition("record_reading")
    assert reading.parse_evidence({"chamber": "Riigikogu", "reading": "1"})["reading"] == 1
    with pytest.raises(InvalidInput) as exc:
        reading.parse_evidence({"chamber": "Riigikogu", "reading": "0"})
    assert exc.value.field == "evidence.reading"
    assert ">= 1" in exc.value.message


@pytest.mark.parametrize(
    "reference", ["C.N.180.2026.TREATIES-XXVI.5", "C.N.7.2025.TREATIES-XVIII.10"]
)
def test_depositary_reference_accepts_the_un_format(generic: Workflow, reference):
    deposit = generic.transition("deposit")
    parsed = deposit.parse_evidence({"reasons": "security", "depositary_reference": reference})
    assert parsed["depositary_reference"] == reference


@pytest.mark.parametrize(
    "reference", ["CN180/2026", "C.N.180.26.TREATIES-XXVI.5", "C.N.180.2026.TREATIES-26.5", "x"]
)
def test_depositary_reference_refuses_junk(generic: Workflow, reference):
    deposit = generic.transition("deposit")
    with pytest.raises(InvalidInput) as exc:
        deposit.parse_evidence({"reasons": "security", "depositary_reference": reference})
    assert exc.value.field == "evidence.depositary_reference"
    assert "evidence.depositary_reference" in exc.value.message


def test_deposit_without_reasons_is_refused(generic: Workflow):
    # Art. 20(2): the instrument must include a full explanation of the reasons.
    with pytest.raises(InvalidInput) as exc:
        generic.transition("deposit").parse_evidence({})
    assert exc.value.field == "evidence.reasons"
    assert "'deposit'" in exc.value.message


def test_apmbc_deposit_takes_no_later_date(generic: Workflow):
    # Art. 20(3) has no "later date named in the notice"; only the Rome Statute's deposit does.
    with pytest.raises(InvalidInput) as exc:
        generic.transition("deposit").parse_evidence(
            {"reasons": "security", "effective_on_named": "2026-06-27"}
        )
    assert exc.value.field == "evidence.effective_on_named"


def test_revoke_is_possible_from_every_stage_before_effect(registry: Registry):
    for workflow in registry.workflows.values():
        if workflow.claim is not None:
            continue
        revoke = workflow.transition("revoke")
        open_stages = {s for s, st in workflow.stages.items() if not st.final}
        assert set(revoke.sources) == open_stages, workflow.name
        assert revoke.dest == "revoked"


# --- country procedures ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["apmbc/lv", "apmbc/pl"])
def test_country_procedures_keep_the_shared_ids(registry: Registry, name):
    workflow = registry.workflow(name)
    triggers = {t.trigger for t in workflow.transitions}
    assert {"adopt", "sign", *INTERNATIONAL_TRIGGERS} <= triggers
    assert set(workflow.stages) >= GENERIC_STATES
    assert workflow.initial == "drafting"
    assert workflow.transition("adopt").dest == "presidential_signature"
    # the international part is the same as in the generic workflow
    generic = registry.workflow("apmbc/generic")
    for trigger in INTERNATIONAL_TRIGGERS - {"revoke"}:
        assert workflow.transition(trigger) == generic.transition(trigger), trigger


def test_poland_has_two_presidential_acts_sign_then_denounce(registry: Registry):
    pl = registry.workflow("apmbc/pl")
    sign, denounce = pl.transition("sign"), pl.transition("denounce")
    assert sign.sources == ("presidential_signature",)
    assert sign.dest == denounce.sources[0] == "presidential_denunciation"
    assert denounce.dest == "mfa_coordination"
    # the only way to the foreign ministry (other than revoking) is the act of denunciation
    into_mfa = {t.trigger for t in pl.transitions if t.dest == "mfa_coordination"}
    assert into_mfa == {"denounce"}
    # and the Senate sits between the Sejm and the President
    assert pl.transition("adopt").sources == ("senate",)


def test_latvia_president_may_return_the_law_to_the_saeima(registry: Registry):
    lv = registry.workflow("apmbc/lv")
    back = lv.transition("return_to_parliament")
    assert back.sources == ("presidential_signature",)
    assert back.dest == "parliament"
    assert lv.transition("sign").dest == "mfa_coordination"


# --- evidence parsing --------------------------------------------------------------------------


def test_int_evidence_is_coerced_from_text(generic: Workflow):
    parsed = generic.transition("adopt").parse_evidence(
        {"votes_for": "66", "votes_against": " 14 ", "abstained": 2}
    )
    assert parsed == {"votes_for": 66, "votes_against": 14, "abstained": 2}


@pytest.mark.parametrize("value", ["-1", -1, "many", "12.5", True])
def test_vote_counts_must_be_whole_numbers_from_zero(generic: Workflow, value):
    with pytest.raises(InvalidInput) as exc:
        generic.transition("adopt").parse_evidence({"votes_for": value, "votes_against": "0"})
    assert exc.value.field == "evidence.votes_for"
    assert "whole number >= 0" in exc.value.message


def test_unknown_evidence_key_is_refused_naming_the_allowed_keys(generic: Workflow):
    with pytest.raises(InvalidInput) as exc:
        generic.transition("adopt").parse_evidence({"votes": "66"})
    assert exc.value.field == "evidence.votes"
    for allowed in ("votes_for", "votes_against", "abstained"):
        assert allowed in exc.value.message


def test_missing_required_evidence_is_named(generic: Workflow):
    with pytest.raises(InvalidInput) as exc:
        generic.transition("adopt").parse_evidence({"votes_for": "66"})
    assert exc.value.field == "evidence.votes_against"
    assert "required" in exc.value.message
    assert "'adopt'" in exc.value.message


def test_latvian_saeima_has_at_most_three_readings(registry: Registry):
    reading = registry.workflow("apmbc/lv").transition("record_reading")
    assert reading.parse_evidence({"chamber": "Saeima", "reading": "3"})["reading"] == 3
    with pytest.raises(InvalidInput) as exc:
        reading.parse_evidence({"chamber": "Saeima", "reading": "4"})
    assert "<= 3" in exc.value.message


def test_confidence_is_one_of_h_m_l(generic: Workflow):
    sign = generic.transition("sign")
    assert sign.parse_evidence({"confidence": "M"}) == {"confidence": "M"}
    with pytest.raises(InvalidInput) as exc:
        sign.parse_evidence({"confidence": "high"})
    assert exc.value.field == "evidence.confidence"


def test_unknown_trigger_is_refused_naming_the_workflows_steps(generic: Workflow):
    with pytest.raises(NotFound) as exc:
        generic.transition("ratify")
    assert "'ratify'" in exc.value.message
    assert "deposit" in exc.value.message
    assert "take_effect" in exc.value.message


# --- invalid definitions: one broken file at a time ------------------------------------------


@pytest.fixture
def wf(tmp_path: Path) -> Path:
    """A private copy of workflows/ to break."""
    root = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, root)
    return root


def edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(root: Path, file: str, text: str) -> None:
    path = root / file
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def refusal(root: Path) -> str:
    with pytest.raises(DefinitionError) as exc:
        load_registry(root)
    return exc.value.message


def test_the_copy_loads_before_it_is_broken(wf: Path):
    assert "apmbc/generic" in load_registry(wf).workflows


def test_unknown_state_in_a_dest(wf: Path):
    edit(
        wf,
        "procedures/generic.yaml",
        "dest: presidential_signature",
        "dest: presidental_signature",
    )
    message = refusal(wf)
    assert "procedures/generic.yaml" in message
    assert "'adopt'" in message
    assert "unknown state 'presidental_signature'" in message


def test_unreachable_stage(wf: Path):
    edit(
        wf,
        "procedures/generic.yaml",
        "  - id: rejected\n",
        "  - id: committee\n    label: In committee\n  - id: rejected\n",
    )
    append(
        wf,
        "procedures/generic.yaml",
        "  - trigger: report_back\n    source: committee\n    dest: parliament\n"
        "    label: Committee reports\n",
    )
    message = refusal(wf)
    assert "procedures/generic.yaml" in message
    assert "unreachable" in message
    assert "committee" in message


def test_non_final_dead_end_stage(wf: Path):
    # "effective" that forgot `final: true`, in a treaty whose revoke lists its sources: a case
    # reaching it could never move again, yet would never count as finished.
    edit(
        wf,
        "treaties/vclt-56.yaml",
        "description: The State is no longer a party.\n      final: true\n",
        "description: The State is no longer a party.\n",
    )
    edit(wf, "treaties/vclt-56.yaml", 'source: "*"', "source: [mfa_coordination, notice_period]")
    message = refusal(wf)
    assert "treaties/vclt-56.yaml" in message
    assert "stage 'effective'" in message
    assert "not final" in message


def test_duplicate_trigger_in_one_file(wf: Path):
    append(
        wf,
        "procedures/generic.yaml",
        "  - trigger: sign\n    source: parliament\n    dest: mfa_coordination\n"
        "    label: Signed again\n",
    )
    message = refusal(wf)
    assert "procedures/generic.yaml" in message
    assert "duplicate trigger 'sign'" in message


def test_procedure_redefining_an_international_trigger_is_refused(wf: Path):
    # Two `deposit` transitions in one composed workflow: the lookup by trigger finds the
    # procedure's first, so the treaty's deposit loses its evidence (reasons) and its effect
    # (start_clock): no effective date would ever be computed. Issue 2 lists "duplicate trigger"
    # among the problems a definition must be refused for.
    append(
        wf,
        "procedures/generic.yaml",
        "  - trigger: deposit\n    source: presidential_signature\n    dest: parliament\n"
        "    label: Deposited early\n",
    )
    message = refusal(wf)
    assert "procedures/generic.yaml" in message
    assert "deposit" in message


def test_duplicate_stage_id_in_one_file(wf: Path):
    # a second "parliament" would silently replace the first one's label and description
    edit(
        wf,
        "procedures/generic.yaml",
        "  - id: rejected\n",
        "  - id: parliament\n    label: Second parliament\n  - id: rejected\n",
    )
    message = refusal(wf)
    assert "procedures/generic.yaml" in message
    assert "parliament" in message


def test_unknown_evidence_type(wf: Path):
    edit(
        wf,
        "procedures/generic.yaml",
        "reading: {type: int, required: true",
        "reading: {type: integer, required: true",
    )
    message = refusal(wf)
    assert "procedures/generic.yaml" in message
    assert "evidence.reading.type" in message
    assert "'integer'" in message


def test_unknown_guard(wf: Path):
    edit(
        wf,
        "treaties/apmbc.yaml",
        "guards: [effective_date_reached, no_armed_conflict]",
        "guards: [effective_date_reached, no_armed_conflit]",
    )
    message = refusal(wf)
    assert "treaties/apmbc.yaml" in message
    assert "guards" in message
    assert "'no_armed_conflit'" in message


def test_missing_notice_period(wf: Path):
    edit(wf, "treaties/apmbc.yaml", "  notice_period: {months: 6}\n", "")
    message = refusal(wf)
    assert "treaties/apmbc.yaml" in message
    assert "clock.notice_period" in message
    assert "missing" in message


def test_missing_dest_of_a_transition(wf: Path):
    edit(
        wf,
        "procedures/lv.yaml",
        "    source: drafting\n    dest: parliament\n",
        "    source: drafting\n",
    )
    message = refusal(wf)
    assert "procedures/lv.yaml" in message
    assert "dest" in message
    assert "missing" in message


def test_misspelt_key_is_refused_not_ignored(wf: Path):
    # a typo in `final` must not silently make "rejected" an open stage
    edit(
        wf,
        "procedures/generic.yaml",
        "    label: Rejected by parliament\n    final: true",
        "    label: Rejected by parliament\n    finale: true",
    )
    message = refusal(wf)
    assert "procedures/generic.yaml" in message
    assert "finale" in message


def test_invalid_yaml(wf: Path):
    (wf / "procedures/lv.yaml").write_text("name: lv\nstages: [unclosed\n", encoding="utf-8")
    message = refusal(wf)
    assert "procedures/lv.yaml" in message
    assert "YAML" in message


def test_transition_leaving_a_final_stage(wf: Path):
    append(
        wf,
        "procedures/generic.yaml",
        "  - trigger: reconsider\n    source: rejected\n    dest: parliament\n"
        "    label: Reconsidered\n",
    )
    message = refusal(wf)
    assert "procedures/generic.yaml" in message
    assert "'reconsider'" in message
    assert "'rejected'" in message


# --- clause kinds in treaty files ---------------------------------------------------------------

KINDS = (
    "period_after_receipt",
    "end_of_year_after_notice",
    "first_of_month_after_period",
    "end_of_financial_year",
    "named_date_min_notice",
)


def test_every_shipped_treaty_names_its_clause_kind(registry: Registry):
    kinds = {code: t.clock.kind for code, t in registry.treaties.items()}
    assert kinds == {
        "apmbc": "period_after_receipt",
        "rome-statute": "period_after_receipt",
        "vclt-56": "period_after_receipt",
        "paris": "period_after_receipt",
        "unesco": "end_of_year_after_notice",
        "istanbul": "first_of_month_after_period",
        "coe-statute": "end_of_financial_year",
        "cfe": "named_date_min_notice",
        "ccm": "period_after_receipt",
        "unfccc": "period_after_receipt",
        "ilo": "period_after_receipt",
        "who": "period_after_receipt",
        "npt": "period_after_receipt",
        "att": "period_after_receipt",
        "cwc": "period_after_receipt",
        "tpnw": "period_after_receipt",
        "ctbt": "period_after_receipt",
        "echr": "period_after_receipt",
    }


# The period each treaty's clause counts from receipt, as the facts give it (withdrawals.md
# section 3, treaty-actions.md section 1), and whether an armed conflict defers the effect.
PERIODS = {
    "ccm": ((6, 0), True),
    "unfccc": ((12, 0), False),
    "ilo": ((24, 0), False),
    "who": ((12, 0), False),
    "npt": ((3, 0), False),
    "att": ((0, 90), False),
    "cwc": ((0, 90), False),
    "tpnw": ((12, 0), True),
    "ctbt": ((6, 0), False),
    "echr": ((6, 0), False),
    "apmbc": ((6, 0), True),
}


@pytest.mark.parametrize("code", sorted(PERIODS))
def test_each_treaty_counts_the_period_its_article_gives(registry: Registry, code):
    clock = registry.treaty(code).clock
    (months, days), deferral = PERIODS[code]
    assert clock.notice_period is not None
    assert (clock.notice_period.months, clock.notice_period.days) == (months, days)
    assert clock.armed_conflict_deferral is deferral
    steps = {t.trigger for t in registry.workflow(f"{code}/generic").transitions}
    assert ("suspend_for_armed_conflict" in steps) is deferral


def test_the_three_year_bar_is_paris_and_unfccc_only(registry: Registry):
    barred = {c for c, t in registry.treaties.items() if t.clock.earliest_notice_after_years}
    assert barred == {"paris", "unfccc"}


@pytest.mark.parametrize(
    "code",
    [
        "unesco",
        "istanbul",
        "coe-statute",
        "cfe",
        "paris",
        "ccm",
        "unfccc",
        "ilo",
        "who",
        "npt",
        "att",
        "cwc",
        "tpnw",
        "ctbt",
        "echr",
    ],
)
def test_new_treaties_compose_with_the_generic_and_international_only_procedures(
    registry: Registry, code
):
    for procedure in ("generic", "international-only"):
        workflow = registry.workflow(f"{code}/{procedure}")
        assert {"deposit", "take_effect", "revoke"} <= {t.trigger for t in workflow.transitions}
        assert "start_clock" in workflow.transition("deposit").effects
    assert registry.default_workflow("FI", code).name == f"{code}/generic"


def test_a_named_date_is_the_deposits_effective_on_named_where_the_clause_allows_one(
    registry: Registry,
):
    for code, treaty in registry.treaties.items():
        named = registry.workflow(f"{code}/generic").transition("deposit")
        field = named.evidence_field("effective_on_named")
        assert (field is not None) == treaty.clock.later_date_allowed, code
        if treaty.clock.named_date_required:
            assert field is not None and field.required, code


def test_cfe_notice_needs_its_statement_of_extraordinary_events_and_date(registry: Registry):
    deposit = registry.workflow("cfe/generic").transition("deposit")
    assert {f.key for f in deposit.evidence if f.required} == {"reasons", "effective_on_named"}


def test_paris_deposit_needs_the_date_of_entry_into_force(registry: Registry):
    deposit = registry.workflow("paris/generic").transition("deposit")
    field = deposit.evidence_field("in_force_since")
    assert field is not None and field.type == "date" and field.required
    parsed = deposit.parse_evidence(
        {"in_force_since": "2016-11-04", "depositary_reference": "C.N.464.2017.TREATIES-XXVII.7.d"}
    )
    assert parsed["depositary_reference"] == "C.N.464.2017.TREATIES-XXVII.7.d"


def test_unknown_clause_kind_names_file_key_and_kinds(wf: Path):
    edit(wf, "treaties/unesco.yaml", "kind: end_of_year_after_notice", "kind: end_of_year")
    message = refusal(wf)
    assert "treaties/unesco.yaml" in message
    assert "clock.kind" in message
    assert "'end_of_year'" in message
    for kind in KINDS:
        assert kind in message


def test_missing_clause_kind_in_a_shipped_file(wf: Path):
    edit(wf, "treaties/unesco.yaml", "  kind: end_of_year_after_notice\n", "")
    message = refusal(wf)
    assert "treaties/unesco.yaml" in message
    assert "clock.kind" in message
    assert "missing" in message
    assert "end_of_year_after_notice" in message


def test_missing_clause_parameter_names_file_key_and_what_the_kind_takes(wf: Path):
    edit(wf, "treaties/cfe.yaml", "  min_notice_days: 150\n", "")
    message = refusal(wf)
    assert "treaties/cfe.yaml" in message
    assert "clock.min_notice_days: missing" in message
    assert "kind named_date_min_notice takes: min_notice_days (a whole number of days > 0)" in (
        message
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "key", "allowed"),
    [
        ("cfe", "min_notice_days: 150", "min_notice_days: '150 days'", "min_notice_days", "> 0"),
        ("cfe", "min_notice_days: 150", "min_notice_days: 0", "min_notice_days", "> 0"),
        (
            "coe-statute",
            'financial_year_starts: "01-01"',
            'financial_year_starts: "1 January"',
            "financial_year_starts",
            "'MM-DD'",
        ),
        (
            "coe-statute",
            'financial_year_starts: "01-01"',
            'financial_year_starts: "02-29"',
            "financial_year_starts",
            "'MM-DD'",
        ),
        (
            "coe-statute",
            "notice_within_first_months: 9",
            "notice_within_first_months: 12",
            "notice_within_first_months",
            "1 to 11",
        ),
        (
            "paris",
            "earliest_notice_after_years: 3",
            "earliest_notice_after_years: three",
            "earliest_notice_after_years",
            "kind period_after_receipt takes",
        ),
        (
            "istanbul",
            "notice_period: {months: 3}",
            "notice_period: 3",
            "notice_period",
            "{months: M, days: D}",
        ),
    ],
)
def test_ill_typed_clause_parameter_names_file_key_and_allowed_values(
    wf: Path, file, old, new, key, allowed
):
    edit(wf, f"treaties/{file}.yaml", old, new)
    message = refusal(wf)
    assert f"treaties/{file}.yaml" in message
    assert f"clock.{key}" in message
    assert allowed in message


def test_parameter_of_another_kind_is_refused(wf: Path):
    edit(
        wf,
        "treaties/unesco.yaml",
        "  kind: end_of_year_after_notice\n",
        "  kind: end_of_year_after_notice\n  notice_period: {months: 12}\n",
    )
    message = refusal(wf)
    assert "treaties/unesco.yaml" in message
    assert "clock.notice_period" in message
    assert "kind end_of_year_after_notice takes no parameters" in message


def test_clause_with_a_bar_needs_in_force_since_on_the_deposit(wf: Path):
    edit(
        wf,
        "treaties/paris.yaml",
        "        in_force_since:\n          type: date\n",
        "        in_force_since:\n          type: text\n",
    )
    message = refusal(wf)
    assert "treaties/paris.yaml" in message
    assert "evidence.in_force_since" in message


def test_named_date_field_where_the_clause_allows_none_is_refused(wf: Path):
    edit(
        wf,
        "treaties/unesco.yaml",
        "        depositary_reference:\n          type: text\n          label: Reference of",
        "        effective_on_named: {type: date}\n        depositary_reference:\n"
        "          type: text\n          label: Reference of",
    )
    message = refusal(wf)
    assert "treaties/unesco.yaml" in message
    assert "evidence.effective_on_named" in message


def test_armed_conflict_steps_need_the_flag(wf: Path):
    edit(
        wf, "treaties/apmbc.yaml", "armed_conflict_deferral: true", "armed_conflict_deferral: false"
    )
    message = refusal(wf)
    assert "treaties/apmbc.yaml" in message
    assert "clock.armed_conflict_deferral" in message


def test_a_copy_kept_from_before_clause_kinds_still_reads_as_a_period(registry: Registry):
    # a case keeps the files it started with; those had no `kind:`
    from app.domain.loader import workflow_from_definition

    definition = dict(registry.workflow("apmbc/generic").definition)
    treaty = dict(definition["treaty"])
    data = dict(treaty["data"])
    data["clock"] = {k: v for k, v in data["clock"].items() if k != "kind"}
    definition["treaty"] = {**treaty, "data": data}
    workflow = workflow_from_definition(definition)
    assert workflow.clock is not None
    assert workflow.clock.kind == "period_after_receipt"
    assert str(workflow.clock) == "APMBC Art. 20(3): 6 months"


# --- conditions on the effect, cessation, kinds of action ---------------------------------------


def test_missing_notice_period_of_a_new_treaty_names_file_key_and_what_it_takes(wf: Path):
    edit(wf, "treaties/tpnw.yaml", "  notice_period: {months: 12}\n", "")
    message = refusal(wf)
    assert "treaties/tpnw.yaml" in message
    assert "clock.notice_period: missing" in message
    assert "kind period_after_receipt takes: notice_period" in message


def test_a_condition_without_its_dispute_steps_is_refused(wf: Path):
    edit(
        wf,
        "treaties/apmbc.yaml",
        "  armed_conflict_deferral: true\n",
        "  armed_conflict_deferral: true\n  effect_condition: dues paid\n",
    )
    message = refusal(wf)
    assert "treaties/apmbc.yaml: clock.effect_condition" in message
    assert "condition_met and dispute_effect" in message


def test_dispute_steps_without_a_condition_are_refused(wf: Path):
    edit(
        wf,
        "treaties/ilo.yaml",
        "  effect_condition: the Member has then fulfilled all financial obligations (Art. 1(5))\n"
        "  effect_when_condition_met: day_met\n",
        "",
    )
    message = refusal(wf)
    assert "treaties/ilo.yaml: clock.effect_condition: missing" in message


def test_an_unknown_effect_when_condition_met_names_the_allowed_values(wf: Path):
    edit(
        wf,
        "treaties/ilo.yaml",
        "effect_when_condition_met: day_met",
        "effect_when_condition_met: later",
    )
    message = refusal(wf)
    assert "treaties/ilo.yaml: clock.effect_when_condition_met" in message
    assert "allowed: period_end, day_met" in message
    assert "'later'" in message


def test_an_unknown_key_in_a_claim_file_names_what_is_allowed(wf: Path):
    edit(wf, "claims/accession.yaml", "kind: accession\n", "kind: accession\nclok: {}\n")
    message = refusal(wf)
    assert "claims/accession.yaml: clok: unknown key" in message
    assert "clock" in message


def test_kinds_of_action_are_named_by_their_files(registry: Registry):
    kinds = {w.kind for w in registry.workflows.values()}
    assert kinds == {"withdrawal", "suspension_claim", "deratification", "accession", "cessation"}
    assert registry.workflow("ctbt/international-only/deratification").clock is None
    announced = registry.workflow("rome-statute/international-only").stages["announced"]
    assert "No clock runs until the depositary receives a notice" in announced.description


def test_a_cascade_to_an_unknown_treaty_names_the_file_key_and_the_known(wf: Path):
    edit(wf, "treaties/unfccc.yaml", "  treaties: [paris]\n", "  treaties: [kyoto]\n")
    message = refusal(wf)
    assert "treaties/unfccc.yaml: also_withdraws_from.treaties: unknown treaty 'kyoto'" in message
    assert "paris" in message


def test_a_cascade_to_a_treaty_without_the_step_that_records_it_is_refused(wf: Path):
    # UNFCCC -> Paris Agreement (Art. 28(3)): paris.yaml must have a follow_withdrawal step
    edit(wf, "treaties/paris.yaml", "effects: [follow_withdrawal]", "effects: []")
    message = refusal(wf)
    assert "treaties/unfccc.yaml: also_withdraws_from.treaties: treaty 'paris'" in message
    assert "follow_withdrawal" in message and "effective_on_followed (date, required)" in message


def test_a_next_date_that_is_not_a_date_is_refused_naming_the_file_and_key(wf: Path):
    edit(wf, "procedures/lv.yaml", "next_date: {type: date,", "next_date: {type: text,")
    message = refusal(wf)
    assert "procedures/lv.yaml" in message and "next_date.type" in message
    assert "must be of type date" in message


def test_the_cascade_and_the_cessation_are_in_the_files(registry: Registry):
    assert registry.treaty("unfccc").also_withdraws_from == ("paris",)
    paris = registry.workflow("paris/generic")
    follow = paris.transition("withdraw_with_convention")
    assert follow.effects == ("follow_withdrawal",) and follow.dest == "notice_period"
    assert "parliament" in follow.sources  # from any open stage of the procedure
    cessation = registry.workflow("coe-statute/international-only/cessation")
    assert cessation.kind == "cessation" and cessation.clock is None
