"""The package's stages import only downwards, so each folder can be read without the ones above it."""

from __future__ import annotations

import ast
from pathlib import Path

from assistant.config import ROOT

PACKAGE = ROOT / "assistant"
# Lowest first. A module may import from its own stage or any stage listed before it.
STAGES = ("config", "models", "documents", "translation", "search", "answers", "engine", "evaluation", "interfaces")


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "assistant" else ""


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def _imports(path: Path) -> list[str]:
    """Absolute names of the assistant modules a file imports, wherever in the file (lazy imports count)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names] if not node.module else [target]
            out += [n for n in names if n.startswith("assistant")]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("assistant")]
    return out


def test_no_stage_imports_from_a_stage_above_it():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _stage(_module_name(path))
        if own not in STAGES:  # assistant/__init__.py, __main__.py: the entry points
            continue
        for target in _imports(path):
            other = _stage(target)
            if other in STAGES and STAGES.index(other) > STAGES.index(own):
                upward.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not upward, "imports against the stages:\n" + "\n".join(upward)


def test_every_stage_folder_says_what_it_takes_and_gives():
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        if not init.exists():  # config.py, engine.py are single modules
            assert (PACKAGE / f"{stage}.py").exists(), stage
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "Takes:" in doc and "Gives:" in doc, f"{init} docstring should say what the stage takes and gives"
