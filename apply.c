/* SPDX-License-Identifier: MIT */
/*
 * apply.c - make the running VNIs, taps, groups and static entries match a
 * configuration, whole or not at all. The same path serves startup (from
 * nothing) and SIGHUP (from the running state):
 *
 *   stage   everything that can fail: open new taps, join new groups, grow
 *           the static tables. Running state is not touched; on any error
 *           what was staged is undone and the old configuration runs on.
 *   commit  only steps that cannot fail: close taps and leave groups that
 *           are gone, flush their table entries, swap in the new VNIs and
 *           static entries. Learned entries of VNIs that stay, and their
 *           counters, survive.
 */
#include "daemon.h"

#include <unistd.h>

struct stage {
	struct io_capture *capture;     /* opened by this apply */
	bool capture_keep;              /* the running capture stays as it is */
	bool capture_same_file;         /* capture takes the running one's file */
	struct vtep_vni_rt *vnis;       /* the new VNIs, sorted like conf's order */
	size_t n_vnis;
	bool tap_new[VTEP_MAX_TAPS];    /* slot opened by this apply */
	bool tap_keep[VTEP_MAX_TAPS];   /* running slot the new config keeps */
	bool tap_member[VTEP_MAX_TAPS]; /* slot in a VNI of the new config */
	uint16_t *vids[VTEP_MAX_TAPS];  /* a trunk device's new VID map (tap_rt.vids) */
	struct vtep_group *groups;      /* memberships the new config needs */
	size_t n_groups;
	bool *group_new;                /* per staged group: joined by this apply */
	bool *group_taken;              /* per running group: carried over */
	const struct conf_tap *failed;  /* the tap entry that could not be staged */
	bool group_failed;              /* the VNI's group could not be joined */
	bool slots_full;                /* no tap slot was left */
};

static int vni_cmp(const void *a, const void *b)
{
	const struct vtep_vni_rt *x = a, *y = b;

	return x->vni < y->vni ? -1 : x->vni > y->vni;
}

struct vtep_vni_rt *daemon_find_vni(struct vtep_daemon *d, uint32_t vni)
{
	struct vtep_vni_rt key = { .vni = vni };

	if (!d->n_vnis)
		return NULL;    /* at start d->vnis is NULL: bsearch's base must not be */
	return bsearch(&key, d->vnis, d->n_vnis, sizeof(*d->vnis), vni_cmp);
}

static bool wants_group(const struct conf_vni *cv)
{
	return cv->has_group && cv->flood != VTEP_FLOOD_UNICAST;
}

static struct vtep_group *find_group(struct vtep_group *g, size_t n,
				     const struct vtep_addr *addr)
{
	for (size_t i = 0; i < n; i++)
		if (vtep_addr_eq(&g[i].addr, addr))
			return &g[i];
	return NULL;
}

/* One membership per group address, however many VNIs share it: carried
 * over from the running set, or joined now. A failed join is kept with
 * fd < 0 (its error) so each VNI can decide: error or fallback. */
static int stage_groups(struct vtep_daemon *d, struct stage *st, const struct vtep_conf *conf)
{
	char g[VTEP_ADDR_STRLEN];

	st->groups = calloc(conf->n_vnis ? conf->n_vnis : 1, sizeof(*st->groups));
	st->group_new = calloc(conf->n_vnis ? conf->n_vnis : 1, sizeof(bool));
	st->group_taken = calloc(d->n_groups ? d->n_groups : 1, sizeof(bool));
	if (!st->groups || !st->group_new || !st->group_taken)
		return -ENOMEM;
	for (size_t i = 0; i < conf->n_vnis; i++) {
		const struct conf_vni *cv = &conf->vnis[i];
		struct vtep_group *run, *ng;

		if (!wants_group(cv) || find_group(st->groups, st->n_groups, &cv->group))
			continue;
		ng = &st->groups[st->n_groups];
		ng->addr = cv->group;
		ng->port = -1;
		run = find_group(d->groups, d->n_groups, &cv->group);
		if (run) {
			st->group_taken[run - d->groups] = true;
			*ng = *run;
		} else {
			ng->fd = io_group_join(&d->ul, &cv->group);
			st->group_new[st->n_groups] = ng->fd >= 0;
			if (ng->fd >= 0) {
				ng->port = io_add_port(d->io, IO_PORT_UDP, ng->fd, 0);
				if (ng->port < 0) {
					int r = ng->port;

					ng->port = -1;
					st->n_groups++; /* unstage leaves it */
					return r;
				}
				log_info("joined group %s on '%s'", vtep_addr_fmt(&cv->group, g),
					 d->ul.dev);
			}
		}
		st->n_groups++;
	}
	return 0;
}

/* The flood mode a VNI actually runs with (DESIGN.md 3, flood = "auto"). */
static int stage_mode(struct vtep_daemon *d, struct stage *st, size_t idx,
		      const struct conf_vni *cv)
{
	struct vtep_vni_rt *v = &st->vnis[idx];
	const struct vtep_group *grp;
	char g[VTEP_ADDR_STRLEN];

	if (wants_group(cv)) {
		grp = find_group(st->groups, st->n_groups, &cv->group);
		if (grp && grp->fd >= 0) {
			v->mode = VTEP_FLOOD_MULTICAST;
			return 0;
		}
		if (cv->flood == VTEP_FLOOD_MULTICAST) {
			st->group_failed = true;
			return grp ? grp->fd : -ENOENT;
		}
		log_warning_errno(grp ? grp->fd : -ENOENT, "vni %u: cannot join group %s on '%s', %s",
				  v->vni, vtep_addr_fmt(&cv->group, g), d->ul.dev,
				  cv->n_peers ? "falling back to unicast replication" :
				  "flooding locally only");
	}
	v->mode = cv->n_peers ? VTEP_FLOOD_UNICAST : VTEP_FLOOD_LOCAL;
	return 0;
}

