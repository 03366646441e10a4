/* SPDX-License-Identifier: MIT */
/*
 * test_fwd - the forwarding decision (proto/fwd): one test per rule of
 * DESIGN.md 2 and 7 - local switching, VNI isolation, known unicast to the
 * learned VTEP only, BUM flooding per mode, split horizon, no learning from
 * bad source MACs, loop drop, the allow rules, too big, and every drop
 * reason fwd can give; then ARP/ND snooping and suppression: hits answered
 * (byte for byte) and not flooded, misses flooded, unicast requests,
 * gratuitous ARP, probes and DAD forwarded, no answer for a target behind
 * the asking tap, static entries never poisoned, suppression off; move
 * damping (frozen MAC dropped from elsewhere) and the per-tap BUM limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/arp.h"
#include "../../proto/fwd.h"
#include "../../proto/nd.h"

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
	struct arpc *arpc;
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
	e->arpc = arpc_new(64, 8);
	assert_non_null(e->arpc);
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
	e->v.arp_suppress = true;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fdb_free(e->fdb);
	arpc_free(e->arpc);
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

	fwd_from_tap(e->fdb, NULL, &e->v, tap, frame(buf, sizeof(buf), dst, src), sizeof(buf),
		     NOW, &e->d);
}

static void from_underlay(struct env *e, const struct vtep_addr *outer,
			  const struct vtep_mac *dst, const struct vtep_mac *src)
{
	uint8_t buf[64];

	fwd_from_underlay(e->fdb, NULL, &e->v, outer, frame(buf, sizeof(buf), dst, src),
			  sizeof(buf), NOW, &e->d);
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
	fwd_from_underlay(e->fdb, NULL, &v200, &e->x,
			  frame((uint8_t[64]){ 0 }, 64, &mac_bcast, &mac_a), 64, NOW, &e->d);
	assert_int_equal(e->d.drop, VTEP_DROP_NONE);    /* not a loop in VNI 200 */
	assert_int_equal(e->d.learn, FDB_LEARN_NEW);    /* A: VNI 200, behind x */
	/* B in VNI 200 on tap 5 talks to A: goes to x, not to tap 1. */
	fwd_from_tap(e->fdb, NULL, &v200, 5, frame((uint8_t[64]){ 0 }, 64, &mac_a, &mac_b), 64,
		     NOW, &e->d);
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
	assert_int_equal(fdb_seen_ms(b), NOW);
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
		fwd_from_tap(e->fdb, NULL, &e->v, 1, p, c->len, NOW, &e->d);
		if (e->d.drop != c->want)
			fail_msg("tap, case '%s'", c->name);
		assert_int_equal(e->d.eth.n_vlan, c->n_tags);
		/* The source is still learned (learning precedes the size check). */
		assert_int_not_equal(e->d.learn, FDB_LEARN_NONE);
		(void)fdb_del(e->fdb, 100, &mac_a);
		fwd_from_underlay(e->fdb, NULL, &e->v, &e->x, p, c->len, NOW, &e->d);
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
		fwd_from_tap(e->fdb, NULL, &e->v, 1, p, len, NOW, &e->d);
		expect_drop(&e->d, VTEP_DROP_MALFORMED);
		fwd_from_underlay(e->fdb, NULL, &e->v, &e->x, p, len, NOW, &e->d);
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

/* ------------------------------------------------------------------ */
/* ARP suppression (DESIGN.md 2)                                       */

static const struct vtep_mac mac_d = { { 0x52, 0x54, 0, 0, 0, 0x0d } };

/* 192.168.7.n, network order, and as a vtep_addr pointer. */
static uint32_t ip7(uint8_t n)
{
	return htobe32(0xc0a80700u | n);
}

#define IP7(n) ((const struct vtep_addr[1]){ vtep_addr_v4(ip7(n)) })

/* Hand a frame to fwd with the cache: from tap `tap`, or from the
 * underlay (peer x) when tap < 0. */
static void run(struct env *e, int tap, const uint8_t *buf, size_t len)
{
	if (tap >= 0)
		fwd_from_tap(e->fdb, e->arpc, &e->v, (uint16_t)tap, buf, len, NOW, &e->d);
	else
		fwd_from_underlay(e->fdb, e->arpc, &e->v, &e->x, buf, len, NOW, &e->d);
}

/* An untagged ARP frame from sha (also the Ethernet source); tha is zero
 * for a request and dst for a unicast reply. */
static size_t arp_frame(uint8_t *buf, const struct vtep_mac *dst, const struct vtep_mac *sha,
			uint16_t op, uint32_t spa, uint32_t tpa)
{
	struct arp_view a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.sha = *sha;
	a.spa = spa;
	if (op == ARP_OP_REPLY && !vtep_mac_is_multicast(dst))
		a.tha = *dst;
	a.tpa = tpa;
	eth_build(buf, dst, sha, ETH_TYPE_ARP);
	arp_build(buf + ETH_HLEN, &a);
	return ETH_HLEN + ARP_HLEN;
}

static void arp(struct env *e, int tap, const struct vtep_mac *dst, const struct vtep_mac *sha,
		uint16_t op, uint32_t spa, uint32_t tpa)
{
	uint8_t buf[64];

	run(e, tap, buf, arp_frame(buf, dst, sha, op, spa, tpa));
}

/* Who has tpa? A broadcast request from sha at spa. */
static void who_has(struct env *e, int tap, const struct vtep_mac *sha, uint32_t spa,
		    uint32_t tpa)
{
	arp(e, tap, &mac_bcast, sha, ARP_OP_REQUEST, spa, tpa);
}

/* Gratuitous ARP: sha announces ip (a broadcast request, spa == tpa). */
static void announce(struct env *e, int tap, const struct vtep_mac *sha, uint32_t ip)
{
	arp(e, tap, &mac_bcast, sha, ARP_OP_REQUEST, ip, ip);
}

