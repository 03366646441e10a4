/* SPDX-License-Identifier: MIT */
/*
 * dump.c - the SIGUSR1 dump (DESIGN.md 6): DUMPDIR/vtep.json and
 * DUMPDIR/vtep.dump, each written to a temp file and renamed, with a
 * generation that grows with every dump so readers can wait for a fresh one;
 * and the reload status file `vtep reload` waits on. Tables are walked with
 * the proto/ _foreach calls; output formats live only here.
 */
#include "daemon.h"

#include <malloc.h>
#include <stddef.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* The array p of n elements of size (capacity *cap) with room for one
 * more: p itself, or p grown (doubled, from first). NULL without memory, p
 * untouched: a shorter dump beats none. */
static void *room_for_one(void *p, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t c;

	if (n < *cap)
		return p;
	c = *cap ? *cap * 2 : first;
	p = realloc(p, c * size);
	if (p)
		*cap = c;
	return p;
}

struct dump_fdb {
	struct fdb_entry *e;
	size_t n;
	size_t cap;
};

static void collect_fdb(const struct fdb_entry *e, void *arg)
{
	struct dump_fdb *f = arg;
	struct fdb_entry *a = room_for_one(f->e, &f->cap, f->n, sizeof(*a), 256);

	if (!a)
		return;
	f->e = a;
	f->e[f->n++] = *e;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fdb_entry *x = a, *y = b;

	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	return memcmp(x->mac.b, y->mac.b, 6);
}

void dump_totals(const struct vtep_daemon *d, struct vtep_counters *ret)
{
	struct vtep_counters vc;

	daemon_global_counters(d, ret);
	for (size_t i = 0; i < d->n_vnis; i++) {
		daemon_vni_counters(d, i, &vc);
		ADD_COUNTERS(ret, &vc);
	}
}

struct dump_arp {
	struct arpc_entry *e;
	size_t n;
	size_t cap;
};

static void collect_arp(const struct arpc_entry *e, void *arg)
{
	struct dump_arp *f = arg;
	struct arpc_entry *a = room_for_one(f->e, &f->cap, f->n, sizeof(*a), 256);

	if (!a)
		return;
	f->e = a;
	f->e[f->n++] = *e;
}

/* Family first, then the address bytes. */
static int addr_cmp(const struct vtep_addr *x, const struct vtep_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->family == AF_INET6)
		return memcmp(&x->v6, &y->v6, sizeof(x->v6));
	return memcmp(&x->v4, &y->v4, sizeof(x->v4));
}

static int arp_cmp(const void *a, const void *b)
{
	const struct arpc_entry *x = a, *y = b;

	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	return addr_cmp(&x->ip, &y->ip);
}

/* A remote VTEP as the dump shows it: the traffic every worker counted
 * (proto/remotes), whether it is a peer of some VNI, and the FDB entries
 * behind it. */
struct dump_remote {
	struct vtep_addr addr;
	struct remote_stats s;
	size_t macs;                    /* remote and static FDB entries */
	int path_mtu;                   /* the kernel's, asked by the writer; <= 0 unknown */
	bool peer;
};

struct dump_remotes {
	struct dump_remote *r;
	size_t n;
	size_t cap;
	uint64_t untracked;             /* datagrams no table had a slot for */
};

/* Both tables, sorted by VNI, and the remote VTEPs, for one dump. */
struct dump_tables {
	struct dump_fdb fdb;
	struct dump_arp arp;
	struct dump_remotes remotes;
	size_t fdb_at;
	size_t arp_at;
	int pid;                        /* the daemon's (the writer may be its child) */
};

static void remote_add(struct dump_remotes *l, const struct vtep_addr *a,
		       const struct remote_stats *st, bool peer, size_t macs)
{
	struct dump_remote *r = room_for_one(l->r, &l->cap, l->n, sizeof(*r), 64);

	if (!r)
		return;
	l->r = r;
	r = &l->r[l->n++];
	memset(r, 0, sizeof(*r));
	r->addr = *a;
	if (st)
		r->s = *st;
	r->peer = peer;
	r->macs = macs;
}

static int remote_cmp(const void *a, const void *b)
{
	return addr_cmp(&((const struct dump_remote *)a)->addr,
			&((const struct dump_remote *)b)->addr);
}

static void remotes_of_table(struct dump_remotes *l, const struct remotes *t)
{
	struct remote_stats st;
	struct vtep_addr a;

	if (!t)
		return;
	for (size_t i = 0; i < REMOTES_CAP; i++)
		if (remotes_at(t, i, &a, &st))
			remote_add(l, &a, &st, false, 0);
	l->untracked += t->untracked;
}

/* Sort l and make one entry of each address's. */
static void remotes_merge(struct dump_remotes *l)
{
	size_t n = 0;

	if (!l->n)
		return;
	qsort(l->r, l->n, sizeof(*l->r), remote_cmp);
	for (size_t i = 0; i < l->n; i++) {
		struct dump_remote *r = &l->r[i], *o;

		if (!n || addr_cmp(&l->r[n - 1].addr, &r->addr) != 0) {
			l->r[n++] = *r;
			continue;
		}
		o = &l->r[n - 1];
		remote_stats_add(&o->s, &r->s);
		o->peer |= r->peer;
		o->macs += r->macs;
	}
	l->n = n;
}

/* a's entry in l: found by bisection in the sorted l->r[0..sorted), else
 * by a look through the rest; NULL: none. */
static struct dump_remote *remote_find(struct dump_remotes *l, size_t sorted,
				       const struct vtep_addr *a)
{
	size_t lo = 0, hi = sorted;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&l->r[mid].addr, a);

		if (c == 0)
			return &l->r[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = sorted; i < l->n; i++)
		if (addr_cmp(&l->r[i].addr, a) == 0)
			return &l->r[i];
	return NULL;
}

/*
 * Every remote VTEP: those the workers counted traffic with, the peers of
 * the VNIs, and (with fdb) those FDB entries point at, with the number of
 * entries that do; one entry each, sorted by address.
 */
static void collect_remotes(const struct vtep_daemon *d, const struct dump_fdb *fdb,
			    struct dump_remotes *l)
{
	size_t sorted;

	remotes_of_table(l, d->main.remotes);
	for (unsigned int id = 1; id < d->n_workers; id++)
		if (d->workers[id].running)
			remotes_of_table(l, d->workers[id].remotes);
	for (size_t i = 0; i < d->n_vnis; i++)
		for (size_t k = 0; k < d->vnis[i].n_peers; k++)
			remote_add(l, &d->vnis[i].peers[k], NULL, true, 0);
	remotes_merge(l);
	sorted = l->n;
	for (size_t i = 0; fdb && i < fdb->n; i++) {
		const struct fdb_entry *e = &fdb->e[i];
		struct dump_remote *r;

		if (e->type == FDB_LOCAL || !vtep_addr_is_unicast(&e->remote))
			continue;
		r = remote_find(l, sorted, &e->remote);
		if (r)
			r->macs++;
		else            /* never heard from: a static entry's, or untracked */
			remote_add(l, &e->remote, NULL, false, 1);
	}
	if (l->n > sorted)
		remotes_merge(l);
}