static bool claimed(const struct stage *st, size_t i)
{
	return st->tap_new[i] || st->tap_keep[i];
}

/* The running device ct names (claimed by this apply or not), or -1. */
static int find_dev(const struct vtep_daemon *d, const struct conf_tap *ct)
{
	for (size_t i = 0; i < d->n_taps; i++) {
		const struct vtep_tap_rt *t = &d->taps[i];

		if (t->used && !t->vlan && strcmp(t->io.name, ct->name) == 0 &&
		    strcmp(t->io.netns, ct->netns) == 0)
			return (int)i;
	}
	return -1;
}

/* A running sub-port of device dev for ct's VLAN not yet claimed, or -1. */
static int find_sub(const struct vtep_daemon *d, const struct stage *st, int dev,
		    const struct conf_tap *ct)
{
	for (size_t i = 0; i < d->n_taps; i++) {
		const struct vtep_tap_rt *t = &d->taps[i];

		if (t->used && t->vlan == ct->vlan && t->dev == dev && !claimed(st, i))
			return (int)i;
	}
	return -1;
}

/* A free slot, taken by this apply (its state reset), or -ENOSPC. */
static int new_slot(struct vtep_daemon *d, struct stage *st)
{
	struct vtep_tap_rt *tap;
	size_t i;

	for (i = 0; i < VTEP_MAX_TAPS; i++)
		if (!d->taps[i].used)
			break;
	if (i == VTEP_MAX_TAPS) {
		st->slots_full = true;
		return -ENOSPC;
	}
	tap = &d->taps[i];
	memset(&tap->io, 0, sizeof(tap->io));
	tap->io.fd = -1;
	memset(&tap->c, 0, sizeof(tap->c));
	memset(&tap->bum, 0, sizeof(tap->bum));
	tap->port = -1;
	tap->lost_count = 0;
	tap->vlan = 0;
	tap->dev = (uint16_t)i;
	tap->vids = NULL;
	tap->vni_idx = SIZE_MAX;
	tap->vni = 0;
	tap->n_macs = tap->n_ips = 0;   /* a trunk device in no VNI gets none */
	tap->owned = false;
	tap->used = true;
	st->tap_new[i] = true;
	if (i + 1 > d->n_taps)
		d->n_taps = i + 1;
	return (int)i;
}

/* A multi-queue tap that did not get the noqueue qdisc (io.h) costs the
 * kernel megabytes: say so. */
static void warn_qdisc(const struct io_tap *t)
{
	if (t->created && t->multi_queue && t->noqueue < 0)
		log_warning_errno(t->noqueue, "tap '%s': cannot give it the noqueue qdisc, so "
				  "its 256 possible queues keep the kernel's default qdiscs "
				  "(megabytes of kernel memory)", t->name);
}

/* Whether an earlier run created the tap name in netns (daemon_taps_load). */
static bool inherited(const struct vtep_daemon *d, const char *name, const char *netns)
{
	for (size_t i = 0; i < d->n_inherited; i++)
		if (!strcmp(d->inherited[i].name, name) && !strcmp(d->inherited[i].netns, netns))
			return true;
	return false;
}

static int open_tap(struct vtep_daemon *d, struct stage *st, const struct conf_tap *ct)
{
	struct vtep_tap_rt *tap;
	char offs[IO_TAP_OFFLOADS_STRLEN];
	int i = new_slot(d, st), r;

	if (i < 0)
		return i;
	tap = &d->taps[i];
	r = io_tap_open(ct->name, ct->netns, d->mtu, d->conf->workers > 1, &tap->io);
	if (r < 0) {
		log_error_errno(r, "%s:%d: tap '%s'%s%s", ct->file, ct->line, ct->name,
				ct->netns[0] ? " in netns " : "", ct->netns);
		tap->io.fd = -1;
		return r;
	}
	tap->owned = tap->io.created || inherited(d, ct->name, ct->netns);
	tap->port = io_add_port(d->io, IO_PORT_TAP, tap->io.fd, (uint64_t)i);
	if (tap->port < 0)
		return tap->port;
	log_info("tap '%s'%s%s %s, offloads %s%s", ct->name, ct->netns[0] ? " in netns " : "",
		 ct->netns, tap->io.created ? "created" : tap->owned ? "attached (ours, kept from "
		 "the last run)" : "attached",
		 io_tap_offloads_str(&tap->io, offs, sizeof(offs)),
		 d->conf->workers > 1 && !tap->io.multi_queue ?
		 " (one queue: only the main thread reads it)" : "");
	warn_qdisc(&tap->io);
	return i;
}

/* A VLAN sub-port of device dev: a slot with no fd of its own. */
static int open_sub(struct vtep_daemon *d, struct stage *st, int dev, const struct conf_tap *ct)
{
	int i = new_slot(d, st);

	if (i < 0)
		return i;
	snprintf(d->taps[i].io.name, sizeof(d->taps[i].io.name), "%s", ct->name);
	snprintf(d->taps[i].io.netns, sizeof(d->taps[i].io.netns), "%s", ct->netns);
	d->taps[i].vlan = ct->vlan;
	d->taps[i].dev = (uint16_t)dev;
	log_info("tap '%s' vlan %u: sub-port added", ct->name, (unsigned int)ct->vlan);
	return i;
}

