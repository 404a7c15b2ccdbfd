"""Answers: ranked units → an `Answer` with citations. Quoted (`answer`: sentence choice, lead-ins,
refusals) or written by a language model (`prompt` → `generate`, streamed under time budgets), whose
citations are checked sentence by sentence (`grounding`, with the support judge `judge`); follow-up
questions rewritten to stand alone (`followup`).

Takes: ranked units (search), an LLM and an embedder (models). Gives: `Answer` (text, citations, JSON).
"""