/* ------------------------------------------------------------------ */
/* JSON                                                               */

/* A JSON string value (or null for NULL/""); names come from the config
 * and may legally hold quotes or backslashes. */
static void json_str(FILE *f, const char *s)
{
	if (!s || !s[0]) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The fdb and arp entries of VNI v: both tables are sorted by VNI and the
 * VNIs are visited in order, so each call takes the next slice. */
struct vni_slice {
	const struct fdb_entry *fdb;
	size_t n_fdb;
	const struct arpc_entry *arp;
	size_t n_arp;
};

static struct vni_slice next_slice(struct dump_tables *t, uint32_t vni)
{
	struct vni_slice s;
	size_t f = t->fdb_at, a = t->arp_at;

	while (t->fdb_at < t->fdb.n && t->fdb.e[t->fdb_at].vni == vni)
		t->fdb_at++;
	while (t->arp_at < t->arp.n && t->arp.e[t->arp_at].vni == vni)
		t->arp_at++;
	s.fdb = t->fdb.e + f;
	s.n_fdb = t->fdb_at - f;
	s.arp = t->arp.e + a;
	s.n_arp = t->arp_at - a;
	return s;
}

static void json_counters(FILE *f, const struct vtep_counters *c)
{
	fprintf(f, "{ \"rx_packets\": %llu, \"tx_packets\": %llu, \"rx_bytes\": %llu, "
		"\"tx_bytes\": %llu, \"flooded\": %llu, \"arp_suppressed\": %llu, "
		"\"nd_suppressed\": %llu, \"learned\": %llu, \"moved\": %llu, \"aged\": %llu, "
		"\"flushed\": %llu, \"arp_learned\": %llu, \"arp_moved\": %llu, "
		"\"arp_aged\": %llu, \"arp_flushed\": %llu, \"arp_conflicts\": %llu, "
		"\"inner_csum_bad\": %llu, \"icmp_too_big\": %llu, "
		"\"fragmented\": %llu, \"ecn_marked\": %llu, \"drops\": {",
		(unsigned long long)c->rx_packets,
		(unsigned long long)c->tx_packets, (unsigned long long)c->rx_bytes,
		(unsigned long long)c->tx_bytes, (unsigned long long)c->flooded,
		(unsigned long long)c->arp_suppressed, (unsigned long long)c->nd_suppressed,
		(unsigned long long)c->learned, (unsigned long long)c->moved,
		(unsigned long long)c->aged, (unsigned long long)c->flushed,
		(unsigned long long)c->arp_learned, (unsigned long long)c->arp_moved,
		(unsigned long long)c->arp_aged, (unsigned long long)c->arp_flushed,
		(unsigned long long)c->arp_conflicts, (unsigned long long)c->inner_csum_bad,
		(unsigned long long)c->icmp_too_big, (unsigned long long)c->fragmented,
		(unsigned long long)c->ecn_marked);
	for (int r = VTEP_DROP_NONE + 1; r < VTEP_DROP_MAX; r++)
		fprintf(f, "%s \"%s\": %llu", r == 1 ? "" : ",", vtep_drop_name(r),
			(unsigned long long)c->drops[r]);
	fprintf(f, " } }");
}

static void json_taps(FILE *f, const struct vtep_daemon *d, const struct vtep_vni_rt *v)
{
	fprintf(f, "\"taps\": [");
	for (size_t i = 0; i < v->n_taps; i++) {
		const struct vtep_tap_rt *t = &d->taps[v->taps[i]];
		const struct vtep_tap_rt *dev = tap_dev(d, t);
		const char *offs[IO_TAP_OFFLOADS];
		char mac[VTEP_MAC_STRLEN], ip[VTEP_ADDR_STRLEN];
		struct vtep_tap_counters tc;
		size_t n_offs;

		daemon_tap_counters(d, v->taps[i], &tc);
		fprintf(f, "%s\n        { \"name\": ", i ? "," : "");
		json_str(f, t->io.name);
		fprintf(f, ", \"netns\": ");
		json_str(f, t->io.netns);
		if (t->vlan)
			fprintf(f, ", \"vlan\": %u", (unsigned int)t->vlan);
		else
			fprintf(f, ", \"vlan\": null");
		fprintf(f, ", \"vnet_hdr\": %s, \"offloads\": [", dev->io.vnet_hdr ? "true" : "false");
		n_offs = io_tap_offload_names(&dev->io, offs);
		for (size_t k = 0; k < n_offs; k++)
			fprintf(f, "%s\"%s\"", k ? ", " : "", offs[k]);
		fprintf(f, "], \"macs\": [");
		for (size_t k = 0; k < t->n_macs; k++)
			fprintf(f, "%s\"%s\"", k ? ", " : "", vtep_mac_fmt(&t->macs[k], mac));
		fprintf(f, "], \"ips\": [");
		for (size_t k = 0; k < t->n_ips; k++)
			fprintf(f, "%s\"%s\"", k ? ", " : "", vtep_addr_fmt(&t->ips[k], ip));
		fprintf(f, "], \"mac\": \"%s\", "
			"\"up\": %s, \"created\": %s, \"owned\": %s, \"lost\": %u, "
			"\"rx_packets\": %llu, "
			"\"rx_bytes\": %llu, "
			"\"rx_dropped\": %llu, \"tx_packets\": %llu, \"tx_bytes\": %llu, "
			"\"tx_dropped\": %llu }", vtep_mac_fmt(&dev->io.mac, mac),
			dev->port >= 0 ? "true" : "false", dev->io.created ? "true" : "false",
			dev->owned ? "true" : "false", dev->lost_count,
			(unsigned long long)tc.rx_packets, (unsigned long long)tc.rx_bytes,
			(unsigned long long)tc.rx_dropped, (unsigned long long)tc.tx_packets,
			(unsigned long long)tc.tx_bytes, (unsigned long long)tc.tx_dropped);
	}
	fprintf(f, " ],\n      ");
}

static void json_fdb(FILE *f, const struct vtep_daemon *d, const struct vni_slice *s,
		     uint64_t now)
{
	fprintf(f, "\"fdb\": [");
	for (size_t i = 0; i < s->n_fdb; i++) {
		const struct fdb_entry *e = &s->fdb[i];
		char mac[VTEP_MAC_STRLEN], a[VTEP_ADDR_STRLEN];
		bool local = e->type == FDB_LOCAL;

		fprintf(f, "%s\n        { \"mac\": \"%s\", \"type\": \"%s\", \"remote\": ",
			i ? "," : "", vtep_mac_fmt(&e->mac, mac), fdb_type_name(e->type));
		json_str(f, local ? NULL : vtep_addr_fmt(&e->remote, a));
		fprintf(f, ", \"tap\": ");
		json_str(f, local ? d->taps[e->tap].io.name : NULL);
		if (local && d->taps[e->tap].vlan)
			fprintf(f, ", \"vlan\": %u", (unsigned int)d->taps[e->tap].vlan);
		else
			fprintf(f, ", \"vlan\": null");
		fprintf(f, ", \"age_s\": %llu, \"frozen\": %s }", vtep_age_s(now, e->seen_ms),
			fdb_frozen(d->fdb, e, now) ? "true" : "false");
	}
	fprintf(f, " ],\n      ");
}

static void json_arp(FILE *f, const struct vni_slice *s, uint64_t now)
{
	fprintf(f, "\"arp\": [");
	for (size_t i = 0; i < s->n_arp; i++) {
		const struct arpc_entry *e = &s->arp[i];
		char mac[VTEP_MAC_STRLEN], a[VTEP_ADDR_STRLEN];

		fprintf(f, "%s\n        { \"ip\": \"%s\", \"mac\": \"%s\", \"type\": \"%s\", "
			"\"age_s\": %llu }", i ? "," : "", vtep_addr_fmt(&e->ip, a),
			vtep_mac_fmt(&e->mac, mac), arpc_type_name(e->type), vtep_age_s(now, e->seen_ms));
	}
	fprintf(f, " ],\n      ");
}

static void json_vni(FILE *f, const struct vtep_daemon *d, const struct vtep_vni_rt *v,
		     const struct vni_slice *s, uint64_t now)
{
	const struct conf_vni *cv = conf_find_vni(d->conf, v->vni);
	char a[VTEP_ADDR_STRLEN];
	struct vtep_counters vc;

	fprintf(f, "    { \"vni\": %u, \"flood\": \"%s\", \"group\": ", v->vni,
		vtep_flood_name(v->mode));
	json_str(f, v->has_group ? vtep_addr_fmt(&v->group, a) : NULL);
	fprintf(f, ", \"peers\": [");
	for (size_t i = 0; i < v->n_peers; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", vtep_addr_fmt(&v->peers[i], a));
	fprintf(f, "], \"tos\": \"%s\", \"maxaddress\": ", vtep_tos_str(v->tos, a, sizeof(a)));
	if (cv && cv->maxaddress)
		fprintf(f, "%u", cv->maxaddress);
	else
		fprintf(f, "null");
	fprintf(f, ", \"arp_max\": ");
	if (cv && cv->arp_max)
		fprintf(f, "%u", cv->arp_max);
	else
		fprintf(f, "null");
	fprintf(f, ", \"learning\": %s, \"arp_suppress\": %s, \"bum_rate\": %u,\n      ",
		v->fwd.learning ? "true" : "false", v->fwd.arp_suppress ? "true" : "false",
		v->fwd.bum_rate);
	json_taps(f, d, v);
	json_fdb(f, d, s, now);
	json_arp(f, s, now);
	fprintf(f, "\"counters\": ");
	daemon_vni_counters(d, (size_t)(v - d->vnis), &vc);
	json_counters(f, &vc);
	fprintf(f, " }");
}

/* Packets each worker received (its own counters: VNIs and the unknown). */
static uint64_t worker_rx(const struct vtep_daemon *d, const struct vtep_worker *w)
{
	uint64_t n;

	if (!w->id) {
		n = d->global.rx_packets;
		for (size_t i = 0; i < d->n_vnis; i++)
			n += d->vnis[i].c.rx_packets;
		return n;
	}
	n = w->global.rx_packets;
	for (size_t i = 0; i < w->n_vnis; i++)
		n += w->vni_c[i].rx_packets;
	return n;
}

/* Worker id and the tap queues it reads, or NULL when it does not run. */
static const struct vtep_worker *worker_view(const struct vtep_daemon *d, unsigned int id,
					     unsigned int *ret_queues)
{
	const struct vtep_worker *w = id ? &d->workers[id] : &d->main;
	unsigned int queues = 0;

	if (id && !w->running)
		return NULL;
	if (id) {
		queues = w->n_queues;
	} else {
		for (size_t i = 0; i < d->n_taps; i++)
			queues += d->taps[i].used && d->taps[i].port >= 0;
	}
	*ret_queues = queues;
	return w;
}

/* A worker's CPU, or none when it is not pinned. */
static const char *cpu_str(const struct vtep_worker *w, char buf[12], const char *none)
{
	if (w->cpu < 0)
		return none;
	snprintf(buf, 12, "%d", w->cpu);
	return buf;
}

/* One line per running worker: how the load spreads. */
static void json_workers(FILE *f, const struct vtep_daemon *d)
{
	fprintf(f, "  \"workers\": [");
	for (unsigned int id = 0; id < d->n_workers; id++) {
		unsigned int queues;
		const struct vtep_worker *w = worker_view(d, id, &queues);
		struct io_stats s;
		char cpu[12];

		if (!w)
			continue;
		daemon_worker_io_stats(d, id, &s);
		fprintf(f, "%s\n    { \"id\": %u, \"cpu\": %s", id ? "," : "", id,
			cpu_str(w, cpu, "null"));
		fprintf(f, ", \"tap_queues\": %u, \"rx_packets\": %llu, "
			"\"cqes\": %llu, \"enters\": %llu }", queues,
			(unsigned long long)worker_rx(d, w), (unsigned long long)s.cqes,
			(unsigned long long)s.enters);
	}
	fprintf(f, " ]");
}

static void json_remotes(FILE *f, const struct dump_remotes *l, uint64_t now)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct dump_remote *r = &l->r[i];
		char a[VTEP_ADDR_STRLEN];

		fprintf(f, "%s\n    { \"address\": \"%s\", \"peer\": %s, \"macs\": %zu, "
			"\"rx_packets\": %llu, \"rx_bytes\": %llu, \"tx_packets\": %llu, "
			"\"tx_bytes\": %llu, \"last_rx_s\": ", i ? "," : "",
			vtep_addr_fmt(&r->addr, a), r->peer ? "true" : "false", r->macs,
			(unsigned long long)r->s.rx_packets, (unsigned long long)r->s.rx_bytes,
			(unsigned long long)r->s.tx_packets, (unsigned long long)r->s.tx_bytes);
		if (r->s.last_rx_ms)
			fprintf(f, "%llu", vtep_age_s(now, r->s.last_rx_ms));
		else
			fprintf(f, "null");
		if (r->path_mtu > 0)
			fprintf(f, ", \"path_mtu\": %d }", r->path_mtu);
		else
			fprintf(f, ", \"path_mtu\": null }");
	}
}