static void expect_no_reply(const struct fwd_decision *d)
{
	assert_int_equal(d->reply_len, 0);
	assert_false(d->arp_suppressed);
	assert_false(d->nd_suppressed);
}

/* Exactly "write reply to the input tap", nothing else. */
static void expect_reply_only(const struct fwd_decision *d)
{
	assert_int_equal(d->drop, VTEP_DROP_NONE);
	assert_int_equal(d->out_tap, -1);
	assert_false(d->to_remote);
	assert_false(d->flood_taps);
	assert_false(d->flood_underlay);
	assert_false(d->is_bum);
	assert_int_not_equal(d->reply_len, 0);
}

/* The reply is the ARP reply written out here byte by byte. */
static void expect_arp_reply(const struct fwd_decision *d, const struct vtep_mac *req_mac,
			     uint32_t req_ip, const struct vtep_mac *owner, uint32_t owner_ip)
{
	static const uint8_t arp_hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 2 };
	uint8_t want[42];

	memcpy(want, req_mac->b, 6);
	memcpy(want + 6, owner->b, 6);
	want[12] = 0x08;
	want[13] = 0x06;
	memcpy(want + 14, arp_hdr, 8);
	memcpy(want + 22, owner->b, 6);
	memcpy(want + 28, &owner_ip, 4);
	memcpy(want + 32, req_mac->b, 6);
	memcpy(want + 38, &req_ip, 4);
	expect_reply_only(d);
	assert_true(d->arp_suppressed);
	assert_false(d->nd_suppressed);
	assert_int_equal(d->reply_len, sizeof(want));
	assert_memory_equal(d->reply, want, sizeof(want));
}

static void expect_snoop(const struct fwd_decision *d, enum arpc_snoop s,
			 const struct vtep_addr *ip, const struct vtep_mac *mac)
{
	if (d->snoop != s)
		fail_msg("snoop %s, want %s", arpc_snoop_name(d->snoop), arpc_snoop_name(s));
	assert_true(vtep_addr_eq(&d->snoop_ip, ip));
	assert_true(vtep_mac_eq(&d->snoop_mac, mac));
}

static const struct arpc_entry *cached(struct env *e, const struct vtep_addr *ip)
{
	return arpc_lookup(e->arpc, e->v.vni, ip);
}

/* A hit is answered on the asking tap and not flooded; a miss is flooded. */
static void test_arp_hit_answered(void **state)
{
	struct env *e = *state;

	announce(e, 2, &mac_b, ip7(2));                 /* B at .2 on tap 2 */
	expect_flood(&e->d, 2, true);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP7(2), &mac_b);
	who_has(e, 1, &mac_a, ip7(1), ip7(2));          /* A asks for .2 */
	expect_arp_reply(&e->d, &mac_a, ip7(1), &mac_b, ip7(2));
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP7(1), &mac_a);    /* the asker is learned */
	assert_int_equal(e->d.learn, FDB_LEARN_NEW);    /* and so is its MAC */
	/* A miss is flooded as usual, and not answered. */
	who_has(e, 1, &mac_a, ip7(1), ip7(9));
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_REFRESHED, IP7(1), &mac_a);
	/* An entry snooped from the underlay answers too: C at .3 behind x. */
	arp(e, -1, &mac_a, &mac_c, ARP_OP_REPLY, ip7(3), ip7(1));
	expect_tap(&e->d, 1);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP7(3), &mac_c);
	who_has(e, 2, &mac_b, ip7(2), ip7(3));
	expect_arp_reply(&e->d, &mac_b, ip7(2), &mac_c, ip7(3));
}

/* A unicast request (a host revalidating its entry) is forwarded to the
 * owner, not answered: the owner's reply is what keeps the cache fresh. */
static void test_arp_unicast_request_forwarded(void **state)
{
	struct env *e = *state;

	announce(e, 2, &mac_b, ip7(2));
	arp(e, 1, &mac_b, &mac_a, ARP_OP_REQUEST, ip7(1), ip7(2));
	expect_tap(&e->d, 2);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP7(1), &mac_a);
	/* The unicast reply refreshes B. */
	arp(e, 2, &mac_a, &mac_b, ARP_OP_REPLY, ip7(2), ip7(1));
	expect_tap(&e->d, 1);
	expect_snoop(&e->d, ARPC_SNOOP_REFRESHED, IP7(2), &mac_b);
	/* A multicast (not broadcast) request is not answered either. */
	arp(e, 1, &mac_mcast, &mac_a, ARP_OP_REQUEST, ip7(1), ip7(2));
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
}

/* Gratuitous ARP is forwarded, never answered, and updates the cache. */
static void test_arp_gratuitous(void **state)
{
	struct env *e = *state;

	announce(e, 2, &mac_b, ip7(2));
	announce(e, 3, &mac_c, ip7(2));                 /* .2 moves to C */
	expect_flood(&e->d, 3, true);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_MOVED, IP7(2), &mac_c);
	assert_true(vtep_mac_eq(&e->d.snoop_old_mac, &mac_b));
	assert_true(vtep_mac_eq(&cached(e, IP7(2))->mac, &mac_c));
	/* A gratuitous reply, broadcast, likewise. */
	arp(e, 2, &mac_bcast, &mac_b, ARP_OP_REPLY, ip7(2), ip7(2));
	expect_flood(&e->d, 2, true);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_MOVED, IP7(2), &mac_b);
	assert_true(vtep_mac_eq(&e->d.snoop_old_mac, &mac_c));
	/* From the underlay too. */
	announce(e, -1, &mac_d, ip7(4));
	expect_flood(&e->d, -1, false);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP7(4), &mac_d);
	who_has(e, 1, &mac_a, ip7(1), ip7(2));
	expect_arp_reply(&e->d, &mac_a, ip7(1), &mac_b, ip7(2));
}

/* An ARP probe (sender 0.0.0.0, RFC 5227) is forwarded, never answered,
 * and teaches nothing - even for an address in the cache. */
