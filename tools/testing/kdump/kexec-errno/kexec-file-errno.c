// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-file-errno: raw kexec_file_load(2) calls with bad and edge inputs, for the errno parity
 * check of kexec_file_load between the C loader and the Rust one (test only).
 *
 *   kexec-file-errno BZIMAGE INITRD DIR [--disabled]
 *
 * BZIMAGE is a real bzImage, INITRD a real initramfs, DIR a directory on a tmpfs where the
 * loader writes the files it crafts: the bzImage with one setup-header field changed, cut
 * short, empty, larger than the loader reads, and a short initrd. One KDT-ERRNO line per case
 * (kdt-errno.h). A good normal and a good crash image (the bzImage with no initramfs, never
 * executed) are loaded before every case, so for a refusal kept= says what it left in place.
 * "crash-<case>" is <case> with KEXEC_FILE_ON_CRASH added. A restore that fails says
 * "KDT-ERRNO-RESTORE <normal|crash> <errno>".
 *
 * The load limits cannot be undone and come last. kexec_load_disabled cannot be undone
 * either, and with both limits spent every load is refused anyway: --disabled runs its cases
 * alone, in a boot of their own.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kdt-errno.h"

/* Newer than the build machine's uapi headers may be (include/uapi/linux/kexec.h, 6.7). */
#ifndef KEXEC_FILE_DEBUG
#define KEXEC_FILE_DEBUG 0x00000008
#endif
#define KEXEC_FILE_UNKNOWN 0x10UL /* the lowest bit kexec_file_load does not know */

/* Setup-header fields: their offsets in the file (Documentation/arch/x86/boot.rst). */
#define SETUP_SECTS 0x1f1
#define BOOT_FLAG 0x1fe
#define HEADER 0x202
#define VERSION 0x206
#define LOADFLAGS 0x211
#define XLOADFLAGS 0x236
#define CMDLINE_SIZE 0x238
/*
 * bzImage64_load keeps room for the "elfcorehdr=0x<address> " a crash image's command line starts
 * with (MAX_ELFCOREHDR_STR_LEN), on every load.
 */
#define ELFCOREHDR_ROOM 30

#define SMALL_INITRD (64UL << 10)
#define OVER_4GIB ((4UL << 30) + 1)
#define SYSCTL "/proc/sys/kernel/"

static unsigned char *bz; /* the bzImage's bytes */
static size_t bz_len;
static const char *dir;
static int kernel_fd, initrd_fd, small_initrd_fd;
static const char cmdline[] = "console=ttyS0 kdt.role=none";

static long kfload(int kfd, int ifd, unsigned long len, const char *cmd, unsigned long flags)
{
	long r = syscall(SYS_kexec_file_load, kfd, ifd, len, cmd, flags);

	return r < 0 ? errno : 0;
}

static unsigned long crash_flag(int crash)
{
	return crash ? KEXEC_FILE_ON_CRASH : 0;
}

/* The image every case expects to find loaded: the bzImage, no initramfs, no command line. */
static long load_good(int crash)
{
	return kfload(kernel_fd, -1, 0, NULL, KEXEC_FILE_NO_INITRAMFS | crash_flag(crash));
}

/* A good load but for a flag kexec_file_load does not know. */
static long load_unknown_flag(int crash)
{
	return kfload(kernel_fd, -1, 0, NULL,
		      KEXEC_FILE_NO_INITRAMFS | KEXEC_FILE_UNKNOWN | crash_flag(crash));
}

static long unload(int crash)
{
	return kfload(-1, -1, 0, NULL, KEXEC_FILE_UNLOAD | crash_flag(crash));
}

/* Both good images loaded, as every case expects to find them. */
static void restore(void)
{
	static const char *const what[] = { "normal", "crash" };
	static const char *const sysfs[] = { "/sys/kernel/kexec_loaded",
					     "/sys/kernel/kexec_crash_loaded" };
	long e;
	int crash;

	for (crash = 0; crash < 2; crash++) {
		if (read_number(sysfs[crash]) == 1)
			continue;
		e = load_good(crash);
		if (e)
			printf("KDT-ERRNO-RESTORE %s %s\n", what[crash], ename(e));
	}
}

/* One table case: restore, call, report. */
static void row(const char *name, int kfd, int ifd, unsigned long len, const char *cmd,
		unsigned long flags)
{
	restore();
	report(name, kfload(kfd, ifd, len, cmd, flags));
}

/* The case as a normal load, then as a crash load, "crash-<name>". */
static void both(const char *name, int kfd, int ifd, unsigned long len, const char *cmd,
		 unsigned long flags)
{
	char crash[80];

	row(name, kfd, ifd, len, cmd, flags);
	snprintf(crash, sizeof(crash), "crash-%s", name);
	row(crash, kfd, ifd, len, cmd, flags | KEXEC_FILE_ON_CRASH);
}

