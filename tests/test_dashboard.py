"""The dashboard: its numbers against what the fixtures imply, and how it looks at 80/120."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pendulum
import pytest
from conftest import ISSUED
from rich.console import Console

from chidao import dashboard, engine, sweeper
from chidao.clock import TZ
from chidao.directive import directive_from_mapping

NOW = pendulum.datetime(2024, 4, 4, 8, tz=TZ)  # Thursday: ctxh-2024 was due 01/04 00:00


@pytest.fixture
def lived(dien_bien, issued):
    """Ten MN schools report on time, five TH schools late (03/04), the rest never."""
    views = engine.task_views(dien_bien)
    on_time = [v for v in views if v.levels == ("MN",)][:10]
    late = [v for v in views if v.levels == ("TH",)][:5]
    for v in on_time:
        engine.fire(dien_bien, "report", [v.id], v.unit, pendulum.datetime(2024, 3, 29, 10, tz=TZ))
    for v in late:
        engine.fire(dien_bien, "report", [v.id], v.unit, pendulum.datetime(2024, 4, 3, 10, tz=TZ))
    sweeper.sweep(dien_bien, NOW)
    return {"on_time": on_time, "late": late, "total": len(views)}


def render(data, width, lang="vi", unit=False) -> str:
    console = Console(width=width, record=True, color_system=None, file=open(os.devnull, "w"))
    console.print(
        dashboard.render_unit(data, lang, width) if unit else dashboard.render(data, lang, width)
    )
    return console.export_text()


def test_numbers_match_the_fixture(dien_bien, lived):
    data = dashboard.build(dien_bien, NOW)
    total, open_tasks = lived["total"], lived["total"] - 15
    assert data["quality"] == {
        "on_time": 10,
        "late": 5,
        "open_in_time": 0,
        "open_overdue": open_tasks,
    }
    assert data["totals"] == {"reported": 15, "overdue": open_tasks}
    (row,) = data["directives"]
    assert (row["total"], row["reported"], row["overdue"]) == (total, 15, open_tasks)
    # 01/04 + two working days → phê bình (rung 3, after the reminder and nhắc nhở) on 03/04
    assert (row["rung"], row["rung_kind"]) == (3, "phê bình")
    levels = {lv["level"]: lv for lv in data["levels"]}
    assert levels["MN"]["reported"] == 10 and levels["TH"]["reported"] == 5
    late = data["overdue"]
    assert len(late) == open_tasks and all(r["days_late"] == 4 for r in late)  # 1, 2, 3, 4 April
    assert all(r["escalation"] == {"kind": "phê bình", "round": 1} for r in late)
    assert {r["reached"] for r in late} == {"Nguyễn Thanh Tùng"}


def test_render_at_80_and_120_columns(dien_bien, lived):
    data = dashboard.build(dien_bien, NOW)
    narrow, wide = render(data, 80), render(data, 120)
    for text, width in ((narrow, 80), (wide, 120)):
        assert max(len(line) for line in text.splitlines()) <= width
        assert "Thứ Năm, 04/04/2024 08:00" in text
        assert f"Quá hạn chưa báo cáo (15/{lived['total'] - 15})" in text
    # at 80 columns the first round goes unsaid so that the line does not fold
    assert "phê bình → Nguyễn Thanh Tùng" in narrow
    assert "phê bình lần 1 → Nguyễn Thanh Tùng" in wide
    # the wider screen shows the escalation rung, the contact and the full due time
    assert "phê bình (bậc 3)" in wide and "bậc" not in narrow
    assert "Liên hệ" in wide and "Liên hệ" not in narrow
    assert "01/04/2024 00:00" in wide


def test_english_labels(dien_bien, lived):
    text = render(dashboard.build(dien_bien, NOW), 100, "en")
    assert "Thursday, 04/04/2024 08:00" in text
    assert "Done on time" in text and "Open, overdue" in text
    assert "Hoàn thành" not in text


def test_urgent_first_then_nearest_due_long_subjects_and_no_due(dien_bien, lived, tmp_path):
    long_subject = (
        "tăng cường công tác phòng, chống đuối nước cho trẻ em, học sinh trong "
        "dịp nghỉ hè năm 2024 và triển khai các giải pháp bảo đảm an toàn trường "
        "học, phòng chống bạo lực học đường trên địa bàn huyện"
    )
    urgent = {
        "subject": long_subject,
        "number": "77",
        "symbol": "PGDĐT-GDTrH",
        "date": "2024-04-02",
        "urgency": "Hỏa tốc",
        "recipient_levels": ["THCS"],
        "deadlines": [{"due": "2024-04-20T00:00:00+07:00"}],
    }
    engine.issue(
        dien_bien,
        directive_from_mapping(urgent, "u.yaml"),
        "bao-cao",
        pendulum.datetime(2024, 4, 2, 8, tz=TZ),
        "tung-nt",
    )
    workflow = tmp_path / "ack.yaml"
    from conftest import WORKFLOWS

    text = (
        (WORKFLOWS / "bao-cao.yaml")
        .read_text(encoding="utf-8")
        .replace("receipt: automatic", "receipt: acknowledge")
        .replace(
            "transitions:\n",
            "transitions:\n  - {trigger: acknowledge, source: received, dest: "
            "received, by: recipient}\n",
        )
    )
    workflow.write_text(text, encoding="utf-8")
    relative = {
        "subject": "Rà soát cơ sở vật chất",
        "number": "78",
        "symbol": "PGDĐT-CSVC",
        "date": "2024-04-03",
        "recipient_levels": ["MN"],
        "deadlines": [{"relative": {"amount": 5, "unit": "working_days", "from": "receipt"}}],
    }
    engine.issue(
        dien_bien,
        directive_from_mapping(relative, "r.yaml"),
        str(workflow),
        pendulum.datetime(2024, 4, 3, 8, tz=TZ),
        "tung-nt",
    )
    data = dashboard.build(dien_bien, NOW)
    assert [d["label"] for d in data["directives"]] == [
        "77/PGDĐT-GDTrH",
        "«tổ chức hoạt động kỷ niệm “Ngày…»",  # no number: its subject (no date either)
        "78/PGDĐT-CSVC",
    ]
    assert data["directives"][2]["due"] is None
    for width in (80, 120, 150):
        shown = render(data, width)
        assert max(len(line) for line in shown.splitlines()) <= width
        line = next(x for x in shown.splitlines() if "77/PGDĐT-GDTrH" in x)
        assert "tăng cường công" in line and "…" in line
        assert next(x for x in shown.splitlines() if "78/PGDĐT-CSVC" in x).count("—") >= 1
        # tasks still "Đã nhận" get their own column when there is room for it
        header = next(x for x in shown.splitlines() if "Trích yếu" in x)
        assert ("Đã nhận" in header) == (width == 150)


def test_due_soon_and_level_filter(dien_bien):
    doc = {
        "subject": "Báo cáo sĩ số",
        "number": "80",
        "symbol": "PGDĐT-GDTH",
        "date": "2024-04-01",
        "recipient_levels": ["TH", "MN"],
        "deadlines": [{"due": "2024-04-05T23:59:59+07:00"}],
    }
    engine.issue(
        dien_bien, directive_from_mapping(doc, "d.yaml"), "bao-cao", ISSUED.add(days=7), "tung-nt"
    )
    data = dashboard.build(
        dien_bien, pendulum.datetime(2024, 4, 3, 8, tz=TZ), dashboard.Options(level="MN")
    )
    mn = len([v for v in engine.task_views(dien_bien) if "MN" in v.levels])
    assert data["due_soon_total"] == mn
    assert [lv["level"] for lv in data["levels"]] == ["MN"]
    later = dashboard.build(
        dien_bien, pendulum.datetime(2024, 3, 28, 8, tz=TZ), dashboard.Options(soon_days=3)
    )
    assert later["due_soon_total"] == 0  # 05/04 is more than 3 working days after 28/03


def test_person_desk(dien_bien, lived, run):
    data = json.loads(
        run("dashboard", "--person", "chinh-tt", "--now", "04/04/2024 08:00", "--json").output
    )
    assert data["person"] == {"id": "chinh-tt", "name": "Triệu Thùy Chinh"}
    assert {lv["level"] for lv in data["levels"]} == {"MN"}
    assert all(r["unit"].startswith("mn-") for r in data["overdue"])
    head = run("dashboard", "--person", "tung-nt", "--now", "04/04/2024 08:00", "--json")
    assert json.loads(head.output)["quality"]["open_overdue"] == lived["total"] - 15
    bad = run("dashboard", "--person", "nobody")
    assert bad.exit_code == 1 and "unknown person 'nobody'" in bad.output


def test_principal_view(dien_bien, lived, run):
    result = run(
        "dashboard",
        "--unit",
        "th-thanh-an",
        "--now",
        "04/04/2024 08:00",
        "--width",
        "80",
        "--lang",
        "vi",
    )
    assert result.exit_code == 0
    assert "Nhiệm vụ của Trường Tiểu học Thanh An" in result.output
    assert "4 ngày LV" in result.output and "Gửi báo cáo (report)" in result.output
    assert max(len(x) for x in result.output.splitlines()) <= 80
    data = json.loads(
        run("dashboard", "--unit", "th-thanh-an", "--now", "04/04/2024 08:00", "--json").output
    )
    (task,) = data["tasks"]
    assert task["working_days_left"] == -4 and task["next"][0]["trigger"] == "report"
    done = lived["on_time"][0].unit
    shown = run("dashboard", "--unit", done, "--now", "04/04/2024", "--lang", "vi").output
    assert "Không còn văn bản nào" in shown


def test_dashboard_only_looks_unless_asked_to_sweep(dien_bien, issued, run):
    quiet = json.loads(run("dashboard", "--now", "04/04/2024 08:00", "--json").output)
    assert quiet["totals"] == {"received": issued.tasks}
    assert quiet["quality"]["open_overdue"] == issued.tasks  # past due, even before the sweep
    again = json.loads(run("dashboard", "--now", "30/04/2024 08:00", "--json").output)
    assert again["totals"] == {"received": issued.tasks}  # a peek ahead changed nothing
    assert run("escalations", "--json").output.strip() == "[]"
    swept = json.loads(run("dashboard", "--sweep", "--now", "04/04/2024 08:00", "--json").output)
    assert swept["totals"] == {"overdue": issued.tasks}


def test_empty_database(run, tmp_path):
    result = run("dashboard", "--db", str(tmp_path / "nothing.db"), "--lang", "vi")
    assert result.exit_code == 0
    assert result.output == "Chưa có văn bản nào — hãy thử: chidao demo\n"
    assert not (tmp_path / "nothing.db").exists()
    result = run("dashboard", "--lang", "en")  # the fixture's database exists but is empty
    assert result.output == "no directives yet — try chidao demo\n"


def test_watch_stops_cleanly_on_ctrl_c(dien_bien, lived, db_url):
    env = {
        **os.environ,
        "CHIDAO_DB": db_url,
        "PYTHONIOENCODING": "utf-8",
        "COLUMNS": "100",
        "CHIDAO_LANG": "vi",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "chidao", "dashboard", "--watch", "1", "--now", "04/04/2024 08:00"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Đã dừng theo dõi." in out and "Quá hạn chưa báo cáo" in out


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_watched_board_fits_the_screen(dien_bien, lived, width, height, lang):
    """--watch on a screen of width × height (here with --limit 50, so that even 120×40 is
    short): every list cut to fit, each with its caption, never rich's "..." where the
    board runs off the bottom."""
    from chidao import watch

    data = dashboard.build(dien_bien, NOW, dashboard.Options(limit=50))
    late = lived["total"] - 15
    assert len(render(data, width, lang).splitlines()) > height  # the watch must cut
    console = Console(
        width=width, height=height, record=True, color_system=None, file=open(os.devnull, "w")
    )
    console.print(watch.fit(data, lang, width, height))
    text = console.export_text()
    lines = text.splitlines()
    assert len(lines) <= height and max(len(x) for x in lines) <= width
    assert not any(x.rstrip().endswith("...") for x in lines)
    title = "Quá hạn chưa báo cáo" if lang == "vi" else "Overdue, not reported"
    found = re.search(re.escape(title) + r" \((\d+)(?:/| of )(\d+)\)", text)
    assert found is not None and int(found[2]) == late
    shown = int(found[1])
    assert 1 <= shown < late
    caption = (
        f"… và {late - shown} đơn vị khác — thêm --limit {late} để xem hết"
        if lang == "vi"
        else f"… and {late - shown} more units — --limit {late} shows them all"
    )
    assert caption in text
    rows = [x for x in lines if "«tổ chức" in x]  # the directive column of the late list
    assert len(rows) == shown, text  # one line per school, as many as the title says
    # the taller screen keeps more of the list, and the summaries by level and quality
    if height == 40:
        assert shown > 5 and ("Theo cấp học" if lang == "vi" else "By school level") in text


def test_watch_uses_the_alternate_screen(dien_bien, lived):
    """On a terminal the watched board is drawn on the alternate screen, cut to the
    terminal's height, and the shell's screen comes back when it stops."""
    import io

    from chidao import watch
    from chidao.cli.screens import _watch

    out = io.StringIO()
    terminal = Console(
        file=out, force_terminal=True, width=80, height=24, color_system=None, _environ={}
    )
    heights: list[int] = []

    def screen(height: int):
        if heights:
            raise KeyboardInterrupt  # Ctrl-C at the second refresh
        heights.append(height)
        data = dashboard.build(dien_bien, NOW)
        return data, watch.fit(data, "vi", 80, height)

    _watch(terminal, screen, 0)
    written = out.getvalue()
    assert heights == [23]
    assert written.index("\x1b[?1049h") < written.index("Quá hạn chưa báo cáo")
    assert written.index("\x1b[?1049l") < written.index("Stopped watching.")
