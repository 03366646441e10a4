/* SPDX-License-Identifier: MIT */
/*
 * test_fwd - the forwarding decision (proto/fwd): one test per rule of
 * DESIGN.md 2 and 7 - local switching, VNI isolation, known unicast to the
 * learned VTEP only, BUM flooding per mode, split horizon, no learning from
 * bad source MACs, loop drop, the allow rules, too big, and every drop
 * reason fwd can give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/fwd.h"

#define MTU 1500
#define NOW 1000

static const struct vtep_mac mac_a = { { 0x52, 0x54, 0, 0, 0, 0x0a } };
static const struct vtep_mac mac_b = { { 0x52, 0x54, 0, 0, 0, 0x0b } };
static const struct vtep_mac mac_c = { { 0x52, 0x54, 0, 0, 0, 0x0c } };
static const struct vtep_mac mac_bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
static const struct vtep_mac mac_mcast = { { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 } };
static const struct vtep_mac mac_zero = { { 0 } };

struct env {
	struct fdb *fdb;
	struct vtep_addr peers[2];
	struct fwd_vni v;
	struct vtep_addr x;             /* a peer VTEP */
	struct vtep_addr y;             /* another peer VTEP */
	struct fwd_decision d;
};

static struct vtep_addr addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return vtep_addr_v4(htobe32((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d));
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->fdb = fdb_new(1024, 16);
	assert_non_null(e->fdb);
	e->x = addr4(10, 0, 0, 2);
	e->y = addr4(10, 0, 0, 3);
	e->peers[0] = e->x;
	e->peers[1] = e->y;
	e->v.vni = 100;
	e->v.flood = VTEP_FLOOD_UNICAST;
	e->v.learning = true;
	e->v.mtu = MTU;
	e->v.peers = e->peers;
	e->v.n_peers = 2;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fdb_free(e->fdb);
	free(e);
	return 0;
}

/* An untagged IPv4-typed frame of len bytes (len >= ETH_HLEN), zero payload. */
static uint8_t *frame(uint8_t *buf, size_t len, const struct vtep_mac *dst,
		      const struct vtep_mac *src)
{
	assert_true(len >= ETH_HLEN);
	memset(buf, 0, len);
	eth_build(buf, dst, src, ETH_TYPE_IPV4);
	return buf;
}

static void from_tap(struct env *e, uint16_t tap, const struct vtep_mac *dst,
		     const struct vtep_mac *src)
{
	uint8_t buf[64];

	fwd_from_tap(e->fdb, &e->v, tap, frame(buf, sizeof(buf), dst, src), sizeof(buf), NOW,
		     &e->d);
}

static void from_underlay(struct env *e, const struct vtep_addr *outer,
			  const struct vtep_mac *dst, const struct vtep_mac *src)
{
	uint8_t buf[64];

	fwd_from_underlay(e->fdb, &e->v, outer, frame(buf, sizeof(buf), dst, src), sizeof(buf),
			  NOW, &e->d);
}

/* The decision is exactly "write to tap". */
static void expect_tap(const struct fwd_decision *d, int tap)
{
	assert_int_equal(d->drop, VTEP_DROP_NONE);
	assert_int_equal(d->out_tap, tap);
	assert_false(d->to_remote);
	assert_false(d->flood_taps);
	assert_false(d->flood_underlay);
	assert_false(d->is_bum);
	assert_int_equal(d->reply_len, 0);
}

static void expect_remote(const struct fwd_decision *d, const struct vtep_addr *r)
{
	assert_int_equal(d->drop, VTEP_DROP_NONE);
	assert_int_equal(d->out_tap, -1);
	assert_true(d->to_remote);
	assert_true(vtep_addr_eq(&d->remote, r));
	assert_false(d->flood_taps);
	assert_false(d->flood_underlay);
	assert_false(d->is_bum);
}

static void expect_flood(const struct fwd_decision *d, int exclude, bool underlay)
{
	assert_int_equal(d->drop, VTEP_DROP_NONE);
	assert_int_equal(d->out_tap, -1);
	assert_false(d->to_remote);
	assert_true(d->is_bum);
	assert_true(d->flood_taps);
	assert_int_equal(d->exclude_tap, exclude);
	assert_int_equal(d->flood_underlay, underlay);
}

static void expect_drop(const struct fwd_decision *d, enum vtep_drop why)
{
	assert_int_equal(d->drop, why);
	assert_int_equal(d->out_tap, -1);
	assert_false(d->to_remote);
	assert_false(d->flood_taps);
	assert_false(d->flood_underlay);
}