/* The slot of one tap entry: its device, opened or carried over (shared by
 * every entry naming it), and for a VLAN its sub-port. */
static int stage_tap(struct vtep_daemon *d, struct stage *st, const struct conf_tap *ct)
{
	int dev = find_dev(d, ct), slot;

	if (dev < 0)
		dev = open_tap(d, st, ct);
	if (dev < 0)
		return dev;
	if (!st->tap_new[dev])
		st->tap_keep[dev] = true;
	if (!ct->vlan)
		return dev;
	slot = find_sub(d, st, dev, ct);
	if (slot >= 0) {
		st->tap_keep[slot] = true;
		return slot;
	}
	return open_sub(d, st, dev, ct);
}

static int stage_taps(struct vtep_daemon *d, struct stage *st, size_t idx,
		      const struct conf_vni *cv)
{
	struct vtep_vni_rt *v = &st->vnis[idx];

	for (size_t i = 0; i < cv->n_taps; i++) {
		int slot = stage_tap(d, st, &cv->taps[i]);

		if (slot < 0) {
			st->failed = &cv->taps[i];
			return slot;
		}
		st->tap_member[slot] = true;
		v->taps[v->n_taps++] = (uint16_t)slot;
	}
	return 0;
}

/* The VID maps of the devices the new configuration gives sub-ports. */
static int stage_trunks(struct vtep_daemon *d, struct stage *st)
{
	for (size_t i = 0; i < d->n_taps; i++) {
		const struct vtep_tap_rt *t = &d->taps[i];
		uint16_t **map = &st->vids[t->dev];

		if (!t->used || !t->vlan || !claimed(st, i))
			continue;
		if (!*map && !(*map = calloc(VTEP_VLAN_IDS, sizeof(**map))))
			return -ENOMEM;
		(*map)[t->vlan] = (uint16_t)(i + 1);
	}
	return 0;
}

static int stage_vni(struct vtep_daemon *d, struct stage *st, size_t idx,
		     const struct conf_vni *cv)
{
	struct vtep_vni_rt *v = &st->vnis[idx];
	struct vtep_vni_rt *old = daemon_find_vni(d, cv->vni);
	int r;

	v->vni = cv->vni;
	v->has_group = cv->has_group;
	v->group = cv->group;
	if (old)
		v->c = old->c;          /* counters survive a reload */
	v->taps = calloc(cv->n_taps ? cv->n_taps : 1, sizeof(*v->taps));
	v->peers = calloc(cv->n_peers ? cv->n_peers : 1, sizeof(*v->peers));
	if (!v->taps || !v->peers)
		return -ENOMEM;
	if (cv->n_peers)        /* cv->peers is NULL without peers */
		memcpy(v->peers, cv->peers, cv->n_peers * sizeof(*v->peers));
	v->n_peers = cv->n_peers;
	r = stage_mode(d, st, idx, cv);
	return r < 0 ? r : stage_taps(d, st, idx, cv);
}

static size_t count_static(const struct vtep_conf *c, bool arp)
{
	size_t n = 0;

	for (size_t i = 0; c && i < c->n_vnis; i++)
		n += arp ? c->vnis[i].n_arp : c->vnis[i].n_fdb;
	return n;
}

/* Room for the old and the new static entries side by side. */
static int stage_tables(struct vtep_daemon *d, const struct vtep_conf *old,
			const struct vtep_conf *conf)
{
	size_t fdb = count_static(old, false) + count_static(conf, false) + 1024;
	size_t arp = count_static(old, true) + count_static(conf, true) + 1024;
	bool fdb_caps = false, arp_caps = false;
	int r;

	r = fdb_set_max_static(d->fdb, (uint32_t)fdb);
	if (r == 0)
		r = arpc_set_max_static(d->arpc, (uint32_t)arp);
	if (r == 0)
		r = fdb_set_max_learned(d->fdb, conf->maxaddress);
	if (r == 0)
		r = arpc_set_max_snooped(d->arpc, conf->arp_max);
	/* The commit sets every VNI's own caps, and cannot fail. */
	for (size_t i = 0; i < conf->n_vnis; i++) {
		fdb_caps = fdb_caps || conf->vnis[i].maxaddress;
		arp_caps = arp_caps || conf->vnis[i].arp_max;
	}
	if (r == 0 && fdb_caps)
		r = fdb_reserve_vni_caps(d->fdb);
	if (r == 0 && arp_caps)
		r = arpc_reserve_vni_caps(d->arpc);
	return r;
}

int daemon_capture_open(const struct vtep_conf *conf, bool keep_file,
			struct io_capture **ret_cap, char *why, size_t whylen)
{
	const struct conf_capture *c = &conf->capture;
	struct io_capture_params p = {
		.file = c->file, .filter = c->filter, .max_size = c->max_size,
		.max_files = c->max_files,
		.point = c->point == CONF_CAPTURE_OUTER ? IO_CAPTURE_OUTER :
			 c->point == CONF_CAPTURE_BOTH ? IO_CAPTURE_BOTH : IO_CAPTURE_INNER,
	};
	char msg[512];
	int r;

	r = io_capture_open(&p, keep_file, ret_cap, msg, sizeof(msg));
	if (r < 0)      /* where the operator can change it */
		snprintf(why, whylen, "%s:%d: capture.%s: %s", c->filter_file,
			 r == -EINVAL ? c->filter_line : c->file_line,
			 r == -EINVAL ? "filter" : "file", r == -ENOMEM ? "out of memory" : msg);
	return r;
}

