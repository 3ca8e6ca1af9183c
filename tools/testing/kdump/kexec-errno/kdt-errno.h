/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the test loaders share (kexec-errno.c for kexec_load, kexec-file-errno.c and
 * kexec-file-time.c for kexec_file_load): the report line the host parses, the sysfs and sysctl
 * files they read and write, a call made without CAP_SYS_BOOT, and reading a whole file. Test
 * only.
 *
 * Each case is one line on stdout:
 *
 *   KDT-ERRNO <case> <errno name, or OK> kept=<N><C>
 *
 * N and C say whether a normal and a crash image are loaded right after the call.
 */

#ifndef KDT_ERRNO_H
#define KDT_ERRNO_H

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static inline const char *ename(long e)
{
	static char other[32];

	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case E2BIG: return "E2BIG";
	case EBADF: return "EBADF";
	case ENOEXEC: return "ENOEXEC";
	case ETXTBSY: return "ETXTBSY";
	case EFBIG: return "EFBIG";
	case EIO: return "EIO";
	case EKEYREJECTED: return "EKEYREJECTED";
	}
	snprintf(other, sizeof(other), "E%ld", e);
	return other;
}

/* The number a sysfs file holds, or -1. */
static inline long read_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static inline void report(const char *name, long e)
{
	printf("KDT-ERRNO %s %s kept=%d%d\n", name, ename(e),
	       read_number("/sys/kernel/kexec_loaded") == 1,
	       read_number("/sys/kernel/kexec_crash_loaded") == 1);
	fflush(stdout);
}

/* Writes a sysctl file; the errno, or 0. */
static inline long write_sysctl(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	long e = 0;

	if (!f)
		return errno;
	if (fputs(val, f) < 0)
		e = errno;
	if (fclose(f) && !e)
		e = errno;
	return e;
}

/*
 * call(crash) made by a child that dropped CAP_SYS_BOOT from its capability sets first; the
 * errno it returned (200 and up: the child could not drop it, 255: it died).
 */
static inline long without_cap_sys_boot(long (*call)(int crash), int crash)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct d[2];

		if (syscall(SYS_capget, &h, d))
			_exit(200);
		d[CAP_TO_INDEX(CAP_SYS_BOOT)].effective &= ~CAP_TO_MASK(CAP_SYS_BOOT);
		d[CAP_TO_INDEX(CAP_SYS_BOOT)].permitted &= ~CAP_TO_MASK(CAP_SYS_BOOT);
		if (syscall(SYS_capset, &h, d))
			_exit(201);
		_exit((int)call(crash));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 255;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

static inline void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The whole file at path, its length in *len; exits if it cannot be read. */
static inline unsigned char *read_whole(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	unsigned char *b;

	if (fd < 0 || fstat(fd, &st))
		die(path);
	b = malloc(st.st_size);
	if (!b || read(fd, b, st.st_size) != st.st_size)
		die(path);
	close(fd);
	*len = st.st_size;
	return b;
}

#endif /* KDT_ERRNO_H */