/* ------------------------------------------------------------------ */
/* From a tap                                                          */

static void test_local_switching(void **state)
{
	struct env *e = *state;

	from_tap(e, 1, &mac_bcast, &mac_a);             /* A announces itself on tap 1 */
	expect_flood(&e->d, 1, true);
	assert_int_equal(e->d.learn, FDB_LEARN_NEW);
	from_tap(e, 2, &mac_a, &mac_b);                 /* B on tap 2 answers A */
	expect_tap(&e->d, 1);
	assert_int_equal(e->d.learn, FDB_LEARN_NEW);
	from_tap(e, 1, &mac_b, &mac_a);
	expect_tap(&e->d, 2);
	assert_int_equal(e->d.learn, FDB_LEARN_REFRESHED);
	assert_true(vtep_mac_eq(&e->d.eth.dst, &mac_b));
	assert_int_equal(e->d.eth.ethertype, ETH_TYPE_IPV4);
}

/* Never back out of the tap it came from. */
static void test_no_hairpin(void **state)
{
	struct env *e = *state;

	from_tap(e, 1, &mac_bcast, &mac_a);
	from_tap(e, 1, &mac_bcast, &mac_b);
	from_tap(e, 1, &mac_a, &mac_b);
	expect_drop(&e->d, VTEP_DROP_NO_DEST);
	from_tap(e, 1, &mac_a, &mac_a);                 /* to itself */
	expect_drop(&e->d, VTEP_DROP_NO_DEST);
}

struct bum_case {
	const char *name;
	enum vtep_flood mode;
	const struct vtep_mac *dst;
	bool underlay;
};

static void test_bum_flood_modes(void **state)
{
	const struct bum_case cases[] = {
		{ "broadcast, multicast mode", VTEP_FLOOD_MULTICAST, &mac_bcast, true },
		{ "multicast, multicast mode", VTEP_FLOOD_MULTICAST, &mac_mcast, true },
		{ "unknown, multicast mode", VTEP_FLOOD_MULTICAST, &mac_c, true },
		{ "broadcast, unicast mode", VTEP_FLOOD_UNICAST, &mac_bcast, true },
		{ "multicast, unicast mode", VTEP_FLOOD_UNICAST, &mac_mcast, true },
		{ "unknown, unicast mode", VTEP_FLOOD_UNICAST, &mac_c, true },
		{ "broadcast, local mode", VTEP_FLOOD_LOCAL, &mac_bcast, false },
		{ "multicast, local mode", VTEP_FLOOD_LOCAL, &mac_mcast, false },
		{ "unknown, local mode", VTEP_FLOOD_LOCAL, &mac_c, false },
	};
	struct env *e = *state;

	for (size_t i = 0; i < VTEP_ARRAY_SIZE(cases); i++) {
		e->v.flood = cases[i].mode;
		from_tap(e, 3, cases[i].dst, &mac_a);
		if (e->d.flood_underlay != cases[i].underlay)
			fail_msg("case '%s'", cases[i].name);
		expect_flood(&e->d, 3, cases[i].underlay);
	}
}

/* Known unicast goes to the VTEP it was learned from, and only there. */
static void test_known_remote(void **state)
{
	struct env *e = *state;
	struct vtep_addr s = addr4(10, 0, 0, 9);

	from_underlay(e, &e->y, &mac_bcast, &mac_b);    /* B is behind y */
	assert_int_equal(e->d.learn, FDB_LEARN_NEW);
	from_tap(e, 1, &mac_b, &mac_a);
	expect_remote(&e->d, &e->y);
	/* A static entry is just as good. */
	assert_int_equal(fdb_add_static(e->fdb, 100, &mac_c, &s, 0), 0);
	from_tap(e, 1, &mac_c, &mac_a);
	expect_remote(&e->d, &s);
}

