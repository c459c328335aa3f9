"""The calendar file (RFC 5545) of one session for one child: the same UID in the invitation
and in every correction, so a calendar updates or removes the event instead of adding one."""

from __future__ import annotations

import datetime

TOKYO_TZID = "Asia/Tokyo"
DURATION_MINUTES = 90


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545 3.1), never inside a character."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def uid(session_id: int, child_id: int, domain: str) -> str:
    return f"checkup-session-{session_id}-child-{child_id}@{domain or 'kizuna.invalid'}"


def event(
    *,
    uid: str,
    summary: str,
    location: str,
    description: str,
    starts: datetime.datetime,
    sequence: int,
    stamp: datetime.datetime,
    cancelled: bool = False,
) -> bytes:
    """One VEVENT in a VCALENDAR, as bytes with CRLF line ends."""
    local = starts.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    ends = local + datetime.timedelta(minutes=DURATION_MINUTES)
    utc = stamp.astimezone(datetime.UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kizuna//checkups//JA",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancelled else 'PUBLISH'}",
        "BEGIN:VTIMEZONE",
        f"TZID:{TOKYO_TZID}",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0900",
        "TZOFFSETTO:+0900",
        "TZNAME:JST",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{utc:%Y%m%dT%H%M%SZ}",
        f"DTSTART;TZID={TOKYO_TZID}:{local:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={TOKYO_TZID}:{ends:%Y%m%dT%H%M%S}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape(description)}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()
