"""Pacing rules the client adds to what the `ratelimit-*` headers say (reference §3.5).

The headers report only DigitalOcean's hourly quota (5,000, rolling). The per-minute burst limit
(250) is documented as 5% of it and shows only as 429 + Retry-After, so the client keeps to it on
its own: `BurstSchedule` is a GCRA schedule in which half of the burst limit (less the requests
that may be in flight) may go at once and the rest are spaced evenly. No 60 s window then holds
more than the burst limit, and a long run is spread instead of stalled. A quota so small that no
burst room is left beyond the requests in flight gets the hourly rule only.

Every pacing wait is bounded: `too_long` turns a wait over MAX_PACING_WAIT into a refusal that
names when to run again (a spent hourly quota can take most of an hour to free one request).
"""

from __future__ import annotations

import time

BURST_SHARE = 0.05  # 250 a minute of 5,000 an hour
BURST_WINDOW = 60.0
MAX_PACING_WAIT = 300.0
# Spreading the last requests before the reset is a courtesy (they will be admitted): never
# more than this per request.
MAX_SPREAD_WAIT = 30.0


class BurstSchedule:
    """When the next send may go under the burst limit. Not thread safe: the caller's lock."""

    def __init__(self) -> None:
        self._tat = 0.0  # GCRA's theoretical arrival time of the next send

    def slot(self, earliest: float, quota: int | None, in_flight_room: int) -> tuple[float, str]:
        """The earliest send time at or after `earliest` that keeps to the burst limit derived
        from the hourly `quota`, and the reason when it is later; records the send."""
        if quota is None:
            return earliest, ""
        burst = int(quota * BURST_SHARE)
        room = burst - in_flight_room
        if room < 2:
            return earliest, ""
        at_once = room // 2
        interval = BURST_WINDOW / (room - at_once)
        send = max(earliest, self._tat - (at_once - 1) * interval)
        self._tat = max(self._tat, send) + interval
        why = f"spreading requests under the API's burst limit of {burst} a minute"
        return send, why if send > earliest else ""


def too_long(wait: float, why: str, what: str, now_epoch: float) -> str | None:
    """The refusal for a pacing wait over MAX_PACING_WAIT, or None when it may be taken."""
    if wait <= MAX_PACING_WAIT:
        return None
    try:
        until = time.strftime("%H:%M:%S UTC", time.gmtime(now_epoch + wait))
    except (OverflowError, OSError, ValueError):  # a wait of centuries
        until = "the time the API names"
    return (
        f"{what}: not sent: {why}; the rate limit would need a {wait:.0f} s wait, over the "
        f"{MAX_PACING_WAIT:.0f} s routerctl waits at most; run again after {until}"
    )
