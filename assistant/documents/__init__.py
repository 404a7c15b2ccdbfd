"""Documents: a file (PDF, DOCX, HTML, Markdown, text) → the text-line layout (`formats`) → parsed blocks
(`parse`) → units with printed labels, footnote links and GB symbols (`units`); the corpus manifest and its
files (`corpus`); text utilities used by every stage above (`text`: sentences, language).

Takes: files and their metadata. Gives: `Unit`s (¶N, fn N, deliverables, front matter) and `DocumentInfo`.
Imports nothing from the other stages.
"""
