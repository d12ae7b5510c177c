"""`make bench`: scenario generator, baselines, scoring and device cost (run: python -m bench)."""
