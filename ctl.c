/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - the control socket, DUMPDIR/vtep.ctl: a datagram socket the
 * ring polls, answered on the main thread. A request is one datagram of
 * words (proto/ctl) that carries, as SCM_RIGHTS, one end of the client's
 * socket pair: the answer, "ok ..." or "error ...", is written to it in
 * one message. Datagrams keep the packet loop safe from its clients: no
 * connection to wait on, no partial read, and a client that went away only
 * loses its answer. The pair, not the sender's address, carries the
 * answer because a daemon in another network namespace (ip netns exec)
 * cannot reach the client's abstract address, and a named one would leave
 * files behind. Only root and the daemon's own user may ask (the socket is
 * mode 0600, and the sender's credentials are checked as well). Also the
 * client side, for `vtep flush`.
 */
#include "daemon.h"
#include "proto/ctl.h"

#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_NAME "vtep.ctl"
#define CTL_BATCH 16                    /* requests answered per wakeup, at most */
#define CTL_FDS 4                       /* descriptors a request may pass (the first
					 * is answered on, the others closed) */

static int ctl_addr(const char *dumpdir, struct sockaddr_un *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sun_family = AF_UNIX;
	if ((size_t)snprintf(ret->sun_path, sizeof(ret->sun_path), "%s/" CTL_NAME, dumpdir) >=
	    sizeof(ret->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

/* Whether a process still receives on the socket at path (a daemon that
 * died without removing it leaves one that refuses). */
static bool ctl_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool used;

	if (fd < 0)
		return false;
	used = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return used;
}

void ctl_open(struct vtep_daemon *d, const char *dumpdir)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t mask;
	int fd, one = 1, r;

	d->ctl_fd = -1;
	d->ctl_port = -1;
	if (ctl_addr(dumpdir, &sa) < 0) {
		log_warning("dumpdir '%s' is too long for a socket path: no control socket "
			    "(vtep flush will not work)", dumpdir);
		return;
	}
	if (lstat(sa.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode) || ctl_in_use(&sa)) {
			log_warning("'%s' is %s: no control socket (vtep flush will not work)",
				    sa.sun_path, S_ISSOCK(st.st_mode) ?
				    "in use by another process" : "not a socket");
			return;
		}
		(void)unlink(sa.sun_path);      /* left by a run that was killed */
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_warning_errno(-errno, "control socket");
		return;
	}
	mask = umask(0177);
	r = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(mask);
	if (r < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
		log_warning_errno(-errno, "control socket '%s'", sa.sun_path);
		if (r == 0)
			(void)unlink(sa.sun_path);
		close(fd);
		return;
	}
	d->ctl_fd = fd;
}

void ctl_start(struct vtep_daemon *d)
{
	if (d->ctl_fd < 0)
		return;
	d->ctl_port = io_add_port(d->io, IO_PORT_CTL, d->ctl_fd, 0);
	if (d->ctl_port < 0) {
		log_warning_errno(d->ctl_port, "control socket: cannot add it to the ring");
		ctl_close(d);
	}
}

void ctl_close(struct vtep_daemon *d)
{
	struct sockaddr_un sa;

	if (d->ctl_fd < 0)
		return;
	close(d->ctl_fd);
	d->ctl_fd = -1;
	if (ctl_addr(d->conf->dumpdir, &sa) == 0)
		(void)unlink(sa.sun_path);
}

/* ------------------------------------------------------------------ */
/* flush                                                              */

struct flush_ctx {
	struct vtep_daemon *d;
	const struct ctl_request *r;
};

static bool tap_named(uint16_t tap, void *arg)
{
	const struct flush_ctx *f = arg;

	return tap < f->d->n_taps && f->d->taps[tap].used &&
	       strcmp(f->d->taps[tap].io.name, f->r->tap) == 0;
}

