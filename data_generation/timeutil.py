"""Time as int64 microseconds since 1970-01-01 (UTC, naive), and the calendar shapes of demand."""

from __future__ import annotations

from datetime import date

import numpy as np

from data_generation.scenario import Calendar

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
NEVER = np.iinfo(np.int64).max  # "did not happen (by the end of the data)"
YEAR_DAYS = 365.2425


def date_to_us(d: date) -> int:
    return (d - date(1970, 1, 1)).days * DAY


def us_to_date(us: int) -> date:
    return date.fromordinal(date(1970, 1, 1).toordinal() + us // DAY)


def day_of_week(ts: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
    return (ts // DAY + 3) % 7


def seasonal_factor(day_number: np.ndarray, calendar: Calendar) -> np.ndarray:
    """Yearly cosine around 1, peaking on ``seasonality_peak_day`` (day of year)."""
    day_of_year = np.mod(day_number, YEAR_DAYS)
    phase = 2 * np.pi * (day_of_year - calendar.seasonality_peak_day) / YEAR_DAYS
    return 1.0 + calendar.seasonality_amplitude * np.cos(phase)


def signup_day_weights(start_us: int, days: int, calendar: Calendar, rng: np.random.Generator) -> np.ndarray:
    """Relative sign-up volume per day: growth trend x weekday x season x log-normal day noise."""
    day_number = start_us // DAY + np.arange(days)
    trend = np.exp(np.log1p(calendar.growth_per_year) * np.arange(days) / 365.0)
    weekday = np.asarray(calendar.weekday_weights)[(day_number + 3) % 7]
    sigma = calendar.daily_noise
    noise = rng.lognormal(-0.5 * sigma * sigma, sigma, days) if sigma > 0 else np.ones(days)
    return trend * weekday * seasonal_factor(day_number, calendar) * noise


def sample_time_of_day(rng: np.random.Generator, n: int, hour_weights: tuple[float, ...]) -> np.ndarray:
    """Microseconds after midnight, hours drawn from the profile and uniform inside the hour."""
    p = np.asarray(hour_weights, dtype=float)
    hours = rng.choice(24, size=n, p=p / p.sum())
    return hours.astype(np.int64) * HOUR + (rng.random(n) * HOUR).astype(np.int64)


def add_months(ts: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """``ts`` plus whole calendar months, keeping the day of month (clamped to the month's length) and time."""
    days = ts // DAY
    time_of_day = ts - days * DAY
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64)
    first = target.astype("datetime64[D]").astype(np.int64)
    length = (target + 1).astype("datetime64[D]").astype(np.int64) - first
    return (first + np.minimum(day_of_month, length - 1)) * DAY + time_of_day


def truncated_exponential(rng: np.random.Generator, mean: float | np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Exponential(mean) draws conditioned to fall in [0, upper] (inverse CDF, vectorised)."""
    upper = np.maximum(upper, 0.0)
    cdf_upper = -np.expm1(-upper / mean)
    return -mean * np.log1p(-rng.random(upper.shape) * cdf_upper)