static void write_json(FILE *f, const struct vtep_daemon *d, struct dump_tables *t,
		       uint64_t now)
{
	struct vtep_counters total;
	struct io_stats s;
	char a[VTEP_ADDR_STRLEN];

	fprintf(f, "{ \"format_version\": 1, \"generation\": %llu, \"pid\": %d, "
		"\"uptime_s\": %llu,\n  \"underlay\": { \"local\": \"%s\", \"dstport\": %u, "
		"\"dev\": ", (unsigned long long)d->dump_generation, t->pid,
		(unsigned long long)((now - d->start_ms) / 1000), vtep_addr_fmt(&d->ul.local, a),
		(unsigned int)d->ul.dstport);
	json_str(f, d->ul.dev);
	fprintf(f, ", \"df\": \"%s\" },\n  \"vnis\": [\n", d->ul.df_unset ? "unset" : "set");
	for (size_t i = 0; i < d->n_vnis; i++) {
		struct vni_slice sl = next_slice(t, d->vnis[i].vni);

		json_vni(f, d, &d->vnis[i], &sl, now);
		fprintf(f, "%s\n", i + 1 < d->n_vnis ? "," : "");
	}
	fprintf(f, "  ],\n  \"remotes\": [");
	json_remotes(f, &t->remotes, now);
	dump_totals(d, &total);
	fprintf(f, " ],\n  \"remotes_untracked\": %llu,\n  \"counters\": ",
		(unsigned long long)t->remotes.untracked);
	json_counters(f, &total);
	daemon_io_stats(d, &s);
	fprintf(f, ",\n  \"io\": { \"enters\": %llu, \"cqes\": %llu, \"sqes\": %llu, "
		"\"no_buffers\": %llu, \"rearms\": %llu, \"sq_full\": %llu, \"tx_errors\": %llu, "
		"\"tx_short\": %llu, \"gso_sends\": %llu, \"gso_off\": %llu, \"no_jobs\": %llu, "
		"\"gro_trains\": %llu, \"busy_polls\": %llu, \"tx_too_big\": %llu },\n",
		(unsigned long long)s.enters,
		(unsigned long long)s.cqes, (unsigned long long)s.sqes,
		(unsigned long long)s.no_buffers, (unsigned long long)s.rearms,
		(unsigned long long)s.sq_full, (unsigned long long)s.tx_errors,
		(unsigned long long)s.tx_short, (unsigned long long)s.gso_sends,
		(unsigned long long)s.gso_off, (unsigned long long)s.no_jobs,
		(unsigned long long)s.gro_trains, (unsigned long long)s.busy_polls,
		(unsigned long long)s.tx_too_big);
	json_workers(f, d);
	fprintf(f, "\n}\n");
}