static void test_vni_isolation(void **state)
{
	struct env *e = *state;
	struct fwd_vni v200 = e->v;

	v200.vni = 200;
	from_tap(e, 1, &mac_bcast, &mac_a);             /* A: VNI 100, tap 1 */
	fwd_from_underlay(e->fdb, &v200, &e->x,
			  frame((uint8_t[64]){ 0 }, 64, &mac_bcast, &mac_a), 64, NOW, &e->d);
	assert_int_equal(e->d.drop, VTEP_DROP_NONE);    /* not a loop in VNI 200 */
	assert_int_equal(e->d.learn, FDB_LEARN_NEW);    /* A: VNI 200, behind x */
	/* B in VNI 200 on tap 5 talks to A: goes to x, not to tap 1. */
	fwd_from_tap(e->fdb, &v200, 5, frame((uint8_t[64]){ 0 }, 64, &mac_a, &mac_b), 64, NOW,
		     &e->d);
	expect_remote(&e->d, &e->x);
	/* B is unknown in VNI 100: flooded there. */
	from_tap(e, 1, &mac_b, &mac_a);
	expect_flood(&e->d, 1, true);
	assert_int_equal(fdb_lookup(e->fdb, 100, &mac_a)->type, FDB_LOCAL);
	assert_int_equal(fdb_lookup(e->fdb, 200, &mac_a)->type, FDB_REMOTE);
}

struct bad_src_case {
	const char *name;
	const struct vtep_mac *src;
};

static const struct bad_src_case bad_srcs[] = {
	{ "broadcast", &mac_bcast },
	{ "multicast", &mac_mcast },
	{ "zero", &mac_zero },
};

/* Never learn from a broadcast, multicast or zero source; drop the frame. */
static void test_bad_src_mac(void **state)
{
	struct env *e = *state;

	for (size_t i = 0; i < VTEP_ARRAY_SIZE(bad_srcs); i++) {
		from_tap(e, 1, &mac_bcast, bad_srcs[i].src);
		if (e->d.drop != VTEP_DROP_BAD_SRC_MAC)
			fail_msg("tap, case '%s'", bad_srcs[i].name);
		expect_drop(&e->d, VTEP_DROP_BAD_SRC_MAC);
		assert_int_equal(e->d.learn, FDB_LEARN_NONE);
		from_underlay(e, &e->x, &mac_a, bad_srcs[i].src);
		if (e->d.drop != VTEP_DROP_BAD_SRC_MAC)
			fail_msg("underlay, case '%s'", bad_srcs[i].name);
		assert_int_equal(e->d.learn, FDB_LEARN_NONE);
	}
	assert_int_equal(fdb_count(e->fdb, FDB_TYPE_MAX), 0);
}

/* ------------------------------------------------------------------ */
/* From the underlay                                                   */

/* Decapsulated BUM goes to local taps only, whatever the flood mode. */
static void test_split_horizon(void **state)
{
	static const enum vtep_flood modes[] = {
		VTEP_FLOOD_MULTICAST, VTEP_FLOOD_UNICAST, VTEP_FLOOD_LOCAL,
	};
	const struct vtep_mac *dsts[] = { &mac_bcast, &mac_mcast, &mac_c };
	struct env *e = *state;

	for (size_t m = 0; m < VTEP_ARRAY_SIZE(modes); m++) {
		for (size_t i = 0; i < VTEP_ARRAY_SIZE(dsts); i++) {
			e->v.flood = modes[m];
			from_underlay(e, &e->x, dsts[i], &mac_b);
			expect_flood(&e->d, -1, false);
		}
	}
}

static void test_underlay_to_local(void **state)
{
	struct env *e = *state;
	const struct fdb_entry *b;

	from_tap(e, 4, &mac_bcast, &mac_a);
	from_underlay(e, &e->x, &mac_a, &mac_b);
	expect_tap(&e->d, 4);
	assert_int_equal(e->d.learn, FDB_LEARN_NEW);
	b = fdb_lookup(e->fdb, 100, &mac_b);
	assert_non_null(b);
	assert_int_equal(b->type, FDB_REMOTE);
	assert_true(vtep_addr_eq(&b->remote, &e->x));
	assert_int_equal(b->seen_ms, NOW);
}

/* A frame for a MAC we know to be behind another VTEP (learned or static)
 * is not sent back to the underlay, nor flooded: dropped as NO_DEST. */
static void test_underlay_to_remote_dropped(void **state)
{
	struct env *e = *state;
	struct vtep_addr s = addr4(10, 0, 0, 9);

	from_underlay(e, &e->y, &mac_bcast, &mac_c);    /* C behind y */
	from_underlay(e, &e->x, &mac_c, &mac_b);
	expect_drop(&e->d, VTEP_DROP_NO_DEST);
	assert_int_equal(fdb_add_static(e->fdb, 100, &mac_a, &s, 0), 0);
	from_underlay(e, &e->x, &mac_a, &mac_b);
	expect_drop(&e->d, VTEP_DROP_NO_DEST);
}

/* Our own local MAC coming back from the underlay is a loop: dropped, and
 * the local entry is not moved. */
