/* SPDX-License-Identifier: MIT */
/*
 * test_fdb - the forwarding database (proto/fdb): learn, lookup, refresh,
 * move, move damping (freeze after N moves in T, hold, thaw, 32-bit wrap),
 * static protection, the maxaddress cap and a VNI's own cap (also against
 * a model under random learns, moves, deletes, static adds, expiry,
 * flushes and cap changes on thousands of VNIs), ageing with "now" advanced,
 * flushes, deletion under collisions (checked against a model), foreach,
 * resizing on reload, and scale.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/fdb.h"

/* The 128-bytes-per-learned-MAC budget: 48-byte entry + 8-byte buckets at
 * most 4 per entry (see fdb.c). */
_Static_assert(sizeof(struct fdb_entry) <= 48, "fdb_entry grew");

#define AGE_MS 300000u

/* A distinct locally administered unicast MAC for each n. */
static struct vtep_mac mac_n(uint32_t n)
{
	struct vtep_mac m = { { 0x02, 0x00, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
				 (uint8_t)(n >> 8), (uint8_t)n } };

	return m;
}

static struct vtep_addr addr4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return vtep_addr_v4(htobe32((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d));
}

static struct fdb *new_fdb(uint32_t max_learned, uint32_t max_static)
{
	struct fdb *f = fdb_new(max_learned, max_static);

	assert_non_null(f);
	return f;
}

static void test_learn_lookup_refresh(void **state)
{
	struct fdb *f = new_fdb(16, 4);
	struct vtep_mac m = mac_n(1);
	struct vtep_addr r = addr4(10, 0, 0, 2);
	const struct fdb_entry *e;

	(void)state;
	assert_null(fdb_lookup(f, 100, &m));
	assert_int_equal(fdb_learn_local(f, 100, &m, 3, 1000, NULL), FDB_LEARN_NEW);
	e = fdb_lookup(f, 100, &m);
	assert_non_null(e);
	assert_int_equal(e->vni, 100);
	assert_true(vtep_mac_eq(&e->mac, &m));
	assert_int_equal(e->type, FDB_LOCAL);
	assert_int_equal(e->tap, 3);
	assert_false(vtep_addr_is_set(&e->remote));
	assert_int_equal(fdb_seen_ms(e), 1000);
	assert_int_equal(fdb_learn_local(f, 100, &m, 3, 2000, NULL), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_seen_ms(e), 2000);     /* learning does not move entries */
	/* Lookups are not traffic from the MAC: they do not refresh. */
	for (int i = 0; i < 10; i++)
		(void)fdb_lookup(f, 100, &m);
	assert_int_equal(fdb_seen_ms(fdb_lookup(f, 100, &m)), 2000);
	m = mac_n(2);
	assert_int_equal(fdb_learn_remote(f, 100, &m, &r, 3000, NULL), FDB_LEARN_NEW);
	e = fdb_lookup(f, 100, &m);
	assert_int_equal(e->type, FDB_REMOTE);
	assert_true(vtep_addr_eq(&e->remote, &r));
	assert_int_equal(fdb_learn_remote(f, 100, &m, &r, 4000, NULL), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_count(f, FDB_LOCAL), 1);
	assert_int_equal(fdb_count(f, FDB_REMOTE), 1);
	assert_int_equal(fdb_count(f, FDB_STATIC), 0);
	assert_int_equal(fdb_count(f, FDB_TYPE_MAX), 2);
	fdb_free(f);
	fdb_free(NULL);
}

static void test_move(void **state)
{
	struct fdb *f = new_fdb(16, 4);
	struct vtep_mac m = mac_n(7);
	struct vtep_addr a = addr4(10, 0, 0, 2);
	struct vtep_addr b = addr4(10, 0, 0, 3);
	struct fdb_loc old;

	(void)state;
	assert_int_equal(fdb_learn_local(f, 5, &m, 1, 10, &old), FDB_LEARN_NEW);
	/* tap 1 -> tap 2 */
	assert_int_equal(fdb_learn_local(f, 5, &m, 2, 20, &old), FDB_LEARN_MOVED);
	assert_int_equal(old.type, FDB_LOCAL);
	assert_int_equal(old.tap, 1);
	/* tap 2 -> VTEP a (the VM migrated away) */
	assert_int_equal(fdb_learn_remote(f, 5, &m, &a, 30, &old), FDB_LEARN_MOVED);
	assert_int_equal(old.type, FDB_LOCAL);
	assert_int_equal(old.tap, 2);
	assert_int_equal(fdb_lookup(f, 5, &m)->type, FDB_REMOTE);
	assert_int_equal(fdb_lookup(f, 5, &m)->tap, 0);
	assert_int_equal(fdb_count(f, FDB_LOCAL), 0);
	assert_int_equal(fdb_count(f, FDB_REMOTE), 1);
	/* VTEP a -> VTEP b */
	assert_int_equal(fdb_learn_remote(f, 5, &m, &b, 40, &old), FDB_LEARN_MOVED);
	assert_int_equal(old.type, FDB_REMOTE);
	assert_true(vtep_addr_eq(&old.remote, &a));
	assert_true(vtep_addr_eq(&fdb_lookup(f, 5, &m)->remote, &b));
	assert_int_equal(fdb_seen_ms(fdb_lookup(f, 5, &m)), 40);
	/* VTEP b -> tap 4 (migrated here); ret_old may be NULL */
	assert_int_equal(fdb_learn_local(f, 5, &m, 4, 50, NULL), FDB_LEARN_MOVED);
	assert_false(vtep_addr_is_set(&fdb_lookup(f, 5, &m)->remote));
	/* ret_old is written only on MOVED */
	memset(&old, 0x5a, sizeof(old));
	assert_int_equal(fdb_learn_local(f, 5, &m, 4, 60, &old), FDB_LEARN_REFRESHED);
	assert_int_equal(old.type, 0x5a);
	assert_int_equal(fdb_count(f, FDB_TYPE_MAX), 1);
	fdb_free(f);
}