/* ------------------------------------------------------------------ */
/* Text, in the words of `bridge fdb show`, `ip neigh` and `ip -s link` */

static void text_counters(FILE *f, const char *indent, const struct vtep_counters *c)
{
	fprintf(f, "%scounters: rx %llu tx %llu flooded %llu learned %llu moved %llu aged %llu "
		"flushed %llu inner_csum_bad %llu icmp_too_big %llu fragmented %llu "
		"ecn_marked %llu\n"
		"%sarp: suppressed %llu nd_suppressed %llu learned %llu moved %llu aged %llu "
		"flushed %llu conflicts %llu\n%sdrops:", indent,
		(unsigned long long)c->rx_packets, (unsigned long long)c->tx_packets,
		(unsigned long long)c->flooded, (unsigned long long)c->learned,
		(unsigned long long)c->moved, (unsigned long long)c->aged,
		(unsigned long long)c->flushed, (unsigned long long)c->inner_csum_bad, (unsigned long long)c->icmp_too_big,
		(unsigned long long)c->fragmented, (unsigned long long)c->ecn_marked, indent,
		(unsigned long long)c->arp_suppressed, (unsigned long long)c->nd_suppressed,
		(unsigned long long)c->arp_learned, (unsigned long long)c->arp_moved,
		(unsigned long long)c->arp_aged, (unsigned long long)c->arp_flushed,
		(unsigned long long)c->arp_conflicts, indent);
	for (int r = VTEP_DROP_NONE + 1; r < VTEP_DROP_MAX; r++)
		fprintf(f, " %s %llu", vtep_drop_name(r), (unsigned long long)c->drops[r]);
	fprintf(f, "\n");
}

enum { VLAN_STRLEN = 16 };

/* " vlan N" after a sub-port's name in the text dump; "" for a tap. */
static const char *vlan_str(const struct vtep_tap_rt *t, char buf[VLAN_STRLEN])
{
	buf[0] = '\0';
	if (t->vlan)
		snprintf(buf, VLAN_STRLEN, " vlan %u", (unsigned int)t->vlan);
	return buf;
}

static void text_tables(FILE *f, const struct vtep_daemon *d, const struct vtep_vni_rt *v,
			const struct vni_slice *s, uint64_t now)
{
	char a[VTEP_ADDR_STRLEN], mac[VTEP_MAC_STRLEN];

	for (size_t i = 0; i < s->n_fdb; i++) {
		const struct fdb_entry *e = &s->fdb[i];
		char vlan[VLAN_STRLEN];

		if (e->type == FDB_LOCAL)
			fprintf(f, "  %s dev %s%s vni %u local age %llus\n",
				vtep_mac_fmt(&e->mac, mac), d->taps[e->tap].io.name,
				vlan_str(&d->taps[e->tap], vlan), v->vni, vtep_age_s(now, e->seen_ms));
		else if (e->type == FDB_REMOTE)
			fprintf(f, "  %s dst %s vni %u remote age %llus%s\n",
				vtep_mac_fmt(&e->mac, mac), vtep_addr_fmt(&e->remote, a), v->vni,
				vtep_age_s(now, e->seen_ms),
				fdb_frozen(d->fdb, e, now) ? " frozen" : "");
		else
			fprintf(f, "  %s dst %s vni %u static permanent\n",
				vtep_mac_fmt(&e->mac, mac), vtep_addr_fmt(&e->remote, a), v->vni);
	}
	for (size_t i = 0; i < s->n_arp; i++) {
		const struct arpc_entry *e = &s->arp[i];

		fprintf(f, "  neigh %s lladdr %s vni %u %s", vtep_addr_fmt(&e->ip, a),
			vtep_mac_fmt(&e->mac, mac), v->vni, arpc_type_name(e->type));
		if (e->type == ARPC_STATIC)
			fprintf(f, " permanent\n");
		else
			fprintf(f, " age %llus\n", vtep_age_s(now, e->seen_ms));
	}
}