void daemon_capture_start(struct io_capture *cap, const struct vtep_conf *conf,
			  const char *who)
{
	const struct conf_capture *c = &conf->capture;
	char why[512];

	if (io_capture_start(cap, why, sizeof(why)) < 0) {
		log_error("%scannot start the capture: %s", who, why);
		return;
	}
	log_info("%scapturing %s packets%s%s%s to '%s'", who, c->point == CONF_CAPTURE_INNER ?
		 "inner" : c->point == CONF_CAPTURE_OUTER ? "outer" : "inner and outer",
		 c->filter ? " matching '" : "", c->filter ? c->filter : "",
		 c->filter ? "'" : "", c->file);
}

/* An unchanged capture section keeps the running capture (and its file,
 * which reopening would truncate); a changed one to another file opens it
 * now and truncates it at the commit; a changed one to the same file
 * (another filter, point or limits) takes the running one's file at the
 * commit, untouched until then. One stopped by SIGUSR2 stays stopped, its
 * file as it was, until SIGUSR2 starts the configured one. */
static int stage_capture(struct vtep_daemon *d, struct stage *st, const struct vtep_conf *old,
			 const struct vtep_conf *conf, char *why, size_t whylen)
{
	const struct conf_capture *a = old ? &old->capture : NULL, *b = &conf->capture;

	if (a && a->enabled == b->enabled && vtep_str_eq(a->file, b->file) &&
	    vtep_str_eq(a->filter, b->filter) && a->point == b->point &&
	    a->max_size == b->max_size && a->max_files == b->max_files) {
		st->capture_keep = true;
		return 0;
	}
	if (!b->enabled || d->capture_paused)
		return 0;
	/* (A running capture whose file could not be opened has none to hand
	 * over: the new one opens it.) */
	st->capture_same_file = io_capture_writing(d->capture) && a && a->enabled &&
				vtep_str_eq(a->file, b->file);
	return daemon_capture_open(conf, st->capture_same_file, &st->capture, why, whylen);
}

static void free_vni_arrays(struct vtep_vni_rt *vnis, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(vnis[i].taps);
		free(vnis[i].peers);
	}
	free(vnis);
}

/* The (VNI, MAC) pairs of the local entries on one tap. */
struct tap_macs {
	uint16_t tap;
	struct fdb_entry *e;            /* only vni and mac are used */
	size_t n, cap;
	bool short_of_memory;
};

static int vni_mac_cmp(const void *a, const void *b)
{
	const struct fdb_entry *x = a, *y = b;

	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	return memcmp(x->mac.b, y->mac.b, sizeof(x->mac.b));
}

static void collect_tap_mac(const struct fdb_entry *e, void *arg)
{
	struct tap_macs *m = arg;
	struct fdb_entry *p;

	if (e->type != FDB_LOCAL || e->tap != m->tap || m->short_of_memory)
		return;
	if (m->n == m->cap) {
		p = reallocarray(m->e, m->cap ? m->cap * 2 : 16, sizeof(*p));
		if (!p) {
			m->short_of_memory = true;
			return;
		}
		m->e = p;
		m->cap = m->cap ? m->cap * 2 : 16;
	}
	m->e[m->n].vni = e->vni;
	m->e[m->n++].mac = e->mac;
}

static bool snooped_for_tap_mac(const struct arpc_entry *a, void *arg)
{
	const struct tap_macs *m = arg;
	struct fdb_entry key = { .vni = a->vni, .mac = a->mac };

	return a->type == ARPC_SNOOPED && bsearch(&key, m->e, m->n, sizeof(*m->e), vni_mac_cmp);
}

void daemon_forget_tap(struct vtep_daemon *d, size_t tap)
{
	struct tap_macs m = { .tap = (uint16_t)tap };
	size_t n_arp = 0;

	if (d->arpc) {
		fdb_foreach(d->fdb, collect_tap_mac, &m);
		if (m.n)
			qsort(m.e, m.n, sizeof(*m.e), vni_mac_cmp);
	}
	(void)fdb_flush_tap(d->fdb, (uint16_t)tap);
	if (m.n) {
		arpc_lock(d->arpc);
		n_arp = arpc_flush_if(d->arpc, snooped_for_tap_mac, &m);
		arpc_unlock(d->arpc);
	}
	if (n_arp)
		log_info("tap '%s': %zu snooped ARP/ND entries of its MACs removed",
			 d->taps[tap].io.name, n_arp);
	if (m.short_of_memory)
		log_warning("tap '%s': out of memory, some snooped ARP/ND entries of its MACs "
			    "stay until they age out", d->taps[tap].io.name);
	free(m.e);
}

/* A device goes after its sub-ports (no apply keeps one without it); with
 * drop, a device is deleted, not only let go of. */
static void close_tap(struct vtep_daemon *d, size_t i, bool drop)
{
	struct vtep_tap_rt *t = &d->taps[i];

	workers_drop_tap(d, i);
	if (t->port >= 0)
		io_del_port(d->io, t->port);
	if (!t->vlan && drop)
		io_tap_delete(&t->io);
	else if (!t->vlan)
		io_tap_close(&t->io);
	free(t->vids);
	t->vids = NULL;
	t->used = false;
	t->port = -1;
	daemon_forget_tap(d, i);
}

