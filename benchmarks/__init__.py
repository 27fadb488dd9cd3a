"""`python -m benchmarks`: the performance figures quoted in docs/performance.md, as measured ratios."""
