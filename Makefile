# SPDX-License-Identifier: GPL-2.0
#
# The Rust kexec/kdump tree: an overlay on Debian's linux-source-6.12. Everything here calls
# tools/testing/kdump/kdt, which installs what is missing, prepares build/src, builds the
# flavours with LLVM=1 and runs the tests. See Documentation/rust/kdump-workbench.rst.

KDT := tools/testing/kdump/kdt

.PHONY: all demo check deps src c rust kunit kunit-failing host-test scenarios selftest bench series configs fleet clean

all: rust

## make demo: set up, build the Rust flavour, run the kdump scenario, print a summary
demo:
	@$(KDT) demo

## make check: KUnit, host tests, every QEMU scenario on both flavours; ends "N passed, M failed"
check:
	@$(KDT) check

deps:
	@$(KDT) deps

src:
	@$(KDT) src

c rust:
	@$(KDT) build $@

kunit:
	@$(KDT) kunit

# The deliberately failing KUnit case: passes when KUnit reports that case as failed.
kunit-failing:
	@$(KDT) kunit --failing

host-test:
	@$(KDT) host-test

scenarios:
	@$(KDT) scenarios

# Each scenario run with what it checks broken: passes when every one fails for that reason.
selftest:
	@$(KDT) selftest

# C and Rust side by side in QEMU (same settings): /proc/vmcore throughput at 1, 2 and 4 GiB,
# kexec_load time of a 16 MiB image, kexec -e against a cold boot, panic to the capture kernel.
# Figures in build/bench/vmcore.json, kexec.json and crash.json. BENCH_MEM=1024 for one size.
BENCH_MEM ?= 1024,2048,4096
bench:
	@$(KDT) bench --mem $(BENCH_MEM)

# The tree as a git format-patch series against pristine linux-source-6.12, in build/series/.
# SIGNOFF="Name <mail>" adds your Signed-off-by to every patch.
series:
	@SIGNOFF="$(SIGNOFF)" $(KDT) series

# The kernels users could pick, with every Rust part on: a distribution-like one
# (x86_64_defconfig + kvm_guest.config + Debian's kexec/kdump options), which also boots and
# passes the reboot and kdump scenarios, and a minimal one (no kexec_file, sysctl, crash hotplug).
configs:
	@$(KDT) configs

# Three Debian 12 guests (kdump-tools, SSH="kdump@collector") on the distribution-like kernel
# crash at once and ship their dumps to one collector, a real sshd reached only through QEMU;
# a fourth finds its collector down. Ends with a table: host, dump size, panic to dump complete.
FLEET_FLAVOUR ?= distro
fleet:
	@$(KDT) fleet --flavour $(FLEET_FLAVOUR)

clean:
	rm -rf build/c build/rust build/kunit build/runs build/initramfs