static bool flush_fdb_entry(const struct fdb_entry *e, void *arg)
{
	struct flush_ctx *f = arg;
	struct vtep_vni_rt *v;

	if (!ctl_fdb_match(f->r, e, tap_named, f))
		return false;
	v = daemon_find_vni(f->d, e->vni);
	if (v)
		v->c.flushed++;
	return true;
}

static bool flush_arp_entry(const struct arpc_entry *e, void *arg)
{
	struct flush_ctx *f = arg;
	struct vtep_vni_rt *v;

	if (!ctl_arp_match(f->r, e))
		return false;
	v = daemon_find_vni(f->d, e->vni);
	if (v)
		v->c.arp_flushed++;
	return true;
}

/* What the request names must exist: a typo is told, not taken for
 * "nothing there". */
static int flush_check(struct flush_ctx *f, char *why, size_t whylen)
{
	bool tap = !f->r->tap[0];

	if (f->r->has_vni && !daemon_find_vni(f->d, f->r->vni)) {
		snprintf(why, whylen, "no VNI %u in the running configuration", f->r->vni);
		return -ENOENT;
	}
	for (size_t i = 0; !tap && i < f->d->n_taps; i++)
		tap = tap_named((uint16_t)i, f);
	if (!tap) {
		snprintf(why, whylen, "no tap '%s' in the running configuration", f->r->tap);
		return -ENOENT;
	}
	return 0;
}

static void flush(struct vtep_daemon *d, const struct ctl_request *r, uid_t uid, char *reply,
		  size_t len)
{
	struct flush_ctx f = { .d = d, .r = r };
	const char *only = !r->arp ? ", FDB only" : !r->fdb ? ", ARP/ND only" : "";
	char what[256], why[256];
	const char *sel = ctl_describe(r, what, sizeof(what));
	size_t n_fdb = 0, n_arp = 0;

	if (flush_check(&f, why, sizeof(why)) < 0) {
		snprintf(reply, len, "error %s", why);
		return;
	}
	if (r->fdb)
		n_fdb = fdb_flush_if(d->fdb, flush_fdb_entry, &f);
	if (r->arp) {           /* the workers snoop meanwhile, under the lock */
		arpc_lock(d->arpc);
		n_arp = arpc_flush_if(d->arpc, flush_arp_entry, &f);
		arpc_unlock(d->arpc);
	}

	log_info("flush %s%s (uid %u): %zu FDB and %zu ARP/ND entries removed", sel, only,
		 (unsigned int)uid, n_fdb, n_arp);
	snprintf(reply, len, "ok flushed %zu FDB entries and %zu ARP/ND entries (%s%s)",
		 n_fdb, n_arp, sel, only);
}

/* ------------------------------------------------------------------ */
/* Requests                                                           */

/* Which file a reload reads: the daemon stats its own path, as given to
 * it (relative to its own working directory), at the time of asking. */
static void config_identity(const struct vtep_daemon *d, char *reply, size_t replylen)
{
	char real[PATH_MAX];
	const char *path = realpath(d->conf_path, real) ? real : d->conf_path;
	struct stat st;

	if (stat(d->conf_path, &st) < 0) {
		snprintf(reply, replylen, "error cannot stat '%.400s': %s", path,
			 strerror(errno));
		return;
	}
	snprintf(reply, replylen, "ok config %llu %llu %.400s", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino, path);
}

static void answer(struct vtep_daemon *d, char *req, size_t len, uid_t uid, char *reply,
		   size_t replylen)
{
	const char *words[CTL_MAX_WORDS];
	struct ctl_request r;
	char why[256];
	int n = ctl_split(req, len, words, CTL_MAX_WORDS);

	if (n < 0) {
		snprintf(reply, replylen, "error malformed request");
		return;
	}
	if (ctl_parse(words, (size_t)n, &r, why, sizeof(why)) < 0) {
		snprintf(reply, replylen, "error %s", why);
		return;
	}
	if (r.cmd == CTL_CONFIG)
		config_identity(d, reply, replylen);
	else
		flush(d, &r, uid, reply, replylen);
}

