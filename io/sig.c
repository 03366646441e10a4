/* SPDX-License-Identifier: MIT */
/*
 * io/sig.c - signals arrive as reads on a signalfd serviced by the ring, so
 * no handler ever runs code (STYLE.md 7).
 */
#include "io.h"

#include <signal.h>
#include <sys/signalfd.h>

int io_signalfd_open(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGCHLD);       /* the dump's writer is done */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