/* Move damping: 5 moves within 180 s freeze the MAC where the 5th put it,
 * for 180 s; moves elsewhere are refused, the frozen location refreshes. */
static void test_damping(void **state)
{
	struct fdb *f = new_fdb(16, 4);
	struct vtep_mac m = mac_n(9);
	struct vtep_addr a = addr4(10, 0, 0, 2);
	struct vtep_addr b = addr4(10, 0, 0, 3);
	const struct fdb_entry *e;
	struct fdb_loc old;
	uint64_t t = 1000;

	(void)state;
	assert_int_equal(fdb_set_damping(f, 5, 180000, 180000), 0);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &a, t, NULL), FDB_LEARN_NEW);
	for (int i = 1; i <= 4; i++)
		assert_int_equal(fdb_learn_remote(f, 1, &m, i & 1 ? &b : &a, t += 1000, NULL),
				 FDB_LEARN_MOVED);
	e = fdb_lookup(f, 1, &m);
	assert_false(fdb_frozen(f, e, t));
	/* The 5th move happens and freezes the MAC at b. */
	memset(&old, 0, sizeof(old));
	assert_int_equal(fdb_learn_remote(f, 1, &m, &b, t += 1000, &old), FDB_LEARN_FROZE);
	assert_true(vtep_addr_eq(&old.remote, &a));
	assert_true(vtep_addr_eq(&e->remote, &b));
	assert_true(fdb_frozen(f, e, t));
	/* Refused elsewhere, with nothing changed (not even seen_ms). */
	memset(&old, 0x5a, sizeof(old));
	assert_int_equal(fdb_learn_remote(f, 1, &m, &a, t + 10, &old), FDB_LEARN_FROZEN);
	assert_int_equal(old.type, 0x5a);
	assert_int_equal(fdb_learn_local(f, 1, &m, 3, t + 20, NULL), FDB_LEARN_FROZEN);
	assert_true(vtep_addr_eq(&e->remote, &b));
	assert_int_equal(fdb_seen_ms(e), t);
	/* The frozen location refreshes. */
	assert_int_equal(fdb_learn_remote(f, 1, &m, &b, t + 30, NULL), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_seen_ms(e), t + 30);
	/* Still frozen 1 ms before the hold ends, thawed at the end. */
	assert_int_equal(fdb_learn_remote(f, 1, &m, &a, t + 179999, NULL), FDB_LEARN_FROZEN);
	assert_true(fdb_frozen(f, e, t + 179999));
	assert_false(fdb_frozen(f, e, t + 180000));
	assert_int_equal(fdb_learn_remote(f, 1, &m, &a, t + 180000, &old), FDB_LEARN_MOVED);
	assert_true(vtep_addr_eq(&old.remote, &b));
	assert_int_equal(e->moves, 1);          /* a new window */
	/* Other MACs are not affected. */
	m = mac_n(10);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &a, t, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &b, t, NULL), FDB_LEARN_MOVED);
	fdb_free(f);
}

/* Moves spread wider than the window never freeze; the window starts at
 * the first move after the previous one ran out. */
static void test_damping_window(void **state)
{
	struct fdb *f = new_fdb(16, 4);
	struct vtep_mac m = mac_n(9);
	uint64_t t = 5;

	(void)state;
	assert_int_equal(fdb_set_damping(f, 3, 10000, 60000), 0);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, t, NULL), FDB_LEARN_NEW);
	for (int i = 0; i < 20; i++)    /* 2 moves per 10 s window, never 3 */
		assert_int_equal(fdb_learn_local(f, 1, &m, (uint16_t)(2 + i % 2), t += 5000, NULL),
				 FDB_LEARN_MOVED);
	/* Three quick ones: moves 1 and 2 of a new window, then the 3rd freezes. */
	t += 20000;
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, t, NULL), FDB_LEARN_MOVED);
	assert_int_equal(fdb_learn_local(f, 1, &m, 2, t + 9000, NULL), FDB_LEARN_MOVED);
	assert_int_equal(fdb_learn_local(f, 1, &m, 3, t + 9999, NULL), FDB_LEARN_FROZE);
	assert_int_equal(fdb_lookup(f, 1, &m)->tap, 3);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, t + 12000, NULL), FDB_LEARN_FROZEN);
	/* limit 1: the first move freezes. */
	m = mac_n(11);
	assert_int_equal(fdb_set_damping(f, 1, 10000, 60000), 0);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, t, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_local(f, 1, &m, 2, t, NULL), FDB_LEARN_FROZE);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, t, NULL), FDB_LEARN_FROZEN);
	/* Turning damping off thaws everything at once. */
	assert_int_equal(fdb_set_damping(f, 0, 0, 0), 0);
	assert_false(fdb_frozen(f, fdb_lookup(f, 1, &m), t));
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, t, NULL), FDB_LEARN_MOVED);
	for (int i = 0; i < 100; i++)
		assert_int_equal(fdb_learn_local(f, 1, &m, (uint16_t)(i % 2 + 2), t, NULL),
				 FDB_LEARN_MOVED);
	/* Out of range. */
	assert_int_equal(fdb_set_damping(f, 65536, 1000, 1000), -EINVAL);
	assert_int_equal(fdb_set_damping(f, 5, 1ull << 31, 1000), -EINVAL);
	assert_int_equal(fdb_set_damping(f, 5, 1000, 1ull << 31), -EINVAL);
	assert_int_equal(fdb_set_damping(f, 1000, 604800000, 604800000), 0);
	fdb_free(f);
}

