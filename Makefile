# Two commands do all the set-up on a fresh machine:
#   make chat   install, fetch the model from the package index, build the index, start the chat window
#   make test   install, fetch the models and a browser (Debian's Chromium), run ruff and the whole test suite
# `make llm` adds written answers: llama.cpp and the default chat model (then `make chat` uses them).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/embeddinggemma/.verified
# EmbeddingGemma exported to ONNX and checked against torch (queries without torch); `models install` makes it
# too, this target makes it where the model was installed before (about a minute, 1.23 GB on disk).
ONNX := models/embeddinggemma/onnx/.verified
CHAT_MODEL ?= qwen2.5-1.5b

# llama-cpp-python exists only as source. Built once per machine and kept as a wheel outside the checkout;
# only the library is built (no tools, examples, tests or llava), which cuts the 2-core build from ~30 to
# ~9 minutes, for generic x86-64 with AVX2 (not -march=native) so the cached wheel runs on any machine here.
LLAMA_CPP := llama-cpp-python==0.3.36
WHEELS ?= $(HOME)/.cache/ilo-assistant/wheels
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF -DGGML_NATIVE=OFF \
	-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

.PHONY: chat terminal-chat serve test setup llm browser index eval bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

$(MODEL): | $(BIN)/.installed
	$(BIN)/python -m assistant models install embeddinggemma

$(ONNX): | $(MODEL)
	$(BIN)/python -m assistant models export embeddinggemma

$(BIN)/.llama-cpp: | $(BIN)/.installed
	@ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || ( \
		echo "building llama-cpp-python once (about 9 minutes on 2 cores); the wheel is kept in $(WHEELS)" && \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(BIN)/python -m pip wheel -q --no-deps --no-binary llama-cpp-python -w $(WHEELS) $(LLAMA_CPP))
	$(BIN)/python -m pip install -q --find-links $(WHEELS) '$(LLAMA_CPP)' 'sse-starlette>=2' 'starlette-context>=0.3'
	touch $@

models/$(CHAT_MODEL)/.verified: | $(BIN)/.installed
	$(BIN)/python -m assistant models install $(CHAT_MODEL)

models/smollm2-135m/.verified: | $(BIN)/.installed
	$(BIN)/python -m assistant models install smollm2-135m

setup: $(BIN)/.installed $(MODEL) $(ONNX)

llm: setup $(BIN)/.llama-cpp models/$(CHAT_MODEL)/.verified

index: setup
	$(BIN)/python -m assistant ingest

chat: index
	$(BIN)/python ui.py

terminal-chat: index
	$(BIN)/python -m assistant chat

# The HTTP API (/v1/ask, OpenAI-compatible /v1/chat/completions, /docs) and the chat window in one process.
serve: index
	$(BIN)/python -m assistant serve

# Browser tests drive Debian's Chromium (Playwright cannot download a browser here); a CJK font for Chinese;
# LibreOffice and poppler render exported DOCX to PDF and PNG pages.
browser:
	@command -v chromium >/dev/null && fc-list | grep -qi wenquanyi || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei)
	@command -v soffice >/dev/null && command -v pdftoppm >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui poppler-utils)

# The tests run the real local path with the small SmolLM2 model, in-process and behind llama.cpp's server.
test: setup browser $(BIN)/.llama-cpp models/smollm2-135m/.verified
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

eval: index
	$(BIN)/python -m assistant eval --compare

bench: index
	$(BIN)/python eval/bench.py

clean:
	rm -rf index
