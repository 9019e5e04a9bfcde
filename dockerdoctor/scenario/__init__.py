"""Scenarios: scripted, reproducible container failures (`doctor scenario ...`).

spec.py reads scenario.toml (pure), library.py finds scenario folders, runner.py
reproduces one on a real engine and diagnoses it, expect.py checks the diagnosis against
the scenario's expectations (pure), verify.py runs many side by side, export.py writes a
scenario from an existing container. The format: scenarios/README.md.
"""