/* A pinned tap's port security: "    security: macs M,M ips A,A". */
static void text_security(FILE *f, const struct vtep_tap_rt *t)
{
	char b[VTEP_ADDR_STRLEN];

	fprintf(f, "    security:");
	for (size_t k = 0; k < t->n_macs; k++)
		fprintf(f, "%s%s", k ? "," : " macs ", vtep_mac_fmt(&t->macs[k], b));
	for (size_t k = 0; k < t->n_ips; k++)
		fprintf(f, "%s%s", k ? "," : " ips ", vtep_addr_fmt(&t->ips[k], b));
	fprintf(f, "\n");
}

static void text_vni(FILE *f, const struct vtep_daemon *d, const struct vtep_vni_rt *v,
		     const struct vni_slice *s, uint64_t now)
{
	const struct conf_vni *cv = conf_find_vni(d->conf, v->vni);
	char a[VTEP_ADDR_STRLEN], extras[VNI_EXTRAS_STRLEN];
	struct vtep_counters vc;

	fprintf(f, "vni %u flood %s", v->vni, vtep_flood_name(v->mode));
	if (v->has_group)
		fprintf(f, " group %s", vtep_addr_fmt(&v->group, a));
	for (size_t i = 0; i < v->n_peers; i++)
		fprintf(f, "%s%s", i ? "," : " peers ", vtep_addr_fmt(&v->peers[i], a));
	fprintf(f, " tos %s", vtep_tos_str(v->tos, a, sizeof(a)));
	daemon_vni_extras(v, cv, " ", extras, sizeof(extras));
	fprintf(f, "%s\n", extras);
	for (size_t i = 0; i < v->n_taps; i++) {
		const struct vtep_tap_rt *t = &d->taps[v->taps[i]];
		const struct vtep_tap_rt *dev = tap_dev(d, t);
		struct vtep_tap_counters tc;
		char offs[IO_TAP_OFFLOADS_STRLEN], vlan[VLAN_STRLEN];

		daemon_tap_counters(d, v->taps[i], &tc);
		fprintf(f, "  tap %s%s%s%s %s offloads %s\n"
			"    RX: bytes %llu packets %llu dropped %llu\n"
			"    TX: bytes %llu packets %llu dropped %llu\n", t->io.name, vlan_str(t, vlan),
			t->io.netns[0] ? " netns " : "", t->io.netns,
			dev->port >= 0 ? "UP" : "DOWN",
			io_tap_offloads_str(&dev->io, offs, sizeof(offs)),
			(unsigned long long)tc.rx_bytes, (unsigned long long)tc.rx_packets,
			(unsigned long long)tc.rx_dropped, (unsigned long long)tc.tx_bytes,
			(unsigned long long)tc.tx_packets, (unsigned long long)tc.tx_dropped);
		if (t->n_macs || t->n_ips)
			text_security(f, t);
	}
	text_tables(f, d, v, s, now);
	daemon_vni_counters(d, (size_t)(v - d->vnis), &vc);
	text_counters(f, "  ", &vc);
}

/* "remote 10.0.0.2 peer macs 3 rx 120 15000 tx 118 14000 last_rx 2s":
 * datagrams and bytes each way. */
static void text_remotes(FILE *f, const struct dump_remotes *l, uint64_t now)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct dump_remote *r = &l->r[i];
		char a[VTEP_ADDR_STRLEN];

		fprintf(f, "remote %s%s macs %zu rx %llu %llu tx %llu %llu last_rx ",
			vtep_addr_fmt(&r->addr, a), r->peer ? " peer" : "", r->macs,
			(unsigned long long)r->s.rx_packets, (unsigned long long)r->s.rx_bytes,
			(unsigned long long)r->s.tx_packets, (unsigned long long)r->s.tx_bytes);
		if (r->s.last_rx_ms)
			fprintf(f, "%llus", vtep_age_s(now, r->s.last_rx_ms));
		else
			fprintf(f, "never");
		if (r->path_mtu > 0)
			fprintf(f, " path_mtu %d\n", r->path_mtu);
		else
			fprintf(f, " path_mtu unknown\n");
	}
	if (l->untracked)
		fprintf(f, "remotes untracked %llu\n", (unsigned long long)l->untracked);
}

static void text_workers(FILE *f, const struct vtep_daemon *d)
{
	for (unsigned int id = 0; id < d->n_workers; id++) {
		unsigned int queues;
		const struct vtep_worker *w = worker_view(d, id, &queues);
		struct io_stats s;
		char cpu[12];

		if (!w)
			continue;
		daemon_worker_io_stats(d, id, &s);
		fprintf(f, "worker %u cpu %s tap_queues %u rx_packets %llu cqes %llu enters %llu\n",
			id, cpu_str(w, cpu, "any"), queues, (unsigned long long)worker_rx(d, w),
			(unsigned long long)s.cqes, (unsigned long long)s.enters);
	}
}

static void write_text(FILE *f, const struct vtep_daemon *d, struct dump_tables *t,
		       uint64_t now)
{
	struct vtep_counters total;
	char a[VTEP_ADDR_STRLEN];

	fprintf(f, "vtep pid %d generation %llu uptime %llus fdb %zu entries arp %zu entries\n",
		t->pid, (unsigned long long)d->dump_generation,
		(unsigned long long)((now - d->start_ms) / 1000), t->fdb.n, t->arp.n);
	fprintf(f, "underlay %s port %u dev %s df %s\n", vtep_addr_fmt(&d->ul.local, a),
		(unsigned int)d->ul.dstport, d->ul.dev, d->ul.df_unset ? "unset" : "set");
	for (size_t i = 0; i < d->n_vnis; i++) {
		struct vni_slice sl = next_slice(t, d->vnis[i].vni);

		text_vni(f, d, &d->vnis[i], &sl, now);
	}
	text_remotes(f, &t->remotes, now);
	text_workers(f, d);
	dump_totals(d, &total);
	fprintf(f, "total\n");
	text_counters(f, "  ", &total);
}

/* ------------------------------------------------------------------ */

typedef void (*writer_fn)(FILE *f, const struct vtep_daemon *d, struct dump_tables *t,
			  uint64_t now);

