"""Evaluation: the gold questions run through an `Engine` → ranking, citation, refusal and key-fact metrics
(`metrics`), per category and language with bootstrap intervals, floors, and JSON/Markdown/PNG reports
(`harness`).

Takes: an `Engine` and the gold files under `eval/gold/`. Gives: scores and reports under `eval/reports/`.
"""
