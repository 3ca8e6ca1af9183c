# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the structure check that every `// SAFETY:` comment names its reason: a
comment that only points at "the function's contract" or says "no preconditions" is found
(the check with its condition broken must fail), one that names the `# Safety` clause is not,
and the project's own Rust parts have none."""

import unittest

from . import hosttest

VAGUE = """\
pub unsafe extern "C" fn __crash_kexec(regs: *mut bindings::pt_regs) {
    // SAFETY: by the function's contract.
    unsafe { panic::crash_kexec_now(regs) }
}
"""

NAMED = """\
pub unsafe extern "C" fn __crash_kexec(regs: *mut bindings::pt_regs) {
    // SAFETY: `regs` is null or the registers of the context that crashed (this function's
    // `# Safety`), which is all `crash_kexec_now` asks.
    unsafe { panic::crash_kexec_now(regs) }
}
"""


class VagueSafety(unittest.TestCase):
    def test_the_functions_contract_is_found(self):
        self.assertEqual(hosttest.vague_safety(VAGUE), [2])

    def test_a_named_clause_over_two_lines_is_not_found(self):
        self.assertEqual(hosttest.vague_safety(NAMED), [])

    def test_each_phrase_is_found_whatever_its_case_and_line(self):
        for comment in ("// SAFETY: no preconditions.",
                        "// SAFETY: No preconditions; reads a counter.",
                        "// SAFETY: by the contract.",
                        "// SAFETY: by this function's contract.",
                        "// SAFETY: `p` is live; `regs` by the\n    // function's contract."):
            with self.subTest(comment=comment):
                text = f"fn f() {{\n    {comment}\n    unsafe {{ g() }}\n}}\n"
                self.assertEqual(hosttest.vague_safety(text), [2])

    def test_a_later_comment_is_not_part_of_the_safety_comment(self):
        text = ("    // SAFETY: `p` is a live task (this function's `# Safety`).\n"
                "    unsafe { f(p) };\n"
                "    // No preconditions here are worth a wrapper.\n"
                "    // INVARIANT: by the contract.\n")
        self.assertEqual(hosttest.vague_safety(text), [])

    def test_each_comment_gets_its_own_line(self):
        self.assertEqual(hosttest.vague_safety(NAMED + VAGUE), [7])

    def test_the_rust_parts_have_none(self):
        for part in hosttest.PARTS_DIRS:
            with self.subTest(part=part):
                self.assertEqual(hosttest.vague_safety_in(part), [])


if __name__ == "__main__":
    unittest.main()