/* Write DUMPDIR/name through a temp file and rename (readers never see half). */
static int write_atomic(const struct vtep_daemon *d, const char *path, writer_fn fn,
			struct dump_tables *t, uint64_t now)
{
	char tmp[4200];
	FILE *f;
	int r = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (t) {
		t->fdb_at = 0;
		t->arp_at = 0;
	}
	fn(f, d, t, now);
	if (fflush(f) != 0 || ferror(f))
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

/* The path MTU to each remote VTEP, as the kernel knows it now (what the
 * workers consult before a send, io_path_mtu): a few system calls each,
 * made by the writer, off the packet loop. */
static void remotes_path_mtu(const struct vtep_daemon *d, struct dump_remotes *l)
{
	for (size_t i = 0; i < l->n; i++)
		l->r[i].path_mtu = io_path_mtu(&d->ul, &l->r[i].addr);
}

/* Sort the copies and write both files: 0 or a negative errno. */
static int write_files(const struct vtep_daemon *d, struct dump_tables *t, uint64_t now)
{
	char path[4096];
	int r;

	remotes_path_mtu(d, &t->remotes);
	if (t->fdb.n)           /* an empty table has no array: qsort needs one */
		qsort(t->fdb.e, t->fdb.n, sizeof(*t->fdb.e), entry_cmp);
	if (t->arp.n)
		qsort(t->arp.e, t->arp.n, sizeof(*t->arp.e), arp_cmp);
	/* Text first: a reader that sees the new JSON finds the text ready. */
	snprintf(path, sizeof(path), "%s/vtep.dump", d->conf->dumpdir);
	r = write_atomic(d, path, write_text, t, now);
	snprintf(path, sizeof(path), "%s/vtep.json", d->conf->dumpdir);
	if (r == 0)
		r = write_atomic(d, path, write_json, t, now);
	return r;
}

static void log_written(const struct vtep_daemon *d, int r)
{
	if (r < 0)
		log_error_errno(r, "cannot write the dump to '%s'", d->conf->dumpdir);
	else
		log_info("dump %llu written to '%s/vtep.json' and 'vtep.dump' (%zu FDB and "
			 "%zu ARP/ND entries, %llu ms)", (unsigned long long)d->dump_generation,
			 d->conf->dumpdir, d->dump.n_fdb, d->dump.n_arp,
			 (unsigned long long)(vtep_now_ms() - d->dump.started_ms));
}

/*
 * The tables are copied here, between two batches, and the copies are
 * sorted and written by a child process, from the snapshot of the daemon
 * that fork() gives it: with a million MACs that takes a second and more,
 * which the packet worker on this thread must not spend (it forwarded
 * nothing meanwhile). The child touches no lock (the tables are copied
 * already, and another thread may have held one at the fork), no ring and
 * no fd of the daemon's, and logs nothing: the daemon reaps it (SIGCHLD,
 * and every tick) and logs the outcome. One dump at a time: asked again
 * meanwhile, the next starts once this one is written.
 */
int dump_write(struct vtep_daemon *d)
{
	struct dump_tables t;
	uint64_t now = vtep_now_ms();
	pid_t pid;
	int r;

	if (d->dump.child > 0) {
		d->dump.again = true;
		return 0;
	}
	memset(&t, 0, sizeof(t));
	t.pid = (int)getpid();
	d->dump_generation++;
	d->dump.started_ms = now;
	fdb_foreach(d->fdb, collect_fdb, &t.fdb);
	collect_remotes(d, &t.fdb, &t.remotes);
	arpc_lock(d->arpc);
	arpc_foreach(d->arpc, collect_arp, &t.arp);
	arpc_unlock(d->arpc);
	d->dump.n_fdb = t.fdb.n;
	d->dump.n_arp = t.arp.n;
	pid = fork();
	if (pid == 0) {
		/* The daemon's fds (taps, sockets, the ring) stay its own: a
		 * tap it deletes is not held open here meanwhile. */
		(void)close_range(3, ~0U, 0);
		r = write_files(d, &t, now);
		_exit(r < 0 ? (-r & 0x7f) : 0);
	}
	if (pid < 0) {          /* no child: write here, as slow as it is */
		log_warning_errno(-errno, "dump: fork failed, writing it in the packet loop");
		r = write_files(d, &t, now);
		log_written(d, r);
	} else {
		d->dump.child = pid;
		log_debug("dump %llu: tables copied and writer %d started in %llu ms",
			  (unsigned long long)d->dump_generation, (int)pid,
			  (unsigned long long)(vtep_now_ms() - d->dump.started_ms));
		r = 0;
	}
	if (d->conf->metrics)
		(void)dump_metrics(d);
	free(t.fdb.e);
	free(t.arp.e);
	free(t.remotes.r);
#ifdef __GLIBC__
	/* The copies of the tables (48 bytes a MAC, grown by doubling) are
	 * gone, but glibc keeps freed heap below its dynamic trim threshold:
	 * with 1M MACs VmRSS stayed 15 MiB higher after every dump. Hand it
	 * back. */
	(void)malloc_trim(0);
#endif
	return r;
}

/* The temp files of a writer that did not finish (killed, or died): each
 * is named after its pid, so nothing else would ever remove them. */
static void unlink_writer_tmp(const struct vtep_daemon *d, pid_t pid)
{
	static const char *const names[] = { "vtep.dump", "vtep.json" };
	char path[4200];

	for (size_t i = 0; i < VTEP_ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s.tmp.%d", d->conf->dumpdir, names[i], (int)pid);
		(void)unlink(path);
	}
}

/* A writer stuck that long (a hung file system, a stopped process) is
 * killed, so that the next dumps and the daemon's exit do not wait on it
 * for ever. */
#define DUMP_WRITER_MAX_MS 60000
#define DUMP_EXIT_WAIT_MS 10000         /* at exit, before it is killed */

void dump_reap(struct vtep_daemon *d, bool wait)
{
	uint64_t limit = wait ? vtep_now_ms() + DUMP_EXIT_WAIT_MS : 0;
	int status = 0, err;
	pid_t r;

	if (d->dump.child <= 0)
		return;
	for (;;) {
		r = waitpid(d->dump.child, &status, WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0)
			break;
		if (!wait && vtep_now_ms() - d->dump.started_ms < DUMP_WRITER_MAX_MS)
			return;         /* still writing */
		if (!wait || vtep_now_ms() >= limit) {
			if (!d->dump.killed)
				log_error("dump %llu: its writer %d ran for %llu ms, killed",
					  (unsigned long long)d->dump_generation,
					  (int)d->dump.child,
					  (unsigned long long)(vtep_now_ms() - d->dump.started_ms));
			d->dump.killed = true;
			(void)kill(d->dump.child, SIGKILL);
			if (!wait)
				return;         /* reaped at the next tick */
			do
				r = waitpid(d->dump.child, &status, 0);
			while (r < 0 && errno == EINTR);
			break;
		}
		usleep(10000);
	}
	err = r < 0 ? errno : 0;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		unlink_writer_tmp(d, d->dump.child);
	d->dump.child = 0;
	d->dump.killed = false;
	if (r < 0)
		log_written(d, -err);
	else if (WIFEXITED(status))
		log_written(d, -WEXITSTATUS(status));
	else
		log_error("dump %llu: its writer died of signal %d", (unsigned long long)
			  d->dump_generation, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (d->dump.again && !wait) {
		d->dump.again = false;
		(void)dump_write(d);
	}
}

/* ------------------------------------------------------------------ */
/* Prometheus textfile: vtep_..._total counters with vni/reason labels,   */
/* never per-MAC labels (their number is bounded by the configuration).   */

/* One uint64_t counter of a counters struct: its metric name, help, offset. */
struct prom_counter {
	const char *name;
	const char *help;
	size_t off;
};

static const struct prom_counter prom_counters[] = {
	{ "rx_packets", "Frames received, from taps or the underlay.",
	  offsetof(struct vtep_counters, rx_packets) },
	{ "tx_packets", "Frames sent, to taps or underlay copies.",
	  offsetof(struct vtep_counters, tx_packets) },
	{ "rx_bytes", "Bytes received.", offsetof(struct vtep_counters, rx_bytes) },
	{ "tx_bytes", "Bytes sent.", offsetof(struct vtep_counters, tx_bytes) },
	{ "flooded", "Broadcast, unknown-unicast and multicast frames flooded.",
	  offsetof(struct vtep_counters, flooded) },
	{ "arp_suppressed", "ARP requests answered locally.",
	  offsetof(struct vtep_counters, arp_suppressed) },
	{ "nd_suppressed", "Neighbour solicitations answered locally.",
	  offsetof(struct vtep_counters, nd_suppressed) },
	{ "learned", "FDB entries learned.", offsetof(struct vtep_counters, learned) },
	{ "moved", "FDB entries that moved.", offsetof(struct vtep_counters, moved) },
	{ "aged", "FDB entries aged out.", offsetof(struct vtep_counters, aged) },
	{ "flushed", "FDB entries removed by vtep flush.",
	  offsetof(struct vtep_counters, flushed) },
	{ "arp_learned", "ARP/ND cache entries snooped.",
	  offsetof(struct vtep_counters, arp_learned) },
	{ "arp_moved", "ARP/ND bindings that changed MAC.",
	  offsetof(struct vtep_counters, arp_moved) },
	{ "arp_aged", "ARP/ND cache entries aged out.",
	  offsetof(struct vtep_counters, arp_aged) },
	{ "arp_flushed", "ARP/ND cache entries removed by vtep flush.",
	  offsetof(struct vtep_counters, arp_flushed) },
	{ "arp_conflicts", "Announcements contradicting a static ARP/ND entry.",
	  offsetof(struct vtep_counters, arp_conflicts) },
	{ "inner_csum_bad", "Lone datagrams whose inner TCP/UDP checksum is wrong (forwarded).",
	  offsetof(struct vtep_counters, inner_csum_bad) },
	{ "icmp_too_big", "ICMP too-big answers to frames the underlay path could not take.",
	  offsetof(struct vtep_counters, icmp_too_big) },
	{ "fragmented", "IPv4 frames without DF too big for the underlay path, sent as fragments.",
	  offsetof(struct vtep_counters, fragmented) },
	{ "ecn_marked", "Frames whose outer packet came marked CE, the mark carried inside.",
	  offsetof(struct vtep_counters, ecn_marked) },
};

/* The counter at off in counters struct c (vtep_counters, vtep_tap_counters). */
static uint64_t counter_at(const void *c, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)c + off, sizeof(v));
	return v;
}

