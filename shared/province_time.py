"""The province's clock: Quảng Bình keeps Vietnam's time (UTC+7, no daylight saving), so a
day begins there seven hours before it begins in UTC. Dates users type (a delivery window, a
certificate's expiry) are dates there."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PROVINCE_TIME = ZoneInfo("Asia/Ho_Chi_Minh")


def province_today() -> date:
    return datetime.now(PROVINCE_TIME).date()
