/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tables - the FDB and the ARP/ND cache driven by the input as a
 * sequence of operations (learn, snoop, static add, del, lookup, expire,
 * flush, set_max, a VNI's own cap on either table, set_router, set_seed,
 * clock ticks), each checked against a naive shadow model: every return
 * value, every entry (type, location, MAC, flags, seen_ms) and every count
 * must agree after each step, and the learned/snooped counts may exceed
 * their caps only by lowering a cap.
 *
 * Input: [max_learned][max_static][arp_max][arp_static] (each mod 16),
 * then operations of one opcode byte and up to three argument bytes.
 */
#include "../../proto/arpc.h"
#include "../../proto/fdb.h"
#include "fuzz.h"

#define MODEL_MAX 64                    /* caps stay below 16, keys below 64 */
#define CAP_MOD 16

/* ------------------------------------------------------------------ */
/* Keys from argument bytes: mostly valid, sometimes not.              */

static uint32_t pick_vni(uint8_t b)
{
	static const uint32_t vnis[8] = {
		FZ_VNI_A, FZ_VNI_B, FZ_VNI_A, FZ_VNI_B, 0, 1, VTEP_VNI_MAX, VTEP_VNI_MAX + 1,
	};

	return vnis[b & 7];
}

static struct vtep_mac pick_mac(uint8_t b)
{
	struct vtep_mac m = fz_mac(b & 15);

	switch (b >> 4) {
	case 15:
		memset(m.b, 0, sizeof(m.b));            /* zero */
		break;
	case 14:
		memset(m.b, 0xff, sizeof(m.b));         /* broadcast */
		break;
	case 13:
		m.b[0] = 0x01;                          /* multicast */
		break;
	default:
		break;
	}
	return m;
}

static struct vtep_addr pick_remote(uint8_t b)
{
	switch (b & 7) {
	case 4:
		return vtep_addr_v4(0);
	case 5:
		return vtep_addr_v4(htobe32(0xef010164u));
	case 6:
		return vtep_addr_v4(0xffffffffu);
	case 7:
		return fz_ip6(1);
	default:
		return fz_underlay((uint8_t)(1 + (b & 3)));
	}
}

static struct vtep_addr pick_ip(uint8_t b)
{
	struct vtep_addr a;

	switch (b >> 4) {
	case 15:
		return vtep_addr_v4(0);
	case 14:
		return vtep_addr_v4(0xffffffffu);
	case 13:
		return vtep_addr_v4(htobe32(0xe0000001u));
	case 12:
		a = fz_ip6(0);
		memset(&a.v6, 0, sizeof(a.v6));         /* :: */
		return a;
	case 11:
		a = fz_ip6(1);
		a.v6.s6_addr[0] = 0xff;                 /* multicast */
		return a;
	default:
		return (b & 8) ? fz_ip6(b & 7) : fz_ip4(b & 7);
	}
}

/* ------------------------------------------------------------------ */
/* The FDB and its model.                                              */

/* Move damping as fdb.h describes it, on 64-bit time (no wrapping). */
struct damp {
	uint32_t moves;
	uint64_t start;                 /* window start, or freeze start */
	bool frozen;
};

struct fdb_model {
	struct fdb_entry e[MODEL_MAX];
	struct damp d[MODEL_MAX];
	size_t n;
	uint32_t max_learned;
	uint32_t max_static;
	uint32_t vni_max[8];            /* fdb_set_vni_max, by pick_vni's index */
	uint32_t damp_limit;
	uint64_t damp_window;
	uint64_t damp_hold;
};

static struct fdb_entry *fm_find(struct fdb_model *m, uint32_t vni, const struct vtep_mac *mac)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].vni == vni && vtep_mac_eq(&m->e[i].mac, mac))
			return &m->e[i];
	return NULL;
}

/* Learned entries of one VNI. */
static size_t fm_vni_learned(const struct fdb_model *m, uint32_t vni)
{
	size_t c = 0;

	for (size_t i = 0; i < m->n; i++)
		c += m->e[i].vni == vni && m->e[i].type != FDB_STATIC;
	return c;
}

