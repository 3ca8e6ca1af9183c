# SPDX-License-Identifier: GPL-2.0
"""Unit tests of what `make deps` reports before apt changes a machine."""

import unittest
from unittest import mock

from . import deps
from .common import KdtError

# What `apt-get -s install qemu-system-x86` printed on a fresh machine of the CI kind, which
# ships a backported qemu-utils 10.0 (shortened).
SIMULATED = """\
Reading package lists...
The following packages will be REMOVED:
  qemu-utils
The following NEW packages will be installed:
  qemu-system-x86 qemu-system-common
Remv qemu-utils [1:10.0.2+ds-2+deb13u1~bpo12+1]
Inst qemu-system-common (1:7.2+dfsg-7+deb12u16 Debian:12.12/oldstable [amd64])
Inst qemu-block-extra [1:10.0.2+ds-2+deb13u1~bpo12+1] (1:7.2+dfsg-7+deb12u16 Debian [amd64])
Inst qemu-system-x86 (1:7.2+dfsg-7+deb12u16 Debian:12.12/oldstable [amd64])
Conf qemu-system-x86 (1:7.2+dfsg-7+deb12u16 Debian:12.12/oldstable [amd64])
"""


class AptSideEffects(unittest.TestCase):
    def test_removed_and_changed_are_named(self):
        removed, changed = deps.apt_side_effects(SIMULATED)
        self.assertEqual(removed, ["qemu-utils 1:10.0.2+ds-2+deb13u1~bpo12+1"])
        self.assertEqual(changed, ["qemu-block-extra 1:10.0.2+ds-2+deb13u1~bpo12+1 -> "
                                   "1:7.2+dfsg-7+deb12u16"])

    def test_new_packages_are_not_side_effects(self):
        self.assertEqual(deps.apt_side_effects("Inst cpio (2.13+dfsg-7.1 Debian [amd64])\n"),
                         ([], []))

    def test_nothing_asked_for_is_unused(self):
        # qemu-img is not used by the tree; asking for qemu-utils broke fresh machines.
        self.assertNotIn("qemu-utils", deps.APT_PACKAGES)


# `apt-cache policy linux-source-6.12` on a machine that kept 6.12.117 (shortened).
POLICY = """\
linux-source-6.12:
  Installed: 6.12.117-1~deb12u1
  Candidate: 6.12.118-1~deb12u1
  Version table:
     6.12.118-1~deb12u1 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
 *** 6.12.117-1~deb12u1 500
        100 /var/lib/dpkg/status
"""


class SourcePolicy(unittest.TestCase):
    def test_an_older_installed_source_is_seen(self):
        self.assertEqual(deps.apt_policy(POLICY), ("6.12.117-1~deb12u1", "6.12.118-1~deb12u1"))

    def test_not_installed_is_none(self):
        self.assertEqual(deps.apt_policy(POLICY.replace("6.12.117-1~deb12u1\n  Cand",
                                                        "(none)\n  Cand")),
                         (None, "6.12.118-1~deb12u1"))

    def test_only_a_newer_candidate_is_installed(self):
        self.assertTrue(deps.newer("6.12.118-1~deb12u1", "6.12.117-1~deb12u1"))
        self.assertTrue(deps.newer("6.12.118-1~deb12u1", None))
        self.assertFalse(deps.newer("6.12.118-1~deb12u1", "6.12.118-1~deb12u1"))
        self.assertFalse(deps.newer("6.12.118-1~deb12u1", "6.12.120-1~bpo12+1"))

    def test_no_mirror_keeps_an_installed_source(self):
        def fail(*_):
            raise KdtError("command failed (exit 100): apt-get update")
        with mock.patch.object(deps, "_apt_update", fail), \
                mock.patch.object(deps, "progress", lambda msg: None), \
                mock.patch.object(deps, "installed_source_version", lambda: "6.12.117-1~deb12u1"):
            deps.refresh_source()
        with mock.patch.object(deps, "_apt_update", fail), \
                mock.patch.object(deps, "progress", lambda msg: None), \
                mock.patch.object(deps, "installed_source_version", lambda: None):
            with self.assertRaises(KdtError):
                deps.refresh_source()

    def test_the_source_is_one_of_the_packages(self):
        self.assertIn(deps.SOURCE_PACKAGE, deps.APT_PACKAGES)


if __name__ == "__main__":
    unittest.main()
