"""`python -m benchmarks`: the performance figures in docs/performance.md, as measured ratios."""