static void test_loop(void **state)
{
	struct env *e = *state;

	from_tap(e, 1, &mac_bcast, &mac_a);
	from_underlay(e, &e->x, &mac_bcast, &mac_a);
	expect_drop(&e->d, VTEP_DROP_LOOP);
	assert_int_equal(e->d.learn, FDB_LEARN_NONE);
	assert_int_equal(fdb_lookup(e->fdb, 100, &mac_a)->type, FDB_LOCAL);
	assert_int_equal(fdb_lookup(e->fdb, 100, &mac_a)->tap, 1);
	/* Also with learning off. */
	e->v.learning = false;
	from_underlay(e, &e->x, &mac_b, &mac_a);
	expect_drop(&e->d, VTEP_DROP_LOOP);
}

static void test_moves_reported(void **state)
{
	struct env *e = *state;

	from_tap(e, 1, &mac_bcast, &mac_a);
	from_tap(e, 2, &mac_bcast, &mac_a);
	assert_int_equal(e->d.learn, FDB_LEARN_MOVED);
	assert_int_equal(e->d.old.type, FDB_LOCAL);
	assert_int_equal(e->d.old.tap, 1);
	from_underlay(e, &e->x, &mac_bcast, &mac_b);
	from_underlay(e, &e->y, &mac_bcast, &mac_b);
	assert_int_equal(e->d.learn, FDB_LEARN_MOVED);
	assert_int_equal(e->d.old.type, FDB_REMOTE);
	assert_true(vtep_addr_eq(&e->d.old.remote, &e->x));
	/* B migrates here: the remote entry becomes local. */
	from_tap(e, 3, &mac_bcast, &mac_b);
	assert_int_equal(e->d.learn, FDB_LEARN_MOVED);
	assert_true(vtep_addr_eq(&e->d.old.remote, &e->y));
	assert_int_equal(fdb_lookup(e->fdb, 100, &mac_b)->tap, 3);
}

static void test_static_source(void **state)
{
	struct env *e = *state;
	struct vtep_addr s = addr4(10, 0, 0, 9);

	assert_int_equal(fdb_add_static(e->fdb, 100, &mac_b, &s, 0), 0);
	from_underlay(e, &e->x, &mac_bcast, &mac_b);
	expect_flood(&e->d, -1, false);
	assert_int_equal(e->d.learn, FDB_LEARN_STATIC);
	from_tap(e, 1, &mac_bcast, &mac_b);
	assert_int_equal(e->d.learn, FDB_LEARN_STATIC);
	assert_true(vtep_addr_eq(&fdb_lookup(e->fdb, 100, &mac_b)->remote, &s));
}

static void test_learning_off(void **state)
{
	struct env *e = *state;

	e->v.learning = false;
	from_tap(e, 1, &mac_bcast, &mac_a);
	expect_flood(&e->d, 1, true);
	assert_int_equal(e->d.learn, FDB_LEARN_NONE);
	from_underlay(e, &e->x, &mac_bcast, &mac_b);
	expect_flood(&e->d, -1, false);
	assert_int_equal(e->d.learn, FDB_LEARN_NONE);
	assert_int_equal(fdb_count(e->fdb, FDB_TYPE_MAX), 0);
}

/* A full table refuses to learn (reported for the fdb_full counter) but the
 * frame is still forwarded. */
static void test_fdb_full_still_forwards(void **state)
{
	struct env *e = *state;

	fdb_free(e->fdb);
	e->fdb = fdb_new(1, 0);
	assert_non_null(e->fdb);
	from_tap(e, 1, &mac_bcast, &mac_a);
	assert_int_equal(e->d.learn, FDB_LEARN_NEW);
	from_tap(e, 2, &mac_a, &mac_b);
	assert_int_equal(e->d.learn, FDB_LEARN_FULL);
	expect_tap(&e->d, 1);
	from_underlay(e, &e->x, &mac_a, &mac_c);
	assert_int_equal(e->d.learn, FDB_LEARN_FULL);
	expect_tap(&e->d, 1);
}

/* ------------------------------------------------------------------ */
/* Allow rules                                                         */

struct allow_case {
	const char *name;
	bool allow_any;
	const char *prefixes[2];        /* NULL-terminated, up to 2 */
	const char *src;
	enum vtep_drop want;
};

