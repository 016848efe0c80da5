"""Outputs built on the marts besides the dashboard: the weekly growth report and the offline docs site."""
