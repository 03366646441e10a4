/* SPDX-License-Identifier: MIT */
/*
 * dump.c - the SIGUSR1 dump (DESIGN.md 6): DUMPDIR/vtep.json and
 * DUMPDIR/vtep.dump, each written to a temp file and renamed, with a
 * generation that grows with every dump so readers can wait for a fresh one;
 * and the reload status file `vtep reload` waits on. Tables are walked with
 * the proto/ _foreach calls; output formats live only here.
 */
#include "daemon.h"

#include <unistd.h>

struct dump_fdb {
	struct fdb_entry *e;
	size_t n;
	size_t cap;
};

static void collect_fdb(const struct fdb_entry *e, void *arg)
{
	struct dump_fdb *f = arg;

	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct fdb_entry *ne = realloc(f->e, cap * sizeof(*ne));

		if (!ne)
			return;         /* a shorter dump beats none */
		f->e = ne;
		f->cap = cap;
	}
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
	struct vtep_counters t = d->global;

	for (size_t i = 0; i < d->n_vnis; i++) {
		const struct vtep_counters *c = &d->vnis[i].c;

		t.rx_packets += c->rx_packets;
		t.tx_packets += c->tx_packets;
		t.rx_bytes += c->rx_bytes;
		t.tx_bytes += c->tx_bytes;
		t.flooded += c->flooded;
		t.arp_suppressed += c->arp_suppressed;
		t.nd_suppressed += c->nd_suppressed;
		t.learned += c->learned;
		t.moved += c->moved;
		t.aged += c->aged;
		for (int r = 0; r < VTEP_DROP_MAX; r++)
			t.drops[r] += c->drops[r];
	}
	*ret = t;
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

static void json_counters(FILE *f, const struct vtep_counters *c)
{
	fprintf(f, "{ \"rx_packets\": %llu, \"tx_packets\": %llu, \"rx_bytes\": %llu, "
		"\"tx_bytes\": %llu, \"flooded\": %llu, \"arp_suppressed\": %llu, "
		"\"nd_suppressed\": %llu, \"learned\": %llu, \"moved\": %llu, \"aged\": %llu, "
		"\"drops\": {", (unsigned long long)c->rx_packets,
		(unsigned long long)c->tx_packets, (unsigned long long)c->rx_bytes,
		(unsigned long long)c->tx_bytes, (unsigned long long)c->flooded,
		(unsigned long long)c->arp_suppressed, (unsigned long long)c->nd_suppressed,
		(unsigned long long)c->learned, (unsigned long long)c->moved,
		(unsigned long long)c->aged);
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
		char mac[VTEP_MAC_STRLEN];

		fprintf(f, "%s\n        { \"name\": ", i ? "," : "");
		json_str(f, t->io.name);
		fprintf(f, ", \"netns\": ");
		json_str(f, t->io.netns);
		fprintf(f, ", \"mac\": \"%s\", "
			"\"up\": %s, \"created\": %s, \"rx_packets\": %llu, \"rx_bytes\": %llu, "
			"\"rx_dropped\": %llu, \"tx_packets\": %llu, \"tx_bytes\": %llu, "
			"\"tx_dropped\": %llu }", vtep_mac_fmt(&t->io.mac, mac),
			t->port >= 0 ? "true" : "false", t->io.created ? "true" : "false",
			(unsigned long long)t->c.rx_packets, (unsigned long long)t->c.rx_bytes,
			(unsigned long long)t->c.rx_dropped, (unsigned long long)t->c.tx_packets,
			(unsigned long long)t->c.tx_bytes, (unsigned long long)t->c.tx_dropped);
	}
	fprintf(f, " ],\n      ");
}

static void json_fdb(FILE *f, const struct vtep_daemon *d, const struct fdb_entry *e, size_t n,
		     uint64_t now)
{
	fprintf(f, "\"fdb\": [");
	for (size_t i = 0; i < n; i++) {
		char mac[VTEP_MAC_STRLEN], a[VTEP_ADDR_STRLEN];
		bool local = e[i].type == FDB_LOCAL;

		fprintf(f, "%s\n        { \"mac\": \"%s\", \"type\": \"%s\", \"remote\": ",
			i ? "," : "", vtep_mac_fmt(&e[i].mac, mac), fdb_type_name(e[i].type));
		json_str(f, local ? NULL : vtep_addr_fmt(&e[i].remote, a));
		fprintf(f, ", \"tap\": ");
		json_str(f, local ? d->taps[e[i].tap].io.name : NULL);
		fprintf(f, ", \"age_s\": %llu }",
			(unsigned long long)(now > e[i].seen_ms ? (now - e[i].seen_ms) / 1000 : 0));
	}
	fprintf(f, " ],\n      ");
}

