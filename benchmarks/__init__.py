"""`python -m benchmarks`: the performance figures quoted in the README, as measured ratios."""