static void test_arp_probe(void **state)
{
	struct env *e = *state;
	struct vtep_addr zero = vtep_addr_v4(0);

	announce(e, 2, &mac_b, ip7(2));
	who_has(e, 1, &mac_a, 0, ip7(2));
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	assert_null(cached(e, &zero));
	who_has(e, -1, &mac_c, 0, ip7(2));
	expect_flood(&e->d, -1, false);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	assert_int_equal(arpc_count(e->arpc, ARPC_TYPE_MAX), 1);
}

/* The owner behind the asking tap hears the request itself: not answered
 * (flooded to the others as usual); nor is a host asking for an address
 * the cache says is its own. */
static void test_arp_target_behind_asking_tap(void **state)
{
	struct env *e = *state;

	announce(e, 2, &mac_b, ip7(2));                 /* B on tap 2 */
	who_has(e, 2, &mac_d, ip7(4), ip7(2));          /* D, also on tap 2 */
	expect_flood(&e->d, 2, true);
	expect_no_reply(&e->d);
	who_has(e, 1, &mac_a, ip7(1), ip7(2));          /* from tap 1: answered */
	expect_arp_reply(&e->d, &mac_a, ip7(1), &mac_b, ip7(2));
	/* Without FDB learning, the MAC comparison still catches B asking
	 * about its own second address. */
	e->v.learning = false;
	(void)fdb_flush_vni(e->fdb, 100);
	announce(e, 3, &mac_c, ip7(3));
	arp(e, 3, &mac_bcast, &mac_c, ARP_OP_REQUEST, ip7(33), ip7(3));
	expect_flood(&e->d, 3, true);
	expect_no_reply(&e->d);
	/* Nor when only the Ethernet source is the owner. */
	{
		uint8_t buf[64];
		size_t len = arp_frame(buf, &mac_bcast, &mac_d, ARP_OP_REQUEST, ip7(4), ip7(3));

		memcpy(buf + 6, mac_c.b, 6);
		run(e, 3, buf, len);
		expect_flood(&e->d, 3, true);
		expect_no_reply(&e->d);
		memcpy(buf + 6, mac_a.b, 6);            /* from someone else: answered */
		run(e, 1, buf, len);
		expect_arp_reply(&e->d, &mac_d, ip7(4), &mac_c, ip7(3));
		/* Nor when only the MAC the request names is the owner's, or
		 * is not one a reply could go to. */
		len = arp_frame(buf, &mac_bcast, &mac_c, ARP_OP_REQUEST, ip7(4), ip7(3));
		memcpy(buf + 6, mac_d.b, 6);
		run(e, 1, buf, len);
		expect_flood(&e->d, 1, true);
		expect_no_reply(&e->d);
		len = arp_frame(buf, &mac_bcast, &mac_bcast, ARP_OP_REQUEST, ip7(4), ip7(3));
		memcpy(buf + 6, mac_d.b, 6);
		run(e, 1, buf, len);
		expect_no_reply(&e->d);
	}
}

/* A forged ARP reply never changes a static entry, from a tap or from the
 * underlay; the forgery is reported (STATIC, with the static MAC) and the
 * frame is still forwarded. */
static void test_arp_static_not_poisoned(void **state)
{
	struct env *e = *state;

	assert_int_equal(arpc_add_static(e->arpc, 100, IP7(2), &mac_b, 0), 0);
	arp(e, 3, &mac_bcast, &mac_c, ARP_OP_REPLY, ip7(2), ip7(2));
	expect_flood(&e->d, 3, true);
	expect_snoop(&e->d, ARPC_SNOOP_STATIC, IP7(2), &mac_c);
	assert_true(vtep_mac_eq(&e->d.snoop_old_mac, &mac_b));
	arp(e, -1, &mac_a, &mac_d, ARP_OP_REPLY, ip7(2), ip7(1));
	expect_flood(&e->d, -1, false);
	expect_snoop(&e->d, ARPC_SNOOP_STATIC, IP7(2), &mac_d);
	assert_true(vtep_mac_eq(&e->d.snoop_old_mac, &mac_b));
	announce(e, -1, &mac_d, ip7(2));
	expect_snoop(&e->d, ARPC_SNOOP_STATIC, IP7(2), &mac_d);
	announce(e, 3, &mac_c, ip7(2));                 /* a conflict: forwarded */
	expect_flood(&e->d, 3, true);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_STATIC, IP7(2), &mac_c);
	assert_true(vtep_mac_eq(&cached(e, IP7(2))->mac, &mac_b));
	assert_int_equal(cached(e, IP7(2))->type, ARPC_STATIC);
	who_has(e, 1, &mac_a, ip7(1), ip7(2));
	expect_arp_reply(&e->d, &mac_a, ip7(1), &mac_b, ip7(2));
}

/* arp_suppress = false: never answered, but snooping still fills the cache,
 * so turning it on (reload) answers at once. No cache: nothing at all. */
static void test_arp_suppress_off(void **state)
{
	struct env *e = *state;
	uint8_t buf[64];
	size_t len = arp_frame(buf, &mac_bcast, &mac_a, ARP_OP_REQUEST, ip7(1), ip7(2));

	e->v.arp_suppress = false;
	announce(e, 2, &mac_b, ip7(2));
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP7(2), &mac_b);
	who_has(e, 1, &mac_a, ip7(1), ip7(2));
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP7(1), &mac_a);
	e->v.arp_suppress = true;
	who_has(e, 1, &mac_a, ip7(1), ip7(2));
	expect_arp_reply(&e->d, &mac_a, ip7(1), &mac_b, ip7(2));
	fwd_from_tap(e->fdb, NULL, &e->v, 1, buf, len, NOW, &e->d);
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	fwd_from_underlay(e->fdb, NULL, &e->v, &e->x, buf, len, NOW, &e->d);
	assert_int_equal(e->d.drop, VTEP_DROP_LOOP);    /* A is local: unchanged rules */
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
}

