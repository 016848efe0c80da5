"""Dashboard pages, in navigation order. Each module has TITLE, URL, ICON and render()."""

from dashboard.views import (
    acquisition,
    ask,
    churn,
    engagement,
    experiments,
    funnel,
    growth,
    overview,
    retention,
    revenue,
)

PAGES = [overview, growth, retention, funnel, engagement, revenue, acquisition, experiments, churn, ask]