/* Damping times are 32-bit wrapping milliseconds: they stay exact across
 * the 2^32 boundary of a monotonic clock that has run for 49 days. A
 * static entry carries no damping state and is never frozen. */
static void test_damping_wrap_static(void **state)
{
	struct fdb *f = new_fdb(16, 4);
	struct vtep_mac m = mac_n(9);
	struct vtep_addr a = addr4(10, 0, 0, 2);
	struct vtep_addr b = addr4(10, 0, 0, 3);
	uint64_t t = (1ull << 32) - 1500;       /* the low 32 bits wrap mid-test */

	(void)state;
	assert_int_equal(fdb_set_damping(f, 2, 5000, 3000), 0);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &a, t, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &b, t + 1000, NULL), FDB_LEARN_MOVED);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &a, t + 2000, NULL), FDB_LEARN_FROZE);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &b, t + 4999, NULL), FDB_LEARN_FROZEN);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &b, t + 5000, NULL), FDB_LEARN_MOVED);
	/* A static entry replaces the frozen learned one: no damping state. */
	assert_int_equal(fdb_learn_remote(f, 1, &m, &a, t + 5001, NULL), FDB_LEARN_FROZE);
	assert_int_equal(fdb_add_static(f, 1, &m, &a, t + 5002), 0);
	assert_false(fdb_frozen(f, fdb_lookup(f, 1, &m), t + 5002));
	assert_int_equal(fdb_lookup(f, 1, &m)->moves, 0);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &b, t + 5003, NULL), FDB_LEARN_STATIC);
	/* Deleted and learned again: a fresh entry, no state. */
	assert_int_equal(fdb_del(f, 1, &m), 0);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &b, t + 5004, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &a, t + 5005, NULL), FDB_LEARN_MOVED);
	fdb_free(f);
}

struct invalid_case {
	const char *name;
	uint32_t vni;
	struct vtep_mac mac;
};

static void test_invalid(void **state)
{
	const struct invalid_case cases[] = {
		{ "broadcast", 1, { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } } },
		{ "multicast", 1, { { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } } },
		{ "ipv6 multicast", 1, { { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 } } },
		{ "zero", 1, { { 0 } } },
		{ "vni above 24 bits", VTEP_VNI_MAX + 1, { { 0x02, 0, 0, 0, 0, 1 } } },
	};
	struct vtep_addr r = addr4(10, 0, 0, 2);
	struct vtep_addr mc = addr4(239, 1, 1, 1);
	struct vtep_addr none = { .family = AF_UNSPEC };
	struct vtep_mac ok = mac_n(1);
	struct fdb *f = new_fdb(16, 4);

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(cases); i++) {
		const struct invalid_case *c = &cases[i];

		if (fdb_learn_local(f, c->vni, &c->mac, 1, 0, NULL) != FDB_LEARN_INVALID ||
		    fdb_learn_remote(f, c->vni, &c->mac, &r, 0, NULL) != FDB_LEARN_INVALID ||
		    fdb_add_static(f, c->vni, &c->mac, &r, 0) != -EINVAL)
			fail_msg("case '%s' accepted", c->name);
	}
	assert_int_equal(fdb_learn_remote(f, 1, &ok, &mc, 0, NULL), FDB_LEARN_INVALID);
	assert_int_equal(fdb_learn_remote(f, 1, &ok, &none, 0, NULL), FDB_LEARN_INVALID);
	assert_int_equal(fdb_add_static(f, 1, &ok, &mc, 0), -EINVAL);
	assert_int_equal(fdb_count(f, FDB_TYPE_MAX), 0);
	fdb_free(f);
}

