# SPDX-License-Identifier: GPL-2.0
"""Unit tests of build/src's preparation: a patch that stops applying to a new stable update
names the patch and the hunk, and the kernel release is read from the tree."""

import tempfile
import unittest
from pathlib import Path
from unittest import mock

from . import tree
from .common import KdtError

ORIGINAL = "".join(f"line {i}\n" for i in range(1, 31))
# Two hunks: the first still applies, the second's context moved in the "new stable update".
PATCH = """\
Subject: [PATCH] demo: change two places

---
--- a/kernel/demo.c
+++ b/kernel/demo.c
@@ -1,3 +1,3 @@ int first(void)
 line 1
-line 2
+line two
 line 3
@@ -20,3 +20,3 @@ int second(void)
 line 20
-line 21
+line twenty-one
 line 22
"""


class FailedPatch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.src = Path(self.tmp.name) / "src"
        (self.src / "kernel").mkdir(parents=True)
        (self.src / "Makefile").write_text("VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 199\n")
        self.patch = Path(self.tmp.name) / "0001-demo.patch"
        self.patch.write_text(PATCH)

    def tearDown(self):
        self.tmp.cleanup()

    def _apply(self):
        with mock.patch.object(tree, "SRC", self.src), \
                mock.patch.object(tree, "progress", lambda msg: None):
            tree.apply_patch(self.patch.name, self.patch, reverse=False)

    def test_applies_when_the_source_matches(self):
        (self.src / "kernel" / "demo.c").write_text(ORIGINAL)
        self._apply()
        self.assertIn("line twenty-one", (self.src / "kernel" / "demo.c").read_text())

    def test_refusal_names_patch_hunk_and_release(self):
        (self.src / "kernel" / "demo.c").write_text(ORIGINAL.replace("line 21\n", "line 21 moved\n"))
        with self.assertRaises(KdtError) as cm:
            self._apply()
        first = str(cm.exception).splitlines()[0]
        self.assertIn("patch 0001-demo.patch does not apply", first)
        self.assertIn("Linux 6.12.199", first)
        self.assertIn("kernel/demo.c hunk #2 (@@ -20,3 +20,3 @@ int second(void))", first)
        self.assertNotIn("hunk #1", first)
        # Nothing was half applied.
        self.assertNotIn("line two", (self.src / "kernel" / "demo.c").read_text())

    def test_a_change_already_in_the_tree_is_named(self):
        applied = ORIGINAL.replace("line 2\n", "line two\n").replace("line 21\n",
                                                                      "line twenty-one\n")
        (self.src / "kernel" / "demo.c").write_text(applied)
        with self.assertRaises(KdtError) as cm:
            self._apply()
        self.assertIn("kernel/demo.c: already in the tree", str(cm.exception).splitlines()[0])

    def test_a_missing_file_is_named(self):
        with self.assertRaises(KdtError) as cm:
            self._apply()
        self.assertIn("kernel/demo.c: not in the tree", str(cm.exception).splitlines()[0])

    def test_kernel_version_reads_the_makefile(self):
        self.assertEqual(tree.kernel_version(self.src), "6.12.199")
        self.assertIsNone(tree.kernel_version(self.src / "kernel"))


if __name__ == "__main__":
    unittest.main()
