"""The typed scenario: frozen dataclasses for every part of the business being simulated.

``data_generation.scenario.parse_scenario`` builds them from a scenario file after checking it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

JsonScalar = str | int | float | bool


@dataclass(frozen=True)
class Calendar:
    growth_per_year: float  # sign-ups per day grow by this fraction over 365 days (exponential trend)
    weekday_weights: tuple[float, ...]  # Monday .. Sunday, relative
    seasonality_amplitude: float  # yearly cosine around 1
    seasonality_peak_day: int  # day of year (0 = 1 January) where demand peaks
    daily_noise: float  # log-normal sigma of day-to-day sign-up noise
    hour_weights: tuple[float, ...]  # 24 relative weights (UTC hour of day)


@dataclass(frozen=True)
class Channel:
    name: str
    share: float
    retention_multiplier: float
    cost_per_signup: float | None  # set for paid channels only
    cpm: float | None
    ctr: float | None

    @property
    def is_paid(self) -> bool:
        return self.cost_per_signup is not None


@dataclass(frozen=True)
class Device:
    name: str
    share: float
    retention_multiplier: float
    step_multiplier: Mapping[str, float]


@dataclass(frozen=True)
class Segment:
    name: str
    share: float
    weibull_shape: float
    weibull_scale_days: float


@dataclass(frozen=True)
class StepDelay:
    mean_hours: float  # mean delay after the previous step for in-window converters (truncated exponential)
    beyond_window_share: float  # share of converters whose step lands after the conversion window
    late_mean_days: float  # mean of the extra delay after the window for those late converters


@dataclass(frozen=True)
class Funnel:
    steps: tuple[str, ...]
    window_days: int
    step_conversion: Mapping[str, Mapping[str, float]]  # channel -> step (2..K) -> probability of ever reaching
    delays: Mapping[str, StepDelay]  # step (2..K) -> delay model


@dataclass(frozen=True)
class Incident:
    day_fraction: float
    step: str
    conversion_multiplier: float
    description: str


@dataclass(frozen=True)
class ProgramCap:
    step: str  # activity ends at most ``days`` after this step (a fixed-length programme)
    days: int
    completion_event: str | None  # emitted at the end for users still active then


@dataclass(frozen=True)
class Resurrection:
    probability: float
    min_gap_days: float
    gap_mean_days: float
    lifetime_scale_days: float


@dataclass(frozen=True)
class Engagement:
    gamma_shape: float  # latent engagement ~ Gamma(shape, 1/shape): mean 1
    lifetime_exponent: float  # lifetime scale ~ engagement ** exponent
    sessions_per_day: float  # while active, at engagement 1
    events_per_session: float
    mean_gap_seconds: float
    first_week_boost: float
    depth_lifetime_multiplier: tuple[float, ...]  # by deepest funnel step reached (1..K)
    same_channel_share: float
    touch_channels: Mapping[str, float]
    same_device_share: float
    session_start_event: str
    fallback_event: str
    filler_events_mean: float
    resurrection: Resurrection | None
    program: ProgramCap | None


@dataclass(frozen=True)
class AmountSpec:
    median: float | None
    sigma: float | None
    minimum: float
    choices: Mapping[float, float] | None


@dataclass(frozen=True)
class EventSpec:
    name: str
    properties: Mapping[str, Mapping[JsonScalar, float]]
    amount: AmountSpec | None


@dataclass(frozen=True)
class ActivityEvent:
    event: str
    weight: float
    after_step: str | None


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    description: str
    goal_event: str
    window_days: int
    start_day_fraction: float
    duration_days: int
    variants: Mapping[str, float]
    control_variant: str
    conversion_rate: Mapping[str, float] | None  # for goal events outside the funnel; None = the funnel decides
    goal_mean_hours: float


@dataclass(frozen=True)
class Plan:
    plan_id: str
    plan_name: str
    billing_period: str
    price: float
    tier: int


@dataclass(frozen=True)
class Revenue:
    plans: tuple[Plan, ...]
    trial_days: int
    annual_share: float
    tier_weights: Mapping[int, float]
    plan_change_rate_per_month: float
    upgrade_share: float
    payment_failure_rate: float
    retry_days: tuple[int, ...]
    retry_success_rate: float
    refund_rate: float
    refund_delay_days: tuple[float, float]
    cancel_delay_days: float
    resubscribe_share: float
    failure_reasons: Mapping[str, float]


@dataclass(frozen=True)
class Referral:
    channel: str
    invite_event: str
    lead_time_mean_hours: float


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    source: str
    currency: str
    calendar: Calendar
    channels: Mapping[str, Channel]
    devices: Mapping[str, Device]
    countries: Mapping[str, float]
    segments: Mapping[str, Segment]
    user_properties: Mapping[str, Mapping[JsonScalar, float]]
    user_faker_properties: Mapping[str, str]
    funnel: Funnel
    incidents: tuple[Incident, ...]
    engagement: Engagement
    events: Mapping[str, EventSpec]
    activity: tuple[ActivityEvent, ...]
    experiments: tuple[Experiment, ...]
    revenue: Revenue | None
    referral: Referral | None
    dbt_vars: Mapping[str, Any]

    @property
    def touch_channel_names(self) -> list[str]:
        """Acquisition channels first, then channels that only appear as session touch points."""
        extra = [c for c in self.engagement.touch_channels if c not in self.channels]
        return [*self.channels, *extra]
