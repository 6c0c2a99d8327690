"""Scale benchmarks of evalkit: each module runs as ``python -m benchmarks.<name>``."""
