"""Input checked at the door (issue #14): every bad input is refused in one line, exit 1,
with the database untouched, in bounded time and memory; a stored directive that went bad
never stops the sweep or the dashboard for the others; user text is never rich markup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import resource
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import EXAMPLES, ISSUED, WORKFLOWS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, create_engine, select, update

from chidao import engine, sweeper, yamlio
from chidao.directive import directive_from_mapping, load_directive
from chidao.errors import InputError
from chidao.model import LEVELS, URGENCIES
from chidao.schemas import HERE, json_schemas, schema_text
from chidao.store.schema import directives, templates

CTXH = EXAMPLES / "directives" / "ctxh-2024.yaml"
SECONDS = 60  # each bad input is refused well within this (most in under a second)
MEMORY = 1024 * 2**20  # address space of each process: a bomb that inflated would die here
LIMITS: dict[str, float] = {"seconds": 0.0}


# ----------------------------------------------------------------------------- bad inputs


def _directive(tmp: Path, name: str, old: str, new: str, count: int = 1) -> Path:
    text = CTXH.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp / name
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


SIGNER = "signer:\n  chain: [{authority: KT, title: TRƯỞNG PHÒNG}]\n"
SIGNER += "  position: PHÓ TRƯỞNG PHÒNG\n  name: Nguyễn Thanh Tùng\n"
CONTACTS = CTXH.read_text(encoding="utf-8").split("contacts:\n", 1)[1].split("signer:")[0]
DUE = "due: 2024-04-01T00:00:00+07:00"


def _alias_bomb(tmp: Path) -> Path:
    lines = ["subject: bom", "recipient_levels: [MN]", "items:", "  - &a0 [x, x, x, x, x, x, x, x]"]
    lines += [f"  - &a{i} [{', '.join([f'*a{i - 1}'] * 8)}]" for i in range(1, 10)]
    path = tmp / "bomb.yaml"  # 8**10 ≈ 10⁹ values once expanded
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _zip_bomb(tmp: Path, name: str, member: str, copies: int, lie: bool = False) -> Path:
    """A zip whose central directory lists ``copies`` entries that all point at one 100 MB
    deflated member (a few hundred kB on disk): honest sizes add up to copies × 100 MB; with
    ``lie`` there is one entry that says it inflates to 1 kB."""
    path = tmp / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(member, b"<" + b" " * (100 * 2**20))
    data = bytearray(path.read_bytes())
    end = data.rindex(b"PK\x05\x06")
    start = struct.unpack_from("<I", data, end + 16)[0]
    record = bytes(data[start:end])
    if lie:
        record = record[:24] + struct.pack("<I", 1024) + record[28:]
        data[22:26] = struct.pack("<I", 1024)  # the local header says so too
    names = [member] + [
        f"{member[:-9]}{n:04d}.xml".rjust(len(member), "x") for n in range(1, copies)
    ]
    records = b"".join(record.replace(member.encode(), n.encode()) for n in names)
    tail = bytearray(data[end:])
    struct.pack_into("<HHI", tail, 8, len(names), len(names), len(records))
    path.write_bytes(bytes(data[:start]) + records + bytes(tail))
    return path


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """Each bad input: the command and what its one line must say."""
    wf_bad = tmp / "wf.yaml"
    wf_bad.write_text(
        (WORKFLOWS / "bao-cao.yaml")
        .read_text(encoding="utf-8")
        .replace("initial: received", "initial: [received]"),
        encoding="utf-8",
    )
    org_bad = tmp / "org.yaml"
    org_bad.write_text(
        (EXAMPLES / "org-dien-bien.yaml")
        .read_text(encoding="utf-8")
        .replace("name: Trường Mầm non Hoa Ban", "name: [Hoa, Ban]"),
        encoding="utf-8",
    )
    recursive = tmp / "self.yaml"
    recursive.write_text("subject: x\nrecipient_levels: [MN]\nitems: &a [*a]\n", encoding="utf-8")
    issue = ["directive", "issue", "--workflow", "bao-cao"]
    return {
        "signer-text": (
            [*issue, str(_directive(tmp, "s.yaml", SIGNER, 'signer: "Nguyễn Thanh Tùng"\n'))],
            r"s.yaml:\d+: signer: must be a mapping of fields, not text \('Nguyễn Thanh Tùng'\)",
        ),
        "contacts-text": (
            [*issue, str(_directive(tmp, "c.yaml", CONTACTS, '  - "text"\n'))],
            r"c.yaml:\d+: contacts\[1\]: must be a mapping of fields, not text \('text'\)",
        ),
        "items-number": (
            [*issue, str(_directive(tmp, "i.yaml", "items:\n", "items: 5\nitems_old:\n"))],
            r"i.yaml:\d+: (items: must be a list, not a number \(5\)|unknown field 'items_old')",
        ),
        "relative-1e9": (
            [
                *issue,
                str(_directive(tmp, "r.yaml", DUE, "relative: {amount: 1000000000, unit: days}")),
            ],
            r"r.yaml:29: deadlines\[1\]\.relative\.amount: 1000000000 is out of range \(1–3650\)",
        ),
        "due-9999": (
            [*issue, str(_directive(tmp, "d.yaml", DUE, "due: 9999-04-01T00:00:00+07:00"))],
            r"d.yaml:29: deadlines\[1\]\.due: year 9999 is out of range \(1900–2200\)",
        ),
        "due-31-02": (
            [*issue, str(_directive(tmp, "e.yaml", DUE, 'due: "31/02/2024"'))],
            r"e.yaml:29: deadlines\[1\]\.due: '31/02/2024' is not a date",
        ),
        "duplicate-key": (
            [*issue, str(_directive(tmp, "k.yaml", "subject:", "subject: Một\nsubject:"))],
            r"k.yaml:10: key 'subject' appears twice \(first at line 9\)",
        ),
        "alias-bomb": (
            [*issue, str(_alias_bomb(tmp))],
            r"bomb.yaml:\d+: aliases \(\*name\) expand this document past 100,000 values",
        ),
        "alias-to-itself": (
            [*issue, str(recursive)],
            r"self.yaml:3: an alias refers to the node that contains it",
        ),
        "task-id-huge": (
            ["task", "show", "99999999999999999999999"],
            r"task id 99999999999999999999999 is out of range \(1–2147483647\)",
        ),
        "task-fire-id-huge": (
            ["task", "fire", "start", "99999999999999999999999", "--as", "mn-hoa-ban"],
            r"task id 99999999999999999999999 is out of range",
        ),
        "directive-id-huge": (
            ["directive", "show", "99999999999999999999"],
            r"directive '99999999999999999999' does not exist",
        ),
        "calendar-due-1e8": (
            ["calendar", "due", "24/01/2025", "100000000"],
            r"N: 100000000 is not in the range 0<=x<=3650",
        ),
        "limit-huge": (
            ["task", "list", "--limit", "99999999999999999999"],
            r"--limit: 99999999999999999999 is not in the range",
        ),
        "now-9999": (["--now", "01/01/9999", "task", "list"], r"year 9999 is out of range"),
        "docx-bomb": (
            [*issue, str(_zip_bomb(tmp, "bomb.docx", "word/document.xml", 48))],
            r"bomb.docx: tệp Word giải nén ra 4800 MB, quá giới hạn 50 MB",
        ),
        "docx-lying-sizes": (
            ["directive", "parse", str(_zip_bomb(tmp, "lie.docx", "word/document.xml", 1, True))],
            r"lie.docx: không đọc được tệp Word",
        ),
        "xlsx-bomb": (
            ["units", "import", str(_zip_bomb(tmp, "bomb.xlsx", "xl/sharedStrings.xml", 48))],
            r"bomb.xlsx: the workbook inflates to 4,800 MB",
        ),
        "report-dev-full": (
            ["report", "1", "--format", "csv", "-o", "/dev/full"],
            r"-o: /dev/full is not a regular file",
        ),
        "workflow-type": (
            ["directive", "issue", str(CTXH), "--workflow", str(wf_bad), "--again"],
            r"wf.yaml:15: initial: must be text, not a list",
        ),
        "org-name-list": (["org", "load", str(org_bad)], r"org.yaml:\d+: units\[1\]\.name"),
    }


def _fingerprint(db_url: str) -> str:
    """Every byte of an SQLite file (and its WAL), or every row of every PostgreSQL table."""
    if db_url.startswith("sqlite:///"):
        path = Path(db_url[len("sqlite:///") :])
        wal = Path(f"{path}-wal")
        return hashlib.sha256(
            path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
        ).hexdigest()
    db = create_engine(db_url)
    meta = MetaData()
    meta.reflect(db)
    digest = hashlib.sha256()
    with db.connect() as conn:
        for table in meta.sorted_tables:
            rows = conn.execute(select(table)).all()
            digest.update(f"{table.name}:{sorted(map(repr, rows))}".encode())
    db.dispose()
    return digest.hexdigest()


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


@pytest.fixture
def door(db_url: str, tmp_path: Path):
    """A database with the Điện Biên org and one directive, and a way to run chidao on it
    in its own process, limited in time and memory."""
    env = {
        **os.environ,
        "CHIDAO_DB": db_url,
        "CHIDAO_NOW": "25/03/2024 08:00",
        "CHIDAO_USER": "tung-nt",
        "PYTHONIOENCODING": "utf-8",
        "COLUMNS": "100",
    }

    def run(*args: str) -> tuple[subprocess.CompletedProcess, float]:
        began = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "chidao", *args],
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=SECONDS,
            preexec_fn=_bounded,
            cwd=tmp_path,
        )
        return done, time.monotonic() - began

    assert run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"))[0].returncode == 0
    assert run("directive", "issue", str(CTXH), "-w", "bao-cao")[0].returncode == 0
    return run


def test_every_bad_input_is_one_line_exit_1_and_writes_nothing(door, db_url, tmp_path):
    cases = _bad_inputs(tmp_path)
    before = _fingerprint(db_url)
    slowest = 0.0
    for name, (args, message) in cases.items():
        done, took = door(*args)
        slowest = max(slowest, took)
        assert (done.returncode, done.stdout) == (1, ""), (name, done.stdout, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (name, done.stderr)
        assert re.search(message, lines[0]), (name, lines[0])
        assert _fingerprint(db_url) == before, name
    assert Path("/dev/full").is_char_device()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(f"\n{len(cases)} bad inputs refused; slowest {slowest:.2f} s; peak child RSS {peak} MB")


def test_yaml_refuses_what_it_cannot_read_safely():
    with pytest.raises(InputError, match=r"s.yaml:2: key 'a' appears twice \(first at line 1\)"):
        yamlio.loads("a: 1\na: 2\n", "s.yaml")
    assert yamlio.loads("base: &b {a: 1, c: 2}\nx:\n  <<: *b\n  a: 3\n")["x"] == {"a": 3, "c": 2}
    with pytest.raises(InputError, match="nest deeper than 40 levels"):
        yamlio.loads("[" * 300 + "]" * 300)
    with pytest.raises(InputError, match="a key must be plain text"):
        yamlio.loads("? [a]\n: 1\n")


# ----------------------------------------------------------------------------- the schema


def _json(value):
    return json.loads(json.dumps(value, default=str))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = sorted(load_directive(CTXH).to_json())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from([*FIELDS, "deadlines.0", "signer.chain", "items.0"]), value=JSON)
def test_any_value_in_any_field_is_read_or_refused_in_one_line(field, value):
    doc = _json(load_directive(CTXH).to_json())
    target, key = doc, field
    if "." in field:
        parent, key = field.split(".", 1)
        target = doc[parent]
        key = int(key) if key.isdigit() else key
    target[key] = value
    try:
        directive = directive_from_mapping(doc, "d.json")
    except InputError as exc:
        assert exc.message.startswith("d.json") and "\n" not in exc.message
    else:
        assert directive_from_mapping(_json(directive.to_json()), "again") == directive


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and s
)
DAY = st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31))
DEADLINE = st.one_of(
    st.builds(lambda d: {"due": d.isoformat(), "text": "trước ngày"}, DAY),
    st.builds(
        lambda n, u, f: {"relative": {"amount": n, "unit": u, "from": f}},
        st.integers(1, 3650),
        st.sampled_from(["working_days", "days"]),
        st.sampled_from(["receipt", "issue", "event"]),
    ),
    st.builds(
        lambda e, d: {"recurring": {"every": e, "day": d}},
        st.sampled_from(["month", "quarter"]),
        st.integers(1, 31),
    ),
    st.builds(
        lambda h, m: {"recurring": {"every": "day", "time": f"{h:02d}:{m:02d}"}},
        st.integers(0, 23),
        st.integers(0, 59),
    ),
)
DIRECTIVE = st.fixed_dictionaries(
    {"subject": TEXT, "recipient_levels": st.lists(st.sampled_from(LEVELS), min_size=1)},
    optional={
        "number": st.integers(1, 99999).map(str),
        "symbol": TEXT.filter(lambda s: len(s) < 100),
        "date": DAY.map(dt.date.isoformat),
        "urgency": st.sampled_from(URGENCIES),
        "units": st.lists(TEXT.filter(lambda s: len(s) <= 64), max_size=3),
        "deadlines": st.lists(DEADLINE, max_size=3),
        "signer": st.fixed_dictionaries(
            {
                "name": TEXT,
                "chain": st.lists(
                    st.builds(lambda t: {"authority": "KT", "title": t}, TEXT), max_size=2
                ),
            }
        ),
        "contacts": st.lists(
            st.builds(lambda n, lv: {"name": n, "level": lv}, TEXT, st.sampled_from(LEVELS)),
            max_size=2,
        ),
        "until": DAY.map(dt.date.isoformat),
    },
)


@settings(max_examples=200, deadline=None)
@given(DIRECTIVE)
def test_valid_directives_read_back_from_what_is_stored(doc):
    directive = directive_from_mapping(doc, "d.json")
    stored = _json(directive.to_json())
    assert directive_from_mapping(stored, "stored") == directive
    jsonschema.validate(doc, json_schemas()["directive"])


def test_the_shipped_json_schemas_are_current_and_accept_the_examples():
    for name, schema in json_schemas().items():
        assert (HERE / f"{name}.schema.json").read_text(encoding="utf-8") == schema_text(schema)
    files = {
        "directive": sorted((EXAMPLES / "directives").glob("*.yaml")),
        "org": sorted(EXAMPLES.glob("org-*.yaml")),
        "workflow": sorted(WORKFLOWS.glob("*.yaml")),
    }
    for name, paths in files.items():
        checker = jsonschema.Draft202012Validator(json_schemas()[name])
        for path in paths:
            assert not list(checker.iter_errors(_json(yaml.safe_load(path.read_text())))), path
    bad = _json(yaml.safe_load(CTXH.read_text()))
    bad["signer"] = "Nguyễn Thanh Tùng"
    assert not jsonschema.Draft202012Validator(json_schemas()["directive"]).is_valid(bad)


# ----------------------------------------------------------------------------- daily reports


def test_a_parsed_dispatch_with_a_daily_deadline_is_issued(run, tmp_path):
    text = tmp_path / "mua-lu.txt"
    text.write_text(
        "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO\nSố: 12/PGDĐT\nĐiện Biên, ngày 02 tháng 10 năm 2024\n"
        "V/v báo cáo tình hình mưa lũ\nKính gửi: Các trường MN, TH, THCS\n\n"
        "1. Các trường báo cáo tình hình thiệt hại trước 16 giờ hằng ngày.\n\n"
        "Nơi nhận:\n- Như trên;\n- Lưu: VT.\nKT. TRƯỞNG PHÒNG\nPHÓ TRƯỞNG PHÒNG\n\n"
        "Nguyễn Thanh Tùng\n",
        encoding="utf-8",
    )
    assert (
        run("org", "load", str(EXAMPLES / "org-dien-bien.yaml"), "--as", "tung-nt").exit_code == 0
    )
    issued = run(
        "--now",
        "02/10/2024 08:00",
        "directive",
        "issue",
        str(text),
        "-w",
        "bao-cao",
        "--yes",
        "--as",
        "tung-nt",
    )
    assert issued.exit_code == 0, issued.output
    assert "before 16:00 every day" in issued.output and "46 tasks" in issued.output
    assert run("--now", "04/10/2024 08:00", "sweep").exit_code == 0
    tasks = json.loads(run("task", "list", "--unit", "mn-hoa-ban", "--json").output)
    dues = [t["due"] for t in tasks]
    assert dues[:3] == [
        "2024-10-03T16:00:00+07:00",
        "2024-10-04T16:00:00+07:00",
        "2024-10-05T16:00:00+07:00",
    ]


# ----------------------------------------------------------------------------- stored, gone bad


@pytest.mark.parametrize("damage", ["document", "template"])
def test_a_stored_directive_that_cannot_be_read_is_named_and_skipped(
    dien_bien, run, damage, tmp_path
):
    first = engine.issue(dien_bien, load_directive(CTXH), "bao-cao", ISSUED, "tung-nt")
    other = load_directive(EXAMPLES / "directives" / "so-746-2024.yaml")
    org_so = EXAMPLES / "org-so-dien-bien.yaml"
    engine.load_org_file(dien_bien, org_so, "gd-so-dien-bien")
    second = engine.issue(dien_bien, other, "bao-cao-tong-hop", ISSUED, "pgd-so-dien-bien")
    with dien_bien.engine.begin() as conn:
        if damage == "document":
            doc = conn.execute(
                select(directives.c.document).where(directives.c.id == first.directive_id)
            ).scalar_one()
            conn.execute(
                update(directives)
                .where(directives.c.id == first.directive_id)
                .values(document={**doc, "signer": "Nguyễn Thanh Tùng"})
            )
        else:
            conn.execute(
                update(templates).where(templates.c.name == "bao-cao").values(spec='{"name": 1}')
            )
    swept = run("--now", "12/04/2024 08:00", "sweep", "--json")
    assert swept.exit_code == 0, swept.output
    warning = [line for line in swept.output.splitlines() if line.startswith("Warning: ")]
    # a directive without a number is named by its subject (its stored document unreadable:
    # by its id)
    named = f"#{first.directive_id}" if damage == "document" else "«tổ chức hoạt động kỷ niệm"
    assert len(warning) == 1 and named in warning[0]
    listing = sweeper.escalation_listing(dien_bien)
    assert {r["directive_id"] for r in listing} == {second.directive_id}
    screen = run("--now", "12/04/2024 08:00", "dashboard", "--sweep", "--width", "120")
    assert screen.exit_code == 0
    assert f"skipped directive {named}" in screen.output
    assert "746/SGDDĐT-GDCN" in screen.output
    if damage == "document":  # shown as one line, and it can still be taken out of tracking
        shown = run("directive", "show", str(first.directive_id))
        assert shown.exit_code == 1 and len(shown.output.splitlines()) == 1
        assert "its stored document cannot be read (signer is str" in shown.output
        out = run("directive", "withdraw", str(first.directive_id), "--as", "tung-nt")
        assert out.exit_code == 0, out.output
        assert run("--now", "20/04/2024", "sweep", "--json").output.count("Warning") == 0


# ----------------------------------------------------------------------------- markup


def test_user_text_is_shown_as_written_never_as_markup(run, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")  # wide enough that no cell wraps
    org = tmp_path / "org.yaml"
    org.write_text(
        (EXAMPLES / "org-dien-bien.yaml")
        .read_text(encoding="utf-8")
        .replace("name: Trường Mầm non Hoa Ban", 'name: "Trường [/] Hoa Ban [bold]x :smile:"'),
        encoding="utf-8",
    )
    subject = "[kế hoạch] tổ chức hoạt động kỷ niệm"
    directive = _directive(
        tmp_path, "kh.yaml", "subject: tổ chức hoạt động kỷ niệm", f'subject: "{subject}"\nold:'
    )
    directive.write_text(
        re.sub(r"\nold:[^\n]*", "", directive.read_text(encoding="utf-8")), encoding="utf-8"
    )
    assert run("org", "load", str(org), "--as", "tung-nt").exit_code == 0
    assert (
        run(
            "--now",
            "25/03/2024",
            "directive",
            "issue",
            str(directive),
            "-w",
            "bao-cao",
            "--as",
            "tung-nt",
        ).exit_code
        == 0
    )
    note = "[red]đã gửi[/red] :smile:"
    assert (
        run(
            "--now",
            "26/03/2024",
            "task",
            "fire",
            "start",
            "1",
            "--as",
            "mn-hoa-ban",
            "--note",
            note,
        ).exit_code
        == 0
    )
    school = "Trường [/] Hoa Ban [bold]x :smile:"
    for args, shown in [
        (["org", "show"], school),
        (["directive", "list"], "[kế hoạch]"),
        (["directive", "show", "1"], "[kế hoạch]"),
        (["task", "list", "--unit", "mn-hoa-ban"], "Trường [/] Hoa"),
        (["task", "show", "1"], "[kế hoạch]"),
        (["task", "history", "1"], note),
        (["--now", "10/04/2024", "dashboard", "--sweep", "--width", "160"], "[kế hoạch]"),
        (["--now", "10/04/2024", "dashboard", "--sweep", "--width", "160"], school),
        (
            [
                "--now",
                "10/04/2024",
                "dashboard",
                "--sweep",
                "--unit",
                "mn-hoa-ban",
                "--width",
                "160",
            ],
            school,
        ),
        (["--now", "10/04/2024", "escalations"], "Trường [/]"),
    ]:
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert shown in " ".join(result.output.split()), (args, result.output)


def test_a_bad_input_says_where_in_fields_too(tmp_path):
    """A caller can ask where an input went wrong: file, line and field, beside the one
    line the command prints."""
    from chidao.directive import load_directive
    from chidao.yamlio import load

    source = (EXAMPLES / "directives" / "ctxh-2024.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(source.replace('    item: "2"\n', '    item: "2"\n    due_in: 5\n'), "utf-8")
    with pytest.raises(InputError) as info:
        load_directive(bad)
    line = source.splitlines().index('    item: "2"') + 2
    assert (info.value.file, info.value.line, info.value.field) == (str(bad), line, "deadlines[1]")
    assert info.value.message.startswith(f"{bad}:{line}: deadlines[1]")
    broken = tmp_path / "broken.yaml"
    broken.write_text("office: [pgddt\n", "utf-8")
    with pytest.raises(InputError) as info:
        load(broken)
    assert (info.value.file, info.value.field) == (str(broken), None)
    assert info.value.line and info.value.message.startswith(f"{broken}:{info.value.line}: ")
