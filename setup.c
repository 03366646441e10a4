/* SPDX-License-Identifier: MIT */
/*
 * setup.c - turns a validated configuration into running state: the
 * underlay sockets, the ring, the FDB, one runtime VNI per configured VNI
 * (its effective flood mode, group membership, peers, taps and static
 * entries), and takes it all down again. Also the reload entry point.
 */
#include "daemon.h"

#include <sys/random.h>
#include <unistd.h>

enum {
	RING_ENTRIES = 1024,
	RX_BUFFERS = 1024,
	TICK_MS = 1000,
};

static int vni_cmp(const void *a, const void *b)
{
	const struct vtep_vni_rt *x = a, *y = b;

	return x->vni < y->vni ? -1 : x->vni > y->vni;
}

struct vtep_vni_rt *daemon_find_vni(struct vtep_daemon *d, uint32_t vni)
{
	struct vtep_vni_rt key = { .vni = vni };

	return bsearch(&key, d->vnis, d->n_vnis, sizeof(*d->vnis), vni_cmp);
}

static int open_underlay(struct vtep_daemon *d)
{
	const struct vtep_conf *c = d->conf;
	struct io_underlay_params p = {
		.local = c->local, .dev = c->dev, .dstport = c->dstport,
		.srcport_min = c->srcport_min, .srcport_max = c->srcport_max,
		.ttl = c->ttl, .mcast_ttl = c->mcast_ttl,
	};
	char why[256];
	int r;

	r = io_underlay_open(&p, &d->ul, why, sizeof(why));
	if (r < 0) {
		log_error("underlay: %s", why);
		return r;
	}
	d->mtu = c->mtu ? c->mtu : d->ul.mtu - 50;
	log_info("underlay %s:%u on '%s' (mtu %u), tap mtu %u, %u source ports",
		 vtep_addr_fmt(&c->local, why), c->dstport, d->ul.dev, d->ul.mtu, d->mtu,
		 d->ul.n_tx);
	return 0;
}

static int open_ring(struct vtep_daemon *d)
{
	struct io_params p = {
		.sq_entries = RING_ENTRIES,
		/* Largest inner frame + VLAN tags + VXLAN header + recvmsg header
		 * and name; the performance work raises this to 64 KiB frames. */
		.buf_size = (d->mtu + 14 + 8 + 8 + 128 + 255) & ~255u,
		.n_bufs = RX_BUFFERS,
		.max_ports = VTEP_MAX_TAPS + VTEP_MAX_VNIS + 8,
	};
	int r;

	r = io_ctx_new(&p, &d->io);
	if (r < 0) {
		log_error_errno(r, "io_uring setup failed");
		return r;
	}
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
	return io_set_tick(d->io, TICK_MS);
}

/* The flood mode a VNI actually runs with (DESIGN.md 3, flood = "auto"). */
static int resolve_mode(struct vtep_daemon *d, struct vtep_vni_rt *v, const struct conf_vni *cv)
{
	char g[VTEP_ADDR_STRLEN];
	int fd = -ENOENT;

	if (cv->has_group && cv->flood != VTEP_FLOOD_UNICAST) {
		fd = io_group_join(&d->ul, &cv->group);
		if (fd >= 0) {
			v->group_fd = fd;
			v->group_port = io_add_port(d->io, IO_PORT_UDP, fd, 0);
			v->mode = VTEP_FLOOD_MULTICAST;
			log_info("vni %u: joined group %s on '%s'", v->vni,
				 vtep_addr_fmt(&cv->group, g), d->ul.dev);
			return v->group_port < 0 ? v->group_port : 0;
		}
		if (cv->flood == VTEP_FLOOD_MULTICAST) {
			log_error_errno(fd, "vni %u: cannot join group %s on '%s'", v->vni,
					vtep_addr_fmt(&cv->group, g), d->ul.dev);
			return fd;
		}
		log_warning_errno(fd, "vni %u: cannot join group %s on '%s', %s", v->vni,
				  vtep_addr_fmt(&cv->group, g), d->ul.dev,
				  cv->n_peers ? "falling back to unicast replication" :
				  "flooding locally only");
	}
	v->mode = cv->n_peers ? VTEP_FLOOD_UNICAST : VTEP_FLOOD_LOCAL;
	return 0;
}

