"""Search: units → a Chroma index of unit and sentence vectors with atomic, per-document builds (`index`);
a question → ranked units, by dense vectors fused with Chinese-aware BM25 (`keyword`, `retrieve`), by
reference (`lookup`: ¶12, footnote 18, GB.334/INS/4) or from the paper's structure (`aggregate`).

Takes: units (documents) and an embedder (models). Gives: ranked `Hit`s and structural answers.
"""
