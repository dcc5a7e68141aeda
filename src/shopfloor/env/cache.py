"""Installed environments kept by key, so a task whose dependencies did not change gets one in a second.

An entry holds the products of one setup (`.venv`, `node_modules`) as hard links (no second copy on disk)
and the tree they were built in. Restoring links them into the new tree and rewrites the few files that
name the old tree (a venv's script headers and `.pth` files, pnpm's bin shims); each rewritten file is
a new file, so the entry itself never changes. An entry is written under a temporary name and renamed,
so a half-written one is never used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

_META = "entry.json"
_FILES = "files"
_MAX_REWRITE_BYTES = 2_000_000


class EnvCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _entry(self, key: str) -> Path:
        return self.root / key

    def has(self, key: str) -> bool:
        return (self._entry(key) / _META).is_file()

    def store(self, key: str, tree: Path, products: list[str]) -> bool:
        """Keep `tree`'s products under `key`; False when there was nothing to keep."""
        present = [p for p in products if (tree / p).exists() or (tree / p).is_symlink()]
        if not present or self.has(key):
            return bool(present)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            for rel in present:
                link_copy(tree / rel, tmp / _FILES / rel)
            for rel in present:
                if Path(rel).name == "node_modules":  # tools' scratch caches are written in place
                    shutil.rmtree(tmp / _FILES / rel / ".cache", ignore_errors=True)
            meta = {"tree": str(tree), "products": present}
            (tmp / _META).write_text(json.dumps(meta), encoding="utf-8")
            try:
                tmp.rename(self._entry(key))
            except OSError:  # another task stored the same key first
                return True
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return True

    def restore(self, key: str, tree: Path) -> list[str]:
        """Link the entry's products into `tree` (replacing what is there); the products restored."""
        entry = self._entry(key)
        meta = json.loads((entry / _META).read_text(encoding="utf-8"))
        old_root = str(meta["tree"])
        products = [str(p) for p in meta["products"]]
        for rel in products:
            dest = tree / rel
            _remove(dest)
            link_copy(entry / _FILES / rel, dest)
            if old_root != str(tree):
                relocate(dest, old_root, str(tree))
        return products


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def link_copy(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` with hard links for files and symlinks kept as they are; a real copy where
    links cannot be made (another file system)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if shutil.which("cp") and _cp(["-al"], src, dest):
        return
    if src.is_symlink() or src.is_file():
        _link_or_copy(src, dest)
        return
    shutil.copytree(src, dest, symlinks=True, copy_function=_link_or_copy)


def _cp(flags: list[str], src: Path, dest: Path) -> bool:
    done = subprocess.run(["cp", *flags, str(src), str(dest)], capture_output=True, check=False)
    if done.returncode != 0:
        _remove(dest)
    return done.returncode == 0


def _link_or_copy(src: str | Path, dest: str | Path) -> None:
    if Path(src).is_symlink():
        Path(dest).symlink_to(Path(src).readlink())
        return
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


def relocate(product: Path, old: str, new: str) -> int:
    """Rewrite files under `product` that name the tree it was built in; returns how many changed."""
    pattern = re.compile(re.escape(old.encode()) + rb"(?![\w.-])")
    changed = 0
    for path in _path_bearing(product):
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > _MAX_REWRITE_BYTES:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192] or old.encode() not in data:
            continue
        mode = path.stat().st_mode
        path.unlink()  # a new file: the cached one (a hard link) stays as it was
        path.write_bytes(pattern.sub(new.encode().replace(b"\\", b"\\\\"), data))
        path.chmod(mode)
        changed += 1
    return changed


def _path_bearing(product: Path) -> Iterator[Path]:
    """Files that may hold the absolute path of the tree: a venv's scripts, config and import hooks,
    and node_modules' bin shims."""
    for folder in ("bin", ".bin"):
        if (product / folder).is_dir():
            yield from (product / folder).iterdir()
    yield product / "pyvenv.cfg"
    for site in product.glob("lib/python*/site-packages"):
        yield from site.glob("*.pth")
        yield from site.glob("__editable__*")
        yield from site.glob("*.egg-link")
        yield from site.glob("*.dist-info/direct_url.json")
