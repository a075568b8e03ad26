"""Delivery: from a ready plan to the providers (preflight, fan-out, one cron-safe run)."""
