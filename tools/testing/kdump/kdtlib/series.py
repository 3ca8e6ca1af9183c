# SPDX-License-Identifier: GPL-2.0
"""`make series`: the tree as a `git format-patch` series against pristine linux-source-6.12.

Each line of patches/series names a C-seam patch and, after it, the project files that belong to
the same concern (a directory means every file under it). The series is made by committing, in
series order, each patch's diff together with its project files, laid where build/src has them
(kexec/ as kdump/kexec/, rust/ into rust/, ...), onto a git repository of the pristine source.
A patch file is written as a mail: `From:`, `Subject: [PATCH] ...`, the message, then `---`,
then optional notes for reviewers (kept as git notes, printed after the `---` of the mail), then
the diff. Every overlay file must belong to exactly one patch.

Checks made by `make check`:
  - `git am` of the series onto a fresh copy of the pristine source gives build/src, file for
    file (am_check);
  - scripts/checkpatch.pl --strict on every patch finds no error and no warning whose type the
    patch's notes do not explain ("checkpatch TYPE: why"), the missing Signed-off-by aside: the
    person who submits the series adds their own (checkpatch_check);
  - the kernel's `make rustfmtcheck` on the applied tree, where the project's Rust files are
    real files (build/src links them, and the kernel's target skips links) (rustfmt_check).
"""

import email.utils
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from . import tree
from .common import BUILD, ROOT, TARBALL, KdtError, progress, run, tool_env

PRISTINE = BUILD / "pristine"      # git repository: the tarball as one commit
WORK = BUILD / "series-work"        # where the series is committed
OUT = BUILD / "series"              # the patch files
AM = BUILD / "series-am"            # a fresh copy of the pristine source, the series applied
FIXED_DATE = "2026-01-01T00:00:00+00:00"  # the same series every time it is made
# What build/src holds that is not kernel source: the overlay's own records, Python caches.
SRC_EXTRA = (".kdump-tree.json", ".kdump-applied", "__pycache__")
CHECKPATCH_SIGNOFF = "MISSING_SIGN_OFF"


def _git(args, cwd, env=None, log=None):
    # A fixed identity, so the series needs none configured (git notes takes an author too)
    # and its commits are the same whoever makes them; each patch's commit sets its author.
    e = dict(tool_env(), GIT_AUTHOR_DATE=FIXED_DATE, GIT_COMMITTER_DATE=FIXED_DATE,
             GIT_AUTHOR_NAME="kdump series", GIT_AUTHOR_EMAIL="series@kdump.invalid",
             GIT_COMMITTER_NAME="kdump series", GIT_COMMITTER_EMAIL="series@kdump.invalid")
    e.update(env or {})
    return run(["git", "-c", "core.autocrlf=false", "-c", "gc.auto=0", *args], cwd=cwd, env=e,
               log=log or BUILD / "logs" / "series.log")


def parse_series():
    """[(patch name, [project paths])] in series order."""
    out = []
    for line in (ROOT / "patches" / "series").read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            out.append((words[0], words[1:]))
    return out


def tree_path(rel):
    """Where a project file lies in build/src (the overlay's mapping)."""
    for proj, in_tree in tree.DIR_LINKS.items():
        if rel == proj or rel.startswith(proj + "/"):
            return in_tree + rel[len(proj):]
    if rel.split("/", 1)[0] in tree.MERGED:
        return rel
    raise KdtError(f"patches/series names {rel}, which the overlay does not lay into the tree")


def overlay_files():
    """Every project file build/src has, as project paths."""
    files = []
    for proj in tree.DIR_LINKS:
        p = ROOT / proj
        files += [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()]
    for top in tree.MERGED:
        files += [f for f in (ROOT / top).rglob("*") if f.is_file()]
    return sorted(str(f.relative_to(ROOT)) for f in files if "__pycache__" not in f.parts)


