"""Reading the marts, for every consumer (the dashboard, the weekly report): the reader (``analytics.marts``) and the
KPI layer (``analytics.kpis``). Nothing here imports Streamlit or the report's templates."""
