"""How long something has waited, the way an operator says it: "45 s", "12 min", "3 h 12 min", "2 d 4 h"."""

from __future__ import annotations

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def format_age(seconds: float) -> str:
    """Two units at most: the precision a queue needs, not a stopwatch's."""
    total = max(0, int(seconds))
    if total < MINUTE:
        return f"{total} s"
    if total < HOUR:
        return f"{total // MINUTE} min"
    if total < DAY:
        hours, rest = divmod(total, HOUR)
        minutes = rest // MINUTE
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, rest = divmod(total, DAY)
    hours = rest // HOUR
    return f"{days} d {hours} h" if hours else f"{days} d"
