# Two commands do all the set-up on a fresh machine:
#   make chat   install, fetch the model from the package index, build the index, start the chat window
#   make test   install, fetch the model and a browser (Debian's Chromium), run ruff and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/embeddinggemma/.verified

.PHONY: chat terminal-chat test setup browser index eval bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

$(MODEL): | $(BIN)/.installed
	$(BIN)/python -m assistant models install embeddinggemma

setup: $(BIN)/.installed $(MODEL)

index: setup
	$(BIN)/python -m assistant ingest

chat: index
	$(BIN)/python ui.py

terminal-chat: index
	$(BIN)/python -m assistant chat

# Browser tests drive Debian's Chromium (Playwright cannot download a browser here); a CJK font for Chinese;
# LibreOffice and poppler render exported DOCX to PDF and PNG pages.
browser:
	@command -v chromium >/dev/null && fc-list | grep -qi wenquanyi || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei)
	@command -v soffice >/dev/null && command -v pdftoppm >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui poppler-utils)

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

eval: index
	$(BIN)/python -m assistant eval --compare

bench: index
	$(BIN)/python eval/bench.py

clean:
	rm -rf index