static void prom_vni_counters(FILE *f, const struct vtep_daemon *d)
{
	struct vtep_counters gc;

	for (size_t k = 0; k < VTEP_ARRAY_SIZE(prom_counters); k++) {
		fprintf(f, "# HELP vtep_%s_total %s\n# TYPE vtep_%s_total counter\n",
			prom_counters[k].name, prom_counters[k].help, prom_counters[k].name);
		for (size_t i = 0; i < d->n_vnis; i++) {
			struct vtep_counters vc;

			daemon_vni_counters(d, i, &vc);
			fprintf(f, "vtep_%s_total{vni=\"%u\"} %llu\n", prom_counters[k].name,
				d->vnis[i].vni,
				(unsigned long long)counter_at(&vc, prom_counters[k].off));
		}
	}
	fprintf(f, "# HELP vtep_drops_total Frames dropped, by reason (vni=\"\": before a "
		"VNI was known).\n# TYPE vtep_drops_total counter\n");
	daemon_global_counters(d, &gc);
	for (int r = VTEP_DROP_NONE + 1; r < VTEP_DROP_MAX; r++) {
		fprintf(f, "vtep_drops_total{vni=\"\",reason=\"%s\"} %llu\n", vtep_drop_name(r),
			(unsigned long long)gc.drops[r]);
		for (size_t i = 0; i < d->n_vnis; i++) {
			struct vtep_counters vc;

			daemon_vni_counters(d, i, &vc);
			fprintf(f, "vtep_drops_total{vni=\"%u\",reason=\"%s\"} %llu\n",
				d->vnis[i].vni, vtep_drop_name(r),
				(unsigned long long)vc.drops[r]);
		}
	}
}

static const struct prom_counter prom_tap_counters[] = {
	{ "rx_packets", "Frames read from the tap, that is sent by its guest.",
	  offsetof(struct vtep_tap_counters, rx_packets) },
	{ "rx_bytes", "Bytes of those frames.", offsetof(struct vtep_tap_counters, rx_bytes) },
	{ "rx_dropped", "Frames from the tap dropped (spoofed, rate limit, VLAN, ...).",
	  offsetof(struct vtep_tap_counters, rx_dropped) },
	{ "tx_packets", "Frames written to the tap.",
	  offsetof(struct vtep_tap_counters, tx_packets) },
	{ "tx_bytes", "Bytes of those frames.", offsetof(struct vtep_tap_counters, tx_bytes) },
	{ "tx_dropped", "Frames that could not be written to the tap.",
	  offsetof(struct vtep_tap_counters, tx_dropped) },
};

/* A label value: backslash and double quote escaped (a tap name may hold them). */
static void prom_label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* The labels of tap entry t of VNI v: {vni="N",tap="NAME",vlan="V"} ("" untagged). */
static void prom_tap_labels(FILE *f, const struct vtep_vni_rt *v, const struct vtep_tap_rt *t)
{
	fprintf(f, "{vni=\"%u\",tap=\"", v->vni);
	prom_label(f, t->io.name);
	if (t->vlan)
		fprintf(f, "\",vlan=\"%u\"}", (unsigned int)t->vlan);
	else
		fprintf(f, "\",vlan=\"\"}");
}