/* From the underlay: snooped, never answered (the requester's own VTEP
 * answers), and nothing is snooped from refused or looped frames. */
static void test_arp_underlay(void **state)
{
	struct env *e = *state;
	struct vtep_addr stranger = addr4(192, 0, 2, 1);
	uint8_t buf[64];
	size_t len = arp_frame(buf, &mac_bcast, &mac_d, ARP_OP_REQUEST, ip7(4), ip7(2));

	announce(e, 2, &mac_b, ip7(2));
	who_has(e, -1, &mac_c, ip7(3), ip7(2));
	expect_flood(&e->d, -1, false);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP7(3), &mac_c);
	fwd_from_underlay(e->fdb, e->arpc, &e->v, &stranger, buf, len, NOW, &e->d);
	expect_drop(&e->d, VTEP_DROP_NOT_ALLOWED);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	assert_null(cached(e, IP7(4)));
	who_has(e, -1, &mac_b, ip7(5), ip7(3));         /* B is local: a loop */
	expect_drop(&e->d, VTEP_DROP_LOOP);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	assert_null(cached(e, IP7(5)));
}

/* A full cache refuses (reported for drops[arp_full]); the frame still goes. */
static void test_arp_full(void **state)
{
	struct env *e = *state;

	arpc_free(e->arpc);
	e->arpc = arpc_new(1, 0);
	assert_non_null(e->arpc);
	announce(e, 2, &mac_b, ip7(2));
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP7(2), &mac_b);
	who_has(e, 1, &mac_a, ip7(1), ip7(9));
	expect_snoop(&e->d, ARPC_SNOOP_FULL, IP7(1), &mac_a);
	expect_flood(&e->d, 1, true);
	who_has(e, -1, &mac_c, ip7(3), ip7(9));
	expect_snoop(&e->d, ARPC_SNOOP_FULL, IP7(3), &mac_c);
	expect_flood(&e->d, -1, false);
	who_has(e, 1, &mac_a, ip7(1), ip7(2));          /* the one entry still answers */
	expect_arp_reply(&e->d, &mac_a, ip7(1), &mac_b, ip7(2));
}

/* The cache is per VNI: an address known in VNI 100 is a miss in 200. */
static void test_arp_vni_isolation(void **state)
{
	struct env *e = *state;
	struct fwd_vni v200 = e->v;
	uint8_t buf[64];
	size_t len = arp_frame(buf, &mac_bcast, &mac_a, ARP_OP_REQUEST, ip7(1), ip7(2));

	v200.vni = 200;
	announce(e, 2, &mac_b, ip7(2));
	fwd_from_tap(e->fdb, e->arpc, &v200, 5, buf, len, NOW, &e->d);
	expect_flood(&e->d, 5, true);
	expect_no_reply(&e->d);
	assert_non_null(arpc_lookup(e->arpc, 200, IP7(1)));
	assert_null(arpc_lookup(e->arpc, 200, IP7(2)));
}

/* VLAN-tagged ARP is neither snooped nor answered: the cache key has no VID. */
static void test_arp_tagged(void **state)
{
	struct env *e = *state;
	uint8_t buf[64];
	size_t len;

	announce(e, 2, &mac_b, ip7(2));
	len = arp_frame(buf + 4, &mac_bcast, &mac_a, ARP_OP_REQUEST, ip7(1), ip7(2)) + 4;
	memmove(buf, buf + 4, 12);                      /* MACs first, then the tag */
	buf[12] = 0x81;
	buf[13] = 0x00;
	buf[14] = 0x00;
	buf[15] = 0x0a;                                 /* VID 10 */
	run(e, 1, buf, len);
	assert_int_equal(e->d.eth.n_vlan, 1);
	assert_int_equal(e->d.eth.ethertype, ETH_TYPE_ARP);
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	run(e, -1, buf, len);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	assert_null(cached(e, IP7(1)));
}

/* Every length of a request for a cached address, as an exact-size heap
 * copy: only the whole frame is snooped and answered. */
static void test_arp_truncated(void **state)
{
	struct env *e = *state;
	uint8_t full[64];
	size_t n = arp_frame(full, &mac_bcast, &mac_a, ARP_OP_REQUEST, ip7(1), ip7(2));

	assert_int_equal(arpc_add_static(e->arpc, 100, IP7(2), &mac_b, 0), 0);
	for (size_t len = 0; len <= n; len++) {
		uint8_t *d = malloc(len + 1);
		uint8_t *p = d + 1;

		assert_non_null(d);
		memcpy(p, full, len);
		run(e, 1, p, len);
		assert_int_equal(e->d.reply_len != 0, len == n);
		assert_int_equal(e->d.snoop != ARPC_SNOOP_NONE, len == n);
		assert_int_equal(e->d.drop, len < ETH_HLEN ? VTEP_DROP_MALFORMED : VTEP_DROP_NONE);
		(void)arpc_del(e->arpc, 100, IP7(1));
		free(d);
	}
}

/* ------------------------------------------------------------------ */
/* ND suppression                                                      */

static struct in6_addr in6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct vtep_addr addr6(const char *s)
{
	struct vtep_addr a;

	assert_int_equal(vtep_addr_parse(s, &a), 0);
	assert_int_equal(a.family, AF_INET6);
	return a;
}

#define IP6(s) ((const struct vtep_addr[1]){ addr6(s) })
#define IP6_A "fd00:7::a"
#define IP6_B "fd00:7::b"
#define IP6_C "fd00:7::c"
#define SN_B "ff02::1:ff00:b"                   /* solicited-node of fd00:7::b */

