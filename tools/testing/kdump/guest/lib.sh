# SPDX-License-Identifier: GPL-2.0
#
# Helpers for the guest scenarios (busybox sh).

# One fact for the host, on a line of its own.
say() {
	echo "KDT: $*"
}

# The value of key=value on the kernel command line.
param() {
	for word in $(cat /proc/cmdline); do
		case "$word" in
		"$1"=*) echo "${word#*=}"; return ;;
		esac
	done
}

# Seconds since boot (CLOCK_MONOTONIC), in microseconds where the clocksource has them. Under
# TCG a kernel without ACPI cannot calibrate the TSC (no PIT, HPET or PM timer reference) and
# runs on jiffies, 4 ms steps; with ACPI (every flavour now) it calibrates against QEMU's HPET.
# The bench gives every kernel the frequency (tsc_early_khz=, tsc=reliable), so all time alike.
now() {
	if [ -x /lib/kdt/now ]; then
		/lib/kdt/now
	else
		read -r up _ < /proc/uptime
		echo "$up"
	fi
}

# $2 - $1 for two now() values.
elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'
}

# The kernel command line a kexec'd kernel gets: serial console, and what to do there.
# The bench's clock settings (tsc_early_khz=, tsc=reliable) carry over, so both kernels time
# alike.
next_cmdline() {
	tsc=$(param tsc)
	khz=$(param tsc_early_khz)
	echo "console=ttyS0 panic=1 oops=panic kdt.scenario=$scenario kdt.break=$(param kdt.break)" \
		"kdt.repeats=$(param kdt.repeats)${tsc:+ tsc=$tsc}${khz:+ tsc_early_khz=$khz} $*"
}

# Loads the capture kernel with kexec -p; $1 holds extra kexec flags (e.g. -s).
# With kdt.elfcorehdr=<mode> on the command line, the test loader rewrites the elfcorehdr
# kexec-tools built before kexec_load sees it (tools/testing/kdump/elfcorehdr/), and
# purgatory's digest check is skipped (it was taken before the rewrite).
load_crash_kernel() {
	# kdt.crash=none: a scenario that panics with no crash kernel loaded, on purpose.
	if [ "$(param kdt.break)" = no-crash-kernel ] || [ "$(param kdt.crash)" = none ]; then
		say load_rc=skipped kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)
		return
	fi
	craft=$(param kdt.elfcorehdr)
	preload=
	flags=$1
	if [ -n "$craft" ]; then
		preload=/lib/kdt/kexec-elfcorehdr.so
		flags="$flags --no-checks"
	fi
	t0=$(now)
	LD_PRELOAD=$preload KDT_ELFCOREHDR=$craft kexec $flags -p /boot/bzImage \
		--initrd=/boot/initrd.img \
		--append="$(next_cmdline kdt.role=capture maxcpus=1 reset_devices)"
	rc=$?
	t1=$(now)
	say load_rc=$rc load_secs=$(elapsed "$t0" "$t1")
	say kexec_crash_loaded=$(cat /sys/kernel/kexec_crash_loaded)
}

# The memory map the first kernel sees, for the host to check PT_LOAD coverage against.
report_iomem() {
	grep -e 'System RAM' -e 'Crash kernel' /proc/iomem | while read -r range _ name; do
		say iomem="${range}:$(echo "$name" | tr ' ' '_')"
	done
}

# The artefact disk (/dev/vda): files at 1 MiB-aligned offsets, an index in the first 4 KiB.
ART_NEXT=1
: > /tmp/art.idx

# art_put NAME FILE [SKIP_MIB]: FILE (from SKIP_MIB MiB on) becomes artefact NAME.
art_put() {
	name=$1
	src=$2
	skip=${3:-0}
	size=$(($(stat -c %s "$src") - skip * 1048576))
	t0=$(now)
	dd if="$src" of=/dev/vda bs=1M skip=$skip seek=$ART_NEXT conv=notrunc,fsync 2>/tmp/dd.err
	rc=$?
	t1=$(now)
	echo "$name $ART_NEXT $size" >> /tmp/art.idx
	say art=$name size=$size rc=$rc secs=$(elapsed "$t0" "$t1")
	ART_NEXT=$((ART_NEXT + (size + 1048575) / 1048576))
}

art_close() {
	echo "end" >> /tmp/art.idx
	dd if=/tmp/art.idx of=/dev/vda bs=4096 count=1 conv=sync,notrunc,fsync 2>/dev/null
}

# The capture kernel's work: report /proc/vmcore, time a read, carry it out.
capture_vmcore() {
	say capture_uptime=$(now)
	if [ ! -e /proc/vmcore ]; then
		say vmcore=absent
		return
	fi
	say vmcore=present vmcore_size=$(stat -c %s /proc/vmcore)
	say vmcore_mode=$(stat -c %a /proc/vmcore)
	/lib/kdt/vmcore-check /proc/vmcore
	if [ "$(param kdt.break)" = no-vmcore ]; then
		say vmcore_written=no-by-request
	elif [ -b /dev/vda ]; then
		art_put vmcore /proc/vmcore
		art_close
	else
		say error=no-artefact-disk
	fi
}

finish() {
	say done uptime=$(now)
	sync
	reboot -f
	sleep 5
}