/* The cap of vni's own (0: none) in a model's vni_max, by pick_vni's index. */
static uint32_t vni_cap(const uint32_t vni_max[8], uint32_t vni)
{
	for (uint8_t b = 0; b < 8; b++)
		if (pick_vni(b) == vni && vni_max[b])
			return vni_max[b];
	return 0;
}

/* A model's cap for vni takes cap (0 lifts it). */
static void vni_cap_set(uint32_t vni_max[8], uint32_t vni, uint32_t cap)
{
	for (uint8_t k = 0; k < 8; k++)
		if (pick_vni(k) == vni)
			vni_max[k] = cap;
}

static size_t fm_count(const struct fdb_model *m, int type)
{
	size_t c = 0;

	for (size_t i = 0; i < m->n; i++)
		if (type == FDB_TYPE_MAX || m->e[i].type == type)
			c++;
	return c;
}

static void fm_remove(struct fdb_model *m, size_t i)
{
	m->n--;
	m->e[i] = m->e[m->n];
	m->d[i] = m->d[m->n];
}

static bool fm_frozen(const struct fdb_model *m, size_t i, uint64_t now)
{
	return m->damp_limit && m->e[i].type != FDB_STATIC && m->d[i].frozen &&
	       now - m->d[i].start < m->damp_hold;
}

/* Before a learn of an existing entry: forget an expired freeze or window. */
static void fm_damp_expire(struct fdb_model *m, size_t i, uint64_t now)
{
	struct damp *d = &m->d[i];

	if (d->frozen) {
		if (!fm_frozen(m, i, now)) {
			d->frozen = false;
			d->moves = 0;
		}
	} else if (d->moves && now - d->start >= m->damp_window) {
		d->moves = 0;
	}
}

static enum fdb_learn fm_damp_move(struct fdb_model *m, size_t i, uint64_t now)
{
	struct damp *d = &m->d[i];

	if (!m->damp_limit)
		return FDB_LEARN_MOVED;
	if (d->frozen)
		return FDB_LEARN_FROZEN;
	if (d->moves == 0)
		d->start = now;
	if (++d->moves < m->damp_limit)
		return FDB_LEARN_MOVED;
	d->frozen = true;
	d->start = now;
	return FDB_LEARN_FROZE;
}

static void fm_set_loc(struct fdb_entry *e, const struct fdb_loc *loc)
{
	e->type = loc->type;
	e->tap = loc->type == FDB_LOCAL ? loc->tap : 0;
	memset(&e->remote, 0, sizeof(e->remote));
	if (loc->type != FDB_LOCAL)
		e->remote = loc->remote;
}

static bool fm_loc_eq(const struct fdb_entry *e, const struct fdb_loc *loc)
{
	if (e->type != loc->type)
		return false;
	return e->type == FDB_LOCAL ? e->tap == loc->tap : vtep_addr_eq(&e->remote, &loc->remote);
}

static enum fdb_learn fm_learn(struct fdb_model *m, uint32_t vni, const struct vtep_mac *mac,
			       const struct fdb_loc *loc, uint64_t now, struct fdb_loc *ret_old)
{
	struct fdb_entry *e;

	if (!vtep_mac_is_valid_unicast(mac) || vni > VTEP_VNI_MAX ||
	    (loc->type == FDB_REMOTE && !vtep_addr_is_unicast(&loc->remote)))
		return FDB_LEARN_INVALID;
	e = fm_find(m, vni, mac);
	if (e) {
		size_t i = (size_t)(e - m->e);
		enum fdb_learn r;

		if (e->type == FDB_STATIC)
			return FDB_LEARN_STATIC;
		fm_damp_expire(m, i, now);
		if (fm_loc_eq(e, loc)) {
			e->seen_ms = now;
			return FDB_LEARN_REFRESHED;
		}
		r = fm_damp_move(m, i, now);
		if (r == FDB_LEARN_FROZEN)
			return r;
		e->seen_ms = now;
		ret_old->type = e->type;
		ret_old->tap = e->tap;
		ret_old->remote = e->remote;
		fm_set_loc(e, loc);
		return r;
	}
	if (fm_count(m, FDB_LOCAL) + fm_count(m, FDB_REMOTE) >= m->max_learned)
		return FDB_LEARN_FULL;
	if (vni_cap(m->vni_max, vni) && fm_vni_learned(m, vni) >= vni_cap(m->vni_max, vni))
		return FDB_LEARN_FULL;
	CHECK(m->n < MODEL_MAX);
	memset(&m->d[m->n], 0, sizeof(m->d[m->n]));
	e = &m->e[m->n++];
	memset(e, 0, sizeof(*e));
	e->vni = vni;
	e->mac = *mac;
	fm_set_loc(e, loc);
	e->seen_ms = now;
	return FDB_LEARN_NEW;
}

