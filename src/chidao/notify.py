"""The notification outbox: what an escalation says, and delivering it.

The sweep queues one message per directive, rung and person reached (not one per school).
``chidao notify`` delivers queued messages through a channel: ``console`` prints them,
``smtp`` sends e-mail. Each message is marked sent in its own transaction right after it
went out; a failed send stays queued with its error and is tried again next time, so
nothing is lost (at worst a message whose "sent" mark could not be written goes twice).
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from chidao.clock import format_date, format_moment
from chidao.errors import InputError

CHANNELS = ("console", "smtp")
MAX_UNITS_LISTED = 30


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _document(batch: dict[str, Any]) -> str:
    code = batch.get("code")
    date = batch.get("date")
    name = (
        f"Công văn số {code}"
        if code
        else f"Văn bản «{_short(batch['subject'])}»"
        if batch.get("subject")
        else f"Văn bản #{batch['directive_id']}"
    )
    return name + (f" ngày {format_date(date)}" if date else "")


@dataclass(frozen=True, kw_only=True)
class Message:
    """One e-mail owed for a group of new escalations: to whom, about what. The store
    queues it (status, attempts and errors are the outbox's, not the message's)."""

    person_id: str | None
    recipient: str
    address: str
    directive_id: int
    rung: int
    tasks: int
    subject: str
    body: str
    created_at: dt.datetime


def compose(batch: dict[str, Any], now: dt.datetime) -> Message:
    """The message for one group of new escalations (see store.escalations)."""
    kind = str(batch["kind"])
    units = [u for u in str(batch["units"] or "").split("; ") if u]
    shown = units[:MAX_UNITS_LISTED]
    more = len(units) - len(shown)
    document = _document(batch)
    subject = (
        f"[{kind.capitalize()} lần {batch['round']}] {batch['tasks']} nhiệm vụ quá hạn chưa "
        f"báo cáo — {document}"
    )
    lines = [
        f"Kính gửi: {batch['target_name']}",
        "",
        f"{document} về việc {batch['subject']}.",
        f"Hạn báo cáo: {format_moment(batch['due_at'])}.",
        f"Đến {format_moment(now)}, {batch['tasks']} nhiệm vụ của các đơn vị sau đã quá hạn "
        f"mà chưa báo cáo ({kind} lần {batch['round']}):",
        *[f"  - {name}" for name in shown],
    ]
    if more:
        lines.append(f"  … và {more} đơn vị khác (xem: chidao escalations --open)")
    if batch.get("note"):
        lines += ["", f"Ghi chú: {batch['note']}."]
    lines += [
        "",
        "Đề nghị đồng chí đôn đốc các đơn vị hoàn thành và báo cáo.",
        "— Thư gửi tự động từ chidao",
    ]
    return Message(
        person_id=batch["person_id"],
        recipient=batch["target_name"],
        address=batch.get("email") or "",
        directive_id=batch["directive_id"],
        rung=batch["rung"],
        tasks=batch["tasks"],
        subject=subject,
        body="\n".join(lines),
        created_at=now,
    )


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "chidao@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 20.0


SHOWN = ("id", "person_id", "recipient", "address", "rung", "tasks", "subject", "body")


class SendFailed(Exception):
    """One message could not be delivered; it stays queued."""


def console_sender(echo: Callable[[str], None]) -> Callable[[dict[str, Any]], None]:
    def send(message: dict[str, Any]) -> None:
        echo(
            f"── Tới: {message['recipient']}"
            + (f" <{message['address']}>" if message["address"] else "")
        )
        echo(f"   Chủ đề: {message['subject']}")
        for line in message["body"].splitlines():
            echo(f"   {line}")

    return send


class SmtpSender:
    """Sends over one SMTP connection, opened on first use."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.client is None:
            s = self.settings
            try:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.starttls:
                    client.starttls(context=ssl.create_default_context())
                if s.user:
                    client.login(s.user, s.password or "")
            except (OSError, smtplib.SMTPException) as exc:
                raise SendFailed(f"cannot reach SMTP server {s.host}:{s.port}: {exc}") from exc
            self.client = client
        return self.client

    def __call__(self, message: dict[str, Any]) -> None:
        if not message["address"]:
            raise SendFailed(f"{message['recipient']} has no e-mail address in the org file")
        email = EmailMessage()
        email["From"] = self.settings.sender
        email["To"] = formataddr((message["recipient"], message["address"]))
        email["Subject"] = message["subject"]
        email["Message-ID"] = make_msgid(idstring=f"chidao.{message['id']}")
        email.set_content(message["body"])  # UTF-8, Vietnamese kept as it is
        try:
            self._connect().send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendFailed(f"SMTP: {exc}") from exc

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.client = None


def smtp_settings(
    host: str | None,
    port: int | None,
    sender: str | None,
    user: str | None,
    password: str | None,
    starttls: bool,
) -> SmtpSettings:
    if not host:
        raise InputError("--channel smtp needs --smtp-host (or CHIDAO_SMTP_HOST)")
    return SmtpSettings(
        host=host,
        port=port or 25,
        sender=sender or "chidao@localhost",
        user=user,
        password=password,
        starttls=starttls,
    )