/* The sender's uid (SCM_CREDENTIALS; (uid_t)-1 without) and the one fd it
 * passed to be answered on (-1: none); any other fd passed is closed. */
static uid_t sender(struct msghdr *m, int *ret_fd)
{
	uid_t uid = (uid_t)-1;

	*ret_fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		struct ucred cred;

		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(cred))) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			uid = cred.uid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (size_t k = 0; k < n; k++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(fd));
				if (*ret_fd < 0)
					*ret_fd = fd;
				else
					close(fd);
			}
		}
	}
	return uid;
}

void ctl_handle(struct vtep_daemon *d)
{
	for (int i = 0; i < CTL_BATCH; i++) {
		char req[CTL_MAX_REQUEST + 1], reply[CTL_MAX_REPLY];
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(CTL_FDS * sizeof(int))];
		} ctrl;
		struct sockaddr_un from;
		struct iovec iov = { .iov_base = req, .iov_len = sizeof(req) };
		struct msghdr m = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf),
		};
		ssize_t n = recvmsg(d->ctl_fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		uid_t uid;
		int fd;

		if (n < 0)
			return;         /* EAGAIN: drained */
		uid = sender(&m, &fd);
		if (uid != 0 && uid != geteuid())
			snprintf(reply, sizeof(reply), "error not allowed: run as root");
		else if (m.msg_flags & MSG_TRUNC || (size_t)n > CTL_MAX_REQUEST)
			snprintf(reply, sizeof(reply), "error request longer than %d bytes",
				 CTL_MAX_REQUEST);
		else if (m.msg_flags & MSG_CTRUNC)      /* the kernel closed the rest */
			snprintf(reply, sizeof(reply), "error more than %d descriptors passed",
				 CTL_FDS);
		else
			answer(d, req, (size_t)n, uid, reply, sizeof(reply));
		/* Else to a named sender (socat and the like); an unnamed one
		 * that passed no fd gets no answer. */
		if (fd >= 0) {
			(void)send(fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
		} else if (m.msg_namelen > sizeof(sa_family_t)) {
			(void)sendto(d->ctl_fd, reply, strlen(reply), MSG_DONTWAIT,
				     (const struct sockaddr *)&from, m.msg_namelen);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Client                                                             */

int ctl_call(const char *dumpdir, const char *const *words, size_t n, char *reply,
	     size_t len, unsigned int timeout_ms)
{
	char req[CTL_MAX_REQUEST];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctrl;
	struct sockaddr_un sa;
	struct iovec iov;
	struct msghdr m;
	struct cmsghdr *c;
	struct pollfd pfd;
	size_t at = 0;
	ssize_t got;
	int fd, pair[2], r;

	for (size_t i = 0; i < n; i++) {
		size_t w = strlen(words[i]) + 1;

		if (at + w > sizeof(req))
			return -E2BIG;
		memcpy(req + at, words[i], w);
		at += w;
	}
	r = ctl_addr(dumpdir, &sa);
	if (r < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	iov.iov_base = req;
	iov.iov_len = at;
	memset(&m, 0, sizeof(m));
	m.msg_name = &sa;
	m.msg_namelen = sizeof(sa);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctrl.buf;
	m.msg_controllen = sizeof(ctrl.buf);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pair[1], sizeof(int));
	r = sendmsg(fd, &m, 0) < 0 ? -errno : 0;
	close(fd);
	close(pair[1]);         /* the daemon holds its copy until it answers */
	pair[1] = -1;
	if (r < 0)
		goto out;
	pfd.fd = pair[0];
	pfd.events = POLLIN;
	r = poll(&pfd, 1, (int)timeout_ms);
	if (r <= 0) {
		r = r == 0 ? -ETIMEDOUT : -errno;
		goto out;
	}
	got = recv(pair[0], reply, len - 1, 0);
	/* 0: the daemon closed its end unanswered (a request it could not read). */
	r = got < 0 ? -errno : got == 0 ? -EPROTO : 0;
	if (r == 0)
		reply[got] = '\0';
out:
	close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
	return r;
}