/* A case that varies the kernel file alone. */
static void kernel_case(const char *name, int kfd)
{
	both(name, kfd, small_initrd_fd, sizeof(cmdline), cmdline, 0);
}

/* A case that varies the initrd file alone. */
static void initrd_case(const char *name, int ifd)
{
	both(name, kernel_fd, ifd, sizeof(cmdline), cmdline, 0);
}

/* A case that varies the command line alone. */
static void cmdline_case(const char *name, unsigned long len, const char *cmd)
{
	both(name, kernel_fd, small_initrd_fd, len, cmd, 0);
}

static void path_of(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/%s", dir, name);
}

/*
 * DIR/name made of len bytes of buf (sparse up to size bytes where size is larger), opened again
 * with mode.
 */
static int make_file(const char *name, const void *buf, size_t len, off_t size, int mode)
{
	char path[256];
	int fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || (len && write(fd, buf, len) != (ssize_t)len) ||
	    (size > (off_t)len && ftruncate(fd, size)) || close(fd))
		die(path);
	fd = open(path, mode);
	if (fd < 0)
		die(path);
	return fd;
}

/* DIR/name: the bzImage's first len bytes with the n bytes at off replaced by val; read-only. */
static int craft(const char *name, size_t len, size_t off, const void *val, size_t n)
{
	unsigned char *b = malloc(bz_len);
	int fd;

	if (!b)
		die("malloc");
	memcpy(b, bz, bz_len);
	memcpy(b + off, val, n);
	fd = make_file(name, b, len, 0, O_RDONLY);
	free(b);
	return fd;
}

static int craft_u8(const char *name, size_t off, uint8_t v)
{
	return craft(name, bz_len, off, &v, sizeof(v));
}

static int craft_u16(const char *name, size_t off, uint16_t v)
{
	return craft(name, bz_len, off, &v, sizeof(v));
}

static uint16_t bz_u16(size_t off)
{
	uint16_t v;

	memcpy(&v, bz + off, sizeof(v));
	return v;
}

/* A NUL-terminated command line of len bytes (len - 1 letters), or NULL. */
static char *cmdline_of(size_t len)
{
	char *c = malloc(len);

	if (c) {
		memset(c, 'a', len - 1);
		c[len - 1] = '\0';
	}
	return c;
}

/* The files: the good ones, the crafted bzImages and initrds, each as the case that uses it. */
static void files(void)
{
	unsigned int sects = bz[SETUP_SECTS] ? bz[SETUP_SECTS] : 4; /* 0 means 4 */
	size_t kern16 = (sects + 1) * 512UL;
	unsigned char v = 'X';
	uint8_t big_sects = 255;
	char path[256];
	int wfd;

	/* The header fields bzImage64_probe checks, each broken alone. */
	kernel_case("kernel-short", craft("short", 1023, 0, &v, 0));
	kernel_case("kernel-no-hdrs", craft("no-hdrs", bz_len, HEADER + 3, &v, 1));
	kernel_case("kernel-no-boot-flag", craft_u16("no-boot-flag", BOOT_FLAG, 0x55aa));
	kernel_case("kernel-version-0x20b", craft_u16("version-0x20b", VERSION, 0x020b));
	kernel_case("kernel-version-0x20c", craft_u16("version-0x20c", VERSION, 0x020c));
	kernel_case("kernel-no-loaded-high",
		    craft_u8("no-loaded-high", LOADFLAGS, bz[LOADFLAGS] & ~1));
	kernel_case("kernel-no-xlf-kernel-64",
		    craft_u16("no-xlf-kernel-64", XLOADFLAGS, bz_u16(XLOADFLAGS) & ~1));
	kernel_case("kernel-no-xlf-above-4g",
		    craft_u16("no-xlf-above-4g", XLOADFLAGS, bz_u16(XLOADFLAGS) & ~2));
	/* bzImage64_load: the real-mode part ((setup_sects + 1) * 512 bytes) must be there. */
	kernel_case("kernel-truncated", craft("truncated", 64UL << 10, SETUP_SECTS, &big_sects, 1));
	kernel_case("kernel-setup-only-minus-1", craft("setup-only-minus-1", kern16 - 1, 0, &v, 0));
	kernel_case("kernel-setup-only", craft("setup-only", kern16, 0, &v, 0));

	/* kernel_read_file_from_fd: what the fd is and what the file is. */
	kernel_case("kernel-empty", make_file("empty", NULL, 0, 0, O_RDONLY));
	kernel_case("kernel-over-4gib", make_file("over-4gib", NULL, 0, OVER_4GIB, O_RDONLY));
	kernel_case("kernel-dir", open(dir, O_RDONLY | O_DIRECTORY));
	kernel_case("kernel-fd-minus-1", -1);
	wfd = make_file("open-for-write", bz, bz_len, 0, O_WRONLY);
	kernel_case("kernel-write-only", wfd);
	path_of(path, sizeof(path), "open-for-write");
	kernel_case("kernel-open-for-write", open(path, O_RDONLY));
	close(wfd);
	kernel_case("kernel-read-write", open(path, O_RDWR));
	kernel_case("kernel-o-path", open(path, O_PATH));

	initrd_case("initrd-empty", make_file("initrd-empty", NULL, 0, 0, O_RDONLY));
	initrd_case("initrd-over-4gib",
		    make_file("initrd-over-4gib", NULL, 0, OVER_4GIB, O_RDONLY));
	initrd_case("initrd-dir", open(dir, O_RDONLY | O_DIRECTORY));
	initrd_case("initrd-fd-minus-1", -1);
	initrd_case("initrd-write-only", make_file("initrd-write-only", bz, 4096, 0, O_WRONLY));
}