/* The ICMPv6 checksum the long way (RFC 8200 8.1), 0 over a right one. */
static uint16_t ref_csum(const uint8_t *src, const uint8_t *dst, const uint8_t *msg, size_t len)
{
	uint8_t buf[40 + 64] = { 0 };
	uint32_t sum = 0;

	assert_true(len <= 64 && len % 2 == 0);
	memcpy(buf, src, 16);
	memcpy(buf + 16, dst, 16);
	buf[35] = (uint8_t)len;
	buf[39] = 58;
	memcpy(buf + 40, msg, len);
	for (size_t i = 0; i < 40 + len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct nd_msg {
	uint8_t type;                   /* ND_TYPE_NS or ND_TYPE_NA */
	uint8_t flags;                  /* NA R/S/O byte */
	uint8_t hop;                    /* 0: 255 */
	const char *src;
	const char *dst;
	const char *target;
	uint8_t opt;                    /* 0, ND_OPT_SLLA or ND_OPT_TLLA */
	const struct vtep_mac *opt_mac;
};

/* An untagged Ethernet/IPv6/ICMPv6 ND frame; returns its length. */
static size_t nd_frame(uint8_t *buf, const struct vtep_mac *eth_dst,
		       const struct vtep_mac *eth_src, const struct nd_msg *n)
{
	size_t icmp_len = ND_HLEN + (n->opt ? 8 : 0);
	uint8_t *ip = buf + ETH_HLEN;
	uint8_t *m = ip + IPV6_HLEN;
	struct in6_addr a;
	uint16_t c;

	memset(buf, 0, ETH_HLEN + IPV6_HLEN + icmp_len);
	eth_build(buf, eth_dst, eth_src, ETH_TYPE_IPV6);
	ip[0] = 0x60;
	ip[5] = (uint8_t)icmp_len;
	ip[6] = 58;
	ip[7] = n->hop ? n->hop : 255;
	a = in6(n->src);
	memcpy(ip + 8, &a, 16);
	a = in6(n->dst);
	memcpy(ip + 24, &a, 16);
	m[0] = n->type;
	m[4] = n->flags;
	a = in6(n->target);
	memcpy(m + 8, &a, 16);
	if (n->opt) {
		m[24] = n->opt;
		m[25] = 1;
		memcpy(m + 26, n->opt_mac->b, 6);
	}
	c = ref_csum(ip + 8, ip + 24, m, icmp_len);
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	return ETH_HLEN + IPV6_HLEN + icmp_len;
}

static void nd(struct env *e, int tap, const struct vtep_mac *eth_dst,
	       const struct vtep_mac *eth_src, const struct nd_msg *n)
{
	uint8_t buf[128];

	run(e, tap, buf, nd_frame(buf, eth_dst, eth_src, n));
}

static const struct vtep_mac mac_sn_b = { { 0x33, 0x33, 0xff, 0, 0, 0x0b } };
static const struct vtep_mac mac_all_nodes = { { 0x33, 0x33, 0, 0, 0, 1 } };

/* Who has target? A multicast NS from mac at src, with its SLLA. */
static void ns_for_b(struct env *e, int tap, const struct vtep_mac *mac, const char *src)
{
	const struct nd_msg n = { ND_TYPE_NS, 0, 0, src, SN_B, IP6_B, ND_OPT_SLLA, mac };

	nd(e, tap, &mac_sn_b, mac, &n);
}

/* mac announces ip: an unsolicited NA to all-nodes with O (and R) set. */
static void na_announce(struct env *e, int tap, const struct vtep_mac *mac, const char *ip,
			bool router)
{
	const struct nd_msg n = { ND_TYPE_NA, (uint8_t)(ND_NA_FLAG_OVERRIDE |
				  (router ? ND_NA_FLAG_ROUTER : 0)), 0, ip, "ff02::1", ip,
				  ND_OPT_TLLA, mac };

	nd(e, tap, &mac_all_nodes, mac, &n);
}

/* The reply is the NA written out here byte by byte, checksum included. */
static void expect_na_reply(const struct fwd_decision *d, const struct vtep_mac *req_mac,
			    const char *req_ip, const struct vtep_mac *owner, const char *target,
			    bool router)
{
	static const uint8_t ip_hdr[8] = { 0x60, 0, 0, 0, 0, 32, 58, 255 };
	struct in6_addr t = in6(target);
	struct in6_addr r = in6(req_ip);
	uint8_t want[86] = { 0 };
	uint8_t *m = want + 54;
	uint16_t c;

	memcpy(want, req_mac->b, 6);
	memcpy(want + 6, owner->b, 6);
	want[12] = 0x86;
	want[13] = 0xdd;
	memcpy(want + 14, ip_hdr, 8);
	memcpy(want + 22, &t, 16);
	memcpy(want + 38, &r, 16);
	m[0] = 136;
	m[4] = router ? 0xe0 : 0x60;                    /* R S O */
	memcpy(m + 8, &t, 16);
	m[24] = 2;
	m[25] = 1;
	memcpy(m + 26, owner->b, 6);
	c = ref_csum(want + 22, want + 38, m, 32);
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	expect_reply_only(d);
	assert_true(d->nd_suppressed);
	assert_false(d->arp_suppressed);
	assert_int_equal(d->reply_len, sizeof(want));
	assert_memory_equal(d->reply, want, sizeof(want));
	assert_int_equal(ref_csum(d->reply + 22, d->reply + 38, d->reply + 54, 32), 0);
}

/* A multicast NS for a known target is answered with a correct NA. */
static void test_nd_hit_answered(void **state)
{
	struct env *e = *state;
	struct vtep_addr b = addr6(IP6_B);
	struct nd_view v;

	na_announce(e, 2, &mac_b, IP6_B, false);
	expect_flood(&e->d, 2, true);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, &b, &mac_b);
	assert_int_equal(cached(e, &b)->flags, ARPC_F_ROUTER_KNOWN);
	ns_for_b(e, 1, &mac_a, IP6_A);
	expect_na_reply(&e->d, &mac_a, IP6_A, &mac_b, IP6_B, false);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP6(IP6_A), &mac_a);
	/* proto/nd accepts it as well. */
	assert_int_equal(nd_parse(e->d.reply + ETH_HLEN, e->d.reply_len - ETH_HLEN, &v),
			 VTEP_DROP_NONE);
	/* A router's NA makes the answer carry R. */
	na_announce(e, 2, &mac_b, IP6_B, true);
	expect_snoop(&e->d, ARPC_SNOOP_REFRESHED, &b, &mac_b);
	ns_for_b(e, 1, &mac_a, IP6_A);
	expect_na_reply(&e->d, &mac_a, IP6_A, &mac_b, IP6_B, true);
	/* A miss is flooded. */
	{
		const struct nd_msg n = { ND_TYPE_NS, 0, 0, IP6_A, "ff02::1:ff00:c", IP6_C,
					  ND_OPT_SLLA, &mac_a };
		const struct vtep_mac sn_c = { { 0x33, 0x33, 0xff, 0, 0, 0x0c } };

		nd(e, 1, &sn_c, &mac_a, &n);
		expect_flood(&e->d, 1, true);
		expect_no_reply(&e->d);
	}
}

