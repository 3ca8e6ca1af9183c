# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the structure check that no part's modules import one another in a circle:
a crate with a cycle added is caught (the check with its condition broken must fail), paths in
`use` groups, `super::` and nested modules are read, and the project's parts have none."""

import unittest

from . import hosttest

CORE = {
    "kexec_core.rs": "mod arch;\nmod image;\nmod pages;\n#[cfg(CONFIG_X86_64)]\nmod x86_64;\n",
    "arch.rs": "use kernel::bindings;\n",
    "image.rs": "use crate::{arch, pages::{self, alloc}};\n",
    "pages.rs": "use crate::arch;\n// crate::image is named in a comment only\n",
    "x86_64.rs": "mod exports;\nmod machine_kexec;\n",
    "x86_64/exports.rs": "use super::machine_kexec;\n",
    "x86_64/machine_kexec.rs": "use crate::pages::alloc;\n",
}


def graph(files):
    return {"::".join(k): sorted("::".join(m) for m in v)
            for k, v in hosttest.import_graph(files).items()}


class ImportCycles(unittest.TestCase):
    def test_the_graph_reads_groups_super_and_nested_modules(self):
        g = graph(CORE)
        self.assertEqual(g["image"], ["arch", "pages"])
        self.assertEqual(g["pages"], ["arch"])
        self.assertEqual(g["x86_64::exports"], ["x86_64::machine_kexec"])
        self.assertEqual(g["x86_64::machine_kexec"], ["pages"])
        # A module's own submodules are its nesting, not a use.
        self.assertEqual(g["x86_64"], [])

    def test_a_tree_without_a_cycle_has_none(self):
        self.assertEqual(hosttest.import_cycles(hosttest.import_graph(CORE)), [])

    def test_a_cycle_added_is_found(self):
        broken = dict(CORE, **{"pages.rs": "use crate::arch;\nuse crate::image::Building;\n"})
        self.assertEqual(hosttest.import_cycles(hosttest.import_graph(broken)),
                         [[("image",), ("pages",)]])

    def test_a_cycle_through_an_arch_module_is_found(self):
        broken = dict(CORE, **{"arch.rs": "fn f() { crate::x86_64::exports::g() }\n"})
        cycles = hosttest.import_cycles(hosttest.import_graph(broken))
        self.assertEqual(len(cycles), 1)
        self.assertIn(("arch",), cycles[0])
        self.assertIn(("x86_64", "machine_kexec"), cycles[0])

    def test_the_parts_have_no_cycle(self):
        for part in hosttest.PARTS_DIRS:
            with self.subTest(part=part):
                self.assertEqual(hosttest.cycles_in(part), [])


if __name__ == "__main__":
    unittest.main()
