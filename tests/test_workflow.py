"""Templates: loading, every validation message, one machine per template, snapshots."""

from __future__ import annotations

import pytest
from conftest import TEMPLATES, WORKFLOWS

from chidao import i18n
from chidao.errors import InputError, TemplateError, TransitionRefused
from chidao.workflow import load_template, validate_files, workflow_for


def test_shipped_templates_load():
    report, _ = load_template(WORKFLOWS / "bao-cao.yaml")
    assert [s.name for s in report.states] == ["received", "implementing", "reported", "overdue"]
    assert report.initial == "received"
    assert report.overdue_state == "overdue"
    assert report.overdue_triggers == ("mark_overdue",)
    assert workflow_for(report).moves("mark_overdue", "system") == {
        "received": "overdue",
        "implementing": "overdue",
    }
    assert workflow_for(report).moves("extend", "office") == {"overdue": "previous"}
    assert [r.after for r in report.escalation] == [-2, 0, 2, 5]
    assert [report.category(s.name) for s in report.states] == [
        "open",
        "open",
        "reported",
        "overdue",
    ]
    review, _ = load_template(WORKFLOWS / "bao-cao-tham-dinh.yaml")
    assert {"accept", "return_for_revision"} <= {t.trigger for t in review.transitions}


def test_every_problem_is_reported_with_file_and_line():
    problems = validate_files([TEMPLATES / "broken.yaml"])
    text = "\n".join(problems)
    where = f"{TEMPLATES / 'broken.yaml'}"
    assert f"{where}:3: unknown key 'colour' in the template" in text
    assert f"{where}:1: no initial state: add 'initial: <state>'" in text
    assert "duplicate trigger 'start' from state 'received' (already at line 11)" in text
    assert "transition 'report' names unknown state 'finished'" in text
    assert (
        "transition 'close': 'by' must be among recipient, office, system, not ['principal']"
        in text
    )
    assert "deadline.default: cannot read duration 'two weeks'" in text
    assert "escalation rung 2 (after 1) comes after a later rung (after 2)" in text
    assert "escalation rung 3: unknown target 'minister'" in text
    assert all(p.startswith(where + ":") for p in problems)


def test_unreachable_and_stuck(tmp_path):
    text = (
        (TEMPLATES / "broken.yaml")
        .read_text(encoding="utf-8")
        .replace("colour: blue", "initial: received")
    )
    path = tmp_path / "b.yaml"
    path.write_text(text, encoding="utf-8")
    problems = "\n".join(validate_files([path]))
    assert f"{path}:8: state 'orphan' cannot be reached from 'received'" in problems
    assert f"{path}:9: state 'stuck' has no way out and is not marked 'final: true'" in problems


def test_no_initial_state():
    problems = validate_files([TEMPLATES / "no-initial.yaml"])
    assert problems == [
        f"{TEMPLATES / 'no-initial.yaml'}:1: no initial state: add 'initial: <state>'"
    ]


def test_python_tags_are_refused():
    with pytest.raises(
        InputError, match=r"python-tag.yaml:2: tag !!python/object/apply:os.system is not allowed"
    ):
        load_template(TEMPLATES / "python-tag.yaml")


def test_yes_and_no_stay_words():
    template, _ = load_template(TEMPLATES / "yes-no.yaml")
    assert template.initial == "off"
    assert [s.name for s in template.states] == ["off", "on"]


def test_template_error_lists_every_problem():
    with pytest.raises(TemplateError) as info:
        load_template(TEMPLATES / "broken.yaml")
    assert len(info.value.problems) >= 8


def test_one_machine_per_template_and_refusals():
    template, _ = load_template(WORKFLOWS / "bao-cao.yaml")
    first, second = workflow_for(template), workflow_for(template)
    assert first is second
    assert first.apply("received", "start", "recipient") == "implementing"
    assert first.apply("overdue", "report", "recipient") == "reported"
    assert len(first.machine.models) == 1  # one cursor, whatever the number of tasks
    with pytest.raises(
        TransitionRefused,
        match=r"«Đã báo cáo» \(reported\): 'start' is not allowed from here; "
        "allowed for recipient: none",
    ):
        first.apply("reported", "start", "recipient")
    with pytest.raises(
        TransitionRefused,
        match="'mark_overdue' is for the system, not the recipient; "
        "allowed for recipient: start, report",
    ):
        first.apply("received", "mark_overdue", "recipient")
    with pytest.raises(TransitionRefused, match="has no trigger 'launch'"):
        first.apply("received", "launch", "recipient")


def test_a_refusal_says_what_was_refused_in_fields_and_in_the_users_language():
    wf = workflow_for(load_template(WORKFLOWS / "bao-cao.yaml")[0])
    with pytest.raises(TransitionRefused) as info:
        wf.apply("received", "mark_overdue", "recipient", task=7)
    refused = info.value
    assert (refused.task, refused.state, refused.trigger, refused.role) == (
        7,
        "received",
        "mark_overdue",
        "recipient",
    )
    assert refused.allowed == ("start", "report")
    assert refused.message.startswith("task 7 is «Đã nhận» (received): ")
    with i18n.using("vi"), pytest.raises(TransitionRefused) as info:
        wf.apply("reported", "start", "recipient", task=7)
    assert info.value.message == (
        "nhiệm vụ 7 đang ở «Đã báo cáo» (reported): không được thực hiện 'start' từ trạng thái "
        "này; recipient được phép: không có"
    )
    assert info.value.translated  # the command line shows it as it is
    with pytest.raises(TransitionRefused) as info:
        wf.apply("received", "launch", "office", task=7)
    assert (info.value.trigger, info.value.role, info.value.allowed) == ("launch", "office", ())


def test_on_children_reported_must_name_a_state(tmp_path):
    text = (WORKFLOWS / "bao-cao.yaml").read_text(encoding="utf-8")
    path = tmp_path / "t.yaml"
    path.write_text(
        text.replace("initial: received", "initial: received\non_children_reported: ready"),
        encoding="utf-8",
    )
    problems = validate_files([path])
    line = text.splitlines().index("initial: received") + 2
    assert problems == [
        f"{path}:{line}: on_children_reported: no transition 'by: system' reaches 'ready'; "
        "declare one (e.g. {trigger: collect, source: [...], dest: ready, by: system}) "
        "or say 'nothing'"
    ]
    assert load_template(WORKFLOWS / "bao-cao-tong-hop.yaml")[0].on_children_reported == "ready"
