"""Translation: a document's units → a machine-translated language version, sentence by sentence, by the
configured language model (llama.cpp locally, or an OpenAI-compatible server), prompted with the term base
and checked (details kept, no Chinese left, official names used, cross-lingual similarity); cached and
resumable (`translate`).

Takes: units and the term base (documents), an LLM and an embedder (models). Gives: a `Version` to store
under `corpus/versions/`, and the checks' figures.
"""