static void test_static_protected(void **state)
{
	struct fdb *f = new_fdb(16, 2);
	struct vtep_mac m = mac_n(9);
	struct vtep_addr a = addr4(10, 0, 0, 2);
	struct vtep_addr b = addr4(10, 0, 0, 3);
	struct fdb_loc old = { .type = 0x77 };
	const struct fdb_entry *e;

	(void)state;
	assert_int_equal(fdb_add_static(f, 1, &m, &a, 100), 0);
	assert_int_equal(fdb_add_static(f, 1, &m, &b, 100), -EEXIST);
	/* Learning never moves or refreshes a static entry. */
	assert_int_equal(fdb_learn_remote(f, 1, &m, &b, 200, &old), FDB_LEARN_STATIC);
	assert_int_equal(fdb_learn_local(f, 1, &m, 3, 300, &old), FDB_LEARN_STATIC);
	assert_int_equal(old.type, 0x77);
	e = fdb_lookup(f, 1, &m);
	assert_int_equal(e->type, FDB_STATIC);
	assert_true(vtep_addr_eq(&e->remote, &a));
	assert_int_equal(fdb_seen_ms(e), 100);
	/* Never aged, however old. */
	assert_int_equal(fdb_expire(f, UINT64_MAX, AGE_MS, NULL, NULL), 0);
	assert_non_null(fdb_lookup(f, 1, &m));
	/* A static entry replaces a learned one, which stops counting as learned. */
	m = mac_n(10);
	assert_int_equal(fdb_learn_local(f, 1, &m, 3, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_count(f, FDB_LOCAL), 1);
	assert_int_equal(fdb_add_static(f, 1, &m, &b, 5), 0);
	assert_int_equal(fdb_count(f, FDB_LOCAL), 0);
	assert_int_equal(fdb_count(f, FDB_STATIC), 2);
	e = fdb_lookup(f, 1, &m);
	assert_int_equal(e->type, FDB_STATIC);
	assert_int_equal(e->tap, 0);
	assert_true(vtep_addr_eq(&e->remote, &b));
	/* max_static = 2 */
	m = mac_n(11);
	assert_int_equal(fdb_add_static(f, 1, &m, &b, 5), -ENOSPC);
	/* Statics do not eat into the learned budget. */
	for (uint32_t i = 0; i < 16; i++) {
		struct vtep_mac l = mac_n(100 + i);

		assert_int_equal(fdb_learn_remote(f, 1, &l, &a, 0, NULL), FDB_LEARN_NEW);
	}
	/* fdb_del removes any type; then the key may be re-added. */
	m = mac_n(9);
	assert_int_equal(fdb_del(f, 1, &m), 0);
	assert_int_equal(fdb_del(f, 1, &m), -ENOENT);
	assert_null(fdb_lookup(f, 1, &m));
	assert_int_equal(fdb_add_static(f, 1, &m, &a, 5), 0);
	fdb_free(f);
}

static void test_maxaddress(void **state)
{
	struct fdb *f = new_fdb(4, 1);
	struct vtep_addr r = addr4(10, 0, 0, 2);
	struct vtep_mac m;

	(void)state;
	for (uint32_t i = 0; i < 4; i++) {
		m = mac_n(i + 1);
		assert_int_equal(i % 2 ? fdb_learn_local(f, 1, &m, 1, 0, NULL) :
				 fdb_learn_remote(f, 2, &m, &r, 0, NULL), FDB_LEARN_NEW);
	}
	m = mac_n(5);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	assert_int_equal(fdb_learn_remote(f, 3, &m, &r, 0, NULL), FDB_LEARN_FULL);
	assert_null(fdb_lookup(f, 1, &m));
	/* Full: existing entries still refresh and move. */
	m = mac_n(2);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 9, NULL), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_learn_local(f, 1, &m, 2, 9, NULL), FDB_LEARN_MOVED);
	/* Static entries have their own budget. */
	m = mac_n(6);
	assert_int_equal(fdb_add_static(f, 1, &m, &r, 0), 0);
	/* Room again after a delete. */
	m = mac_n(1);
	assert_int_equal(fdb_del(f, 2, &m), 0);
	m = mac_n(5);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_count(f, FDB_TYPE_MAX), 5);
	fdb_free(f);
}

static void test_vni_max(void **state)
{
	struct fdb *f = new_fdb(100, 10);
	struct vtep_addr r = addr4(10, 0, 0, 2);
	struct vtep_mac m;

	(void)state;
	assert_int_equal(fdb_set_vni_max(f, VTEP_VNI_MAX + 1, 3), -EINVAL);
	assert_int_equal(fdb_set_vni_max(f, 7, 0), 0);         /* nothing to lift */
	assert_int_equal(fdb_set_vni_max(f, 1, 3), 0);
	for (uint32_t i = 0; i < 3; i++) {
		m = mac_n(i);
		assert_int_equal(i % 2 ? fdb_learn_local(f, 1, &m, 1, 0, NULL) :
				 fdb_learn_remote(f, 1, &m, &r, 0, NULL), FDB_LEARN_NEW);
	}
	assert_int_equal(fdb_vni_learned(f, 1), 3);
	m = mac_n(3);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &r, 0, NULL), FDB_LEARN_FULL);
	/* Other VNIs learn on; the capped one still refreshes and moves. */
	assert_int_equal(fdb_learn_local(f, 2, &m, 1, 0, NULL), FDB_LEARN_NEW);
	m = mac_n(1);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 5, NULL), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &r, 5, NULL), FDB_LEARN_MOVED);
	assert_int_equal(fdb_vni_learned(f, 1), 3);
	/* A static entry taking a learned one's place frees its share. */
	assert_int_equal(fdb_add_static(f, 1, &m, &r, 5), 0);
	assert_int_equal(fdb_vni_learned(f, 1), 2);
	m = mac_n(3);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_NEW);
	m = mac_n(4);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	/* Deleting makes room; lowering evicts nothing; lifting lets in. */
	m = mac_n(0);
	assert_int_equal(fdb_del(f, 1, &m), 0);
	m = mac_n(4);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_set_vni_max(f, 1, 1), 0);
	assert_int_equal(fdb_vni_learned(f, 1), 3);
	m = mac_n(5);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	assert_int_equal(fdb_set_vni_max(f, 1, 0), 0);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_NEW);
	/* A cap set on a VNI with entries counts them first. */
	for (uint32_t i = 10; i < 15; i++) {
		m = mac_n(i);
		assert_int_equal(fdb_learn_local(f, 3, &m, 1, 0, NULL), FDB_LEARN_NEW);
	}
	assert_int_equal(fdb_set_vni_max(f, 3, 5), 0);
	assert_int_equal(fdb_vni_learned(f, 3), 5);
	m = mac_n(15);
	assert_int_equal(fdb_learn_local(f, 3, &m, 1, 0, NULL), FDB_LEARN_FULL);
	/* Ageing and flushing give the share back. */
	assert_int_equal(fdb_flush_vni(f, 3), 5);
	assert_int_equal(fdb_vni_learned(f, 3), 0);
	assert_int_equal(fdb_learn_local(f, 3, &m, 1, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_expire(f, AGE_MS + 1, AGE_MS, NULL, NULL), 6);
	assert_int_equal(fdb_vni_learned(f, 3), 0);
	assert_int_equal(fdb_vni_learned(f, 1), 0);
	/* The global cap still holds over the VNI's. */
	assert_int_equal(fdb_set_max_learned(f, 2), 0);
	assert_int_equal(fdb_set_vni_max(f, 3, 50), 0);
	for (uint32_t i = 20; i < 23; i++) {
		m = mac_n(i);
		assert_int_equal(fdb_learn_local(f, 3, &m, 1, AGE_MS + 2, NULL),
				 i < 22 ? FDB_LEARN_NEW : FDB_LEARN_FULL);
	}
	fdb_free(f);
}