static int fm_add_static(struct fdb_model *m, uint32_t vni, const struct vtep_mac *mac,
			 const struct vtep_addr *remote, uint64_t now)
{
	struct fdb_entry *e;
	struct fdb_loc loc;

	if (!vtep_mac_is_valid_unicast(mac) || vni > VTEP_VNI_MAX || !vtep_addr_is_unicast(remote))
		return -EINVAL;
	e = fm_find(m, vni, mac);
	if (e && e->type == FDB_STATIC)
		return -EEXIST;
	if (fm_count(m, FDB_STATIC) >= m->max_static)
		return -ENOSPC;
	if (!e) {
		CHECK(m->n < MODEL_MAX);
		e = &m->e[m->n++];
		memset(e, 0, sizeof(*e));
		e->vni = vni;
		e->mac = *mac;
	}
	/* No damping state on a static entry. */
	memset(&m->d[e - m->e], 0, sizeof(m->d[0]));
	memset(&loc, 0, sizeof(loc));
	loc.type = FDB_STATIC;
	loc.remote = *remote;
	fm_set_loc(e, &loc);
	e->seen_ms = now;
	return 0;
}

static bool fdb_entry_same(const struct fdb_entry *a, const struct fdb_entry *b)
{
	/* fdb_seen_ms: fdb_lookup's entries carry the slot generation too */
	if (a->vni != b->vni || !vtep_mac_eq(&a->mac, &b->mac) || a->type != b->type ||
	    fdb_seen_ms(a) != fdb_seen_ms(b))
		return false;
	if (a->type == FDB_LOCAL)
		return a->tap == b->tap;
	return vtep_addr_eq(&a->remote, &b->remote);
}

struct walk {
	void *model;
	size_t seen;
};

static void fdb_walk_cb(const struct fdb_entry *e, void *arg)
{
	struct walk *w = arg;
	struct fdb_entry *me = fm_find(w->model, e->vni, &e->mac);

	CHECK(me && fdb_entry_same(me, e));
	w->seen++;
}

static void fdb_compare(const struct fdb *fdb, struct fdb_model *m, uint64_t now)
{
	struct walk w = { m, 0 };

	for (int t = 0; t <= FDB_TYPE_MAX; t++)
		CHECK(fdb_count(fdb, t) == fm_count(m, t));
	for (uint8_t b = 0; b < 8; b++)
		if (pick_vni(b) <= VTEP_VNI_MAX)
			CHECK(fdb_vni_learned(fdb, pick_vni(b)) == fm_vni_learned(m, pick_vni(b)));
	fdb_foreach(fdb, fdb_walk_cb, &w);
	CHECK(w.seen == m->n);
	for (size_t i = 0; i < m->n; i++) {
		const struct fdb_entry *e = fdb_lookup(fdb, m->e[i].vni, &m->e[i].mac);

		CHECK(e && fdb_entry_same(e, &m->e[i]));
		CHECK(fdb_frozen(fdb, e, now) == fm_frozen(m, i, now));
	}
}

/* Predicates for fdb_flush_if and the model's expire/flush. */
struct sel {
	int kind;                       /* 0 expire, 1 vni, 2 tap, 3 remote, 4 odd MAC */
	uint64_t now;
	uint64_t age;
	uint32_t vni;
	uint16_t tap;
	struct vtep_addr remote;
};

static bool fdb_sel(const struct fdb_entry *e, void *arg)
{
	const struct sel *s = arg;

	switch (s->kind) {
	case 0:
		return e->type != FDB_STATIC && s->now - e->seen_ms >= s->age;
	case 1:
		return e->vni == s->vni;
	case 2:
		return e->type == FDB_LOCAL && e->tap == s->tap;
	case 3:
		return e->type == FDB_REMOTE && vtep_addr_eq(&e->remote, &s->remote);
	default:
		return e->mac.b[5] & 1;
	}
}

