/* SPDX-License-Identifier: MIT */
/*
 * setup.c - turns a validated configuration into running state: the
 * underlay sockets, the ring, the FDB, one runtime VNI per configured VNI
 * (its effective flood mode, group membership, peers, taps and static
 * entries), and takes it all down again. Also the reload entry point.
 */
#include "daemon.h"
#include "proto/eth.h"
#include "proto/vxlan.h"

#include <sys/random.h>
#include <unistd.h>

enum {
	RING_ENTRIES = 1024,
	UDP_BUFFERS = 128,
	TAP_BUFFERS = 64,
	TICK_MS = 1000,
	DAD_WAIT_MS = 10000,            /* an IPv6 local still tentative, at most */
	DAD_POLL_MS = 100,
};

/* An IPv6 address on an interface but not bindable yet: tentative, while
 * duplicate address detection runs (a second or so after it was added, as
 * at boot), or for good if DAD found a duplicate. */
static bool tentative(const struct vtep_conf *c, int r)
{
	char dev[VTEP_IFNAMSIZ];

	return r == -EADDRNOTAVAIL && c->local.family == AF_INET6 &&
	       io_addr_dev(&c->local, dev, NULL) == 0;
}

static int open_underlay(struct vtep_daemon *d)
{
	const struct vtep_conf *c = d->conf;
	struct io_underlay_params p = {
		.local = c->local, .dev = c->dev, .dstport = c->dstport,
		.srcport_min = c->srcport_min, .srcport_max = c->srcport_max,
		.ttl = c->ttl, .mcast_ttl = c->mcast_ttl,
		.reuseport = c->workers > 1,
		.df_unset = c->df == CONF_DF_UNSET,
	};
	char why[256];
	int r;

	r = io_underlay_open(&p, &d->ul, why, sizeof(why));
	for (unsigned int ms = 0; tentative(c, r) && ms < DAD_WAIT_MS; ms += DAD_POLL_MS) {
		char a[VTEP_ADDR_STRLEN];

		if (ms == 0)
			log_info("local %s is still tentative (duplicate address detection): "
				 "waiting up to %u s", vtep_addr_fmt(&c->local, a), DAD_WAIT_MS / 1000);
		usleep(DAD_POLL_MS * 1000);
		r = io_underlay_open(&p, &d->ul, why, sizeof(why));
		if (r == 0)
			log_info("local %s usable after %u ms", vtep_addr_fmt(&c->local, a),
				 ms + DAD_POLL_MS);
	}
	if (r < 0) {
		if (tentative(c, r))
			log_error("underlay: %s; still tentative after %u s: a duplicate address? "
				  "('ip -6 addr' says dadfailed then)", why, DAD_WAIT_MS / 1000);
		else
			log_error("underlay: %s", why);
		return r;
	}
	/* The kernel driver's default: 50 bytes of VXLAN over IPv4, 70 over IPv6. */
	d->mtu = c->mtu ? c->mtu : d->ul.mtu - vtep_outer_hlen(&c->local) - VXLAN_HLEN - ETH_HLEN;
	log_info("underlay %s:%u on '%s' (mtu %u), tap mtu %u, %u source ports%s",
		 vtep_addr_fmt(&c->local, why), c->dstport, d->ul.dev, d->ul.mtu, d->mtu,
		 d->ul.n_tx, d->ul.df_unset ? ", DF clear (df unset)" : "");
	return 0;
}

void daemon_io_params(struct io_params *ret)
{
	struct io_params p = {
		.sq_entries = RING_ENTRIES,
		/* Underlay: a UDP GRO train of up to 64 KiB plus the recvmsg
		 * header, name and cmsg. Taps: a 64 KiB TSO super-frame plus
		 * its virtio-net header. Pages are resident only once used. */
		.buf_size = 65536 + 1024,
		.n_bufs = UDP_BUFFERS,
		.tap_buf_size = 65536 + 256,
		.tap_n_bufs = TAP_BUFFERS,
		.max_ports = VTEP_MAX_TAPS + VTEP_MAX_VNIS + 8,
	};

	*ret = p;
}

static int open_ring(struct vtep_daemon *d)
{
	struct io_params p;
	int r;

	daemon_io_params(&p);
	r = io_ctx_new(&p, &d->io);
	if (r < 0) {
		log_error_errno(r, "io_uring setup failed");
		return r;
	}
	if (!io_tap_reads_multishot(d->io))
		log_info("taps are read by single reads, each re-armed (no io_uring "
			 "READ_MULTISHOT: Linux before 6.7, or VTEP_READ_MULTISHOT=0)");
	r = io_signalfd_open();
	if (r < 0) {
		log_error_errno(r, "signalfd");
		return r;
	}
	d->sig_fd = r;
	d->sig_port = io_add_port(d->io, IO_PORT_SIGNAL, d->sig_fd, 0);
	d->ul_port = io_add_port(d->io, IO_PORT_UDP, d->ul.rx_fd, 0);
	if (d->sig_port < 0 || d->ul_port < 0)
		return -ENOSPC;
	d->main.io = d->io;
	d->main.ul_port = d->ul_port;
	d->main.wake_port = d->sig_port;
	return io_set_tick(d->io, TICK_MS);
}