/* Learned only from its NS, a target's router status is unknown: answering
 * R=0 for a router would make hosts drop their routes, so it is flooded
 * until its own NA is seen. */
static void test_nd_router_unknown(void **state)
{
	struct env *e = *state;
	const struct nd_msg ns_from_b = { ND_TYPE_NS, 0, 0, IP6_B, "ff02::1:ff00:c", IP6_C,
					  ND_OPT_SLLA, &mac_b };
	const struct vtep_mac sn_c = { { 0x33, 0x33, 0xff, 0, 0, 0x0c } };

	nd(e, 2, &sn_c, &mac_b, &ns_from_b);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP6(IP6_B), &mac_b);
	assert_int_equal(cached(e, IP6(IP6_B))->flags, 0);
	ns_for_b(e, 1, &mac_a, IP6_A);
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	/* B's solicited answer to A (unicast, S and O, R) fixes that. */
	{
		const struct nd_msg na = { ND_TYPE_NA, ND_NA_FLAG_ROUTER | ND_NA_FLAG_SOLICITED |
					   ND_NA_FLAG_OVERRIDE, 0, IP6_B, IP6_A, IP6_B,
					   ND_OPT_TLLA, &mac_b };

		nd(e, 2, &mac_a, &mac_b, &na);
		expect_tap(&e->d, 1);
		expect_snoop(&e->d, ARPC_SNOOP_REFRESHED, IP6(IP6_B), &mac_b);
	}
	ns_for_b(e, 3, &mac_c, IP6_C);
	expect_na_reply(&e->d, &mac_c, IP6_C, &mac_b, IP6_B, true);
}

/* DAD (an NS from ::) is forwarded, never answered, and teaches nothing. */
static void test_nd_dad_forwarded(void **state)
{
	struct env *e = *state;
	const struct nd_msg dad = { ND_TYPE_NS, 0, 0, "::", SN_B, IP6_B, 0, NULL };

	na_announce(e, 2, &mac_b, IP6_B, false);
	nd(e, 1, &mac_sn_b, &mac_a, &dad);
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	nd(e, -1, &mac_sn_b, &mac_c, &dad);
	expect_flood(&e->d, -1, false);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	assert_int_equal(arpc_count(e->arpc, ARPC_TYPE_MAX), 1);
}

/* What an NA teaches: nothing without a target link-layer option; with
 * O=0 (proxy, anycast) it never replaces another MAC, but may add one. */
static void test_nd_na_rules(void **state)
{
	struct env *e = *state;
	const struct nd_msg bare = { ND_TYPE_NA, ND_NA_FLAG_OVERRIDE, 0, IP6_B, "ff02::1", IP6_B,
				     0, NULL };
	const struct nd_msg proxy_b = { ND_TYPE_NA, 0, 0, IP6_B, "ff02::1", IP6_B, ND_OPT_TLLA,
					&mac_c };
	const struct nd_msg proxy_c = { ND_TYPE_NA, 0, 0, IP6_C, "ff02::1", IP6_C, ND_OPT_TLLA,
					&mac_c };
	struct vtep_addr b = addr6(IP6_B);

	nd(e, 2, &mac_all_nodes, &mac_b, &bare);
	expect_flood(&e->d, 2, true);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	assert_null(cached(e, &b));
	na_announce(e, 2, &mac_b, IP6_B, false);
	nd(e, 3, &mac_all_nodes, &mac_c, &proxy_b);
	expect_flood(&e->d, 3, true);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	assert_true(vtep_mac_eq(&cached(e, &b)->mac, &mac_b));
	nd(e, 3, &mac_all_nodes, &mac_c, &proxy_c);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP6(IP6_C), &mac_c);
	/* O=1 moves it. */
	na_announce(e, 3, &mac_c, IP6_B, false);
	expect_snoop(&e->d, ARPC_SNOOP_MOVED, &b, &mac_c);
	assert_true(vtep_mac_eq(&e->d.snoop_old_mac, &mac_b));
}

/* A forged NA never changes a static entry, from a tap or the underlay. A
 * static IPv6 entry is answered once its owner's NA told its router flag. */
static void test_nd_static_not_poisoned(void **state)
{
	struct env *e = *state;
	struct vtep_addr b = addr6(IP6_B);

	assert_int_equal(arpc_add_static(e->arpc, 100, &b, &mac_b, 0), 0);
	ns_for_b(e, 1, &mac_a, IP6_A);
	expect_flood(&e->d, 1, true);                   /* router status unknown */
	expect_no_reply(&e->d);
	na_announce(e, 3, &mac_c, IP6_B, true);
	expect_flood(&e->d, 3, true);
	expect_snoop(&e->d, ARPC_SNOOP_STATIC, &b, &mac_c);
	assert_true(vtep_mac_eq(&e->d.snoop_old_mac, &mac_b));
	na_announce(e, -1, &mac_d, IP6_B, false);
	expect_snoop(&e->d, ARPC_SNOOP_STATIC, &b, &mac_d);
	assert_true(vtep_mac_eq(&cached(e, &b)->mac, &mac_b));
	assert_int_equal(cached(e, &b)->flags, 0);      /* forgeries set no flags */
	na_announce(e, 2, &mac_b, IP6_B, false);        /* the owner */
	expect_snoop(&e->d, ARPC_SNOOP_STATIC, &b, &mac_b);
	ns_for_b(e, 1, &mac_a, IP6_A);
	expect_na_reply(&e->d, &mac_a, IP6_A, &mac_b, IP6_B, false);
}