static size_t fm_remove_where(struct fdb_model *m, const struct sel *s)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n;) {
		if (fdb_sel(&m->e[i], (void *)(uintptr_t)s)) {
			fm_remove(m, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

static void fdb_expire_cb(const struct fdb_entry *e, void *arg)
{
	const struct sel *s = arg;

	CHECK(e->type != FDB_STATIC && s->now - e->seen_ms >= s->age);
}

static void fdb_op(struct fdb *fdb, struct fdb_model *m, uint8_t op, struct fz *in, uint64_t now)
{
	uint8_t a = fz_u8(in);
	uint8_t b = fz_u8(in);
	uint8_t c = fz_u8(in);
	uint32_t vni = pick_vni(a);
	struct vtep_mac mac = pick_mac(b);
	struct vtep_addr remote = pick_remote(c);
	struct fdb_loc loc;
	struct fdb_loc old;
	struct fdb_loc mold;
	struct sel s;
	int r;

	memset(&loc, 0, sizeof(loc));
	memset(&old, 0x5a, sizeof(old));
	memset(&mold, 0, sizeof(mold));
	memset(&s, 0, sizeof(s));
	s.now = now;
	switch (op % 13) {
	case 0:
	case 1: {
		enum fdb_learn l;
		enum fdb_learn ml;

		if (op % 13 == 0) {
			loc.type = FDB_LOCAL;
			loc.tap = c & 3;
			l = fdb_learn_local(fdb, vni, &mac, loc.tap, now, &old);
		} else {
			loc.type = FDB_REMOTE;
			loc.remote = remote;
			l = fdb_learn_remote(fdb, vni, &mac, &remote, now, &old);
		}
		ml = fm_learn(m, vni, &mac, &loc, now, &mold);
		CHECK(l == ml);
		if (l == FDB_LEARN_MOVED || l == FDB_LEARN_FROZE) {
			CHECK(old.type == mold.type);
			if (old.type == FDB_LOCAL)
				CHECK(old.tap == mold.tap);
			else
				CHECK(vtep_addr_eq(&old.remote, &mold.remote));
		}
		if (l == FDB_LEARN_NEW)
			CHECK(fdb_count(fdb, FDB_LOCAL) + fdb_count(fdb, FDB_REMOTE) <= m->max_learned);
		break;
	}
	case 2:
		r = fdb_add_static(fdb, vni, &mac, &remote, now);
		CHECK(r == fm_add_static(m, vni, &mac, &remote, now));
		if (r == 0)
			CHECK(fdb_count(fdb, FDB_STATIC) <= m->max_static);
		break;
	case 3: {
		struct fdb_entry *e = fm_find(m, vni, &mac);

		r = fdb_del(fdb, vni, &mac);
		CHECK(r == (e ? 0 : -ENOENT));
		if (e)
			fm_remove(m, (size_t)(e - m->e));
		break;
	}
	case 4: {
		const struct fdb_entry *e = fdb_lookup(fdb, vni, &mac);
		struct fdb_entry *me = fm_find(m, vni, &mac);

		CHECK(!e == !me);
		if (e)
			CHECK(fdb_entry_same(e, me));
		break;
	}
	case 5:
		s.kind = 0;
		s.age = (uint64_t)a * 1000;
		CHECK(fdb_expire(fdb, now, s.age, fdb_expire_cb, &s) == fm_remove_where(m, &s));
		break;
	case 6:
		s.kind = 1;
		s.vni = vni;
		CHECK(fdb_flush_vni(fdb, vni) == fm_remove_where(m, &s));
		break;
	case 7:
		s.kind = 2;
		s.tap = c & 3;
		CHECK(fdb_flush_tap(fdb, s.tap) == fm_remove_where(m, &s));
		break;
	case 8:
		s.kind = 3;
		s.remote = remote;
		CHECK(fdb_flush_remote(fdb, &remote) == fm_remove_where(m, &s));
		break;
	case 9: {
		size_t got;

		s.kind = 4;
		got = fdb_flush_if(fdb, fdb_sel, &s);
		CHECK(got == fm_remove_where(m, &s));
		break;
	}
	case 10:
		if (a & 2) {
			/* A VNI's own cap (0 lifts it); one slot per VNI value. */
			uint32_t cap = b % CAP_MOD;

			r = fdb_set_vni_max(fdb, vni, cap);
			CHECK(r == (vni > VTEP_VNI_MAX ? -EINVAL : 0));
			if (r == 0)
				vni_cap_set(m->vni_max, vni, cap);
		} else if (a & 1) {
			m->max_learned = b % CAP_MOD;
			CHECK(fdb_set_max_learned(fdb, m->max_learned) == 0);
		} else {
			m->max_static = b % CAP_MOD;
			CHECK(fdb_set_max_static(fdb, m->max_static) == 0);
		}
		break;
	case 11: {
		/* limit 0..3 (0 = off); window and hold in seconds; top bit: out of range. */
		uint32_t limit = a & 3;
		uint64_t window = (uint64_t)b * 1000;
		uint64_t hold = (uint64_t)(c & 0x7f) * 1000;

		if (c & 0x80) {
			if (a & 4)
				limit = 65536;
			else
				hold = (uint64_t)INT32_MAX + 1;
		}
		r = fdb_set_damping(fdb, limit, window, hold);
		if (c & 0x80) {
			CHECK(r == -EINVAL);
			break;
		}
		CHECK(r == 0);
		m->damp_limit = limit;
		m->damp_window = window;
		m->damp_hold = hold;
		break;
	}
	default:
		r = fdb_set_seed(fdb, (uint64_t)a << 40 | (uint64_t)b << 8 | c);
		CHECK(r == (m->n ? -EBUSY : 0));
		break;
	}
	fdb_compare(fdb, m, now);
}

/* ------------------------------------------------------------------ */
/* The ARP/ND cache and its model.                                     */

struct arpc_model {
	struct arpc_entry e[MODEL_MAX];
	size_t n;
	uint32_t max_snooped;
	uint32_t max_static;
	uint32_t vni_max[8];            /* arpc_set_vni_max, by pick_vni's index */
};

static struct arpc_entry *am_find(struct arpc_model *m, uint32_t vni, const struct vtep_addr *ip)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].vni == vni && vtep_addr_eq(&m->e[i].ip, ip))
			return &m->e[i];
	return NULL;
}

