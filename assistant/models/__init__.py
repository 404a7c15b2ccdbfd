"""Models: weights fetched from the package index and checked (`weights`), the embedders (`embed`) and the
language-model backends (`llm`).

Takes: the settings (which model, which folder, which server). Gives: an `Embedder` (text → unit vectors)
and an llama-index LLM (messages → streamed text). Imports nothing from the other stages.
"""
