"""Quality measurements (tempo, key, loudness, duration...) shared by tests, reports and benchmarks."""