/* Not answered: a unicast NS, one with the wrong hop limit (not ND at
 * all), one to another group, one without SLLA, one from behind the
 * owner's own tap, and any with suppression off. */
static void test_nd_not_answered(void **state)
{
	struct env *e = *state;
	/* to the solicited-node group, but in a unicast Ethernet frame */
	const struct nd_msg ucast = { ND_TYPE_NS, 0, 0, IP6_A, SN_B, IP6_B, ND_OPT_SLLA, &mac_a };
	const struct nd_msg hop64 = { ND_TYPE_NS, 0, 64, IP6_A, SN_B, IP6_B, ND_OPT_SLLA, &mac_a };
	const struct nd_msg group = { ND_TYPE_NS, 0, 0, IP6_A, "ff02::1", IP6_B, ND_OPT_SLLA,
				      &mac_a };
	const struct nd_msg no_slla = { ND_TYPE_NS, 0, 0, IP6_A, SN_B, IP6_B, 0, NULL };

	na_announce(e, 2, &mac_b, IP6_B, false);
	nd(e, 1, &mac_b, &mac_a, &ucast);
	expect_tap(&e->d, 2);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP6(IP6_A), &mac_a);
	nd(e, 1, &mac_sn_b, &mac_a, &hop64);
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	nd(e, 1, &mac_all_nodes, &mac_a, &group);
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	nd(e, 1, &mac_sn_b, &mac_a, &no_slla);
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	ns_for_b(e, 2, &mac_d, "fd00:7::d");           /* D shares B's tap */
	expect_flood(&e->d, 2, true);
	expect_no_reply(&e->d);
	e->v.arp_suppress = false;
	ns_for_b(e, 1, &mac_a, IP6_A);
	expect_flood(&e->d, 1, true);
	expect_no_reply(&e->d);
	e->v.arp_suppress = true;
	ns_for_b(e, -1, &mac_c, IP6_C);                 /* from the underlay */
	expect_flood(&e->d, -1, false);
	expect_no_reply(&e->d);
	expect_snoop(&e->d, ARPC_SNOOP_NEW, IP6(IP6_C), &mac_c);
	ns_for_b(e, 1, &mac_a, IP6_A);                  /* and still answered here */
	expect_na_reply(&e->d, &mac_a, IP6_A, &mac_b, IP6_B, false);
}

/* Every length of an NS for a cached target, as an exact-size heap copy:
 * only the whole frame is snooped and answered. */
static void test_nd_truncated(void **state)
{
	struct env *e = *state;
	const struct nd_msg n = { ND_TYPE_NS, 0, 0, IP6_A, SN_B, IP6_B, ND_OPT_SLLA, &mac_a };
	uint8_t full[128];
	size_t len_full = nd_frame(full, &mac_sn_b, &mac_a, &n);

	na_announce(e, 2, &mac_b, IP6_B, false);
	for (size_t len = 0; len <= len_full; len++) {
		uint8_t *d = malloc(len + 1);
		uint8_t *p = d + 1;

		assert_non_null(d);
		memcpy(p, full, len);
		run(e, 1, p, len);
		assert_int_equal(e->d.reply_len != 0, len == len_full);
		assert_int_equal(e->d.snoop != ARPC_SNOOP_NONE, len == len_full);
		(void)arpc_del(e->arpc, 100, IP6(IP6_A));
		free(d);
	}
}

/* ------------------------------------------------------------------ */
/* Move damping and the BUM limit                                      */

static void frame_at(struct env *e, int tap, const struct vtep_addr *outer,
		     const struct vtep_mac *dst, const struct vtep_mac *src, uint64_t now)
{
	uint8_t buf[64];

	frame(buf, sizeof(buf), dst, src);
	if (tap >= 0)
		fwd_from_tap(e->fdb, e->arpc, &e->v, (uint16_t)tap, buf, sizeof(buf), now, &e->d);
	else
		fwd_from_underlay(e->fdb, e->arpc, &e->v, outer, buf, sizeof(buf), now, &e->d);
}

/* A MAC flapping between x and y: frozen at x after 2 moves; frames from
 * elsewhere (y, or a tap) are dropped, frames from x pass; after the hold
 * it moves again. */
