/* SPDX-License-Identifier: MIT */
/*
 * io/sig.c - signals arrive as reads on a signalfd serviced by the ring, so
 * no handler ever runs code (STYLE.md 7).
 */
#include "io.h"

#include <signal.h>
#include <sys/signalfd.h>

static void daemon_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
	sigaddset(set, SIGCHLD);        /* the dump's writer is done */
}

int io_signals_block(void)
{
	sigset_t set;

	daemon_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int io_signalfd_open(void)
{
	sigset_t set;
	int fd, r;

	r = io_signals_block();
	if (r < 0)
		return r;
	daemon_signals(&set);
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