static size_t am_count(const struct arpc_model *m, int type)
{
	size_t c = 0;

	for (size_t i = 0; i < m->n; i++)
		if (type == ARPC_TYPE_MAX || m->e[i].type == type)
			c++;
	return c;
}

/* The snooped entries of vni. */
static size_t am_vni_snooped(const struct arpc_model *m, uint32_t vni)
{
	size_t c = 0;

	for (size_t i = 0; i < m->n; i++)
		c += m->e[i].vni == vni && m->e[i].type == ARPC_SNOOPED;
	return c;
}

static bool am_valid(uint32_t vni, const struct vtep_addr *ip, const struct vtep_mac *mac)
{
	return vni <= VTEP_VNI_MAX && vtep_addr_is_unicast(ip) && vtep_mac_is_valid_unicast(mac);
}

static struct arpc_entry *am_insert(struct arpc_model *m, uint32_t vni,
				    const struct vtep_addr *ip, uint8_t type)
{
	struct arpc_entry *e;

	CHECK(m->n < MODEL_MAX);
	e = &m->e[m->n++];
	memset(e, 0, sizeof(*e));
	e->vni = vni;
	e->ip = *ip;
	e->type = type;
	return e;
}

static enum arpc_snoop am_snoop(struct arpc_model *m, uint32_t vni, const struct vtep_addr *ip,
				const struct vtep_mac *mac, uint64_t now, struct vtep_mac *ret_old)
{
	struct arpc_entry *e;

	if (!am_valid(vni, ip, mac))
		return ARPC_SNOOP_INVALID;
	e = am_find(m, vni, ip);
	if (e) {
		if (e->type == ARPC_STATIC) {
			*ret_old = e->mac;
			return ARPC_SNOOP_STATIC;
		}
		e->seen_ms = now;
		if (vtep_mac_eq(&e->mac, mac))
			return ARPC_SNOOP_REFRESHED;
		*ret_old = e->mac;
		e->mac = *mac;
		e->flags = 0;
		return ARPC_SNOOP_MOVED;
	}
	if (am_count(m, ARPC_SNOOPED) >= m->max_snooped ||
	    (vni_cap(m->vni_max, vni) && am_vni_snooped(m, vni) >= vni_cap(m->vni_max, vni)))
		return ARPC_SNOOP_FULL;
	e = am_insert(m, vni, ip, ARPC_SNOOPED);
	e->mac = *mac;
	e->seen_ms = now;
	return ARPC_SNOOP_NEW;
}