void daemon_revive_taps(struct vtep_daemon *d, bool create)
{
	bool stopped = false;

	for (size_t i = 0; i < d->n_taps; i++) {
		struct vtep_tap_rt *t = &d->taps[i];
		struct io_tap nt;
		char offs[IO_TAP_OFFLOADS_STRLEN];
		int r, port;

		if (!t->used || t->vlan || t->port >= 0)
			continue;
		if (!create && !io_tap_present(t->io.name, t->io.netns))
			continue;
		r = io_tap_open(t->io.name, t->io.netns, d->mtu, d->conf->workers > 1, &nt);
		if (r < 0) {
			log_debug("tap '%s': still gone (%s)", t->io.name, strerror(-r));
			continue;
		}
		port = io_add_port(d->io, IO_PORT_TAP, nt.fd, i);
		if (port < 0) {
			io_tap_close(&nt);
			continue;
		}
		if (!stopped) {         /* they read the slot: stopped while it changes */
			workers_stop(d);
			stopped = true;
		}
		t->io = nt;
		t->port = port;
		if (nt.created)
			(void)io_tap_set_persist(&t->io, d->conf->persist_taps);
		/* Made again by vtep, it is vtep's; made by someone else
		 * meanwhile, it is theirs (never deleted by vtep). */
		if (t->owned != nt.created) {
			t->owned = nt.created;
			daemon_taps_save(d);
		}
		log_info("tap '%s'%s%s is back (%s), offloads %s", nt.name,
			 nt.netns[0] ? " in netns " : "", nt.netns,
			 nt.created ? "created again" : "attached",
			 io_tap_offloads_str(&nt, offs, sizeof(offs)));
		warn_qdisc(&nt);
	}
	if (stopped)
		workers_start(d);       /* each adds a queue of it */
}

static void leave_group(struct vtep_daemon *d, struct vtep_group *grp)
{
	char g[VTEP_ADDR_STRLEN];

	if (grp->fd < 0)
		return;
	if (grp->port >= 0)
		io_del_port(d->io, grp->port);
	io_group_leave(&d->ul, grp->fd, &grp->addr);
	log_info("left group %s", vtep_addr_fmt(&grp->addr, g));
	grp->fd = -1;
	grp->port = -1;
}

void daemon_leave_groups(struct vtep_daemon *d)
{
	for (size_t i = 0; i < d->n_groups; i++)
		leave_group(d, &d->groups[i]);
	free(d->groups);
	d->groups = NULL;
	d->n_groups = 0;
}

/* Tables made for larger caps than there are now shrink (what they hold
 * stays); out of memory, they stay as they are. */
static void fit_tables(struct vtep_daemon *d)
{
	int r = fdb_fit(d->fdb);

	if (r == 0)
		r = arpc_fit(d->arpc);
	if (r < 0)
		log_warning_errno(r, "the FDB and ARP/ND tables keep their larger size");
}

static void unstage(struct vtep_daemon *d, struct stage *st, const struct vtep_conf *old)
{
	if (old) {
		/* Lowering a cap back never fails (it evicts nothing), and
		 * what was grown for the new one goes back. */
		(void)fdb_set_max_learned(d->fdb, old->maxaddress);
		(void)arpc_set_max_snooped(d->arpc, old->arp_max);
		fit_tables(d);
	}
	for (size_t i = 0; st->groups && i < st->n_groups; i++)
		if (st->group_new[i])
			leave_group(d, &st->groups[i]);
	for (size_t i = 0; i < VTEP_MAX_TAPS; i++)
		free(st->vids[i]);
	for (int pass = 0; pass < 2; pass++)      /* sub-ports, then devices */
		for (size_t i = 0; i < VTEP_MAX_TAPS; i++)
			/* Only what this apply created goes (not a tap an
			 * earlier run left, attached again). */
			if (st->tap_new[i] && (pass == 0) != (d->taps[i].vlan == 0))
				close_tap(d, i, d->taps[i].io.created);
	free_vni_arrays(st->vnis, st->n_vnis);
	free(st->groups);
	io_capture_close(st->capture);
}

/* ------------------------------------------------------------------ */
/* Commit: nothing below can fail                                      */

static void drop_old_statics(struct vtep_daemon *d, const struct vtep_conf *old)
{
	for (size_t i = 0; old && i < old->n_vnis; i++) {
		const struct conf_vni *cv = &old->vnis[i];

		for (size_t k = 0; k < cv->n_fdb; k++)
			(void)fdb_del(d->fdb, cv->vni, &cv->fdb[k].mac);
		for (size_t k = 0; k < cv->n_arp; k++)
			(void)arpc_del(d->arpc, cv->vni, &cv->arp[k].ip);
	}
}

static void add_statics(struct vtep_daemon *d, const struct conf_vni *cv)
{
	uint64_t now = vtep_now_ms();
	int r;

	for (size_t k = 0; k < cv->n_fdb; k++) {
		r = fdb_add_static(d->fdb, cv->vni, &cv->fdb[k].mac, &cv->fdb[k].remote, now);
		if (r < 0)
			log_error_errno(r, "%s:%d: static fdb entry not added", cv->fdb[k].file,
					cv->fdb[k].line);
	}
	for (size_t k = 0; k < cv->n_arp; k++) {
		r = arpc_add_static(d->arpc, cv->vni, &cv->arp[k].ip, &cv->arp[k].mac, now);
		if (r < 0)
			log_error_errno(r, "%s:%d: static arp entry not added", cv->arp[k].file,
					cv->arp[k].line);
	}
}

