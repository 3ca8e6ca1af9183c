# SPDX-License-Identifier: GPL-2.0
"""Unit tests of which bindings structs the layout row compares: every struct a Rust part
names, however it imports it."""

import unittest

from . import layout

VMCOREINFO_RS = """
use bindings::{vmcoreinfo_data, vmcoreinfo_note};
fn f() {
    use bindings::{free_area, list_head, mem_section, page, pglist_data, uts_namespace, zone};
    use kernel::bindings::{
        self,
        pt_regs as R,
    };
    let x = bindings::kimage::default();
}
"""


class NamesIn(unittest.TestCase):
    def test_paths_and_use_lists_alike(self):
        names = layout.names_in(VMCOREINFO_RS)
        for n in ("free_area", "list_head", "mem_section", "page", "pglist_data",
                  "uts_namespace", "zone", "pt_regs", "kimage", "vmcoreinfo_data"):
            self.assertIn(n, names)

    def test_an_alias_is_not_a_name_of_the_bindings(self):
        self.assertNotIn("R", layout.names_in(VMCOREINFO_RS))


if __name__ == "__main__":
    unittest.main()
