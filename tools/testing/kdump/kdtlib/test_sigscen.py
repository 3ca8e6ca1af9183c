# SPDX-License-Identifier: GPL-2.0
"""The sig scenario's reading of the guest's refusal lines: kexec-tools' strerror() text back
to the errno's name, an exit status of 0 as a load, a case the guest never reported as a
failure rather than a pass, and the refused reload that must keep the loaded crash kernel."""

import unittest

from . import qemu, sigscen
from .dumpcheck import Check


def first_boot(facts):
    boot = qemu.Boot(0, 0.0)
    boot.facts.update(facts)
    return boot


def reported(err="Operation_not_permitted", rc="255", loaded="00"):
    out = {}
    for case in sigscen.REFUSALS:
        out.update({f"refusal_{case}": err, f"rc_{case}": rc, f"loaded_{case}": loaded})
    return out


class Refusals(unittest.TestCase):
    def test_strerror_text_names_the_errno(self):
        self.assertEqual(sigscen.ERRNO_NAMES["Operation_not_permitted"], "EPERM")
        self.assertEqual(sigscen.ERRNO_NAMES["Required_key_not_available"], "ENOKEY")

    def test_each_case_gives_its_errno_and_what_is_loaded(self):
        res = sigscen.refusals(first_boot(reported()))
        self.assertEqual(res, {case: ("EPERM", "00") for case in sigscen.REFUSALS})

    def test_a_load_is_ok_and_unknown_text_is_kept(self):
        facts = reported()
        facts.update({"rc_l_signed": "0", "refusal_l_signed": "none", "loaded_l_signed": "10",
                      "refusal_s_l_other": "Something_new"})
        res = sigscen.refusals(first_boot(facts))
        self.assertEqual(res["l_signed"], ("OK", "10"))
        self.assertEqual(res["s_l_other"][0], "?Something_new")

    def test_a_case_not_reported_fails(self):
        facts = reported()
        del facts["rc_s_p_other"]
        with self.assertRaisesRegex(Check, "s_p_other"):
            sigscen.refusals(first_boot(facts))


def reload_facts(loaded, rc="255", err="Operation_not_permitted", again=None):
    facts = {"rc_reload_unsigned": rc, "refusal_reload_unsigned": err,
             "loaded_reload_unsigned": loaded}
    if again is not None:
        facts["crash_reload_rc"] = again
    return first_boot(facts)


class RefusedReload(unittest.TestCase):
    def test_rust_keeps_the_loaded_crash_kernel(self):
        self.assertEqual(sigscen.refused_reload(reload_facts("01"), rust=True), "yes")

    def test_rust_dropping_it_fails(self):
        with self.assertRaisesRegex(Check, "left no crash kernel loaded"):
            sigscen.refused_reload(reload_facts("00", again="0"), rust=True)

    def test_c_drops_it_and_the_guest_loads_it_again(self):
        self.assertIn("C drops it",
                      sigscen.refused_reload(reload_facts("00", again="0"), rust=False))
        with self.assertRaisesRegex(Check, "loading the signed kernel again"):
            sigscen.refused_reload(reload_facts("00", again="1"), rust=False)

    def test_a_reload_that_leaves_a_normal_image_or_reports_nothing_fails(self):
        with self.assertRaisesRegex(Check, "left a normal image loaded"):
            sigscen.refused_reload(reload_facts("11"), rust=True)
        with self.assertRaisesRegex(Check, "did not report what the refused reload left"):
            sigscen.refused_reload(first_boot({"rc_reload_unsigned": "255",
                                               "refusal_reload_unsigned":
                                               "Operation_not_permitted"}), rust=False)

    def test_a_reload_that_loads_or_gives_another_errno_fails(self):
        with self.assertRaisesRegex(Check, "gave OK"):
            sigscen.refused_reload(reload_facts("01", rc="0", err="none"), rust=True)
        with self.assertRaisesRegex(Check, "gave ENOKEY"):
            sigscen.refused_reload(reload_facts("01", err="Required_key_not_available"),
                                   rust=True)


if __name__ == "__main__":
    unittest.main()