def assign():
    """{patch: [project files]}; every overlay file in exactly one patch. A file named by a
    longer path goes to that patch (kexec/x86_64 before kexec/)."""
    every = overlay_files()
    owner = {}  # file -> (length of the path that named it, patch)
    for name, paths in parse_series():
        for path in paths:
            path = path.rstrip("/")
            hits = [f for f in every if f == path or f.startswith(path + "/")]
            if not hits:
                raise KdtError(f"patches/series: {name} names {path}, which has no file")
            for f in hits:
                if f in owner and owner[f][0] == len(path):
                    raise KdtError(f"patches/series: {f} is in both {owner[f][1]} and {name}")
                if f not in owner or owner[f][0] < len(path):
                    owner[f] = (len(path), name)
    out = {name: [] for name, _ in parse_series()}
    for f, (_, name) in owner.items():
        out[name].append(f)
    left = [f for f in every if f not in owner]
    if left:
        raise KdtError("patches/series gives these overlay files to no patch:\n  " + "\n  ".join(left))
    return out


def parse_patch(path):
    """(author, subject, message, notes, diff) of a patch file of patches/."""
    text = Path(path).read_text()
    head, sep, rest = text.partition("\n---\n")
    if not sep:
        raise KdtError(f"{path.name}: no '---' line between the message and the diff")
    m_from = re.search(r"^From: (.+)$", head, re.M)
    m_subj = re.search(r"^Subject: (?:\[PATCH\] )?(.+)$", head, re.M)
    if not m_from or not m_subj:
        raise KdtError(f"{path.name}: needs 'From:' and 'Subject:' lines")
    name, mail = email.utils.parseaddr(m_from.group(1))
    if not name or "@" not in mail:
        raise KdtError(f"{path.name}: 'From: {m_from.group(1)}' is not 'Name <address>'")
    body = head[m_subj.end():].strip("\n")
    start = rest.find("--- a/")
    if start < 0:
        raise KdtError(f"{path.name}: no diff after '---'")
    return f"{name} <{mail}>", m_subj.group(1).strip(), body, rest[:start].strip(), rest[start:]


def _pristine():
    """A git repository of the unpacked tarball, made once per tarball."""
    stamp = PRISTINE / ".git" / "kdump-tarball"
    ident = tree.tarball_id()
    if stamp.exists() and stamp.read_text() == ident:
        return
    progress(f"series: {TARBALL.name} into a git repository, build/pristine (about 1 min)")
    shutil.rmtree(PRISTINE, ignore_errors=True)
    PRISTINE.mkdir(parents=True)
    run(["tar", "-xf", str(TARBALL), "-C", str(PRISTINE), "--strip-components=1"])
    _git(["init", "-q"], PRISTINE)
    # -f: the tarball holds files the kernel's .gitignore names; they are source all the same.
    _git(["add", "-A", "-f"], PRISTINE)
    _git(["commit", "-q", "-m", "linux-source-6.12"], PRISTINE,
         env={"GIT_AUTHOR_NAME": "linux-source-6.12", "GIT_AUTHOR_EMAIL": "source@kdump.invalid"})
    stamp.write_text(ident)


def _fresh_clone(dest):
    shutil.rmtree(dest, ignore_errors=True)
    _git(["clone", "-q", "--shared", str(PRISTINE), str(dest)], BUILD)


def make_series(signoff=None):
    """Write build/series/NNNN-*.patch; returns their paths."""
    files = assign()
    _pristine()
    progress("series: committing the patches with their files onto the pristine source")
    _fresh_clone(WORK)
    for name, _ in parse_series():
        author, subject, body, notes, diff = parse_patch(ROOT / "patches" / name)
        res = subprocess.run(["git", "apply", "--whitespace=nowarn", "-"], cwd=WORK, input=diff,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if res.returncode != 0:
            raise KdtError(f"{name} does not apply in series order:\n{res.stdout}")
        touched = [m for m in re.findall(r"^\+\+\+ b/(\S+)", diff, re.M)]
        for rel in files[name]:
            dst = WORK / tree_path(rel)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / rel, dst)
            touched.append(tree_path(rel))
        _git(["add", "-f", "--", *touched], WORK)
        msg = f"{subject}\n\n{body}\n"
        if signoff:
            msg += f"\nSigned-off-by: {signoff}\n"
        a_name, a_mail = email.utils.parseaddr(author)
        _git(["commit", "-q", "-m", msg], WORK,
             env={"GIT_AUTHOR_NAME": a_name, "GIT_AUTHOR_EMAIL": a_mail})
        if notes:
            _git(["notes", "add", "-m", notes], WORK)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    _git(["format-patch", "-q", "--notes", "--no-signature", "--stat=80", "-o", str(OUT),
          "origin/HEAD..HEAD"], WORK)
    patches = sorted(OUT.glob("*.patch"))
    progress(f"series: {len(patches)} patches in {OUT}")
    return patches


