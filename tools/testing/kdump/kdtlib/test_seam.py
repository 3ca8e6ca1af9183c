# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the structure check that no part declares the tree's own C in a hand-written
`extern "C" {` block: a part with such a block, at any depth, fails its row (the check with its
condition broken must fail), while `extern "C" fn` definitions and callbacks do not."""

import tempfile
import unittest
from pathlib import Path
from unittest import mock

from . import hosttest

BLOCK = """\
use kernel::ffi::c_int;

extern "C" {
    // glue.c
    fn vmcore_cb_read_lock() -> c_int;
}
"""

DEFINITIONS = """\
#[no_mangle]
pub extern "C" fn kexec_crash_loaded() -> c_int {
    0
}

unsafe extern "C" fn vmcore_fault(_vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    bindings::VM_FAULT_SIGBUS
}

// extern "C" { fn in_a_comment(); }
"""


class ExternBlocks(unittest.TestCase):
    def test_a_block_is_found(self):
        self.assertEqual(hosttest.extern_blocks(BLOCK), [3])

    def test_every_spelling_of_a_block_is_found(self):
        for line in ('extern "C" {', '    extern "C" {', 'unsafe extern "C" {', "extern {",
                     'extern "C"{'):
            with self.subTest(line=line):
                self.assertEqual(hosttest.extern_blocks(f"{line}\n    fn f();\n}}\n"), [1])

    def test_definitions_and_comments_are_not_blocks(self):
        self.assertEqual(hosttest.extern_blocks(DEFINITIONS), [])


class SeamRow(unittest.TestCase):
    def rows_over(self, files):
        """The seam rows over a tree holding only `files` ({relative path: text})."""
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for path in hosttest.SEAM_FILES:
                if path.endswith(".rs"):
                    (root / path).parent.mkdir(parents=True, exist_ok=True)
                    (root / path).write_text("")
                else:
                    (root / path).mkdir(parents=True, exist_ok=True)
            for name, text in files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(text)
            with mock.patch.object(hosttest, "ROOT", root):
                return {r.name.split(":")[0]: r for r in hosttest.seam_rows()}

    def test_a_part_with_a_block_fails_and_names_it(self):
        rows = self.rows_over({"vmcore/cb.rs": BLOCK, "kexec/exports.rs": DEFINITIONS})
        self.assertFalse(rows["vmcore"].ok)
        self.assertIn("cb.rs:3", rows["vmcore"].reason)
        self.assertTrue(rows["kexec"].ok)
        self.assertTrue(rows["crash"].ok)

    def test_a_block_in_an_arch_subdirectory_fails(self):
        rows = self.rows_over({"kexec/x86_64/machine_kexec.rs": BLOCK})
        self.assertFalse(rows["kexec"].ok)
        self.assertIn("x86_64/machine_kexec.rs:3", rows["kexec"].reason)

    def test_the_kernel_crates_kexec_module_is_checked(self):
        rows = self.rows_over({"rust/kernel/kexec.rs": BLOCK})
        self.assertFalse(rows["rust/kernel/kexec.rs"].ok)

    def test_no_block_passes(self):
        rows = self.rows_over({"crash/exports.rs": DEFINITIONS})
        self.assertTrue(all(r.ok for r in rows.values()))


if __name__ == "__main__":
    unittest.main()
