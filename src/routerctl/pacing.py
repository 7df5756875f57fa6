"""Pacing rules the client adds to what the `ratelimit-*` headers say (reference §3.5).

The headers report only DigitalOcean's hourly quota (5,000, rolling). The per-minute burst limit
(250) is documented as 5% of it and shows only as 429 + Retry-After, so the client keeps to it on
its own: `BurstSchedule` is a GCRA schedule in which half of the burst limit (less the requests
that may be in flight) may go at once and the rest are spaced evenly. No 60 s window then holds
more than the burst limit, and a long run is spread instead of stalled. A quota so small that no
burst room is left beyond the requests in flight gets the hourly rule only.

Every pacing wait is bounded: `refuse_long_wait` turns a wait over MAX_PACING_WAIT into an
error that names when to run again (a spent hourly quota can take most of an hour to free one
request), and `spread` caps the courtesy spacing of the last requests before a reset.
"""

from __future__ import annotations

import time

from routerctl.errors import ApiError

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

    def turn(
        self, now: float, wait: float, why: str, quota: int | None, in_flight_room: int
    ) -> tuple[float, str]:
        """(wait, why) for a send the hourly rule would let go after `wait`: later, with the
        burst reason, when the burst limit needs it; records the send."""
        send, burst_why = self.slot(now + wait, quota, in_flight_room)
        return (send - now, burst_why) if burst_why else (wait, why)


def spread(time_left: float, remaining: int) -> float:
    """The spacing of the last `remaining` requests over `time_left`, capped: they will be
    admitted, so spreading them is a courtesy worth a bounded wait only."""
    return max(0.0, min(time_left / remaining, MAX_SPREAD_WAIT))


def refuse_long_wait(wait: float, why: str, what: str, now_epoch: float) -> None:
    """Raise ApiError (nothing was sent) for a pacing wait over MAX_PACING_WAIT."""
    if wait <= MAX_PACING_WAIT:
        return
    try:
        until = time.strftime("%H:%M:%S UTC", time.gmtime(now_epoch + wait))
    except (OverflowError, OSError, ValueError):  # a wait of centuries
        until = "the time the API names"
    raise ApiError(
        f"{what}: not sent: {why}; the rate limit would need a {wait:.0f} s wait, over the "
        f"{MAX_PACING_WAIT:.0f} s routerctl waits at most; run again after {until}"
    )
