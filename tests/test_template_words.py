"""A template's own words in both languages: transition labels (``label_en``) and
escalation kinds (``kind_en``), on every screen that shows them, and the Vietnamese for a
directive whose stored template (an older snapshot) gives no English."""

from __future__ import annotations

import json
import os

import pendulum
import pytest
import yaml
from conftest import EXAMPLES, ISSUED, TEMPLATES, WORKFLOWS
from rich.console import Console

from chidao import dashboard, engine, sweeper
from chidao.clock import TZ
from chidao.directive import load_directive
from chidao.workflow import Template, find_template, load_template

NOW = pendulum.datetime(2024, 4, 4, 8, tz=TZ)  # ctxh-2024 was due 01/04: phê bình by now
SHIPPED = sorted(WORKFLOWS.glob("*.yaml")) + [TEMPLATES / "khac-ten.yaml"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_template_speaks_english(path):
    template, _digest = load_template(path)
    assert template.escalation and all(r.kind_en for r in template.escalation)
    labelled = [t for t in template.transitions if t.label != t.trigger]
    assert all(t.label_en for t in labelled)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [r.get("kind_en") for r in raw["escalation"]] == [r.kind_en for r in template.escalation]


def test_words_fall_back_to_vietnamese():
    template, _digest = find_template("bao-cao")
    assert template.trigger_label("report") == "Gửi báo cáo"
    assert template.trigger_label("report", "en") == "send the report"
    assert template.kind_label("phê bình", "en") == "reprimand"
    assert template.kind_label("phê bình") == "phê bình"
    assert template.trigger_label("nothing", "en") == "nothing"
    # a snapshot stored before label_en/kind_en existed: it loads, and shows Vietnamese
    old = template.to_json()
    for t in old["transitions"]:
        del t["label_en"]
    for r in old["escalation"]:
        del r["kind_en"]
    older = Template.from_json(old)
    assert older.trigger_label("report", "en") == "Gửi báo cáo"
    assert older.kind_label("phê bình", "en") == "phê bình"
    # and it is written back exactly as it was stored (its content hash is unchanged)
    assert older.to_json() == old


def test_schema_takes_the_english_keys_and_refuses_others(tmp_path, run):
    text = (WORKFLOWS / "bao-cao.yaml").read_text(encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(text, encoding="utf-8")
    assert run("workflow", "validate", str(good)).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("kind_en: reprimand", "kind_english: reprimand"), "utf-8")
    result = run("workflow", "validate", str(bad))
    assert result.exit_code == 1 and "kind_english" in result.output
    schema = json.loads(
        (WORKFLOWS.parent / "src/chidao/schemas/workflow.schema.json").read_text("utf-8")
    )
    rung = json.dumps(schema)
    assert '"kind_en"' in rung and '"label_en"' in rung


def test_workflow_show_in_both_languages(run):
    en = run("workflow", "show", "bao-cao", "--lang", "en").output
    assert "send the report (report)" in en and "(reprimand)" in en
    assert "Gửi báo cáo" not in en and "phê bình" not in en
    vi = run("workflow", "show", "bao-cao", "--lang", "vi").output
    assert "Gửi báo cáo (report)" in vi and "(phê bình)" in vi


@pytest.fixture
def late(dien_bien, issued):
    """Every task of ctxh-2024 swept at NOW: overdue, at phê bình (rung 3)."""
    return sweeper.sweep(dien_bien, NOW)


def test_sweep_summary_in_both_languages(dien_bien, issued, run):
    en = run("sweep", "--now", "04/04/2024 08:00", "--lang", "en", "--as", "system")
    assert en.exit_code == 0, en.output
    assert f"escalations: {issued.tasks} reminder, {issued.tasks} reprimand;" in en.output
    vi = run("sweep", "--now", "08/04/2024 08:00", "--lang", "vi", "--as", "system")
    assert f"{issued.tasks} kiểm điểm" in vi.output


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")


def test_escalations_and_task_screens_in_both_languages(late, run, wide):
    en = run("escalations", "--limit", "3", "--lang", "en").output
    assert "reprimand round 1" in en and "phê bình" not in en
    vi = run("escalations", "--limit", "3", "--lang", "vi").output
    assert "phê bình lần 1" in vi
    # JSON is the same in both languages: the kind as stored
    both = {run("escalations", "--json", "--lang", lang).output for lang in ("en", "vi")}
    assert len(both) == 1 and '"kind": "phê bình"' in both.pop()
    shown = run("task", "show", "1", "--lang", "en").output
    assert "reprimand round 1 →" in shown and "reminder round 1 →" in shown
    assert "send the report (report; recipient/office)" in shown
    shown = run("task", "show", "1", "--lang", "vi").output
    assert "phê bình lần 1 →" in shown and "Gửi báo cáo (report; recipient/office)" in shown


def test_task_history_in_both_languages(dien_bien, issued, run, wide):
    start = ["task", "fire", "start", "1", "--as", "mn-hoa-ban", "--now", "27/03/2024 09:00"]
    assert run(*start).exit_code == 0
    en = run("task", "history", "1", "--lang", "en").output
    assert "start implementing (start)" in en and "received → implementing" in en
    vi = run("task", "history", "1", "--lang", "vi").output
    assert "Bắt đầu thực hiện (start)" in vi and "Đã nhận → Đang thực hiện" in vi


def _render(data, lang, unit=False) -> str:
    console = Console(width=120, record=True, color_system=None, file=open(os.devnull, "w"))
    console.print(
        dashboard.render_unit(data, lang, 120) if unit else dashboard.render(data, lang, 120)
    )
    return console.export_text()


def test_dashboard_in_both_languages(dien_bien, late):
    data = dashboard.build(dien_bien, NOW)
    assert data["kinds"]["phê bình"] == {"vi": "phê bình", "en": "reprimand"}
    en, vi = _render(data, "en"), _render(data, "vi")
    assert "reprimand round 1 → Nguyễn Thanh Tùng" in en and "reprimand (rung 3)" in en
    assert "phê bình" not in en
    assert "phê bình lần 1 → Nguyễn Thanh Tùng" in vi and "phê bình (bậc 3)" in vi
    school = dashboard.build_unit(dien_bien, "th-thanh-an", NOW)
    (task,) = school["tasks"]
    assert task["next"] == [
        {"trigger": "report", "label": "Gửi báo cáo", "label_en": "send the report"}
    ]
    en, vi = _render(school, "en", unit=True), _render(school, "vi", unit=True)
    assert "send the report (report)" in en and "reprimand → Nguyễn Thanh Tùng" in en
    assert "Gửi báo cáo (report)" in vi and "phê bình → Nguyễn Thanh Tùng" in vi


def test_an_older_stored_template_shows_its_vietnamese(dien_bien, tmp_path, run, wide):
    """A directive issued with a template that has no English (as every directive stored
    before label_en/kind_en): English screens show its Vietnamese words."""
    text = (WORKFLOWS / "bao-cao.yaml").read_text(encoding="utf-8")
    lines = [x for x in text.splitlines() if "label_en: " not in x or "{" in x]
    plain = tmp_path / "bao-cao.yaml"
    plain.write_text("\n".join(x for x in lines if "kind_en" not in x) + "\n", "utf-8")
    assert "kind_en" not in plain.read_text("utf-8")
    directive = load_directive(EXAMPLES / "directives" / "ctxh-2024.yaml")
    engine.issue(dien_bien, directive, str(plain), ISSUED, "tung-nt")
    sweeper.sweep(dien_bien, NOW)
    en = run("escalations", "--limit", "2", "--lang", "en").output
    assert "phê bình round 1" in en
    assert "phê bình round 1 →" in _render(dashboard.build(dien_bien, NOW), "en")
    shown = run("workflow", "show", str(plain), "--lang", "en").output
    assert "Gửi báo cáo (report)" in shown and "(phê bình)" in shown


def test_fire_help_and_fire_by_english_label(dien_bien, issued, run, wide):
    en = run("task", "fire", "--help", "--lang", "en").output
    assert "send the report (" in en and "Gửi báo cáo" not in en
    vi = run("task", "fire", "--help", "--lang", "vi").output
    assert "Gửi báo cáo (" in vi
    fired = run(
        "task", "fire", "Send the report", "1", "--as", "mn-hoa-ban", "--now", "27/03/2024 09:00"
    )
    assert fired.exit_code == 0, fired.output
    assert "received → reported" in fired.output
