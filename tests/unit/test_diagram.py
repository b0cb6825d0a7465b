"""The case page's workflow diagram: valid, accessible, CSP-safe SVG that marks the case's path."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from app.domain.definitions import Workflow
from app.domain.loader import Registry
from app.web.diagram import render_diagram

SVG = "{http://www.w3.org/2000/svg}"
PL_PATH = [
    ("drafting", "submit_to_parliament", "parliament"),
    ("parliament", "record_reading", "parliament"),
    ("parliament", "pass_to_senate", "senate"),
    ("senate", "senate_amend", "parliament"),
    ("parliament", "pass_to_senate", "senate"),
    ("senate", "adopt", "presidential_signature"),
    ("presidential_signature", "sign", "presidential_denunciation"),
]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if cls in classes(g)]


def stage_boxes(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-stage", ""): g for g in groups(root, "stage")}


def texts(el: ET.Element, cls: str | None = None) -> str:
    return " ".join(t.text or "" for t in el.iter(f"{SVG}text") if cls is None or cls in classes(t))


def edge_named(root: ET.Element, label: str) -> list[ET.Element]:
    return [g for g in groups(root, "edge") if texts(g) == label or texts(g).startswith(label)]


@pytest.fixture
def generic(registry: Registry) -> Workflow:
    return registry.workflow("apmbc/generic")


def test_svg_is_accessible_scalable_and_names_every_stage(generic: Workflow) -> None:
    root = parse(render_diagram(generic, "parliament", []))
    assert root.get("width") == "100%" and root.get("viewBox", "").startswith("0 0 ")
    assert root.get("role") == "img"
    ids = {el.get("id"): el for el in root.iter() if el.get("id")}
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert ids[title_id].tag == f"{SVG}title" and ids[desc_id].tag == f"{SVG}desc"
    assert "Current stage: In parliament." in (ids[desc_id].text or "")
    boxes = stage_boxes(root)
    assert list(boxes) == [
        "drafting", "parliament", "presidential_signature", "mfa_coordination", "notice_period",
        "suspended_armed_conflict", "effective", "rejected", "revoked",
    ]  # fmt: skip
    for stage in generic.stages.values():
        assert texts(boxes[stage.id], "stage-label") == stage.label
        assert ("final" in classes(boxes[stage.id])) == stage.final
    assert texts(boxes["notice_period"], "stage-body") == "UN Secretary-General (depositary)"


def test_only_the_current_stage_is_marked_current(generic: Workflow) -> None:
    root = parse(render_diagram(generic, "mfa_coordination", []))
    current = [s for s, g in stage_boxes(root).items() if "current" in classes(g)]
    assert current == ["mfa_coordination"]
    assert not groups(parse(render_diagram(generic, None, [])), "current")


def test_the_path_taken_is_marked_and_nothing_else(registry: Registry) -> None:
    pl = registry.workflow("apmbc/pl")
    root = parse(render_diagram(pl, "presidential_denunciation", PL_PATH))
    visited = {s for s, g in stage_boxes(root).items() if "visited" in classes(g)}
    assert visited == {
        "drafting", "parliament", "senate", "presidential_signature", "presidential_denunciation",
    }  # fmt: skip
    taken = {texts(g) for g in groups(root, "edge") if "taken" in classes(g)}
    assert taken == {
        "Council of Ministers submits the bill to the Sejm",
        "Sejm passes the bill (to the Senate)",
        "Senate adopts amendments (back to the Sejm)",
        "Senate passes the bill without amendments",
        "President signs the consent statute",
    }
    loops = {t.text: "taken" in classes(t) for t in root.iter(f"{SVG}text") if "loop" in classes(t)}
    assert loops == {
        "also: Reading held": True,
        "also: Security Council notified": False,
        "also: Armed conflict recorded": False,
    }
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert "Current stage: Awaiting the President's act of denunciation." in desc.text
    assert "Reading held (from In the Sejm to In the Sejm)" in desc.text


def test_self_loops_are_listed_in_their_box_not_drawn(generic: Workflow) -> None:
    root = parse(render_diagram(generic, None, []))
    boxes = stage_boxes(root)
    assert texts(boxes["parliament"], "loop") == "also: Reading held"
    assert texts(boxes["notice_period"], "loop") == (
        "also: Security Council notified also: Armed conflict recorded"
    )
    assert not edge_named(root, "Reading held")


def test_a_step_from_any_open_stage_is_drawn_once(registry: Registry) -> None:
    for name in ("apmbc/generic", "apmbc/pl", "apmbc/international-only"):
        workflow = registry.workflow(name)
        assert len(workflow.transition("revoke").sources) > 1
        root = parse(render_diagram(workflow, None, []))
        [note] = edge_named(root, "Withdrawal revoked")
        assert classes(note) == {"edge", "note"}
        assert texts(note) == "Withdrawal revoked from any open stage"
    root = parse(render_diagram(registry.workflow("apmbc/generic"), "revoked", [
        ("notice_period", "revoke", "revoked"),
    ]))  # fmt: skip
    assert classes(edge_named(root, "Withdrawal revoked")[0]) == {"edge", "note", "taken"}


def test_output_is_csp_safe(registry: Registry) -> None:
    for workflow in registry.workflows.values():
        svg = render_diagram(workflow, workflow.initial, [])
        assert "<style" not in svg and "style=" not in svg
        assert "<script" not in svg and "href" not in svg.replace("url(#", "")


def test_labels_from_files_are_escaped(generic: Workflow) -> None:
    evil = "<script>alert('x')</script> & co"
    stages = dict(generic.stages)
    stages["drafting"] = replace(stages["drafting"], label=evil, responsible=evil)
    steps = tuple(
        replace(t, label=evil) if t.trigger == "adopt" else t for t in generic.transitions
    )
    workflow = replace(generic, stages=stages, transitions=steps)
    svg = render_diagram(workflow, "drafting", [("parliament", "adopt", "presidential_signature")])
    assert "<script" not in svg and "&lt;script&gt;" in svg
    root = parse(svg)
    assert texts(stage_boxes(root)["drafting"], "stage-label") == evil
    assert len(edge_named(root, "<script>")) == 1


def test_output_is_deterministic(registry: Registry) -> None:
    pl = registry.workflow("apmbc/pl")
    first = render_diagram(pl, "presidential_denunciation", PL_PATH)
    assert all(render_diagram(pl, "presidential_denunciation", PL_PATH) == first for _ in range(3))


def test_every_shipped_workflow_renders(registry: Registry) -> None:
    for workflow in registry.workflows.values():
        final = next(s for s, st in workflow.stages.items() if st.final)
        for current in (None, workflow.initial, final):
            root = parse(render_diagram(workflow, current, []))
            assert set(stage_boxes(root)) == set(workflow.stages)
