"""Each tenant's clock: real time, real time shifted, or frozen at an instant (test clocks).

Every date the sandbox assigns (invoice and issue dates, receipts, due dates, creationDate)
is read from the tenant's clock, so a test can move time instead of waiting for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Clock:
    frozen_at: datetime | None = None  # aware UTC; time stands still here
    offset: timedelta = timedelta(0)  # added to real time when not frozen

    def now(self) -> datetime:
        if self.frozen_at is not None:
            return self.frozen_at
        return datetime.now(UTC) + self.offset

    def today(self) -> date:
        return self.now().date()

    @property
    def is_real(self) -> bool:
        return self.frozen_at is None and not self.offset

    def advanced(self, delta: timedelta) -> Clock:
        if self.frozen_at is not None:
            return Clock(frozen_at=self.frozen_at + delta)
        return Clock(offset=self.offset + delta)

    def to_record(self) -> dict[str, Any]:
        return {
            "frozen_at": self.frozen_at.isoformat() if self.frozen_at else None,
            "offset_seconds": self.offset.total_seconds(),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any] | None) -> Clock:
        if not record:
            return cls()
        frozen = record.get("frozen_at")
        return cls(
            frozen_at=datetime.fromisoformat(frozen) if frozen else None,
            offset=timedelta(seconds=float(record.get("offset_seconds") or 0)),
        )


REAL_CLOCK = Clock()

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration in days and smaller units (P30D, PT1H30M, -P1D); months and years
    are refused because their length depends on the date."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "-P", "PT", "-PT") or text.strip().endswith("T"):
        raise ValueError(f"not an ISO 8601 duration in weeks, days, hours, minutes or seconds: {text!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v and k != "sign"}
    delta = timedelta(**parts)
    return -delta if match.group("sign") else delta


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or date-time; naive values are taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