def _differences(a, b):
    excl = [f"--exclude={x}" for x in SRC_EXTRA + (".git",)]
    res = subprocess.run(["diff", "-rq", *excl, str(a), str(b)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    return [] if res.returncode == 0 else res.stdout.splitlines()


def am_check(patches):
    """(ok, why): git am onto a fresh pristine copy gives build/src file for file."""
    t0 = time.monotonic()
    _fresh_clone(AM)
    res = subprocess.run(["git", "-c", "user.name=kdump am", "-c", "user.email=am@kdump.invalid",
                          "am", "-q", *map(str, patches)], cwd=AM, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    if res.returncode != 0:
        return False, "git am failed: " + " / ".join(res.stdout.strip().splitlines()[:3]), 0
    diff = _differences(AM, tree.SRC)
    secs = time.monotonic() - t0
    if diff:
        return False, f"{len(diff)} differences from build/src, first: {diff[0]}", secs
    return True, f"{len(patches)} patches applied with git am; the tree equals build/src", secs


FINDING = re.compile(r"\b(ERROR|WARNING|CHECK):(\w+):")


def checkpatch_findings(patch):
    """[(level, type, line)] of scripts/checkpatch.pl --strict on one patch."""
    # checkpatch runs scripts/spdxcheck.py with the first python3 on PATH; Debian's has the
    # ply and git modules it needs (make deps), a python3 of its own (pyenv) may not.
    env = dict(tool_env(), PATH="/usr/bin:" + tool_env()["PATH"])
    res = subprocess.run(["perl", str(PRISTINE / "scripts/checkpatch.pl"), "--strict",
                          "--show-types", "--no-summary", "--terse", "--root", str(PRISTINE),
                          str(patch)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=env)
    out = []
    if "Traceback" in res.stdout:
        # A check that did not run is not a check that passed.
        out.append(("ERROR", "CHECKPATCH_DID_NOT_RUN", res.stdout.strip().splitlines()[-1]))
    for line in res.stdout.splitlines():
        m = FINDING.search(line)
        if m:
            out.append((m.group(1), m.group(2), line))
    return out


def patch_notes(patch):
    """The notes git format-patch printed after the '---' of a patch mail."""
    text = Path(patch).read_text()
    m = re.search(r"\n---\n\s*Notes:\n(.*?)\n\n", text, re.S)
    return m.group(1) if m else ""


def checkpatch_check(patches):
    """[(patch, ok, why)]: no error, every warning explained in the notes but the sign-off."""
    out = []
    for p in patches:
        findings = checkpatch_findings(p)
        notes = patch_notes(p)
        bad = [f"{lvl} {typ}" for lvl, typ, _ in findings
               if typ != CHECKPATCH_SIGNOFF and f"checkpatch {typ}:" not in notes]
        if bad:
            first = next(line for lvl, typ, line in findings if f"{lvl} {typ}" == bad[0])
            out.append((p, False, f"{', '.join(sorted(set(bad)))} unexplained; first: {first}"))
        else:
            explained = sorted({typ for _, typ, _ in findings if typ != CHECKPATCH_SIGNOFF})
            out.append((p, True, "clean" + (f" but {', '.join(explained)} (explained in the notes)"
                                           if explained else "")))
    return out


def rustfmt_check():
    """(ok, why): the kernel's `make rustfmtcheck` on the tree git am made."""
    objdir = BUILD / "series-fmt"
    objdir.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["make", "-s", "-C", str(AM), f"O={objdir}", "LLVM=1", "rustfmtcheck"],
                         env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    bad = sorted({line.split()[2].split(":")[0].replace(str(AM) + "/", "")
                  for line in res.stdout.splitlines() if line.startswith("Diff in ")})
    if res.returncode != 0 or bad:
        return False, ("not rustfmt-clean: " + " ".join(bad)) if bad else res.stdout.strip()[-200:]
    n = sum(1 for _ in AM.rglob("*.rs"))
    return True, f"make rustfmtcheck clean over the {n} Rust files of the applied tree"


def signoff_from_env():
    value = os.environ.get("SIGNOFF", "").strip()
    if value:
        name, mail = email.utils.parseaddr(value)
        if not name or "@" not in mail:
            raise KdtError(f"SIGNOFF='{value}' is not 'Name <address>'")
    return value or None
