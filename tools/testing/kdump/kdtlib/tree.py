# SPDX-License-Identifier: GPL-2.0
"""build/src: Debian's linux-source-6.12, the project's overlay and patches/series.

The source is unpacked once. Patches are tracked in a state file: when patches/series changes,
the patches that no longer match are reverse-applied (newest first) and the new ones applied,
so only the files they touch get a new mtime and the flavours rebuild incrementally. Project
files are linked in with symlinks, so an edit is seen by the next build with no copy step.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from .common import BUILD, ROOT, SRC, TARBALL, KdtError, progress, run

STATE = SRC / ".kdump-tree.json"
APPLIED = SRC / ".kdump-applied"

# Project directory -> where it is linked in the kernel tree, as a whole directory.
DIR_LINKS = {
    "Kbuild": "kdump/Kbuild",
    "crash": "kdump/crash",
    "kexec": "kdump/kexec",
    "vmcore": "kdump/vmcore",
}
# Project directories merged file by file into the kernel's own directories of the same name.
MERGED = ("rust", "samples", "Documentation")


def _diff_sha(path):
    """Hash of a patch's diff only: rewording its message does not re-apply it."""
    text = Path(path).read_bytes()
    start = text.find(b"\n--- ")
    return hashlib.sha256(text[start:] if start >= 0 else text).hexdigest()


def tarball_id():
    st = TARBALL.stat()
    return f"{TARBALL}:{st.st_size}:{int(st.st_mtime)}"


def _series():
    series = ROOT / "patches" / "series"
    out = []
    for line in series.read_text().splitlines():
        # A line names a patch, then the project files of the same concern (make series).
        words = line.split("#", 1)[0].split()
        if words:
            line = words[0]
            p = ROOT / "patches" / line
            if not p.exists():
                raise KdtError(f"patches/series names {line}, which does not exist")
            out.append({"name": line, "sha": _diff_sha(p)})
    return out


def _load_state():
    try:
        return json.loads(STATE.read_text())
    except (OSError, ValueError):
        return None


def _save_state(state):
    STATE.write_text(json.dumps(state, indent=1))


def kernel_version(src=None):
    """The kernel release a source tree (build/src unless named) is, such as 6.12.118, from its
    top Makefile; None if unknown."""
    try:
        text = (Path(src or SRC) / "Makefile").read_text(errors="replace")[:2000]
    except OSError:
        return None
    parts = [re.search(rf"^{k} = (\d+)", text, re.M) for k in ("VERSION", "PATCHLEVEL",
                                                                  "SUBLEVEL")]
    return ".".join(m.group(1) for m in parts) if all(parts) else None


def _unpack(old=None):
    if not TARBALL.exists():
        raise KdtError(f"{TARBALL} not found: install linux-source-6.12 (make deps)")
    if old is not None:
        progress(f"src: {TARBALL.name} changed (build/src was Linux {old}): unpacking it again")
    progress(f"src: unpacking {TARBALL.name} into build/src (about 30 s)")
    tmp = BUILD / "src.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(SRC, ignore_errors=True)
    tmp.mkdir(parents=True)
    # --touch: a stable update's files carry Debian's dates, older than objects a flavour
    # built from the previous source; kbuild goes by mtime, and would keep those objects.
    run(["tar", "-xf", str(TARBALL), "-C", str(tmp), "--strip-components=1", "--touch"])
    tmp.rename(SRC)
    APPLIED.mkdir()
    state = {"tarball": tarball_id(), "patches": []}
    _save_state(state)
    progress(f"src: Linux {kernel_version()} from {TARBALL}")
    return state