/* Per tap entry (a trunk's sub-ports each): its counters and whether it is up. */
static void prom_taps(FILE *f, const struct vtep_daemon *d)
{
	for (size_t k = 0; k <= VTEP_ARRAY_SIZE(prom_tap_counters); k++) {
		bool up = k == VTEP_ARRAY_SIZE(prom_tap_counters);

		if (up)
			fprintf(f, "# HELP vtep_tap_up 1 while the tap's device is there.\n"
				"# TYPE vtep_tap_up gauge\n");
		else
			fprintf(f, "# HELP vtep_tap_%s_total %s\n# TYPE vtep_tap_%s_total counter\n",
				prom_tap_counters[k].name, prom_tap_counters[k].help,
				prom_tap_counters[k].name);
		for (size_t i = 0; i < d->n_vnis; i++) {
			const struct vtep_vni_rt *v = &d->vnis[i];

			for (size_t j = 0; j < v->n_taps; j++) {
				const struct vtep_tap_rt *t = &d->taps[v->taps[j]];
				struct vtep_tap_counters tc;
				uint64_t n;

				daemon_tap_counters(d, v->taps[j], &tc);
				if (up) {
					n = tap_dev(d, t)->port >= 0;
					fputs("vtep_tap_up", f);
				} else {
					n = counter_at(&tc, prom_tap_counters[k].off);
					fprintf(f, "vtep_tap_%s_total", prom_tap_counters[k].name);
				}
				prom_tap_labels(f, v, t);
				fprintf(f, " %llu\n", (unsigned long long)n);
			}
		}
	}
}

static void prom_tables(FILE *f, const struct vtep_daemon *d, uint64_t now)
{
	fprintf(f, "# HELP vtep_fdb_entries FDB entries by type.\n# TYPE vtep_fdb_entries gauge\n");
	for (int t = 0; t < FDB_TYPE_MAX; t++)
		fprintf(f, "vtep_fdb_entries{type=\"%s\"} %zu\n", fdb_type_name(t),
			fdb_count(d->fdb, t));
	fprintf(f, "# HELP vtep_arp_entries ARP/ND cache entries by type.\n"
		"# TYPE vtep_arp_entries gauge\n");
	arpc_lock(d->arpc);             /* the workers snoop meanwhile */
	for (int t = 0; t < ARPC_TYPE_MAX; t++)
		fprintf(f, "vtep_arp_entries{type=\"%s\"} %zu\n", arpc_type_name(t),
			arpc_count(d->arpc, t));
	arpc_unlock(d->arpc);
	fprintf(f, "# HELP vtep_taps Taps per VNI.\n# TYPE vtep_taps gauge\n");
	for (size_t i = 0; i < d->n_vnis; i++)
		fprintf(f, "vtep_taps{vni=\"%u\"} %zu\n", d->vnis[i].vni, d->vnis[i].n_taps);
	fprintf(f, "# HELP vtep_uptime_seconds Seconds since the daemon started.\n"
		"# TYPE vtep_uptime_seconds gauge\nvtep_uptime_seconds %llu\n",
		(unsigned long long)((now - d->start_ms) / 1000));
}

/* Per remote VTEP, labelled with its address (bounded by REMOTES_CAP per
 * worker and by the configured peers, not by what the guests do). */
static void prom_remotes(FILE *f, const struct vtep_daemon *d, uint64_t now)
{
	static const struct prom_counter c[] = {
		{ "rx_packets", "VXLAN datagrams received from the remote VTEP.",
		  offsetof(struct remote_stats, rx_packets) },
		{ "rx_bytes", "Bytes of VXLAN (UDP payload) received from the remote VTEP.",
		  offsetof(struct remote_stats, rx_bytes) },
		{ "tx_packets", "VXLAN datagrams sent to the remote VTEP by unicast.",
		  offsetof(struct remote_stats, tx_packets) },
		{ "tx_bytes", "Bytes of VXLAN (UDP payload) sent to the remote VTEP by unicast.",
		  offsetof(struct remote_stats, tx_bytes) },
	};
	struct dump_remotes l;
	char a[VTEP_ADDR_STRLEN];

	memset(&l, 0, sizeof(l));
	collect_remotes(d, NULL, &l);
	for (size_t k = 0; k < VTEP_ARRAY_SIZE(c); k++) {
		fprintf(f, "# HELP vtep_remote_%s_total %s\n# TYPE vtep_remote_%s_total counter\n",
			c[k].name, c[k].help, c[k].name);
		for (size_t i = 0; i < l.n; i++)
			fprintf(f, "vtep_remote_%s_total{remote=\"%s\"} %llu\n", c[k].name,
				vtep_addr_fmt(&l.r[i].addr, a),
				(unsigned long long)counter_at(&l.r[i].s, c[k].off));
	}
	fprintf(f, "# HELP vtep_remote_last_rx_seconds Seconds since a datagram last came from "
		"the remote VTEP (absent: never).\n# TYPE vtep_remote_last_rx_seconds gauge\n");
	for (size_t i = 0; i < l.n; i++)
		if (l.r[i].s.last_rx_ms)
			fprintf(f, "vtep_remote_last_rx_seconds{remote=\"%s\"} %llu\n",
				vtep_addr_fmt(&l.r[i].addr, a), vtep_age_s(now, l.r[i].s.last_rx_ms));
	fprintf(f, "# HELP vtep_remotes_untracked_total Datagrams not counted per remote VTEP "
		"(its table full).\n# TYPE vtep_remotes_untracked_total counter\n"
		"vtep_remotes_untracked_total %llu\n", (unsigned long long)l.untracked);
	free(l.r);
}

static void write_metrics(FILE *f, const struct vtep_daemon *d, struct dump_tables *t,
			  uint64_t now)
{
	(void)t;
	prom_vni_counters(f, d);
	prom_taps(f, d);
	prom_remotes(f, d, now);
	prom_tables(f, d, now);
}

int dump_metrics(struct vtep_daemon *d)
{
	int r = write_atomic(d, d->conf->metrics, write_metrics, NULL, vtep_now_ms());

	if (r < 0)
		log_warning_errno(r, "cannot write metrics to '%s'", d->conf->metrics);
	return r;
}

static int write_reload_status(const struct vtep_daemon *d, const char *dir, bool applied,
			       const char *reason)
{
	char path[4096], tmp[4200];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/vtep.reload", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	/* One line: "pid P generation G applied|rejected[: reason]" */
	fprintf(f, "pid %d generation %llu %s%s%s\n", (int)getpid(),
		(unsigned long long)d->reload_generation, applied ? "applied" : "rejected",
		reason && reason[0] ? ": " : "", reason ? reason : "");
	if (fclose(f) != 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int dump_reload_status(struct vtep_daemon *d, bool applied, const char *reason,
		       const char *also_dir)
{
	int r;

	d->reload_generation++;
	/* Where `vtep reload` waits when the rejected file moved dumpdir
	 * (there only if that directory exists: nothing is made for it). */
	if (also_dir && strcmp(also_dir, d->conf->dumpdir) != 0)
		(void)write_reload_status(d, also_dir, applied, reason);
	r = write_reload_status(d, d->conf->dumpdir, applied, reason);
	if (r < 0)      /* `vtep reload` will say it got no answer: say why here */
		log_error_errno(r, "cannot write the reload result to '%s/vtep.reload'",
				d->conf->dumpdir);
	return r;
}