static const struct allow_case allow_cases[] = {
	{ "default: peer x", false, { NULL }, "10.0.0.2", VTEP_DROP_NONE },
	{ "default: peer y", false, { NULL }, "10.0.0.3", VTEP_DROP_NONE },
	{ "default: stranger", false, { NULL }, "10.0.0.4", VTEP_DROP_NOT_ALLOWED },
	{ "default: v6 stranger", false, { NULL }, "fd00::2", VTEP_DROP_NOT_ALLOWED },
	{ "any: stranger", true, { NULL }, "192.0.2.7", VTEP_DROP_NONE },
	{ "any: multicast source", true, { NULL }, "239.1.1.1", VTEP_DROP_NOT_ALLOWED },
	{ "any: zero source", true, { NULL }, "0.0.0.0", VTEP_DROP_NOT_ALLOWED },
	{ "any: broadcast source", true, { NULL }, "255.255.255.255", VTEP_DROP_NOT_ALLOWED },
	{ "prefix: inside", false, { "192.0.2.0/24", NULL }, "192.0.2.200", VTEP_DROP_NONE },
	{ "prefix: second", false, { "192.0.2.0/24", "fd00::/64" }, "fd00::9", VTEP_DROP_NONE },
	{ "prefix: outside", false, { "192.0.2.0/24", NULL }, "192.0.3.1", VTEP_DROP_NOT_ALLOWED },
	{ "prefix: peer outside", false, { "192.0.2.0/24", NULL }, "10.0.0.2",
	  VTEP_DROP_NOT_ALLOWED },
	{ "prefix: host", false, { "10.9.9.9", NULL }, "10.9.9.9", VTEP_DROP_NONE },
	{ "prefix: v4 rule, v6 src", false, { "0.0.0.0/0", NULL }, "fd00::1",
	  VTEP_DROP_NOT_ALLOWED },
};

static void test_allow(void **state)
{
	struct env *e = *state;

	for (size_t i = 0; i < VTEP_ARRAY_SIZE(allow_cases); i++) {
		const struct allow_case *c = &allow_cases[i];
		struct vtep_prefix pfx[2];
		struct vtep_addr src;
		size_t n = 0;

		while (n < 2 && c->prefixes[n]) {
			assert_int_equal(vtep_prefix_parse(c->prefixes[n], &pfx[n]), 0);
			n++;
		}
		assert_int_equal(vtep_addr_parse(c->src, &src), 0);
		e->v.allow_any = c->allow_any;
		e->v.allow = pfx;
		e->v.n_allow = n;
		if (fwd_check_source(&e->v, &src) != c->want)
			fail_msg("case '%s'", c->name);
		from_underlay(e, &src, &mac_bcast, &mac_b);
		assert_int_equal(e->d.drop, c->want);
		if (c->want != VTEP_DROP_NONE)  /* refused sources teach nothing */
			assert_null(fdb_lookup(e->fdb, 100, &mac_b));
		(void)fdb_del(e->fdb, 100, &mac_b);
	}
	e->v.allow = NULL;
	e->v.n_allow = 0;
}

/* ------------------------------------------------------------------ */
/* Size and shape                                                      */

struct big_case {
	const char *name;
	uint8_t n_tags;
	size_t len;
	uint16_t mtu;
	enum vtep_drop want;
};

static const struct big_case big_cases[] = {
	{ "untagged at MTU", 0, ETH_HLEN + MTU, MTU, VTEP_DROP_NONE },
	{ "untagged over", 0, ETH_HLEN + MTU + 1, MTU, VTEP_DROP_TOO_BIG },
	{ "one tag at MTU", 1, ETH_HLEN + 4 + MTU, MTU, VTEP_DROP_NONE },
	{ "one tag over", 1, ETH_HLEN + 4 + MTU + 1, MTU, VTEP_DROP_TOO_BIG },
	{ "two tags at MTU", 2, ETH_HLEN + 8 + MTU, MTU, VTEP_DROP_NONE },
	{ "two tags over", 2, ETH_HLEN + 8 + MTU + 1, MTU, VTEP_DROP_TOO_BIG },
	{ "jumbo under mtu 9000", 0, ETH_HLEN + 9000, 9000, VTEP_DROP_NONE },
	{ "mtu 0: no check", 0, 20000, 0, VTEP_DROP_NONE },
};

