"""Benchmarks (run as scripts: python bench/crawl.py, python bench/extraction.py); not installed."""