static int am_add_static(struct arpc_model *m, uint32_t vni, const struct vtep_addr *ip,
			 const struct vtep_mac *mac, uint64_t now)
{
	struct arpc_entry *e;

	if (!am_valid(vni, ip, mac))
		return -EINVAL;
	e = am_find(m, vni, ip);
	if (e && e->type == ARPC_STATIC)
		return -EEXIST;
	if (am_count(m, ARPC_STATIC) >= m->max_static)
		return -ENOSPC;
	if (e) {
		e->type = ARPC_STATIC;
		if (!vtep_mac_eq(&e->mac, mac))
			e->flags = 0;
	} else {
		e = am_insert(m, vni, ip, ARPC_STATIC);
	}
	e->mac = *mac;
	e->seen_ms = now;
	return 0;
}

static bool arpc_entry_same(const struct arpc_entry *a, const struct arpc_entry *b)
{
	return a->vni == b->vni && vtep_addr_eq(&a->ip, &b->ip) && vtep_mac_eq(&a->mac, &b->mac) &&
	       a->type == b->type && a->flags == b->flags && a->seen_ms == b->seen_ms;
}

static void arpc_walk_cb(const struct arpc_entry *e, void *arg)
{
	struct walk *w = arg;
	struct arpc_entry *me = am_find(w->model, e->vni, &e->ip);

	CHECK(me && arpc_entry_same(me, e));
	w->seen++;
}

static void arpc_compare(const struct arpc *c, struct arpc_model *m)
{
	struct walk w = { m, 0 };

	for (int t = 0; t <= ARPC_TYPE_MAX; t++)
		CHECK(arpc_count(c, t) == am_count(m, t));
	arpc_foreach(c, arpc_walk_cb, &w);
	CHECK(w.seen == m->n);
	for (size_t i = 0; i < m->n; i++) {
		const struct arpc_entry *e = arpc_lookup(c, m->e[i].vni, &m->e[i].ip);

		CHECK(e && arpc_entry_same(e, &m->e[i]));
	}
}

static bool arpc_sel(const struct arpc_entry *e, void *arg)
{
	const struct sel *s = arg;

	switch (s->kind) {
	case 0:
		return e->type != ARPC_STATIC && s->now - e->seen_ms >= s->age;
	case 1:
		return e->vni == s->vni;
	default:
		return e->mac.b[5] & 1;
	}
}

static size_t am_remove_where(struct arpc_model *m, const struct sel *s)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n;) {
		if (arpc_sel(&m->e[i], (void *)(uintptr_t)s)) {
			m->e[i] = m->e[--m->n];
			n++;
		} else {
			i++;
		}
	}
	return n;
}

static void arpc_expire_cb(const struct arpc_entry *e, void *arg)
{
	const struct sel *s = arg;

	CHECK(e->type != ARPC_STATIC && s->now - e->seen_ms >= s->age);
}