/* Build a frame with n_tags VLAN tags (outer 802.1ad when two). */
static uint8_t *tagged_frame(size_t len, uint8_t n_tags, const struct vtep_mac *src)
{
	uint8_t *p = calloc(1, len);
	size_t off = 12;

	assert_non_null(p);
	eth_build(p, &mac_bcast, src, ETH_TYPE_IPV4);
	for (uint8_t t = 0; t < n_tags; t++) {
		uint16_t tpid = n_tags == 2 && t == 0 ? ETH_TYPE_QINQ : ETH_TYPE_VLAN;

		p[off] = (uint8_t)(tpid >> 8);
		p[off + 1] = (uint8_t)tpid;
		p[off + 3] = (uint8_t)(10 + t);
		off += 4;
	}
	p[off] = 0x08;
	p[off + 1] = 0x00;
	return p;
}

static void test_too_big(void **state)
{
	struct env *e = *state;

	for (size_t i = 0; i < VTEP_ARRAY_SIZE(big_cases); i++) {
		const struct big_case *c = &big_cases[i];
		uint8_t *p = tagged_frame(c->len, c->n_tags, &mac_a);

		e->v.mtu = c->mtu;
		fwd_from_tap(e->fdb, &e->v, 1, p, c->len, NOW, &e->d);
		if (e->d.drop != c->want)
			fail_msg("tap, case '%s'", c->name);
		assert_int_equal(e->d.eth.n_vlan, c->n_tags);
		/* The source is still learned (learning precedes the size check). */
		assert_int_not_equal(e->d.learn, FDB_LEARN_NONE);
		(void)fdb_del(e->fdb, 100, &mac_a);
		fwd_from_underlay(e->fdb, &e->v, &e->x, p, c->len, NOW, &e->d);
		if (e->d.drop != c->want)
			fail_msg("underlay, case '%s'", c->name);
		if (c->want == VTEP_DROP_TOO_BIG)
			expect_drop(&e->d, VTEP_DROP_TOO_BIG);
		(void)fdb_del(e->fdb, 100, &mac_a);
		free(p);
	}
}

/* Every length below a full header, as an exact-size heap copy: MALFORMED
 * in both directions, nothing learned, no read past the end (ASan). */
static void test_malformed(void **state)
{
	struct env *e = *state;
	uint8_t full[ETH_HLEN + 4];

	frame(full, ETH_HLEN, &mac_bcast, &mac_a);
	full[12] = 0x81;                /* one VLAN tag, cut short below */
	full[13] = 0x00;
	for (size_t len = 0; len < sizeof(full); len++) {
		uint8_t *d = malloc(len + 1);
		uint8_t *p = d + 1;     /* exactly len bytes before the end */

		assert_non_null(d);
		memcpy(p, full, len);
		fwd_from_tap(e->fdb, &e->v, 1, p, len, NOW, &e->d);
		expect_drop(&e->d, VTEP_DROP_MALFORMED);
		fwd_from_underlay(e->fdb, &e->v, &e->x, p, len, NOW, &e->d);
		expect_drop(&e->d, VTEP_DROP_MALFORMED);
		free(d);
	}
	assert_int_equal(fdb_count(e->fdb, FDB_TYPE_MAX), 0);
}

/* Every field of the decision is set, whatever was in it before. */
static void test_decision_reset(void **state)
{
	struct env *e = *state;
	struct vtep_addr stranger = addr4(192, 0, 2, 1);

	memset(&e->d, 0x5a, sizeof(e->d));
	from_tap(e, 1, &mac_bcast, &mac_a);
	expect_flood(&e->d, 1, true);
	assert_int_equal(e->d.reply_len, 0);
	memset(&e->d, 0x5a, sizeof(e->d));
	from_tap(e, 2, &mac_a, &mac_b);
	expect_tap(&e->d, 1);
	assert_int_equal(e->d.exclude_tap, -1);
	assert_int_equal(e->d.old.type, 0);
	memset(&e->d, 0x5a, sizeof(e->d));
	from_underlay(e, &stranger, &mac_a, &mac_c);
	expect_drop(&e->d, VTEP_DROP_NOT_ALLOWED);
	assert_int_equal(e->d.learn, FDB_LEARN_NONE);
	assert_false(e->d.is_bum);
	assert_int_equal(e->d.reply_len, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_local_switching),
		T(test_no_hairpin),
		T(test_bum_flood_modes),
		T(test_known_remote),
		T(test_vni_isolation),
		T(test_bad_src_mac),
		T(test_split_horizon),
		T(test_underlay_to_local),
		T(test_underlay_to_remote_dropped),
		T(test_loop),
		T(test_moves_reported),
		T(test_static_source),
		T(test_learning_off),
		T(test_fdb_full_still_forwards),
		T(test_allow),
		T(test_too_big),
		T(test_malformed),
		T(test_decision_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