static int add_tap(struct vtep_daemon *d, size_t vni_idx, const struct conf_tap *ct)
{
	struct vtep_vni_rt *v = &d->vnis[vni_idx];
	struct vtep_tap_rt *tap = NULL;
	size_t i;
	int r;

	for (i = 0; i < VTEP_MAX_TAPS; i++)
		if (!d->taps[i].used) {
			tap = &d->taps[i];
			break;
		}
	if (!tap)
		return -ENOSPC;
	r = io_tap_open(ct->name, ct->netns, d->mtu, &tap->io);
	if (r < 0) {
		log_error_errno(r, "%s:%d: tap '%s'%s%s", ct->file, ct->line, ct->name,
				ct->netns[0] ? " in netns " : "", ct->netns);
		return r;
	}
	memset(&tap->c, 0, sizeof(tap->c));
	tap->used = true;
	tap->vni_idx = vni_idx;
	tap->port = io_add_port(d->io, IO_PORT_TAP, tap->io.fd, i);
	if (tap->port < 0)
		return tap->port;
	v->taps[v->n_taps++] = (uint16_t)i;
	if (i + 1 > d->n_taps)
		d->n_taps = i + 1;
	log_info("vni %u: tap '%s'%s%s %s", v->vni, ct->name, ct->netns[0] ? " in netns " : "",
		 ct->netns, tap->io.created ? "created" : "attached");
	return 0;
}

static void fill_fwd(struct vtep_daemon *d, struct vtep_vni_rt *v)
{
	const struct vtep_conf *c = d->conf;

	memset(&v->fwd, 0, sizeof(v->fwd));
	v->fwd.vni = v->vni;
	v->fwd.flood = v->mode;
	v->fwd.learning = c->learning;
	v->fwd.ignore_reserved = c->reserved_bits == CONF_RESERVED_IGNORE;
	v->fwd.mtu = (uint16_t)d->mtu;
	v->fwd.allow = c->allow;
	v->fwd.n_allow = c->n_allow;
	v->fwd.allow_any = c->n_allow == 0 && v->has_group;
	v->fwd.peers = v->peers;
	v->fwd.n_peers = v->n_peers;
	v->fwd.arp_suppress = c->arp_suppress;
}

static int setup_vni(struct vtep_daemon *d, size_t idx, const struct conf_vni *cv)
{
	struct vtep_vni_rt *v = &d->vnis[idx];
	int r;

	v->taps = calloc(cv->n_taps ? cv->n_taps : 1, sizeof(*v->taps));
	v->peers = calloc(cv->n_peers ? cv->n_peers : 1, sizeof(*v->peers));
	if (!v->taps || !v->peers)
		return -ENOMEM;
	memcpy(v->peers, cv->peers, cv->n_peers * sizeof(*v->peers));
	v->n_peers = cv->n_peers;
	v->has_group = cv->has_group;
	v->group = cv->group;
	r = resolve_mode(d, v, cv);
	if (r < 0)
		return r;
	fill_fwd(d, v);
	for (size_t i = 0; i < cv->n_taps; i++) {
		r = add_tap(d, idx, &cv->taps[i]);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < cv->n_fdb; i++) {
		r = fdb_add_static(d->fdb, v->vni, &cv->fdb[i].mac, &cv->fdb[i].remote,
				   vtep_now_ms());
		if (r < 0) {
			log_error_errno(r, "%s:%d: static fdb entry", cv->fdb[i].file,
					cv->fdb[i].line);
			return r;
		}
	}
	for (size_t i = 0; i < cv->n_arp; i++) {
		r = arpc_add_static(d->arpc, v->vni, &cv->arp[i].ip, &cv->arp[i].mac,
				    vtep_now_ms());
		if (r < 0) {
			log_error_errno(r, "%s:%d: static arp entry", cv->arp[i].file,
					cv->arp[i].line);
			return r;
		}
	}
	log_info("vni %u: flood %s, %zu taps, %zu peers, %zu static fdb, %zu static arp",
		 v->vni, vtep_flood_name(v->mode), v->n_taps, v->n_peers, cv->n_fdb, cv->n_arp);
	return 0;
}