static void json_vni(FILE *f, const struct vtep_daemon *d, const struct vtep_vni_rt *v,
		     const struct fdb_entry *e, size_t n, uint64_t now)
{
	char a[VTEP_ADDR_STRLEN];

	fprintf(f, "    { \"vni\": %u, \"flood\": \"%s\", \"group\": %s%s%s, \"peers\": [",
		v->vni, vtep_flood_name(v->mode), v->has_group ? "\"" : "",
		v->has_group ? vtep_addr_fmt(&v->group, a) : "null", v->has_group ? "\"" : "");
	for (size_t i = 0; i < v->n_peers; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", vtep_addr_fmt(&v->peers[i], a));
	fprintf(f, "],\n      ");
	json_taps(f, d, v);
	json_fdb(f, d, e, n, now);
	fprintf(f, "\"arp\": [],\n      \"counters\": ");
	json_counters(f, &v->c);
	fprintf(f, " }");
}

static void write_json(FILE *f, const struct vtep_daemon *d, const struct dump_fdb *all,
		       uint64_t now)
{
	struct vtep_counters total;
	struct io_stats s;
	size_t at = 0;

	fprintf(f, "{ \"format_version\": 1, \"generation\": %llu, \"pid\": %d, "
		"\"uptime_s\": %llu,\n  \"vnis\": [\n",
		(unsigned long long)d->dump_generation, (int)getpid(),
		(unsigned long long)((now - d->start_ms) / 1000));
	for (size_t i = 0; i < d->n_vnis; i++) {
		size_t first = at;

		while (at < all->n && all->e[at].vni == d->vnis[i].vni)
			at++;
		json_vni(f, d, &d->vnis[i], all->e + first, at - first, now);
		fprintf(f, "%s\n", i + 1 < d->n_vnis ? "," : "");
	}
	dump_totals(d, &total);
	fprintf(f, "  ],\n  \"counters\": ");
	json_counters(f, &total);
	io_get_stats(d->io, &s);
	fprintf(f, ",\n  \"io\": { \"enters\": %llu, \"cqes\": %llu, \"sqes\": %llu, "
		"\"no_buffers\": %llu, \"rearms\": %llu, \"sq_full\": %llu, \"tx_errors\": %llu, "
		"\"tx_short\": %llu }\n}\n", (unsigned long long)s.enters,
		(unsigned long long)s.cqes, (unsigned long long)s.sqes,
		(unsigned long long)s.no_buffers, (unsigned long long)s.rearms,
		(unsigned long long)s.sq_full, (unsigned long long)s.tx_errors,
		(unsigned long long)s.tx_short);
}

/* ------------------------------------------------------------------ */
/* Text, in the words of `bridge fdb show` and `ip -s link`            */

static void text_counters(FILE *f, const char *indent, const struct vtep_counters *c)
{
	fprintf(f, "%scounters: rx %llu tx %llu flooded %llu learned %llu moved %llu aged %llu "
		"arp_suppressed %llu nd_suppressed %llu\n%sdrops:", indent,
		(unsigned long long)c->rx_packets, (unsigned long long)c->tx_packets,
		(unsigned long long)c->flooded, (unsigned long long)c->learned,
		(unsigned long long)c->moved, (unsigned long long)c->aged,
		(unsigned long long)c->arp_suppressed, (unsigned long long)c->nd_suppressed,
		indent);
	for (int r = VTEP_DROP_NONE + 1; r < VTEP_DROP_MAX; r++)
		fprintf(f, " %s %llu", vtep_drop_name(r), (unsigned long long)c->drops[r]);
	fprintf(f, "\n");
}

static void text_vni(FILE *f, const struct vtep_daemon *d, const struct vtep_vni_rt *v,
		     const struct fdb_entry *e, size_t n, uint64_t now)
{
	char a[VTEP_ADDR_STRLEN], mac[VTEP_MAC_STRLEN];

	fprintf(f, "vni %u flood %s", v->vni, vtep_flood_name(v->mode));
	if (v->has_group)
		fprintf(f, " group %s", vtep_addr_fmt(&v->group, a));
	for (size_t i = 0; i < v->n_peers; i++)
		fprintf(f, "%s%s", i ? "," : " peers ", vtep_addr_fmt(&v->peers[i], a));
	fprintf(f, "\n");
	for (size_t i = 0; i < v->n_taps; i++) {
		const struct vtep_tap_rt *t = &d->taps[v->taps[i]];

		fprintf(f, "  tap %s%s%s %s\n    RX: bytes %llu packets %llu dropped %llu\n"
			"    TX: bytes %llu packets %llu dropped %llu\n", t->io.name,
			t->io.netns[0] ? " netns " : "", t->io.netns,
			t->port >= 0 ? "UP" : "DOWN",
			(unsigned long long)t->c.rx_bytes, (unsigned long long)t->c.rx_packets,
			(unsigned long long)t->c.rx_dropped, (unsigned long long)t->c.tx_bytes,
			(unsigned long long)t->c.tx_packets, (unsigned long long)t->c.tx_dropped);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned long long age = now > e[i].seen_ms ? (now - e[i].seen_ms) / 1000 : 0;

		if (e[i].type == FDB_LOCAL)
			fprintf(f, "  %s dev %s vni %u local age %llus\n",
				vtep_mac_fmt(&e[i].mac, mac), d->taps[e[i].tap].io.name, v->vni, age);
		else
			fprintf(f, "  %s dst %s vni %u %s%s\n", vtep_mac_fmt(&e[i].mac, mac),
				vtep_addr_fmt(&e[i].remote, a), v->vni, fdb_type_name(e[i].type),
				e[i].type == FDB_STATIC ? " permanent" : "");
		if (e[i].type == FDB_REMOTE)
			fprintf(f, "    age %llus\n", age);
	}
	text_counters(f, "  ", &v->c);
}

static void write_text(FILE *f, const struct vtep_daemon *d, const struct dump_fdb *all,
		       uint64_t now)
{
	struct vtep_counters total;
	size_t at = 0;

	fprintf(f, "vtep pid %d generation %llu uptime %llus fdb %zu entries\n", (int)getpid(),
		(unsigned long long)d->dump_generation,
		(unsigned long long)((now - d->start_ms) / 1000), all->n);
	for (size_t i = 0; i < d->n_vnis; i++) {
		size_t first = at;

		while (at < all->n && all->e[at].vni == d->vnis[i].vni)
			at++;
		text_vni(f, d, &d->vnis[i], all->e + first, at - first, now);
	}
	dump_totals(d, &total);
	fprintf(f, "total\n");
	text_counters(f, "  ", &total);
}

/* ------------------------------------------------------------------ */

typedef void (*writer_fn)(FILE *f, const struct vtep_daemon *d, const struct dump_fdb *all,
			  uint64_t now);

static int write_atomic(const struct vtep_daemon *d, const char *name, writer_fn fn,
			const struct dump_fdb *all, uint64_t now)
{
	char path[4096], tmp[4200];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", d->conf->dumpdir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fn(f, d, all, now);
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

int dump_write(struct vtep_daemon *d)
{
	struct dump_fdb all = { 0 };
	uint64_t now = vtep_now_ms();
	int r;

	d->dump_generation++;
	fdb_foreach(d->fdb, collect_fdb, &all);
	qsort(all.e, all.n, sizeof(*all.e), entry_cmp);
	/* Text first: a reader that sees the new JSON finds the text ready. */
	r = write_atomic(d, "vtep.dump", write_text, &all, now);
	if (r == 0)
		r = write_atomic(d, "vtep.json", write_json, &all, now);
	free(all.e);
	if (r < 0)
		log_error_errno(r, "cannot write the dump to '%s'", d->conf->dumpdir);
	else
		log_info("dump %llu written to '%s/vtep.json' and 'vtep.dump'",
			 (unsigned long long)d->dump_generation, d->conf->dumpdir);
	return r;
}

int dump_reload_status(struct vtep_daemon *d, bool applied, const char *reason)
{
	char path[4096], tmp[4200];
	FILE *f;
	int r = 0;

	d->reload_generation++;
	snprintf(path, sizeof(path), "%s/vtep.reload", d->conf->dumpdir);
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
