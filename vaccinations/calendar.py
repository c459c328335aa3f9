"""A child's vaccination schedule as an iCalendar file (RFC 5545) that calendar apps subscribe to.

One all-day event per dose not yet given, over its recommended window (the last day in the
description), with a UID made of the child and the dose: the same event is updated, not added
again, each time the app fetches the file; a dose recorded as given drops out.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from icalendar import Calendar, Event

from kizuna import clock

from . import schedule
from .messages import full_date

PRODID = "-//Kizuna//vaccinations//JA"
UID_DOMAIN = "vaccinations.kizuna"


def uid(child_id: int, dose: str) -> str:
    return f"child-{child_id}-{dose}@{UID_DOMAIN}"


def build(
    child_id: int,
    entries: Sequence[schedule.DoseDates],
    *,
    calendar_name: str,
    schedule_url: str,
    stamp: datetime.datetime | None = None,
) -> bytes:
    stamp = stamp or clock.now()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", "Asia/Tokyo")
    # Calendar apps fetch again about once a day (a hint: each app decides).
    calendar.add("refresh-interval", datetime.timedelta(days=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "P1D")
    for entry in entries:
        if entry.given is not None or not entry.possible or entry.recommended_from is None:
            continue
        first = entry.recommended_from
        last = entry.recommended_until or entry.last_day or first
        event = Event()
        event.add("uid", uid(child_id, entry.dose.code))
        event.add("dtstamp", stamp.astimezone(datetime.UTC))
        event.add("summary", f"予防接種: {entry.name}")
        event.add("dtstart", first)
        event.add("dtend", last + datetime.timedelta(days=1))  # DTEND of a date is exclusive
        lines = [f"受けられる日: {full_date(entry.earliest)}から" if entry.earliest else ""]
        if entry.last_day is not None:
            lines.append(f"定期接種の期限: {full_date(entry.last_day)}まで")
        lines.append("予約や受け方は、かかりつけの小児科などに相談してください。")
        lines.append(f"予定と記録: {schedule_url}")
        event.add("description", "\n".join(line for line in lines if line))
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