/* The command line: bzImage64_load's bounds, with the header's own cmdline_size. */
static void cmdlines(unsigned long size)
{
	static const char no_nul[] = { 'a', 'b', 'c' };
	static const char embedded[] = "abc\0def";
	char *mib = cmdline_of(1UL << 20), *limit = cmdline_of(size + 1);

	if (!mib || !limit)
		die("malloc");
	cmdline_case("cmdline-none", 0, NULL);
	cmdline_case("cmdline-len-0-bad-pointer", 0, (const char *)8);
	cmdline_case("cmdline-only-nul", 1, "");
	cmdline_case("cmdline-no-nul", sizeof(no_nul), no_nul);
	cmdline_case("cmdline-embedded-nul", sizeof(embedded), embedded);
	/* The longest a load takes, and one more; then cmdline_size itself, and one more. */
	cmdline_case("cmdline-max", size - ELFCOREHDR_ROOM, limit + ELFCOREHDR_ROOM + 1);
	cmdline_case("cmdline-max-plus-1", size - ELFCOREHDR_ROOM + 1, limit + ELFCOREHDR_ROOM);
	cmdline_case("cmdline-size", size, limit + 1);
	cmdline_case("cmdline-size-plus-1", size + 1, limit);
	cmdline_case("cmdline-1mib", 1UL << 20, mib);
	cmdline_case("cmdline-bad-pointer", 16, (const char *)8);
	/* memdup_user cannot allocate it: nothing is read. */
	cmdline_case("cmdline-len-huge", 1UL << 40, cmdline);
	free(mib);
	free(limit);
}

/* Every combination of the four flags kexec_file_load knows, and ones it does not. */
static void flag_cases(void)
{
	char name[32];
	unsigned long f;

	for (f = 0; f < 16; f++) {
		snprintf(name, sizeof(name), "flags-0x%lx", f);
		row(name, kernel_fd, small_initrd_fd, sizeof(cmdline), cmdline, f);
	}
	row("flags-0x10", kernel_fd, small_initrd_fd, sizeof(cmdline), cmdline, 0x10);
	row("flags-0x12", kernel_fd, small_initrd_fd, sizeof(cmdline), cmdline, 0x12);
	row("flags-bit-63", kernel_fd, small_initrd_fd, sizeof(cmdline), cmdline, 1UL << 63);
}

/* Which check comes first, where two inputs are wrong in ways with different errnos. */
static void order_cases(int empty_fd, int no_hdrs_fd, int truncated_fd, unsigned long size)
{
	char *too_long = cmdline_of(size);

	if (!too_long)
		die("malloc");
	restore();
	report("order-permission-before-flags", without_cap_sys_boot(load_unknown_flag, 0));
	row("order-flags-before-kernel", -1, small_initrd_fd, 0, NULL, KEXEC_FILE_UNKNOWN);
	row("order-kernel-before-initrd", empty_fd, -1, 0, NULL, 0);
	row("order-probe-before-initrd", no_hdrs_fd, -1, 0, NULL, 0);
	row("order-initrd-before-cmdline", kernel_fd, -1, 16, (const char *)8, 0);
	row("order-cmdline-before-setup-sects", truncated_fd, small_initrd_fd, 16,
	    (const char *)8, 0);
	row("order-setup-sects-before-cmdline-size", truncated_fd, small_initrd_fd, size,
	    too_long, 0);
	free(too_long);
}