int daemon_setup(struct vtep_daemon *d, struct vtep_conf *conf)
{
	char why[512];
	uint64_t seed = 0;
	int r;

	d->conf = conf;
	d->sig_fd = -1;
	d->ul.rx_fd = -1;
	d->start_ms = vtep_now_ms();
	d->main.d = d;
	d->main.cpu = -1;               /* not pinned (cpus) */
	d->n_workers = 1;
	pthread_mutex_init(&d->slow_lock, NULL);
	d->taps = calloc(VTEP_MAX_TAPS, sizeof(*d->taps));
	d->fdb = fdb_new(conf->maxaddress, 1024);
	d->arpc = arpc_new(conf->arp_max, 1024);
	if (!d->taps || !d->fdb || !d->arpc)
		return -ENOMEM;
	for (size_t i = 0; i < VTEP_MAX_TAPS; i++)
		pthread_mutex_init(&d->taps[i].bum_lock, NULL);
	if (getrandom(&seed, sizeof(seed), 0) == sizeof(seed)) {
		(void)fdb_set_seed(d->fdb, seed);
		(void)arpc_set_seed(d->arpc, seed * 0x9e3779b97f4a7c15ull + 1);
		d->remotes_seed = seed * 0xc2b2ae3d27d4eb4full + 3;
	}
	d->main.remotes = remotes_new(d->remotes_seed);
	if (!d->main.remotes)
		return -ENOMEM;
	r = open_underlay(d);
	if (r < 0)
		return r;
	r = open_ring(d);
	if (r < 0)
		return r;
	why[0] = '\0';
	io_set_busy_poll(d->io, conf->busy_poll);
	if (sched_getaffinity(0, sizeof(d->cpus_all), &d->cpus_all) < 0)
		return -errno;
	r = daemon_check_cpus(d, conf, why, sizeof(why));
	d->conf_refused = r < 0;
	daemon_taps_load(d);
	if (r == 0)
		r = daemon_apply(d, NULL, conf, why, sizeof(why));
	if (r == 0)
		daemon_taps_settle(d);
	if (r < 0) {
		log_error("%s", why);
	} else {
		workers_start(d);
		workers_log_pinning(d, NULL);
	}
	return r;
}

void daemon_teardown(struct vtep_daemon *d)
{
	if (d->conf)
		workers_close(d);
	free(d->workers);
	d->workers = NULL;
	daemon_leave_groups(d);
	io_capture_close(d->capture);
	d->capture = NULL;
	for (size_t i = 0; i < d->n_vnis; i++) {
		free(d->vnis[i].taps);
		free(d->vnis[i].peers);
	}
	/* The ring goes first: nothing may still read from the fds we close. */
	io_ctx_free(d->io);
	d->io = NULL;
	daemon_taps_release(d);
	for (size_t i = 0; d->taps && i < d->n_taps; i++)
		free(d->taps[i].vids);
	free(d->inherited);
	io_underlay_close(&d->ul);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	fdb_free(d->fdb);
	arpc_free(d->arpc);
	remotes_free(d->main.remotes);
	free(d->vnis);
	free(d->taps);
	d->arpc = NULL;
	d->vnis = NULL;
	d->taps = NULL;
	d->fdb = NULL;
}

/* Settings that only a restart can change (STYLE.md 7: refused, with the
 * reason, while everything else keeps running as it was). */
static bool needs_restart(const struct vtep_conf *a, const struct vtep_conf *b,
			  char *why, size_t whylen)
{
	const char *key = NULL;

	if (!vtep_addr_eq(&a->local, &b->local))
		key = "local";
	else if (a->dstport != b->dstport)
		key = "dstport";
	else if (strcmp(a->dev, b->dev) != 0)
		key = "dev";
	else if (a->mtu != b->mtu)
		key = "mtu";
	else if (a->srcport_min != b->srcport_min || a->srcport_max != b->srcport_max)
		key = "srcport";
	else if (a->ttl != b->ttl || a->mcast_ttl != b->mcast_ttl)
		key = a->ttl != b->ttl ? "ttl" : "mcast_ttl";
	else if (a->df != b->df)
		key = "df";
	else if (a->workers != b->workers)
		key = "workers";
	else if (strcmp(a->pidfile, b->pidfile) != 0)
		key = "pidfile";
	else if (strcmp(a->dumpdir, b->dumpdir) != 0)
		key = "dumpdir";
	if (!key)
		return false;
	snprintf(why, whylen, "changing '%s' needs a restart; nothing was changed", key);
	return true;
}

int daemon_reload(struct vtep_daemon *d, struct vtep_conf *conf, char *why, size_t whylen)
{
	const struct vtep_conf *old = d->conf;
	int r;

	if (needs_restart(d->conf, conf, why, whylen))
		return -EBUSY;
	r = daemon_check_cpus(d, conf, why, whylen);
	if (r < 0)
		return r;
	/* The workers read what apply changes: they stop, and start again
	 * on whichever configuration is in force afterwards. */
	workers_stop(d);
	r = daemon_apply(d, d->conf, conf, why, whylen);
	if (r == 0)
		io_set_busy_poll(d->io, conf->busy_poll);
	workers_start(d);
	if (r == 0)
		workers_log_pinning(d, old);
	return r;
}
