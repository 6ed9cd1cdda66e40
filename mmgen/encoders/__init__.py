"""Encoders: user inputs -> features the planner reads. They are registered by name in
mmgen/components.py."""