static int setup_vnis(struct vtep_daemon *d)
{
	const struct vtep_conf *c = d->conf;
	int r;

	d->vnis = calloc(c->n_vnis ? c->n_vnis : 1, sizeof(*d->vnis));
	if (!d->vnis)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_vnis; i++) {
		d->vnis[i].vni = c->vnis[i].vni;
		d->vnis[i].group_fd = -1;
		d->vnis[i].group_port = -1;
	}
	d->n_vnis = c->n_vnis;
	/* Sorted for bsearch; conf VNIs are unique, so the order is total. */
	qsort(d->vnis, d->n_vnis, sizeof(*d->vnis), vni_cmp);
	for (size_t i = 0; i < d->n_vnis; i++) {
		r = setup_vni(d, i, conf_find_vni(c, d->vnis[i].vni));
		if (r < 0)
			return r;
	}
	return 0;
}

static size_t count_static(const struct vtep_conf *c, bool arp)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_vnis; i++)
		n += arp ? c->vnis[i].n_arp : c->vnis[i].n_fdb;
	return n;
}

/* Keys the schema accepts whose feature has not landed: say so once. */
static void warn_unimplemented(const struct vtep_conf *c)
{
	if (c->workers > 1)
		log_warning("workers = %u: only one packet worker is implemented, running one",
			    c->workers);
	if (c->bum_rate)
		log_warning("bum_rate: the per-tap BUM limit is not implemented yet, ignoring");
	if (c->capture.enabled)
		log_warning("capture: packet capture is not implemented yet, ignoring");
	if (c->metrics)
		log_warning("metrics: the Prometheus textfile is not implemented yet, ignoring");
}

int daemon_setup(struct vtep_daemon *d, struct vtep_conf *conf)
{
	uint64_t seed = 0;
	int r;

	d->conf = conf;
	d->sig_fd = -1;
	d->ul.rx_fd = -1;
	d->start_ms = vtep_now_ms();
	warn_unimplemented(conf);
	d->taps = calloc(VTEP_MAX_TAPS, sizeof(*d->taps));
	d->fdb = fdb_new(conf->maxaddress, (uint32_t)count_static(conf, false) + 1024);
	d->arpc = arpc_new(conf->arp_max, (uint32_t)count_static(conf, true) + 1024);
	if (!d->taps || !d->fdb || !d->arpc)
		return -ENOMEM;
	if (getrandom(&seed, sizeof(seed), 0) == sizeof(seed)) {
		(void)fdb_set_seed(d->fdb, seed);
		(void)arpc_set_seed(d->arpc, seed * 0x9e3779b97f4a7c15ull + 1);
	}
	r = open_underlay(d);
	if (r < 0)
		return r;
	r = open_ring(d);
	if (r < 0)
		return r;
	return setup_vnis(d);
}

void daemon_teardown(struct vtep_daemon *d)
{
	char g[VTEP_ADDR_STRLEN];

	for (size_t i = 0; i < d->n_vnis; i++) {
		struct vtep_vni_rt *v = &d->vnis[i];

		if (v->group_fd >= 0) {
			io_group_leave(&d->ul, v->group_fd, &v->group);
			log_info("vni %u: left group %s", v->vni, vtep_addr_fmt(&v->group, g));
		}
		free(v->taps);
		free(v->peers);
	}
	/* The ring goes first: nothing may still read from the fds we close. */
	io_ctx_free(d->io);
	d->io = NULL;
	for (size_t i = 0; d->taps && i < d->n_taps; i++)
		if (d->taps[i].used)
			io_tap_close(&d->taps[i].io);
	io_underlay_close(&d->ul);
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	fdb_free(d->fdb);
	arpc_free(d->arpc);
	d->arpc = NULL;
	free(d->vnis);
	free(d->taps);
	d->vnis = NULL;
	d->taps = NULL;
	d->fdb = NULL;
}

