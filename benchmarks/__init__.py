"""Benchmarks and measuring tools: speed against references in the same run, notebook budgets."""