size_t daemon_vni_extras(const struct vtep_vni_rt *v, const struct conf_vni *cv, const char *sep,
			 char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (cv && cv->maxaddress)
		n += (size_t)snprintf(buf + n, len - n, "%smaxaddress %u", sep, cv->maxaddress);
	if (cv && cv->arp_max && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%sarp_max %u", sep, cv->arp_max);
	if (!v->fwd.learning && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%slearning off", sep);
	if (!v->fwd.arp_suppress && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%sarp_suppress off", sep);
	if (v->fwd.bum_rate && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%sbum_rate %u", sep, v->fwd.bum_rate);
	return n;
}

/* The VNI's forwarding settings: its own learning, arp_suppress and
 * bum_rate where it has them, else the global ones. */
static void fill_fwd(const struct vtep_daemon *d, const struct vtep_conf *c,
		     const struct conf_vni *cv, struct vtep_vni_rt *v)
{
	memset(&v->fwd, 0, sizeof(v->fwd));
	v->fwd.vni = v->vni;
	v->fwd.flood = v->mode;
	v->fwd.learning = cv->learning >= 0 ? cv->learning > 0 : c->learning;
	v->fwd.ignore_reserved = c->reserved_bits == CONF_RESERVED_IGNORE;
	v->fwd.mtu = (uint16_t)d->mtu;
	v->fwd.allow = c->allow;
	v->fwd.n_allow = c->n_allow;
	v->fwd.allow_any = c->n_allow == 0 && v->has_group;
	v->fwd.peers = v->peers;
	v->fwd.n_peers = v->n_peers;
	v->fwd.arp_suppress = cv->arp_suppress >= 0 ? cv->arp_suppress > 0 : c->arp_suppress;
	v->fwd.bum_rate = cv->bum_rate >= 0 ? (uint32_t)cv->bum_rate : c->bum_rate;
}

/* Taps and groups the new configuration no longer has; VNIs it dropped. */
static void retire_old(struct vtep_daemon *d, struct stage *st)
{
	for (int pass = 0; pass < 2; pass++) {
		/* Sub-ports first: their devices' vids still map them. */
		for (size_t i = 0; i < d->n_taps; i++) {
			struct vtep_tap_rt *t = &d->taps[i];

			if (!t->used || claimed(st, i) || (pass == 0) == (t->vlan == 0))
				continue;
			if (t->vlan)
				log_info("tap '%s' vlan %u: sub-port removed", t->io.name,
					 (unsigned int)t->vlan);
			else
				log_info("tap '%s' removed%s", t->io.name,
					 t->owned ? " (deleted)" : "");
			close_tap(d, i, t->owned);
		}
	}
	for (size_t i = 0; i < d->n_taps; i++) {
		/* The VID maps of the devices that stay: the new ones. */
		struct vtep_tap_rt *t = &d->taps[i];

		if (!t->used || t->vlan)
			continue;
		free(t->vids);
		t->vids = st->vids[i];
		st->vids[i] = NULL;
	}
	for (size_t i = 0; i < d->n_groups; i++)
		if (!st->group_taken[i])
			leave_group(d, &d->groups[i]);
	for (size_t i = 0; i < d->n_vnis; i++) {
		struct vtep_vni_rt *v = &d->vnis[i];
		bool kept = false;

		for (size_t k = 0; k < st->n_vnis; k++)
			kept = kept || st->vnis[k].vni == v->vni;
		if (!kept) {
			(void)fdb_flush_vni(d->fdb, v->vni);
			(void)fdb_set_vni_max(d->fdb, v->vni, 0);
			(void)arpc_set_vni_max(d->arpc, v->vni, 0);
			(void)arpc_flush_vni(d->arpc, v->vni);
			log_info("vni %u removed", v->vni);
		}
	}
}

/* Learned remote entries behind VTEPs a VNI no longer takes from, by
 * (VNI, remote): the first few, for the log. */
#define GONE_LOGGED 8

struct gone {
	struct vtep_daemon *d;
	struct {
		uint32_t vni;
		struct vtep_addr remote;
		size_t n;
	} by[GONE_LOGGED];
	size_t n_by;
	size_t unlogged;
};

static bool no_longer_allowed(const struct fdb_entry *e, void *arg)
{
	struct gone *g = arg;
	const struct vtep_vni_rt *v;
	size_t k;

	if (e->type != FDB_REMOTE)
		return false;
	v = daemon_find_vni(g->d, e->vni);
	if (!v || fwd_check_source(&v->fwd, &e->remote) == VTEP_DROP_NONE)
		return false;
	for (k = 0; k < g->n_by; k++)
		if (g->by[k].vni == e->vni && vtep_addr_eq(&g->by[k].remote, &e->remote))
			break;
	if (k == GONE_LOGGED) {
		g->unlogged++;
		return true;
	}
	if (k == g->n_by) {
		g->by[k].vni = e->vni;
		g->by[k].remote = e->remote;
		g->n_by++;
	}
	g->by[k].n++;
	return true;
}

/*
 * A VTEP that a VNI no longer takes traffic from (a peer dropped, an allow
 * list narrowed) cannot refresh what was learned behind it, and frames to
 * those MACs would go on to it until they aged out: they go now, so that
 * they are flooded and learned where they are. Static entries stay.
 */
static void flush_disallowed(struct vtep_daemon *d)
{
	struct gone g;
	char a[VTEP_ADDR_STRLEN];

	memset(&g, 0, sizeof(g));
	g.d = d;
	if (!fdb_flush_if(d->fdb, no_longer_allowed, &g))
		return;
	for (size_t k = 0; k < g.n_by; k++)
		log_info("vni %u: %zu learned FDB entries behind %s removed: the VNI no longer "
			 "takes traffic from it", g.by[k].vni, g.by[k].n,
			 vtep_addr_fmt(&g.by[k].remote, a));
	if (g.unlogged)
		log_info("%zu more learned FDB entries behind VTEPs no longer allowed removed",
			 g.unlogged);
}

static void commit(struct vtep_daemon *d, struct stage *st, const struct vtep_conf *old,
		   struct vtep_conf *conf)
{
	retire_old(d, st);
	drop_old_statics(d, old);
	if (!st->capture_keep) {
		if (st->capture_same_file)
			io_capture_take_file(st->capture, d->capture);
		else if (d->capture)
			log_info("capture stopped");
		io_capture_close(d->capture);
		d->capture = st->capture;
		if (!conf->capture.enabled)
			d->capture_paused = false;
		else if (d->capture_paused)
			log_info("the capture stopped by SIGUSR2 stays stopped: SIGUSR2 starts "
				 "it with the new settings, truncating '%s'", conf->capture.file);
		if (st->capture_same_file)
			log_info("capture to '%s' goes on with the new settings",
				 conf->capture.file);
		else if (d->capture)
			daemon_capture_start(d->capture, conf, "");
	}
	free_vni_arrays(d->vnis, d->n_vnis);
	d->vnis = st->vnis;
	d->n_vnis = st->n_vnis;
	free(d->groups);
	d->groups = st->groups;
	d->n_groups = 0;
	for (size_t i = 0; i < st->n_groups; i++)       /* keep the joined ones */
		if (st->groups[i].fd >= 0)
			d->groups[d->n_groups++] = st->groups[i];
	d->conf = conf;
	(void)fdb_set_damping(d->fdb, conf->move_limit, conf->move_window * 1000ull,
			      conf->move_hold * 1000ull);
	if (d->n_vnis)
		qsort(d->vnis, d->n_vnis, sizeof(*d->vnis), vni_cmp);
	for (size_t i = 0; i < d->n_vnis; i++) {
		struct vtep_vni_rt *v = &d->vnis[i];
		const struct conf_vni *cv = conf_find_vni(conf, v->vni);
		char tos[VTEP_TOS_STRLEN], max[VNI_EXTRAS_STRLEN];
		int r;

		for (size_t k = 0; k < v->n_taps; k++) {
			struct vtep_tap_rt *t = &d->taps[v->taps[k]];

			/* A tap that changed VNI forgets what it learned in the old one. */
			if (st->tap_keep[v->taps[k]] && d->vnis[i].vni != t->vni)
				daemon_forget_tap(d, v->taps[k]);
			t->vni_idx = i;
			t->vni = v->vni;
			/* stage_taps put them in the order of cv->taps. */
			t->n_macs = cv->taps[k].n_macs;
			memcpy(t->macs, cv->taps[k].macs, sizeof(t->macs));
			t->n_ips = cv->taps[k].n_ips;
			memcpy(t->ips, cv->taps[k].ips, sizeof(t->ips));
		}
		add_statics(d, cv);
		fill_fwd(d, conf, cv, v);
		v->tos = cv->tos != VTEP_TOS_UNSET ? cv->tos : conf->tos;
		r = fdb_set_vni_max(d->fdb, v->vni, cv->maxaddress);
		if (r < 0)
			log_error_errno(r, "vni %u: maxaddress %u not set", v->vni, cv->maxaddress);
		r = arpc_set_vni_max(d->arpc, v->vni, cv->arp_max);
		if (r < 0)
			log_error_errno(r, "vni %u: arp_max %u not set", v->vni, cv->arp_max);
		daemon_vni_extras(v, cv, ", ", max, sizeof(max));
		log_info("vni %u: flood %s, %zu taps, %zu peers, %zu static fdb, %zu static arp, "
			 "tos %s%s", v->vni, vtep_flood_name(v->mode), v->n_taps, v->n_peers,
			 cv->n_fdb, cv->n_arp, vtep_tos_str(v->tos, tos, sizeof(tos)), max);
	}
	for (size_t i = 0; i < d->n_taps; i++) {
		/* A trunk device left in no VNI itself: untagged frames go nowhere. */
		struct vtep_tap_rt *t = &d->taps[i];

		if (t->used && !st->tap_member[i] && t->vni_idx != SIZE_MAX) {
			daemon_forget_tap(d, i);
			t->vni_idx = SIZE_MAX;
			t->vni = 0;
		}
	}
	while (d->n_taps && !d->taps[d->n_taps - 1].used)
		d->n_taps--;
	flush_disallowed(d);
	fit_tables(d);
	/* What a crash would leave follows persist_taps too. */
	for (size_t i = 0; i < d->n_taps; i++)
		if (d->taps[i].used && d->taps[i].owned && !d->taps[i].vlan)
			(void)io_tap_set_persist(&d->taps[i].io, conf->persist_taps);
	daemon_taps_save(d);
}

/* ------------------------------------------------------------------ */
/* Taps that outlive us: DUMPDIR/vtep.taps                             */

/* One line per tap we own: "tap NAME" or "tap NAME netns NETNS". */
static void taps_path(const struct vtep_daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/vtep.taps", d->conf->dumpdir);
}

void daemon_taps_load(struct vtep_daemon *d)
{
	char path[4096], line[256];
	FILE *f;

	taps_path(d, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[VTEP_IFNAMSIZ + 1], netns[VTEP_NETNS_MAX + 1] = "";
		struct vtep_tap_id *n;
		int k = sscanf(line, "tap %16s netns %64s", name, netns);

		if (k < 1 || strlen(name) >= VTEP_IFNAMSIZ || strlen(netns) >= VTEP_NETNS_MAX)
			continue;               /* not ours to read: ignored */
		n = realloc(d->inherited, (d->n_inherited + 1) * sizeof(*n));
		if (!n)
			break;
		d->inherited = n;
		n = &d->inherited[d->n_inherited++];
		snprintf(n->name, sizeof(n->name), "%s", name);
		snprintf(n->netns, sizeof(n->netns), "%s", netns);
	}
	fclose(f);
}

void daemon_taps_settle(struct vtep_daemon *d)
{
	for (size_t i = 0; i < d->n_inherited; i++) {
		const struct vtep_tap_id *id = &d->inherited[i];
		bool kept = false;
		struct io_tap t;

		for (size_t k = 0; k < d->n_taps && !kept; k++)
			kept = d->taps[k].used && !d->taps[k].vlan &&
			       !strcmp(d->taps[k].io.name, id->name) &&
			       !strcmp(d->taps[k].io.netns, id->netns);
		if (kept || !io_tap_present(id->name, id->netns) ||
		    io_tap_open(id->name, id->netns, d->mtu, false, &t) < 0)
			continue;
		io_tap_delete(&t);
		log_info("tap '%s'%s%s, left by the last run and no longer configured, deleted",
			 id->name, id->netns[0] ? " in netns " : "", id->netns);
	}
	free(d->inherited);
	d->inherited = NULL;
	d->n_inherited = 0;
	d->taps_settled = true;
	daemon_taps_save(d);
}

void daemon_taps_save(const struct vtep_daemon *d)
{
	char path[4096], tmp[4200];
	size_t n = 0;
	FILE *f;
	int r;

	taps_path(d, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f) {
		log_warning_errno(-errno, "cannot write '%s'", tmp);
		return;
	}
	for (size_t i = 0; i < d->n_taps; i++) {
		const struct vtep_tap_rt *t = &d->taps[i];

		if (!t->used || t->vlan || !t->owned)
			continue;
		fprintf(f, "tap %s%s%s\n", t->io.name, t->io.netns[0] ? " netns " : "", t->io.netns);
		n++;
	}
	r = fclose(f) == 0 ? 0 : -errno;
	if (r == 0 && n && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0 || !n)
		unlink(tmp);
	if (r == 0 && !n && unlink(path) < 0 && errno != ENOENT)
		r = -errno;
	if (r < 0)
		log_warning_errno(r, "cannot write '%s'", path);
}

void daemon_taps_release(struct vtep_daemon *d)
{
	bool keep = d->conf && d->conf->persist_taps;

	for (size_t i = 0; d->taps && i < d->n_taps; i++) {
		struct vtep_tap_rt *t = &d->taps[i];

		if (!t->used || t->vlan)
			continue;
		if (t->owned && keep)
			(void)io_tap_set_persist(&t->io, true);
		if (t->owned && !keep)
			io_tap_delete(&t->io);
		else
			io_tap_close(&t->io);
		if (!keep)
			t->owned = false;
	}
	/* A start that failed before daemon_taps_settle (before the list was
	 * even read, or in the first apply) leaves it as it found it: the last
	 * run's taps are still the next one's. */
	if (d->taps && d->conf && d->taps_settled)
		daemon_taps_save(d);
}

/* Stage conf against the running state (old: the configuration it runs,
 * NULL at startup), then commit it, or undo and leave everything as it was. */
int daemon_apply(struct vtep_daemon *d, const struct vtep_conf *old, struct vtep_conf *conf,
		 char *why, size_t whylen)
{
	struct stage *st = calloc(1, sizeof(*st));
	int r = -ENOMEM;

	if (!st) {
		snprintf(why, whylen, "out of memory");
		return r;
	}
	st->vnis = calloc(conf->n_vnis ? conf->n_vnis : 1, sizeof(*st->vnis));
	if (st->vnis)
		st->n_vnis = conf->n_vnis;
	r = st->vnis ? stage_tables(d, old, conf) : -ENOMEM;
	if (r < 0)
		snprintf(why, whylen, "cannot size the tables: %s", strerror(-r));
	if (r == 0)
		r = stage_capture(d, st, old, conf, why, whylen);
	if (r == 0) {
		r = stage_groups(d, st, conf);
		if (r < 0)
			snprintf(why, whylen, "multicast groups: %s", strerror(-r));
	}
	for (size_t i = 0; r == 0 && i < conf->n_vnis; i++) {
		const struct conf_tap *ct;
		char full[160];

		r = stage_vni(d, st, i, &conf->vnis[i]);
		ct = st->failed;
		if (r < 0 && ct) {      /* where, which tap: what the operator must fix */
			snprintf(full, sizeof(full), "no free tap slot (%d in all, VLAN sub-ports "
				 "and taps being replaced included)", VTEP_MAX_TAPS);
			snprintf(why, whylen, "%s:%d: vni %u: tap '%s'%s%s: %s", ct->file, ct->line,
				 conf->vnis[i].vni, ct->name, ct->netns[0] ? " in netns " : "",
				 ct->netns, st->slots_full ? full : strerror(-r));
		} else if (r < 0) {     /* where, and which group if that was it */
			const struct conf_vni *cv = &conf->vnis[i];
			char g[VTEP_ADDR_STRLEN];

			snprintf(full, sizeof(full), "cannot join group %s on '%s': ",
				 vtep_addr_fmt(&cv->group, g), d->ul.dev);
			snprintf(why, whylen, "%s:%d: vni %u: %s%s", cv->file, cv->line, cv->vni,
				 st->group_failed ? full : "", strerror(-r));
		}
	}
	if (r == 0) {
		r = stage_trunks(d, st);
		if (r < 0)
			snprintf(why, whylen, "VLAN maps: %s", strerror(-r));
	}
	if (r < 0)
		unstage(d, st, old);
	else
		commit(d, st, old, conf);
	free(st->group_new);
	free(st->group_taken);
	free(st);
	return r;
}
