"""Interfaces: what leaves the house. The command line (`cli`), briefing notes for Resident Coordinators
(`brief`), conversations exported as Markdown and DOCX (`export`), the chat window's HTML (`render`) and
its feedback store (`feedback`); `ui.py` at the top of the repository is the Gradio app built on them.

Takes: an `Engine` (and the stages below for ingest, models and evaluation). Gives: text, JSON, HTML, DOCX.
"""