def failed_hunks(patch_text, dry_output):
    """The hunks `patch --dry-run` could not apply, each as "FILE hunk #N (@@ header) at LINE"
    with the hunk's header from the patch, so a refusal names where the source moved."""
    headers, current = {}, None
    for line in patch_text.splitlines():
        if line.startswith("+++ "):
            current = line[4:].split("\t")[0].split("/", 1)[-1]
            headers[current] = []
        elif line.startswith("@@ ") and current is not None:
            headers[current].append(line)
    out, current, missing = [], None, False
    for line in dry_output.splitlines():
        m = re.match(r"checking file (\S+)", line)
        if m:
            current = m.group(1)
            continue
        m = re.match(r"Hunk #(\d+) FAILED at (\d+)", line)
        if m:
            n = int(m.group(1))
            hunks = headers.get(current, [])
            head = f" ({hunks[n - 1]})" if 0 < n <= len(hunks) else ""
            out.append(f"{current} hunk #{n}{head} at line {m.group(2)}")
        elif line.startswith("Reversed (or previously applied) patch detected"):
            # Upstream took the same change into the stable update.
            out.append(f"{current}: already in the tree (previously applied or reversed)")
        elif "can't find file to patch" in line:
            # patch shows the patch's header of that file next, as "|+++ b/path".
            missing = True
        elif missing and line.startswith("|+++ "):
            out.append(f"{line[5:].split(chr(9))[0].split('/', 1)[-1]}: not in the tree")
            missing = False
    return out


def apply_patch(name, path, reverse):
    verb = "reverting" if reverse else "applying"
    cmd = ["patch", "-p1", "--batch", "--reverse" if reverse else "--forward", "--quiet",
           "-i", str(path)]
    # Not --quiet: only then does patch say which hunk failed and where.
    dry = subprocess.run([c for c in cmd if c != "--quiet"] + ["--dry-run"], cwd=SRC,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if dry.returncode != 0:
        hunks = failed_hunks(Path(path).read_text(errors="replace"), dry.stdout)
        raise KdtError(f"patch {name} does not {'reverse' if reverse else 'apply'} on "
                       f"linux-source-6.12 (Linux {kernel_version()}): "
                       f"{'; '.join(hunks) or 'see below'}\n{dry.stdout}")
    progress(f"src: {verb} {name}")
    run(cmd, cwd=SRC)


def _sync_patches(state):
    want = _series()
    have = state["patches"]
    keep = 0
    while keep < len(have) and keep < len(want) and have[keep] == want[keep]:
        keep += 1
    for entry in reversed(have[keep:]):
        apply_patch(entry["name"], APPLIED / entry["name"], reverse=True)
        (APPLIED / entry["name"]).unlink()
        state["patches"].pop()
        _save_state(state)
    for entry in want[:keep]:
        shutil.copy(ROOT / "patches" / entry["name"], APPLIED / entry["name"])
    for entry in want[keep:]:
        apply_patch(entry["name"], ROOT / "patches" / entry["name"], reverse=False)
        shutil.copy(ROOT / "patches" / entry["name"], APPLIED / entry["name"])
        state["patches"].append(entry)
        _save_state(state)


def _link(src, dst):
    """Make `dst` a symlink to `src`; refuse to shadow a file of the stock tree."""
    if dst.is_symlink():
        if os.readlink(dst) == str(src):
            return
        dst.unlink()
    elif dst.exists():
        raise KdtError(f"{src.relative_to(ROOT)} would replace the stock {dst.relative_to(SRC)}: "
                       "change stock files with a patch in patches/, not by overlay")
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.symlink_to(src)


def _overlay(state):
    links = []
    for proj, tree in DIR_LINKS.items():
        _link(ROOT / proj, SRC / tree)
        links.append(tree)
    for top in MERGED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                rel = path.relative_to(ROOT)
                _link(path, SRC / rel)
                links.append(str(rel))
    # Drop links to project files that are gone, so a removed file does not linger in builds.
    for old in set(state.get("links", [])) - set(links):
        p = SRC / old
        if p.is_symlink():
            p.unlink()
    state["links"] = links
    _save_state(state)


def prepare():
    """Bring build/src up to date with the tarball, patches/series and the project's files."""
    state = _load_state()
    if state is None or not SRC.exists():
        state = _unpack()
    elif state.get("tarball") != tarball_id():
        state = _unpack(old=kernel_version())
    _sync_patches(state)
    _overlay(state)
    if (SRC / ".config").exists():
        raise KdtError("build/src has an in-tree .config; flavours build with O=, remove it")
    return SRC