static void arpc_op(struct arpc *c, struct arpc_model *m, uint8_t op, struct fz *in,
		    uint64_t now)
{
	uint8_t a = fz_u8(in);
	uint8_t b = fz_u8(in);
	uint8_t d = fz_u8(in);
	uint32_t vni = pick_vni(a);
	struct vtep_addr ip = pick_ip(b);
	struct vtep_mac mac = pick_mac(d);
	struct vtep_mac old = fz_mac(0xee);
	struct vtep_mac mold = fz_mac(0xee);
	struct sel s;
	int r;

	memset(&s, 0, sizeof(s));
	s.now = now;
	switch (op % 9) {
	case 0: {
		enum arpc_snoop got = arpc_snoop(c, vni, &ip, &mac, now, &old);

		CHECK(got == am_snoop(m, vni, &ip, &mac, now, &mold));
		CHECK(vtep_mac_eq(&old, &mold));
		if (got == ARPC_SNOOP_NEW) {
			CHECK(arpc_count(c, ARPC_SNOOPED) <= m->max_snooped);
			CHECK(!vni_cap(m->vni_max, vni) || am_vni_snooped(m, vni) <= vni_cap(m->vni_max, vni));
		}
		break;
	}
	case 1:
		r = arpc_add_static(c, vni, &ip, &mac, now);
		CHECK(r == am_add_static(m, vni, &ip, &mac, now));
		if (r == 0)
			CHECK(arpc_count(c, ARPC_STATIC) <= m->max_static);
		break;
	case 2: {
		struct arpc_entry *e = am_find(m, vni, &ip);

		CHECK(arpc_del(c, vni, &ip) == (e ? 0 : -ENOENT));
		if (e)
			*e = m->e[--m->n];
		break;
	}
	case 3: {
		struct arpc_entry *e = am_find(m, vni, &ip);

		r = arpc_set_router(c, vni, &ip, &mac, d & 0x80);
		CHECK(r == (e && vtep_mac_eq(&e->mac, &mac) ? 0 : -ENOENT));
		if (r == 0)
			e->flags = ARPC_F_ROUTER_KNOWN | ((d & 0x80) ? ARPC_F_ROUTER : 0);
		break;
	}
	case 4:
		s.kind = 0;
		s.age = (uint64_t)a * 1000;
		CHECK(arpc_expire(c, now, s.age, arpc_expire_cb, &s) == am_remove_where(m, &s));
		break;
	case 5:
		s.kind = 1;
		s.vni = vni;
		CHECK(arpc_flush_vni(c, vni) == am_remove_where(m, &s));
		break;
	case 6:
		s.kind = 2;
		CHECK(arpc_flush_if(c, arpc_sel, &s) == am_remove_where(m, &s));
		break;
	case 7:
		if (a & 2) {
			/* A VNI's own cap (0 lifts it); one slot per VNI value. */
			uint32_t cap = b % CAP_MOD;

			r = arpc_set_vni_max(c, vni, cap);
			CHECK(r == (vni > VTEP_VNI_MAX ? -EINVAL : 0));
			if (r == 0) {
				vni_cap_set(m->vni_max, vni, cap);
				CHECK(arpc_vni_snooped(c, vni) == am_vni_snooped(m, vni));
			}
		} else if (a & 1) {
			m->max_snooped = b % CAP_MOD;
			CHECK(arpc_set_max_snooped(c, m->max_snooped) == 0);
		} else {
			m->max_static = b % CAP_MOD;
			CHECK(arpc_set_max_static(c, m->max_static) == 0);
		}
		break;
	default:
		r = arpc_set_seed(c, (uint64_t)a << 40 | (uint64_t)b << 8 | d);
		CHECK(r == (m->n ? -EBUSY : 0));
		break;
	}
	arpc_compare(c, m);
}

/* ------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fdb_model fm;
	static struct arpc_model am;
	struct fz in = { data, size };
	struct fdb *fdb;
	struct arpc *arpc;
	uint64_t now = 1000;

	memset(&fm, 0, sizeof(fm));
	memset(&am, 0, sizeof(am));
	fm.max_learned = fz_u8(&in) % CAP_MOD;
	fm.max_static = fz_u8(&in) % CAP_MOD;
	am.max_snooped = fz_u8(&in) % CAP_MOD;
	am.max_static = fz_u8(&in) % CAP_MOD;
	fdb = fdb_new(fm.max_learned, fm.max_static);
	arpc = arpc_new(am.max_snooped, am.max_static);
	if (!fdb || !arpc)
		goto out;
	while (fz_left(&in) > 0) {
		uint8_t op = fz_u8(&in);

		/* Top bit: the ARP cache, else the FDB; 0x40: advance the clock. */
		if (op & 0x40)
			now += (uint64_t)(op & 0x3f) * 1000;
		else if (op & 0x80)
			arpc_op(arpc, &am, op & 0x3f, &in, now);
		else
			fdb_op(fdb, &fm, op, &in, now);
	}
out:
	arpc_free(arpc);
	fdb_free(fdb);
	return 0;
}