/* Spends the load limits, which cannot be raised again. */
static void limit_cases(void)
{
	restore();
	report("limit-reboot-set-1", write_sysctl(SYSCTL "kexec_load_limit_reboot", "1"));
	report("limit-reboot-first-load", load_good(0));
	report("limit-reboot-second-load", load_good(0));
	report("limit-reboot-unload", unload(0));
	/* Each image type has its own limit. */
	report("limit-reboot-crash-load", load_good(1));
	report("limit-panic-set-1", write_sysctl(SYSCTL "kexec_load_limit_panic", "1"));
	report("limit-panic-first-load", load_good(1));
	report("limit-panic-second-load", load_good(1));
	report("limit-panic-unload", unload(1));
}

/* kexec_load_disabled, with both limits unspent, so that it alone refuses. */
static void disabled_cases(void)
{
	restore();
	report("disabled-set", write_sysctl(SYSCTL "kexec_load_disabled", "1"));
	report("disabled-load", load_good(0));
	report("disabled-crash-load", load_good(1));
	report("disabled-unload", unload(0));
	report("disabled-crash-unload", unload(1));
	report("disabled-clear", write_sysctl(SYSCTL "kexec_load_disabled", "0"));
}

int main(int argc, char **argv)
{
	unsigned long size;
	size_t initrd_len;
	unsigned char *initrd;
	uint8_t big_sects = 255;
	unsigned char v = 'X';

	if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "--disabled"))) {
		fprintf(stderr, "usage: kexec-file-errno BZIMAGE INITRD DIR [--disabled]\n");
		return 2;
	}
	bz = read_whole(argv[1], &bz_len);
	initrd = read_whole(argv[2], &initrd_len);
	dir = argv[3];
	if (bz_len < 2 * 4096 || initrd_len < SMALL_INITRD)
		die("bzImage or initrd too short");
	kernel_fd = open(argv[1], O_RDONLY);
	initrd_fd = open(argv[2], O_RDONLY);
	if (kernel_fd < 0 || initrd_fd < 0)
		die("open");
	small_initrd_fd = make_file("initrd-small", initrd, SMALL_INITRD, 0, O_RDONLY);
	size = bz[CMDLINE_SIZE] | bz[CMDLINE_SIZE + 1] << 8 | bz[CMDLINE_SIZE + 2] << 16 |
	       (unsigned long)bz[CMDLINE_SIZE + 3] << 24;
	printf("KDT-ERRNO-INFO bzimage=%zu setup_sects=%u version=%#x xloadflags=%#x "
	       "cmdline_size=%lu\n", bz_len, bz[SETUP_SECTS], bz_u16(VERSION), bz_u16(XLOADFLAGS),
	       size);
	if (argc == 5) {
		disabled_cases();
		printf("KDT-ERRNO-DONE\n");
		return 0;
	}

	/* Good loads: kexec -s -l and kexec -s -p as kexec-tools makes them, and variations. */
	row("ok-normal", kernel_fd, initrd_fd, sizeof(cmdline), cmdline, 0);
	row("ok-crash", kernel_fd, initrd_fd, sizeof(cmdline), cmdline, KEXEC_FILE_ON_CRASH);
	both("ok-no-initramfs", kernel_fd, -1, sizeof(cmdline), cmdline, KEXEC_FILE_NO_INITRAMFS);
	both("ok-debug", kernel_fd, initrd_fd, sizeof(cmdline), cmdline, KEXEC_FILE_DEBUG);
	both("ok-no-initramfs-empty-initrd", kernel_fd,
	     make_file("ignored-initrd", NULL, 0, 0, O_RDONLY), sizeof(cmdline), cmdline,
	     KEXEC_FILE_NO_INITRAMFS);

	files();
	cmdlines(size);
	flag_cases();

	/* Unloading: as kexec-tools does it (no files), twice, and with a flag it does not know. */
	row("unload-normal", -1, -1, 0, NULL, KEXEC_FILE_UNLOAD);
	report("unload-normal-again", unload(0));
	row("unload-crash", -1, -1, 0, NULL, KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH);
	report("unload-crash-again", unload(1));
	row("unload-unknown-flag", -1, -1, 0, NULL,
	    KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH | KEXEC_FILE_UNKNOWN);

	/* Who may load. */
	restore();
	report("unprivileged-normal", without_cap_sys_boot(load_good, 0));
	restore();
	report("unprivileged-crash", without_cap_sys_boot(load_good, 1));

	order_cases(make_file("order-empty", NULL, 0, 0, O_RDONLY),
		    craft("order-no-hdrs", bz_len, HEADER + 3, &v, 1),
		    craft("order-truncated", 64UL << 10, SETUP_SECTS, &big_sects, 1), size);
	limit_cases();
	printf("KDT-ERRNO-DONE\n");
	return 0;
}
