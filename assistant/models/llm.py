"""Language-model backends behind llama-index's LLM interface, chosen by configuration.

- `local`: a GGUF model run in this process by llama.cpp (llama-cpp-python), with the chat template
  stored in the GGUF; an installed model's name (`python -m assistant models install NAME`) or a path.
- `openai`: any OpenAI-compatible server (Ollama, vLLM, llama.cpp's server) through `OpenAILike`.
- `extractive` (no model): `make_llm` returns None.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import Settings
from .weights import CHAT_MODELS, ModelMissing, is_installed, require


class LLMUnavailable(RuntimeError):
    """The configured backend cannot run here; the message says what to install or set."""


def llama_cpp_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


def local_model_path(settings: Settings) -> Path:
    """The GGUF file for `llm_model`: an installed model's name, or a path to a .gguf file."""
    name = settings.llm_model
    if name in CHAT_MODELS:
        return require(settings.models_dir, name)
    path = Path(name).expanduser()
    if path.suffix != ".gguf" or not path.is_file():
        raise ModelMissing(
            f"ILO_LLM_MODEL={name!r} is neither an installed chat model ({', '.join(CHAT_MODELS)}) nor a .gguf file; "
            f"run: python -m assistant models install {CHAT_MODELS[0]}"
        )
    return path


def resolve_mode(settings: Settings) -> str:
    """The answer mode `auto` stands for here: `local` when a chat model and llama.cpp are installed."""
    if settings.answer_mode != "auto":
        return settings.answer_mode
    installed = settings.llm_model not in CHAT_MODELS or is_installed(settings.models_dir, settings.llm_model)
    return "local" if installed and llama_cpp_available() else "extractive"


def backend_name(settings: Settings) -> str:
    """What wrote the answer, for the JSON output and the reports: `local:qwen2.5-1.5b`, `openai:MODEL`."""
    mode = resolve_mode(settings)
    if mode == "local":
        return f"local:{Path(settings.llm_model).stem if settings.llm_model.endswith('.gguf') else settings.llm_model}"
    if mode == "openai":
        return f"openai:{settings.openai_model}"
    return "extractive"


def make_llm(settings: Settings):
    """The configured llama-index LLM, or None for extractive answers."""
    mode = resolve_mode(settings)
    if mode == "extractive":
        return None
    if mode == "openai":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=settings.openai_model,
            api_base=settings.openai_base_url,
            api_key=settings.openai_api_key.get_secret_value(),
            is_chat_model=True,
            context_window=settings.llm_context_tokens,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            timeout=settings.llm_timeout_s,
            max_retries=0,
        )
    if not llama_cpp_available():
        raise LLMUnavailable(
            "the local answer mode needs llama-cpp-python; run `make llm` (it builds the wheel once and caches it)"
        )
    return LlamaCppChat.load(local_model_path(settings), settings)


def _llama_cpp_chat_class():
    """Defined on first use: llama-index's LLM base classes are a heavy import."""
    from llama_index.core.llms import (
        ChatMessage,
        ChatResponse,
        CompletionResponse,
        CustomLLM,
        LLMMetadata,
        MessageRole,
    )
    from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
    from pydantic import PrivateAttr

    class _LlamaCppChat(CustomLLM):
        """llama.cpp in-process, using the model's own chat template (stored in the GGUF)."""

        model_path: str
        context_window: int = 2048
        max_tokens: int = 200
        temperature: float = 0.1
        _llama: Any = PrivateAttr()
        _lock: Any = PrivateAttr()

        @classmethod
        def load(cls, path: Path, settings: Settings):
            from llama_cpp import Llama

            llm = cls(
                model_path=str(path),
                context_window=settings.llm_context_tokens,
                max_tokens=settings.llm_max_tokens,
                temperature=settings.llm_temperature,
            )
            threads = settings.llm_threads or os.cpu_count() or 2
            llm._llama = Llama(
                model_path=str(path), n_ctx=settings.llm_context_tokens, n_threads=threads, verbose=False, seed=0
            )
            llm._lock = threading.Lock()  # one llama.cpp context: one generation at a time
            return llm

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(
                context_window=self.context_window,
                num_output=self.max_tokens,
                is_chat_model=True,
                model_name=Path(self.model_path).name,
            )

        def count_tokens(self, text: str) -> int:
            return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False))

        def _stream(self, messages: Sequence[ChatMessage], **kwargs: Any):
            with self._lock:
                chunks = self._llama.create_chat_completion(
                    messages=[{"role": m.role.value, "content": m.content or ""} for m in messages],
                    max_tokens=kwargs.get("max_tokens", self.max_tokens),
                    temperature=kwargs.get("temperature", self.temperature),
                    repeat_penalty=1.1,  # small models otherwise loop on one sentence
                    stream=True,
                )
                for chunk in chunks:
                    delta = chunk["choices"][0].get("delta", {}).get("content") or ""
                    if delta:
                        yield delta

        @llm_chat_callback()
        def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any):
            def gen():
                text = ""
                for delta in self._stream(messages, **kwargs):
                    text += delta
                    yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta)

            return gen()

        @llm_chat_callback()
        def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
            text = "".join(self._stream(messages, **kwargs))
            return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            return CompletionResponse(
                text=self.chat([ChatMessage(role=MessageRole.USER, content=prompt)]).message.content
            )

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any):
            def gen():
                for r in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs):
                    yield CompletionResponse(text=r.message.content, delta=r.delta)

            return gen()

    return _LlamaCppChat


class LlamaCppChat:
    """Loader for the in-process llama.cpp chat model (the class itself is built lazily)."""

    @staticmethod
    def load(path: Path, settings: Settings):
        return _llama_cpp_chat_class().load(path, settings)