static uint64_t rng_next(uint64_t *s);

struct vni_tally {
	size_t n[4];
};

static void tally(const struct fdb_entry *e, void *arg)
{
	struct vni_tally *t = arg;

	if (e->type != FDB_STATIC && e->vni < 4)
		t->n[e->vni]++;
}

/* Random learns, moves, deletes, static adds, expiry, flushes and cap
 * changes in VNIs 1..3, with caps also set and lifted on thousands of
 * other VNIs (so the cap table is compacted): every VNI's count matches a
 * walk of the table, and a capped VNI never passes its cap by learning. */
static void test_vni_max_model(void **state)
{
	struct fdb *f = new_fdb(4096, 64);
	struct vtep_addr r = addr4(10, 0, 0, 3);
	uint32_t cap[4] = { 0, 0, 0, 0 };
	uint64_t rng = 42;

	(void)state;
	for (int step = 0; step < 20000; step++) {
		uint32_t vni = (uint32_t)(rng_next(&rng) % 3) + 1;
		struct vtep_mac m = mac_n((uint32_t)(rng_next(&rng) % 200));
		uint64_t now = (uint64_t)step * 100;
		struct vni_tally t;
		size_t before = fdb_vni_learned(f, vni);
		enum fdb_learn lr;

		switch (rng_next(&rng) % 16) {
		case 0:
			cap[vni] = (uint32_t)(rng_next(&rng) % 40);
			assert_int_equal(fdb_set_vni_max(f, vni, cap[vni]), 0);
			break;
		case 1:
			(void)fdb_del(f, vni, &m);
			break;
		case 2:
			(void)fdb_add_static(f, vni, &m, &r, now);
			break;
		case 3:
			if (rng_next(&rng) % 50 == 0)
				(void)fdb_flush_vni(f, vni);
			else
				(void)fdb_expire(f, now, 30000, NULL, NULL);
			break;
		case 4: {
			/* Churn: caps on other VNIs, set then lifted. */
			uint32_t other = 100 + (uint32_t)(rng_next(&rng) % 20000);

			assert_int_equal(fdb_set_vni_max(f, other, 7), 0);
			if (rng_next(&rng) % 4)
				assert_int_equal(fdb_set_vni_max(f, other, 0), 0);
			break;
		}
		default:
			lr = rng_next(&rng) % 2 ? fdb_learn_local(f, vni, &m, 1, now, NULL) :
			     fdb_learn_remote(f, vni, &m, &r, now, NULL);
			if (lr == FDB_LEARN_NEW && cap[vni])
				assert_true(before < cap[vni]);
			if (lr == FDB_LEARN_FULL)
				assert_true(cap[vni] && before >= cap[vni]);
			break;
		}
		memset(&t, 0, sizeof(t));
		fdb_foreach(f, tally, &t);
		for (uint32_t v = 1; v < 4; v++)
			if (fdb_vni_learned(f, v) != t.n[v])
				fail_msg("step %d: vni %u counted %zu, holds %zu", step, v,
					 fdb_vni_learned(f, v), t.n[v]);
	}
	fdb_free(f);
}

/* Caps on many VNIs: lifted ones make room again (compaction keeps the
 * capped ones, counts and all); more than VTEP_MAX_VNIS at once is refused
 * rather than looped on. */