/* Settings that only a restart can change (STYLE.md 7). */
static bool needs_restart(const struct vtep_conf *a, const struct vtep_conf *b,
			  char *why, size_t whylen)
{
	if (!vtep_addr_eq(&a->local, &b->local))
		snprintf(why, whylen, "changing 'local' needs a restart");
	else if (a->dstport != b->dstport)
		snprintf(why, whylen, "changing 'dstport' needs a restart");
	else if (strcmp(a->dev, b->dev) != 0)
		snprintf(why, whylen, "changing 'dev' needs a restart");
	else if (a->mtu != b->mtu)
		snprintf(why, whylen, "changing 'mtu' needs a restart");
	else
		return false;
	return true;
}

static bool same_vni(const struct conf_vni *a, const struct conf_vni *b)
{
	if (a->has_group != b->has_group || a->flood != b->flood || a->n_peers != b->n_peers ||
	    a->n_taps != b->n_taps || a->n_fdb != b->n_fdb || a->n_arp != b->n_arp)
		return false;
	for (size_t i = 0; i < a->n_arp; i++)
		if (!vtep_addr_eq(&a->arp[i].ip, &b->arp[i].ip) ||
		    !vtep_mac_eq(&a->arp[i].mac, &b->arp[i].mac))
			return false;
	if (a->has_group && !vtep_addr_eq(&a->group, &b->group))
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (!vtep_addr_eq(&a->peers[i], &b->peers[i]))
			return false;
	for (size_t i = 0; i < a->n_taps; i++)
		if (strcmp(a->taps[i].name, b->taps[i].name) ||
		    strcmp(a->taps[i].netns, b->taps[i].netns))
			return false;
	for (size_t i = 0; i < a->n_fdb; i++)
		if (!vtep_mac_eq(&a->fdb[i].mac, &b->fdb[i].mac) ||
		    !vtep_addr_eq(&a->fdb[i].remote, &b->fdb[i].remote))
			return false;
	return true;
}

int daemon_reload(struct vtep_daemon *d, struct vtep_conf *conf, char *why, size_t whylen)
{
	const struct vtep_conf *old = d->conf;

	if (needs_restart(old, conf, why, whylen))
		return -EBUSY;
	if (old->n_vnis != conf->n_vnis) {
		snprintf(why, whylen, "adding or removing VNIs live is not supported yet");
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < old->n_vnis; i++) {
		const struct conf_vni *nv = conf_find_vni(conf, old->vnis[i].vni);

		if (!nv || !same_vni(&old->vnis[i], nv)) {
			snprintf(why, whylen, "vni %u: changing taps, peers, group or static "
				 "entries live is not supported yet", old->vnis[i].vni);
			return -EOPNOTSUPP;
		}
	}
	if (fdb_set_max_learned(d->fdb, conf->maxaddress) < 0) {
		snprintf(why, whylen, "cannot resize the fdb to maxaddress %u", conf->maxaddress);
		return -ENOMEM;
	}
	if (arpc_set_max_snooped(d->arpc, conf->arp_max) < 0) {
		snprintf(why, whylen, "cannot resize the arp cache to arp_max %u", conf->arp_max);
		return -ENOMEM;
	}
	/* Ageing, learning, limits: everything below reads d->conf live. */
	d->conf = conf;
	for (size_t i = 0; i < d->n_vnis; i++)
		fill_fwd(d, &d->vnis[i]);
	return 0;
}