static void test_move_frozen(void **state)
{
	struct env *e = *state;
	uint64_t t = NOW;

	assert_int_equal(fdb_set_damping(e->fdb, 2, 10000, 5000), 0);
	frame_at(e, -1, &e->x, &mac_bcast, &mac_c, t);
	assert_int_equal(e->d.learn, FDB_LEARN_NEW);
	frame_at(e, -1, &e->y, &mac_bcast, &mac_c, t += 100);
	assert_int_equal(e->d.learn, FDB_LEARN_MOVED);
	expect_flood(&e->d, -1, false);
	frame_at(e, -1, &e->x, &mac_bcast, &mac_c, t += 100);
	assert_int_equal(e->d.learn, FDB_LEARN_FROZE);  /* moved (and forwarded) */
	expect_flood(&e->d, -1, false);
	assert_int_equal(e->d.old.type, FDB_REMOTE);
	assert_true(vtep_addr_eq(&e->d.old.remote, &e->y));
	/* From y: dropped, not moved, no ARP snooped from it. */
	{
		uint8_t buf[64];

		fwd_from_underlay(e->fdb, e->arpc, &e->v, &e->y, buf,
				  arp_frame(buf, &mac_bcast, &mac_c, ARP_OP_REQUEST, ip7(3), ip7(3)),
				  t + 1, &e->d);
	}
	expect_drop(&e->d, VTEP_DROP_MOVE_FROZEN);
	assert_int_equal(e->d.learn, FDB_LEARN_FROZEN);
	assert_int_equal(e->d.snoop, ARPC_SNOOP_NONE);
	assert_null(cached(e, IP7(3)));
	/* From a tap: dropped as well. */
	frame_at(e, 1, NULL, &mac_bcast, &mac_c, t + 2);
	expect_drop(&e->d, VTEP_DROP_MOVE_FROZEN);
	assert_int_equal(e->d.learn, FDB_LEARN_FROZEN);
	/* Frames to the MAC go to x; frames from x pass. */
	frame_at(e, 1, NULL, &mac_c, &mac_a, t + 3);
	expect_remote(&e->d, &e->x);
	frame_at(e, -1, &e->x, &mac_a, &mac_c, t + 4);
	assert_int_equal(e->d.learn, FDB_LEARN_REFRESHED);
	expect_tap(&e->d, 1);
	/* Hold over: y takes it again. */
	frame_at(e, -1, &e->y, &mac_bcast, &mac_c, t + 5000);
	assert_int_equal(e->d.drop, VTEP_DROP_NONE);
	assert_int_equal(e->d.learn, FDB_LEARN_MOVED);
	/* Learning off: no damping effect at all. */
	e->v.learning = false;
	frame_at(e, -1, &e->x, &mac_bcast, &mac_c, t + 5001);
	assert_int_equal(e->d.drop, VTEP_DROP_NONE);
}

/* bum_rate 20 (burst 20): the 21st broadcast in one instant is dropped;
 * known unicast and suppressed ARP take no token and are never limited;
 * the bucket refills at 20/s; other taps have their own buckets. */
static void test_bum_limit(void **state)
{
	struct env *e = *state;
	struct rate_bucket b1, b2;
	unsigned int passed = 0, dropped = 0;

	memset(&b1, 0, sizeof(b1));
	memset(&b2, 0, sizeof(b2));
	e->v.bum_rate = 20;
	frame_at(e, 2, NULL, &mac_bcast, &mac_b, NOW);  /* B on tap 2 (no bucket) */
	announce(e, 2, &mac_b, ip7(2));                 /* B at .2 in the cache */
	for (int i = 0; i < 30; i++) {
		frame_at(e, 1, NULL, i % 3 ? &mac_bcast : &mac_d, &mac_a, NOW);
		fwd_limit_bum(&e->v, &b1, NOW, &e->d);
		if (e->d.drop == VTEP_DROP_BUM_RATE) {
			dropped++;
			assert_false(e->d.flood_taps);
			assert_false(e->d.flood_underlay);
			assert_false(e->d.is_bum);
			assert_int_equal(e->d.learn, FDB_LEARN_REFRESHED);
		} else {
			expect_flood(&e->d, 1, true);
			passed++;
		}
	}
	assert_int_equal(passed, 20);
	assert_int_equal(dropped, 10);
	/* Known unicast passes with the bucket empty. */
	frame_at(e, 1, NULL, &mac_b, &mac_a, NOW);
	fwd_limit_bum(&e->v, &b1, NOW, &e->d);
	expect_tap(&e->d, 2);
	/* So does a suppressed ARP request (answered, never flooded). */
	who_has(e, 1, &mac_a, ip7(1), ip7(2));
	fwd_limit_bum(&e->v, &b1, NOW, &e->d);
	expect_arp_reply(&e->d, &mac_a, ip7(1), &mac_b, ip7(2));
	/* A frame dropped for another reason stays so. */
	frame_at(e, 1, NULL, &mac_bcast, &mac_bcast, NOW);
	fwd_limit_bum(&e->v, &b1, NOW, &e->d);
	expect_drop(&e->d, VTEP_DROP_BAD_SRC_MAC);
	/* Another tap's bucket is full. */
	frame_at(e, 2, NULL, &mac_bcast, &mac_b, NOW);
	fwd_limit_bum(&e->v, &b2, NOW, &e->d);
	expect_flood(&e->d, 2, true);
	/* 50 ms at 20/s is one more packet. */
	frame_at(e, 1, NULL, &mac_bcast, &mac_a, NOW + 50);
	fwd_limit_bum(&e->v, &b1, NOW + 50, &e->d);
	expect_flood(&e->d, 1, true);
	frame_at(e, 1, NULL, &mac_bcast, &mac_a, NOW + 50);
	fwd_limit_bum(&e->v, &b1, NOW + 50, &e->d);
	expect_drop(&e->d, VTEP_DROP_BUM_RATE);
	/* bum_rate 0: no limit. */
	e->v.bum_rate = 0;
	frame_at(e, 1, NULL, &mac_bcast, &mac_a, NOW + 50);
	fwd_limit_bum(&e->v, &b1, NOW + 50, &e->d);
	expect_flood(&e->d, 1, true);
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
		T(test_arp_hit_answered),
		T(test_arp_unicast_request_forwarded),
		T(test_arp_gratuitous),
		T(test_arp_probe),
		T(test_arp_target_behind_asking_tap),
		T(test_arp_static_not_poisoned),
		T(test_arp_suppress_off),
		T(test_arp_underlay),
		T(test_arp_full),
		T(test_arp_vni_isolation),
		T(test_arp_tagged),
		T(test_arp_truncated),
		T(test_nd_hit_answered),
		T(test_nd_router_unknown),
		T(test_nd_dad_forwarded),
		T(test_nd_na_rules),
		T(test_nd_static_not_poisoned),
		T(test_nd_not_answered),
		T(test_nd_truncated),
		T(test_move_frozen),
		T(test_bum_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