static void test_vni_max_many(void **state)
{
	struct fdb *f = new_fdb(64, 0);
	struct vtep_mac m;

	(void)state;
	for (uint32_t i = 0; i < 3; i++) {
		m = mac_n(i);
		assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_NEW);
	}
	assert_int_equal(fdb_set_vni_max(f, 1, 3), 0);
	for (uint32_t v = 1000; v < 1000 + 5 * VTEP_MAX_VNIS; v++) {
		assert_int_equal(fdb_set_vni_max(f, v, 2), 0);
		assert_int_equal(fdb_set_vni_max(f, v, 0), 0);
	}
	m = mac_n(3);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	assert_int_equal(fdb_vni_learned(f, 1), 3);
	for (uint32_t v = 2; v <= VTEP_MAX_VNIS; v++)
		assert_int_equal(fdb_set_vni_max(f, v, 1), 0);
	assert_int_equal(fdb_set_vni_max(f, VTEP_MAX_VNIS + 1, 1), -ENOSPC);
	/* Lifting one makes room for another. */
	assert_int_equal(fdb_set_vni_max(f, 2, 0), 0);
	assert_int_equal(fdb_set_vni_max(f, VTEP_MAX_VNIS + 1, 1), 0);
	assert_int_equal(fdb_learn_local(f, VTEP_MAX_VNIS + 1, &m, 1, 0, NULL), FDB_LEARN_NEW);
	m = mac_n(4);
	assert_int_equal(fdb_learn_local(f, VTEP_MAX_VNIS + 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	assert_int_equal(fdb_learn_local(f, 2, &m, 1, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	fdb_free(f);
}

struct vni_count {
	size_t per_vni[4];
	size_t total;
};

static void count_aged(const struct fdb_entry *e, void *arg)
{
	struct vni_count *c = arg;

	assert_true(e->vni < 4);
	assert_true(e->type != FDB_STATIC);
	c->per_vni[e->vni]++;
	c->total++;
}

static void test_ageing(void **state)
{
	struct fdb *f = new_fdb(64, 4);
	struct vtep_addr r = addr4(10, 0, 0, 2);
	struct vtep_mac sent_to = mac_n(1);
	struct vtep_mac talker = mac_n(2);
	struct vtep_mac quiet = mac_n(3);
	struct vtep_mac stat = mac_n(4);
	struct vni_count c = { { 0 }, 0 };
	uint64_t now;

	(void)state;
	assert_int_equal(fdb_learn_local(f, 1, &sent_to, 1, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 2, &talker, &r, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 3, &quiet, &r, 50000, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_add_static(f, 1, &stat, &r, 0), 0);
	/* For ten minutes, traffic is sent TO sent_to (lookups) every second,
	 * while talker keeps sending: only talker stays fresh. */
	for (now = 1000; now <= 600000; now += 1000) {
		/* The lookups do not keep it: present until it ages at AGE_MS. */
		assert_int_equal(fdb_lookup(f, 1, &sent_to) != NULL, now <= AGE_MS);
		assert_int_equal(fdb_learn_remote(f, 2, &talker, &r, now, NULL),
				 FDB_LEARN_REFRESHED);
		(void)fdb_expire(f, now, AGE_MS, count_aged, &c);
		if (now == AGE_MS - 1000)
			assert_int_equal(c.total, 0);
		if (now == AGE_MS)      /* age == max_age: gone */
			assert_int_equal(c.per_vni[1], 1);
		if (now == 50000 + AGE_MS - 1000)
			assert_non_null(fdb_lookup(f, 3, &quiet));
	}
	assert_null(fdb_lookup(f, 1, &sent_to));
	assert_null(fdb_lookup(f, 3, &quiet));
	assert_non_null(fdb_lookup(f, 2, &talker));
	assert_non_null(fdb_lookup(f, 1, &stat));
	assert_int_equal(c.per_vni[1], 1);
	assert_int_equal(c.per_vni[2], 0);
	assert_int_equal(c.per_vni[3], 1);
	assert_int_equal(c.total, 2);
	/* A "now" before seen_ms (never expected) ages nothing. */
	assert_int_equal(fdb_expire(f, 0, AGE_MS, NULL, NULL), 0);
	/* Age 0 expires every learned entry, without a callback. */
	assert_int_equal(fdb_expire(f, now, 0, NULL, NULL), 1);
	assert_int_equal(fdb_count(f, FDB_TYPE_MAX), 1);
	fdb_free(f);
}

/* ------------------------------------------------------------------ */
/* Flushes                                                             */

static bool is_odd_mac(const struct fdb_entry *e, void *arg)
{
	(void)arg;
	return e->mac.b[5] & 1;
}

static void test_flush(void **state)
{
	struct fdb *f = new_fdb(256, 64);
	struct vtep_addr a = addr4(10, 0, 0, 2);
	struct vtep_addr b = addr4(10, 0, 0, 3);

	(void)state;
	/* VNI 1: 10 local on tap 1, 10 local on tap 2, 10 remote at a, 10 at b;
	 * VNI 2: the same MACs, all local on tap 1, plus 5 statics at a. */
	for (uint32_t i = 0; i < 40; i++) {
		struct vtep_mac m = mac_n(i);

		if (i < 20)
			assert_int_equal(fdb_learn_local(f, 1, &m, i < 10 ? 1 : 2, 0, NULL),
					 FDB_LEARN_NEW);
		else
			assert_int_equal(fdb_learn_remote(f, 1, &m, i < 30 ? &a : &b, 0, NULL),
					 FDB_LEARN_NEW);
		assert_int_equal(fdb_learn_local(f, 2, &m, 1, 0, NULL), FDB_LEARN_NEW);
	}
	for (uint32_t i = 0; i < 5; i++) {
		struct vtep_mac m = mac_n(1000 + i);

		assert_int_equal(fdb_add_static(f, 2, &m, &a, 0), 0);
	}
	assert_int_equal(fdb_count(f, FDB_TYPE_MAX), 85);
	assert_int_equal(fdb_flush_tap(f, 2), 10);
	assert_int_equal(fdb_flush_tap(f, 2), 0);
	assert_int_equal(fdb_flush_remote(f, &a), 10);  /* statics at a stay */
	assert_int_equal(fdb_count(f, FDB_STATIC), 5);
	assert_int_equal(fdb_count(f, FDB_REMOTE), 10);
	assert_int_equal(fdb_flush_tap(f, 1), 50);      /* both VNIs */
	assert_int_equal(fdb_count(f, FDB_LOCAL), 0);
	assert_int_equal(fdb_flush_vni(f, 2), 5);       /* statics of the VNI go too */
	assert_int_equal(fdb_count(f, FDB_STATIC), 0);
	assert_int_equal(fdb_flush_if(f, is_odd_mac, NULL), 5);
	assert_int_equal(fdb_flush_vni(f, 1), 5);
	assert_int_equal(fdb_count(f, FDB_TYPE_MAX), 0);
	for (uint32_t i = 0; i < 40; i++) {
		struct vtep_mac m = mac_n(i);

		assert_null(fdb_lookup(f, 1, &m));
		assert_null(fdb_lookup(f, 2, &m));
	}
	fdb_free(f);
}

static void test_vni_isolation(void **state)
{
	struct fdb *f = new_fdb(16, 4);
	struct vtep_mac m = mac_n(42);
	struct vtep_addr r = addr4(10, 0, 0, 9);

	(void)state;
	assert_int_equal(fdb_learn_local(f, 100, &m, 1, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 200, &m, &r, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_lookup(f, 100, &m)->type, FDB_LOCAL);
	assert_int_equal(fdb_lookup(f, 200, &m)->type, FDB_REMOTE);
	assert_null(fdb_lookup(f, 300, &m));
	/* A VNI differing only in its top byte is a different key. */
	assert_null(fdb_lookup(f, 100 | 0x10000, &m));
	assert_int_equal(fdb_del(f, 100, &m), 0);
	assert_non_null(fdb_lookup(f, 200, &m));
	fdb_free(f);
}

/* ------------------------------------------------------------------ */
/* Deletion against a model, foreach, seed, resize, scale              */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define MODEL_N 512

struct model {
	bool present[MODEL_N];
	uint16_t tap[MODEL_N];
};

/* Key k: VNI k % 3 + 1, MAC k / 3 (few VNIs, MACs shared across VNIs). */
static void model_check(const struct fdb *f, const struct model *m)
{
	size_t n = 0;

	for (uint32_t k = 0; k < MODEL_N; k++) {
		struct vtep_mac mac = mac_n(k / 3);
		const struct fdb_entry *e = fdb_lookup(f, k % 3 + 1, &mac);

		if (m->present[k] != (e != NULL))
			fail_msg("key %u: model says %d", k, m->present[k]);
		if (e) {
			assert_int_equal(e->tap, m->tap[k]);
			n++;
		}
	}
	assert_int_equal(fdb_count(f, FDB_TYPE_MAX), n);
}

/* Random learns and deletes on small, half-full-at-most indexes (so probe
 * runs collide and wrap around the end), checking every key after every
 * step. Capacity 8 means 16 buckets; 256 means 512. */
static void test_delete_model(void **state)
{
	static const uint32_t caps[] = { 1, 8, 8, 8, 8, 64, 256, 256 };

	for (uint64_t seed = 1; seed <= VTEP_ARRAY_SIZE(caps); seed++) {
		struct fdb *f = new_fdb(caps[seed - 1], 0);
		uint64_t rng = seed * 0x9e3779b97f4a7c15ull;
		struct model m;

		(void)state;
		memset(&m, 0, sizeof(m));
		assert_int_equal(fdb_set_seed(f, seed), 0);
		for (int step = 0; step < 3000; step++) {
			uint32_t k = (uint32_t)(rng_next(&rng) % MODEL_N);
			struct vtep_mac mac = mac_n(k / 3);
			uint16_t tap = (uint16_t)(rng_next(&rng) % 8);

			if (rng_next(&rng) % 3 == 0) {
				assert_int_equal(fdb_del(f, k % 3 + 1, &mac),
						 m.present[k] ? 0 : -ENOENT);
				m.present[k] = false;
			} else {
				enum fdb_learn r = fdb_learn_local(f, k % 3 + 1, &mac, tap, 0,
								   NULL);

				if (r == FDB_LEARN_FULL) {
					assert_false(m.present[k]);
					continue;
				}
				m.present[k] = true;
				m.tap[k] = tap;
			}
			model_check(f, &m);
		}
		fdb_free(f);
	}
}

struct seen_set {
	uint32_t visits[MODEL_N];
	size_t total;
};

static void record(const struct fdb_entry *e, void *arg)
{
	struct seen_set *s = arg;
	uint32_t k = ((uint32_t)e->mac.b[4] << 8 | e->mac.b[5]);

	assert_true(k < MODEL_N);
	s->visits[k]++;
	s->total++;
}

static void test_foreach(void **state)
{
	struct fdb *f = new_fdb(MODEL_N, 8);
	struct vtep_addr r = addr4(10, 0, 0, 2);
	struct seen_set s;

	(void)state;
	memset(&s, 0, sizeof(s));
	fdb_foreach(f, record, &s);
	assert_int_equal(s.total, 0);
	for (uint32_t k = 0; k < 300; k++) {
		struct vtep_mac m = mac_n(k);

		assert_int_equal(fdb_learn_local(f, 7, &m, 1, 0, NULL), FDB_LEARN_NEW);
	}
	for (uint32_t k = 300; k < 305; k++) {
		struct vtep_mac m = mac_n(k);

		assert_int_equal(fdb_add_static(f, 7, &m, &r, 0), 0);
	}
	for (uint32_t k = 0; k < 300; k += 2) {
		struct vtep_mac m = mac_n(k);

		assert_int_equal(fdb_del(f, 7, &m), 0);
	}
	fdb_foreach(f, record, &s);
	assert_int_equal(s.total, 155);
	for (uint32_t k = 0; k < MODEL_N; k++)
		assert_int_equal(s.visits[k], (k < 300 && k % 2) || (k >= 300 && k < 305));
	fdb_free(f);
}

static void test_seed(void **state)
{
	struct fdb *f = new_fdb(8, 0);
	struct vtep_mac m = mac_n(1);

	(void)state;
	assert_int_equal(fdb_set_seed(f, 0x0123456789abcdefull), 0);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_set_seed(f, 1), -EBUSY);
	assert_non_null(fdb_lookup(f, 1, &m));
	assert_int_equal(fdb_del(f, 1, &m), 0);
	assert_int_equal(fdb_set_seed(f, 1), 0);
	fdb_free(f);
}

static void test_resize(void **state)
{
	struct fdb *f = new_fdb(4, 1);
	struct vtep_addr r = addr4(10, 0, 0, 2);
	struct vtep_mac m;

	(void)state;
	for (uint32_t i = 0; i < 4; i++) {
		m = mac_n(i);
		assert_int_equal(fdb_learn_local(f, 1, &m, 1, i, NULL), FDB_LEARN_NEW);
	}
	m = mac_n(100000);
	assert_int_equal(fdb_add_static(f, 1, &m, &r, 0), 0);
	/* Grow past the allocation: everything survives, learning resumes. */
	assert_int_equal(fdb_set_max_learned(f, 1000), 0);
	assert_int_equal(fdb_set_max_static(f, 10), 0);
	for (uint32_t i = 0; i < 4; i++) {
		m = mac_n(i);
		assert_int_equal(fdb_seen_ms(fdb_lookup(f, 1, &m)), i);
	}
	for (uint32_t i = 4; i < 1000; i++) {
		m = mac_n(i);
		assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_NEW);
	}
	m = mac_n(100001);
	assert_int_equal(fdb_add_static(f, 1, &m, &r, 0), 0);
	/* Shrink below the count: nothing evicted, new learns refused. */
	assert_int_equal(fdb_set_max_learned(f, 10), 0);
	assert_int_equal(fdb_count(f, FDB_LOCAL), 1000);
	m = mac_n(5000);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	m = mac_n(7);
	assert_int_equal(fdb_learn_local(f, 1, &m, 2, 0, NULL), FDB_LEARN_MOVED);
	assert_int_equal(fdb_set_max_static(f, 1), 0);
	m = mac_n(100002);
	assert_int_equal(fdb_add_static(f, 1, &m, &r, 0), -ENOSPC);
	assert_int_equal(fdb_count(f, FDB_STATIC), 2);
	/* Back up within the allocation. */
	assert_int_equal(fdb_set_max_learned(f, 1001), 0);
	m = mac_n(5000);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_NEW);
	/* Fitted to lower caps, what is there stays and the caps hold. */
	assert_int_equal(fdb_set_max_learned(f, 20), 0);
	assert_int_equal(fdb_fit(f), 0);
	for (uint32_t i = 0; i < 1000; i++) {
		m = mac_n(i);
		assert_non_null(fdb_lookup(f, 1, &m));
	}
	m = mac_n(100001);
	assert_int_equal(fdb_lookup(f, 1, &m)->type, FDB_STATIC);
	assert_int_equal(fdb_count(f, FDB_LOCAL), 1001);
	m = mac_n(5001);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	assert_int_equal(fdb_expire(f, 1000000, 1, NULL, NULL), 1001);
	assert_int_equal(fdb_fit(f), 0);     /* to 20 learned and the 2 statics */
	for (uint32_t i = 0; i < 20; i++) {
		m = mac_n(200000 + i);
		assert_int_equal(fdb_learn_remote(f, 1, &m, &r, 1000000, NULL), FDB_LEARN_NEW);
	}
	m = mac_n(200020);
	assert_int_equal(fdb_learn_remote(f, 1, &m, &r, 1000000, NULL), FDB_LEARN_FULL);
	m = mac_n(100000);
	assert_int_equal(fdb_lookup(f, 1, &m)->type, FDB_STATIC);
	for (uint32_t i = 0; i < 20; i++) {
		m = mac_n(200000 + i);
		assert_true(vtep_addr_eq(&fdb_lookup(f, 1, &m)->remote, &r));
	}
	fdb_free(f);
}

static void test_sizes(void **state)
{
	struct vtep_addr r = addr4(10, 0, 0, 2);
	struct vtep_mac m = mac_n(1);
	struct fdb *f;

	(void)state;
	assert_null(fdb_new(UINT32_MAX, UINT32_MAX));
	f = new_fdb(0, 0);
	assert_int_equal(fdb_learn_local(f, 1, &m, 1, 0, NULL), FDB_LEARN_FULL);
	assert_int_equal(fdb_add_static(f, 1, &m, &r, 0), -ENOSPC);
	assert_null(fdb_lookup(f, 1, &m));
	fdb_free(f);
}

/* One million learned MACs: all NEW, all found, all aged, and the model
 * check that nothing else was found. */
static void test_scale(void **state)
{
	enum { N = 1 << 20 };
	struct fdb *f = new_fdb(N, 0);
	struct vtep_mac m;

	(void)state;
	assert_int_equal(fdb_set_seed(f, 42), 0);
	for (uint32_t i = 0; i < N; i++) {
		m = mac_n(i);
		if (fdb_learn_local(f, i & 0xff, &m, (uint16_t)i, i, NULL) != FDB_LEARN_NEW)
			fail_msg("learn %u", i);
	}
	m = mac_n(N);
	assert_int_equal(fdb_learn_local(f, 0, &m, 0, 0, NULL), FDB_LEARN_FULL);
	for (uint32_t i = 0; i < N; i++) {
		const struct fdb_entry *e;

		m = mac_n(i);
		e = fdb_lookup(f, i & 0xff, &m);
		if (!e || e->tap != (uint16_t)i || fdb_lookup(f, (i + 1) & 0xff, &m))
			fail_msg("lookup %u", i);
	}
	assert_int_equal(fdb_expire(f, N / 2 + AGE_MS, AGE_MS, NULL, NULL), N / 2 + 1);
	assert_int_equal(fdb_expire(f, N + AGE_MS, AGE_MS, NULL, NULL), N / 2 - 1);
	assert_int_equal(fdb_count(f, FDB_TYPE_MAX), 0);
	fdb_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_lookup_refresh),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_damping),
		cmocka_unit_test(test_damping_window),
		cmocka_unit_test(test_damping_wrap_static),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_static_protected),
		cmocka_unit_test(test_maxaddress),
		cmocka_unit_test(test_vni_max),
		cmocka_unit_test(test_vni_max_model),
		cmocka_unit_test(test_vni_max_many),
		cmocka_unit_test(test_ageing),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_vni_isolation),
		cmocka_unit_test(test_delete_model),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
