"""Spiders: what to fetch and when to follow. The only place that builds Requests."""
