"""The one seam for "what time is it": every caller asks here, tests move it with time-machine."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def now() -> datetime:
    """The current moment, aware, in Asia/Tokyo."""
    return datetime.now(tz=TOKYO)


def today() -> date:
    """Today's calendar date in Asia/Tokyo, whatever the server's zone."""
    return now().date()
