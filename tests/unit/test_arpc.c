/* SPDX-License-Identifier: MIT */
/*
 * test_arpc - the ARP/ND suppression cache (proto/arpc): snoop, lookup,
 * refresh, move, static protection, the arp_max cap, ageing with "now"
 * advanced, flushes, foreach, IPv4 and IPv6 keys, VNI isolation, the
 * router flag, resizing on reload, and deletion under churn checked
 * against a model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/arpc.h"

#define AGE_MS 300000u

/* Pointers to keys made on the spot (compound literals). */
#define MACP(n) ((const struct vtep_mac[1]){ mac_n(n) })
#define IP4P(n) ((const struct vtep_addr[1]){ ip4_n(n) })
#define IP6P(n) ((const struct vtep_addr[1]){ ip6_n(n) })

/* A distinct locally administered unicast MAC for each n. */
static struct vtep_mac mac_n(uint32_t n)
{
	struct vtep_mac m = { { 0x02, 0x00, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
				 (uint8_t)(n >> 8), (uint8_t)n } };

	return m;
}

/* 10.x.y.z for n = x.y.z (n < 2^24, n != 0). */
static struct vtep_addr ip4_n(uint32_t n)
{
	return vtep_addr_v4(htobe32(0x0a000000u | (n & 0xffffff)));
}

/* fd00::n */
static struct vtep_addr ip6_n(uint32_t n)
{
	struct vtep_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET6;
	a.v6.s6_addr[0] = 0xfd;
	a.v6.s6_addr[12] = (uint8_t)(n >> 24);
	a.v6.s6_addr[13] = (uint8_t)(n >> 16);
	a.v6.s6_addr[14] = (uint8_t)(n >> 8);
	a.v6.s6_addr[15] = (uint8_t)n;
	return a;
}

static struct vtep_addr ip_parse(const char *s)
{
	struct vtep_addr a;

	assert_int_equal(vtep_addr_parse(s, &a), 0);
	return a;
}

static struct arpc *new_arpc(uint32_t max_snooped, uint32_t max_static)
{
	struct arpc *c = arpc_new(max_snooped, max_static);

	assert_non_null(c);
	return c;
}

static void test_snoop_lookup_refresh(void **state)
{
	const struct vtep_addr ips[] = { ip4_n(1), ip6_n(1) };
	struct arpc *c = new_arpc(16, 4);
	struct vtep_mac m = mac_n(1);

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(ips); i++) {
		const struct arpc_entry *e;
		struct vtep_mac old = mac_n(99);

		assert_null(arpc_lookup(c, 100, &ips[i]));
		assert_int_equal(arpc_snoop(c, 100, &ips[i], &m, 1000, &old), ARPC_SNOOP_NEW);
		assert_true(vtep_mac_eq(&old, MACP(99)));     /* only MOVED/STATIC write it */
		e = arpc_lookup(c, 100, &ips[i]);
		assert_non_null(e);
		assert_int_equal(e->vni, 100);
		assert_true(vtep_addr_eq(&e->ip, &ips[i]));
		assert_true(vtep_mac_eq(&e->mac, &m));
		assert_int_equal(e->type, ARPC_SNOOPED);
		assert_int_equal(e->flags, 0);
		assert_int_equal(e->seen_ms, 1000);
		assert_int_equal(arpc_snoop(c, 100, &ips[i], &m, 2000, NULL), ARPC_SNOOP_REFRESHED);
		assert_int_equal(e->seen_ms, 2000);     /* snooping does not move entries */
		/* Lookups are not announcements: they do not refresh. */
		for (int k = 0; k < 10; k++)
			(void)arpc_lookup(c, 100, &ips[i]);
		assert_int_equal(arpc_lookup(c, 100, &ips[i])->seen_ms, 2000);
	}
	assert_int_equal(arpc_count(c, ARPC_SNOOPED), 2);
	assert_int_equal(arpc_count(c, ARPC_STATIC), 0);
	assert_int_equal(arpc_count(c, ARPC_TYPE_MAX), 2);
	arpc_free(c);
	arpc_free(NULL);
}

static void test_move(void **state)
{
	struct arpc *c = new_arpc(16, 4);
	struct vtep_addr ip = ip6_n(7);
	struct vtep_mac a = mac_n(1);
	struct vtep_mac b = mac_n(2);
	struct vtep_mac old;

	(void)state;
	assert_int_equal(arpc_snoop(c, 100, &ip, &a, 1000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_set_router(c, 100, &ip, &a, true), 0);
	assert_int_equal(arpc_snoop(c, 100, &ip, &b, 2000, &old), ARPC_SNOOP_MOVED);
	assert_true(vtep_mac_eq(&old, &a));
	assert_true(vtep_mac_eq(&arpc_lookup(c, 100, &ip)->mac, &b));
	assert_int_equal(arpc_lookup(c, 100, &ip)->seen_ms, 2000);
	/* A new owner's router status is unknown. */
	assert_int_equal(arpc_lookup(c, 100, &ip)->flags, 0);
	/* NULL ret_old_mac is fine; moving back reports the other MAC. */
	assert_int_equal(arpc_snoop(c, 100, &ip, &a, 3000, NULL), ARPC_SNOOP_MOVED);
	assert_int_equal(arpc_snoop(c, 100, &ip, &b, 4000, &old), ARPC_SNOOP_MOVED);
	assert_true(vtep_mac_eq(&old, &a));
	assert_int_equal(arpc_count(c, ARPC_TYPE_MAX), 1);
	arpc_free(c);
}

static void test_router_flag(void **state)
{
	struct arpc *c = new_arpc(16, 4);
	struct vtep_addr ip = ip6_n(1);
	struct vtep_addr ip_s = ip6_n(2);
	struct vtep_mac a = mac_n(1);
	struct vtep_mac b = mac_n(2);

	(void)state;
	assert_int_equal(arpc_set_router(c, 100, &ip, &a, true), -ENOENT);
	assert_int_equal(arpc_snoop(c, 100, &ip, &a, 1000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_set_router(c, 100, &ip, &b, true), -ENOENT);  /* other MAC */
	assert_int_equal(arpc_lookup(c, 100, &ip)->flags, 0);
	assert_int_equal(arpc_set_router(c, 100, &ip, &a, true), 0);
	assert_int_equal(arpc_lookup(c, 100, &ip)->flags, ARPC_F_ROUTER_KNOWN | ARPC_F_ROUTER);
	assert_int_equal(arpc_set_router(c, 100, &ip, &a, false), 0);
	assert_int_equal(arpc_lookup(c, 100, &ip)->flags, ARPC_F_ROUTER_KNOWN);
	/* Refreshing keeps the flags; seen_ms is not touched by set_router. */
	assert_int_equal(arpc_snoop(c, 100, &ip, &a, 5000, NULL), ARPC_SNOOP_REFRESHED);
	assert_int_equal(arpc_lookup(c, 100, &ip)->flags, ARPC_F_ROUTER_KNOWN);
	assert_int_equal(arpc_set_router(c, 100, &ip, &a, true), 0);
	assert_int_equal(arpc_lookup(c, 100, &ip)->seen_ms, 5000);
	/* Static entries take the flag from their own MAC only. */
	assert_int_equal(arpc_add_static(c, 100, &ip_s, &a, 0), 0);
	assert_int_equal(arpc_set_router(c, 100, &ip_s, &b, true), -ENOENT);
	assert_int_equal(arpc_set_router(c, 100, &ip_s, &a, true), 0);
	assert_int_equal(arpc_lookup(c, 100, &ip_s)->flags, ARPC_F_ROUTER_KNOWN | ARPC_F_ROUTER);
	assert_true(vtep_mac_eq(&arpc_lookup(c, 100, &ip_s)->mac, &a));
	/* A static entry replacing a snooped one keeps flags only for the same MAC. */
	assert_int_equal(arpc_add_static(c, 100, &ip, &a, 0), 0);
	assert_int_equal(arpc_lookup(c, 100, &ip)->flags, ARPC_F_ROUTER_KNOWN | ARPC_F_ROUTER);
	assert_int_equal(arpc_del(c, 100, &ip), 0);
	assert_int_equal(arpc_snoop(c, 100, &ip, &a, 1000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_set_router(c, 100, &ip, &a, true), 0);
	assert_int_equal(arpc_add_static(c, 100, &ip, &b, 0), 0);
	assert_int_equal(arpc_lookup(c, 100, &ip)->flags, 0);
	arpc_free(c);
}

/* A forged announcement never changes a static entry. */
static void test_static_protected(void **state)
{
	struct arpc *c = new_arpc(16, 4);
	struct vtep_addr ip = ip4_n(2);
	struct vtep_mac good = mac_n(1);
	struct vtep_mac evil = mac_n(666);
	struct vtep_mac old;
	const struct arpc_entry *e;

	(void)state;
	assert_int_equal(arpc_add_static(c, 100, &ip, &good, 500), 0);
	e = arpc_lookup(c, 100, &ip);
	assert_non_null(e);
	assert_int_equal(e->type, ARPC_STATIC);
	assert_int_equal(e->seen_ms, 500);
	assert_int_equal(arpc_snoop(c, 100, &ip, &evil, 1000, &old), ARPC_SNOOP_STATIC);
	assert_true(vtep_mac_eq(&old, &good));
	assert_true(vtep_mac_eq(&e->mac, &good));
	assert_int_equal(e->seen_ms, 500);
	/* The owner announcing itself: STATIC too, and still untouched. */
	memset(&old, 0, sizeof(old));
	assert_int_equal(arpc_snoop(c, 100, &ip, &good, 2000, &old), ARPC_SNOOP_STATIC);
	assert_true(vtep_mac_eq(&old, &good));
	assert_int_equal(e->seen_ms, 500);
	assert_int_equal(arpc_add_static(c, 100, &ip, &evil, 0), -EEXIST);
	assert_true(vtep_mac_eq(&arpc_lookup(c, 100, &ip)->mac, &good));
	/* Never aged. */
	assert_int_equal(arpc_expire(c, 500 + 100ull * AGE_MS, AGE_MS, NULL, NULL), 0);
	assert_non_null(arpc_lookup(c, 100, &ip));
	assert_int_equal(arpc_count(c, ARPC_STATIC), 1);
	assert_int_equal(arpc_count(c, ARPC_SNOOPED), 0);
	arpc_free(c);
}

/* A static entry replaces a snooped one, which stops counting against the cap. */
static void test_static_replaces_snooped(void **state)
{
	struct arpc *c = new_arpc(1, 2);
	struct vtep_addr ip1 = ip4_n(1);
	struct vtep_addr ip2 = ip4_n(2);
	struct vtep_mac a = mac_n(1);
	struct vtep_mac b = mac_n(2);

	(void)state;
	assert_int_equal(arpc_snoop(c, 100, &ip1, &a, 1000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 100, &ip2, &a, 1000, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_add_static(c, 100, &ip1, &b, 2000), 0);
	assert_int_equal(arpc_lookup(c, 100, &ip1)->type, ARPC_STATIC);
	assert_true(vtep_mac_eq(&arpc_lookup(c, 100, &ip1)->mac, &b));
	assert_int_equal(arpc_lookup(c, 100, &ip1)->seen_ms, 2000);
	assert_int_equal(arpc_count(c, ARPC_SNOOPED), 0);
	assert_int_equal(arpc_count(c, ARPC_STATIC), 1);
	assert_int_equal(arpc_snoop(c, 100, &ip2, &a, 3000, NULL), ARPC_SNOOP_NEW);
	arpc_free(c);
}

struct key_case {
	const char *name;
	uint32_t vni;
	const char *ip;                 /* NULL: AF_UNSPEC */
	struct vtep_mac mac;
};

static const struct key_case bad_keys[] = {
	{ "0.0.0.0", 100, "0.0.0.0", { { 2, 0, 0, 0, 0, 1 } } },
	{ "255.255.255.255", 100, "255.255.255.255", { { 2, 0, 0, 0, 0, 1 } } },
	{ "IPv4 multicast", 100, "224.0.0.251", { { 2, 0, 0, 0, 0, 1 } } },
	{ "::", 100, "::", { { 2, 0, 0, 0, 0, 1 } } },
	{ "IPv6 multicast", 100, "ff02::1", { { 2, 0, 0, 0, 0, 1 } } },
	{ "solicited-node", 100, "ff02::1:ff00:2", { { 2, 0, 0, 0, 0, 1 } } },
	{ "no family", 100, NULL, { { 2, 0, 0, 0, 0, 1 } } },
	{ "zero MAC", 100, "10.0.0.1", { { 0 } } },
	{ "broadcast MAC", 100, "10.0.0.1", { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } } },
	{ "multicast MAC", 100, "fd00::1", { { 0x33, 0x33, 0xff, 0, 0, 1 } } },
	{ "VNI 2^24", 1u << 24, "10.0.0.1", { { 2, 0, 0, 0, 0, 1 } } },
};

static void test_invalid(void **state)
{
	struct arpc *c = new_arpc(16, 16);

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(bad_keys); i++) {
		const struct key_case *k = &bad_keys[i];
		struct vtep_addr ip;

		memset(&ip, 0, sizeof(ip));
		if (k->ip)
			ip = ip_parse(k->ip);
		if (arpc_snoop(c, k->vni, &ip, &k->mac, 1000, NULL) != ARPC_SNOOP_INVALID)
			fail_msg("snoop, case '%s'", k->name);
		if (arpc_add_static(c, k->vni, &ip, &k->mac, 0) != -EINVAL)
			fail_msg("static, case '%s'", k->name);
		assert_null(arpc_lookup(c, k->vni, &ip));
	}
	assert_int_equal(arpc_count(c, ARPC_TYPE_MAX), 0);
	/* The largest VNI and link-local / loopback addresses are fine. */
	{
		struct vtep_addr lo = ip_parse("127.0.0.1");

		assert_int_equal(arpc_snoop(c, VTEP_VNI_MAX, &lo, &bad_keys[0].mac, 0, NULL),
				 ARPC_SNOOP_NEW);
		assert_non_null(arpc_lookup(c, VTEP_VNI_MAX, &lo));
	}
	{
		struct vtep_addr ll = ip_parse("fe80::5054:ff:fe00:1");

		assert_int_equal(arpc_snoop(c, VTEP_VNI_MAX, &ll, &bad_keys[0].mac, 0, NULL),
				 ARPC_SNOOP_NEW);
	}
	arpc_free(c);
}

/* (vni, ip) is the key: the same IP in two VNIs, and an IPv4 address and an
 * IPv6 one with the same leading bytes, are separate entries. */
static void test_key_isolation(void **state)
{
	struct arpc *c = new_arpc(16, 4);
	struct vtep_addr v4 = ip_parse("10.0.0.1");
	struct vtep_addr v6 = ip_parse("a00:1::");      /* first 4 bytes 0a 00 00 01 */
	struct vtep_addr mapped = ip_parse("::ffff:10.0.0.1");
	struct vtep_mac a = mac_n(1);
	struct vtep_mac b = mac_n(2);
	struct vtep_mac d = mac_n(3);
	struct vtep_mac e = mac_n(4);

	(void)state;
	assert_int_equal(arpc_snoop(c, 100, &v4, &a, 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 200, &v4, &b, 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 100, &v6, &d, 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 100, &mapped, &e, 0, NULL), ARPC_SNOOP_NEW);
	assert_true(vtep_mac_eq(&arpc_lookup(c, 100, &v4)->mac, &a));
	assert_true(vtep_mac_eq(&arpc_lookup(c, 200, &v4)->mac, &b));
	assert_true(vtep_mac_eq(&arpc_lookup(c, 100, &v6)->mac, &d));
	assert_true(vtep_mac_eq(&arpc_lookup(c, 100, &mapped)->mac, &e));
	assert_null(arpc_lookup(c, 300, &v4));
	assert_null(arpc_lookup(c, 200, &v6));
	assert_int_equal(arpc_count(c, ARPC_TYPE_MAX), 4);
	/* Bytes past an IPv4 address do not matter, in lookups or in entries. */
	{
		struct vtep_addr junk = v4;

		memset(junk.v6.s6_addr + 4, 0xa5, 12);
		assert_true(vtep_mac_eq(&arpc_lookup(c, 100, &junk)->mac, &a));
		assert_int_equal(arpc_snoop(c, 100, &junk, &a, 1, NULL), ARPC_SNOOP_REFRESHED);
		junk.v4 = ip_parse("10.0.0.9").v4;
		assert_int_equal(arpc_snoop(c, 100, &junk, &a, 1, NULL), ARPC_SNOOP_NEW);
		assert_int_equal(arpc_lookup(c, 100, &junk)->ip.v6.s6_addr[4], 0);
	}
	arpc_free(c);
}

/* arp_max: refused and reported, existing entries keep working. */
static void test_cap(void **state)
{
	struct arpc *c = new_arpc(3, 1);
	struct vtep_mac m = mac_n(1);
	struct vtep_mac m2 = mac_n(2);

	(void)state;
	for (uint32_t n = 1; n <= 3; n++) {
		struct vtep_addr ip = n == 2 ? ip6_n(n) : ip4_n(n);

		assert_int_equal(arpc_snoop(c, 100, &ip, &m, 0, NULL), ARPC_SNOOP_NEW);
	}
	assert_int_equal(arpc_snoop(c, 100, IP4P(4), &m, 0, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_snoop(c, 100, IP6P(4), &m, 0, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_snoop(c, 101, IP4P(1), &m, 0, NULL), ARPC_SNOOP_FULL);
	assert_null(arpc_lookup(c, 100, IP4P(4)));
	/* Refresh and move still work when full. */
	assert_int_equal(arpc_snoop(c, 100, IP4P(1), &m, 10, NULL), ARPC_SNOOP_REFRESHED);
	assert_int_equal(arpc_snoop(c, 100, IP4P(1), &m2, 10, NULL), ARPC_SNOOP_MOVED);
	/* Static entries have their own cap. */
	assert_int_equal(arpc_add_static(c, 100, IP4P(9), &m, 0), 0);
	assert_int_equal(arpc_add_static(c, 100, IP4P(10), &m, 0), -ENOSPC);
	assert_int_equal(arpc_count(c, ARPC_SNOOPED), 3);
	assert_int_equal(arpc_count(c, ARPC_STATIC), 1);
	/* Deleting makes room. */
	assert_int_equal(arpc_del(c, 100, IP6P(2)), 0);
	assert_int_equal(arpc_del(c, 100, IP6P(2)), -ENOENT);
	assert_int_equal(arpc_snoop(c, 100, IP4P(4), &m, 0, NULL), ARPC_SNOOP_NEW);
	arpc_free(c);
}

/* A VNI's own cap (arp_max in a VNI entry): its snoops stop there, the
 * other VNIs' go on; IPv4 and IPv6 count alike; static entries, deletes,
 * ageing and flushes keep the count right. */
static void test_vni_max(void **state)
{
	struct arpc *c = new_arpc(100, 10);

	(void)state;
	assert_int_equal(arpc_set_vni_max(c, VTEP_VNI_MAX + 1, 3), -EINVAL);
	assert_int_equal(arpc_set_vni_max(c, 7, 0), 0);        /* nothing to lift */
	assert_int_equal(arpc_snoop(c, 1, IP4P(1), MACP(1), 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_set_vni_max(c, 1, 3), 0);        /* counts the one there */
	assert_int_equal(arpc_vni_snooped(c, 1), 1);
	assert_int_equal(arpc_snoop(c, 1, IP4P(2), MACP(2), 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 1, IP6P(3), MACP(3), 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 1, IP4P(4), MACP(4), 0, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_snoop(c, 1, IP6P(4), MACP(4), 0, NULL), ARPC_SNOOP_FULL);
	/* Other VNIs snoop on; the capped one still refreshes and moves. */
	assert_int_equal(arpc_snoop(c, 2, IP4P(4), MACP(4), 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 1, IP4P(2), MACP(2), 5, NULL), ARPC_SNOOP_REFRESHED);
	assert_int_equal(arpc_snoop(c, 1, IP4P(2), MACP(9), 5, NULL), ARPC_SNOOP_MOVED);
	assert_int_equal(arpc_vni_snooped(c, 1), 3);
	/* A static entry taking a snooped one's place frees its share. */
	assert_int_equal(arpc_add_static(c, 1, IP4P(2), MACP(2), 5), 0);
	assert_int_equal(arpc_vni_snooped(c, 1), 2);
	assert_int_equal(arpc_snoop(c, 1, IP4P(4), MACP(4), 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 1, IP4P(5), MACP(5), 0, NULL), ARPC_SNOOP_FULL);
	/* Deleting makes room; lowering evicts nothing; lifting lets in. */
	assert_int_equal(arpc_del(c, 1, IP4P(1)), 0);
	assert_int_equal(arpc_snoop(c, 1, IP4P(5), MACP(5), 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_set_vni_max(c, 1, 1), 0);
	assert_int_equal(arpc_vni_snooped(c, 1), 3);
	assert_int_equal(arpc_snoop(c, 1, IP4P(6), MACP(6), 0, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_set_vni_max(c, 1, 0), 0);
	assert_int_equal(arpc_snoop(c, 1, IP4P(6), MACP(6), 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_vni_snooped(c, 1), 4);
	/* Ageing and flushing give the share back. */
	assert_int_equal(arpc_set_vni_max(c, 1, 4), 0);
	/* The snooped ones were all seen at 0 (four in VNI 1, one in 2). */
	assert_int_equal(arpc_expire(c, 1003, 1000, NULL, NULL), 5);
	assert_int_equal(arpc_vni_snooped(c, 1), 0);
	assert_int_equal(arpc_flush_vni(c, 1), 1);     /* the static one */
	assert_int_equal(arpc_vni_snooped(c, 1), 0);
	for (uint32_t i = 10; i < 14; i++)
		assert_int_equal(arpc_snoop(c, 1, IP4P(i), MACP(i), 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 1, IP4P(14), MACP(14), 0, NULL), ARPC_SNOOP_FULL);
	arpc_free(c);
}

static void test_zero_caps(void **state)
{
	struct arpc *c = new_arpc(0, 0);

	(void)state;
	assert_int_equal(arpc_snoop(c, 1, IP4P(1), MACP(1), 0, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_add_static(c, 1, IP4P(1), MACP(1), 0), -ENOSPC);
	assert_null(arpc_lookup(c, 1, IP4P(1)));
	assert_int_equal(arpc_count(c, ARPC_TYPE_MAX), 0);
	arpc_free(c);
	assert_null(arpc_new(1u << 30, 1u << 30));      /* over the capacity limit */
}

struct aged {
	size_t n;
	uint32_t last_vni;
};

static void count_aged(const struct arpc_entry *e, void *arg)
{
	struct aged *a = arg;

	assert_int_equal(e->type, ARPC_SNOOPED);
	a->n++;
	a->last_vni = e->vni;
}

static void test_ageing(void **state)
{
	struct arpc *c = new_arpc(16, 4);
	struct vtep_mac m = mac_n(1);
	struct aged a = { 0, 0 };

	(void)state;
	assert_int_equal(arpc_snoop(c, 100, IP4P(1), &m, 1000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 100, IP6P(2), &m, 1000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 200, IP4P(3), &m, 5000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_add_static(c, 100, IP4P(4), &m, 0), 0);
	/* One ms short of the age: nothing goes. */
	assert_int_equal(arpc_expire(c, 1000 + AGE_MS - 1, AGE_MS, count_aged, &a), 0);
	/* Refresh one of the two old entries. */
	assert_int_equal(arpc_snoop(c, 100, IP6P(2), &m, 2000, NULL), ARPC_SNOOP_REFRESHED);
	assert_int_equal(arpc_expire(c, 1000 + AGE_MS, AGE_MS, count_aged, &a), 1);
	assert_int_equal(a.n, 1);
	assert_null(arpc_lookup(c, 100, IP4P(1)));
	assert_non_null(arpc_lookup(c, 100, IP6P(2)));
	assert_int_equal(arpc_expire(c, 5000 + AGE_MS, AGE_MS, count_aged, &a), 2);
	assert_int_equal(a.n, 3);
	assert_int_equal(arpc_count(c, ARPC_SNOOPED), 0);
	assert_non_null(arpc_lookup(c, 100, IP4P(4)));        /* static stays */
	/* An entry stamped in the future (clock went back) does not go. */
	assert_int_equal(arpc_snoop(c, 100, IP4P(1), &m, 900000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_expire(c, 1000, AGE_MS, NULL, NULL), 0);
	/* Shorter ageing on reload applies at once. */
	assert_int_equal(arpc_expire(c, 901000, 1000, NULL, NULL), 1);
	arpc_free(c);
}

static bool is_static(const struct arpc_entry *e, void *arg)
{
	(void)arg;
	return e->type == ARPC_STATIC;
}

static void test_flush(void **state)
{
	struct arpc *c = new_arpc(64, 8);
	struct vtep_mac m = mac_n(1);

	(void)state;
	for (uint32_t n = 1; n <= 20; n++) {
		assert_int_equal(arpc_snoop(c, 100 + n % 2, IP4P(n), &m, 0, NULL), ARPC_SNOOP_NEW);
		assert_int_equal(arpc_snoop(c, 100 + n % 2, IP6P(n), &m, 0, NULL), ARPC_SNOOP_NEW);
	}
	assert_int_equal(arpc_add_static(c, 100, IP4P(100), &m, 0), 0);
	assert_int_equal(arpc_add_static(c, 101, IP4P(100), &m, 0), 0);
	assert_int_equal(arpc_flush_vni(c, 101), 21);
	assert_int_equal(arpc_flush_vni(c, 101), 0);
	assert_int_equal(arpc_count(c, ARPC_TYPE_MAX), 21);
	for (uint32_t n = 1; n <= 20; n++) {
		bool here = n % 2 == 0;

		assert_int_equal(arpc_lookup(c, 100, IP4P(n)) != NULL, here);
		assert_int_equal(arpc_lookup(c, 100, IP6P(n)) != NULL, here);
	}
	assert_int_equal(arpc_flush_if(c, is_static, NULL), 1);
	assert_int_equal(arpc_count(c, ARPC_STATIC), 0);
	assert_int_equal(arpc_count(c, ARPC_SNOOPED), 20);
	arpc_free(c);
}

struct dump {
	size_t n;
	size_t v6;
	size_t statics;
	uint64_t seen_sum;
};

static void dump_cb(const struct arpc_entry *e, void *arg)
{
	struct dump *d = arg;

	d->n++;
	d->v6 += e->ip.family == AF_INET6;
	d->statics += e->type == ARPC_STATIC;
	d->seen_sum += e->seen_ms;
	assert_string_equal(arpc_type_name(e->type), e->type == ARPC_STATIC ? "static" : "snooped");
}

static void test_foreach_and_names(void **state)
{
	struct arpc *c = new_arpc(16, 4);
	struct vtep_mac m = mac_n(1);
	struct dump d = { 0, 0, 0, 0 };

	(void)state;
	arpc_foreach(c, dump_cb, &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(arpc_snoop(c, 100, IP4P(1), &m, 10, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 100, IP6P(1), &m, 20, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_add_static(c, 100, IP6P(2), &m, 30), 0);
	arpc_foreach(c, dump_cb, &d);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.v6, 2);
	assert_int_equal(d.statics, 1);
	assert_int_equal(d.seen_sum, 60);
	assert_string_equal(arpc_type_name(ARPC_TYPE_MAX), "unknown");
	assert_string_equal(arpc_snoop_name(ARPC_SNOOP_MOVED), "moved");
	assert_string_equal(arpc_snoop_name(ARPC_SNOOP_FULL), "full");
	assert_string_equal(arpc_snoop_name(ARPC_SNOOP_MAX), "unknown");
	arpc_free(c);
}

static void test_seed(void **state)
{
	struct arpc *c = new_arpc(16, 4);

	(void)state;
	assert_int_equal(arpc_set_seed(c, 0x0123456789abcdefull), 0);
	assert_int_equal(arpc_snoop(c, 100, IP4P(1), MACP(1), 0, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_set_seed(c, 42), -EBUSY);
	assert_non_null(arpc_lookup(c, 100, IP4P(1)));
	arpc_free(c);
}

/* Reload: growing keeps every entry findable; shrinking evicts nothing. */
static void test_resize(void **state)
{
	struct arpc *c = new_arpc(4, 1);
	struct vtep_mac m = mac_n(1);

	(void)state;
	for (uint32_t n = 1; n <= 4; n++)
		assert_int_equal(arpc_snoop(c, 100, IP6P(n), &m, n, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_add_static(c, 100, IP4P(1), &m, 0), 0);
	assert_int_equal(arpc_snoop(c, 100, IP6P(5), &m, 0, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_set_max_snooped(c, 1000), 0);
	assert_int_equal(arpc_set_max_static(c, 10), 0);
	for (uint32_t n = 1; n <= 4; n++)
		assert_int_equal(arpc_lookup(c, 100, IP6P(n))->seen_ms, n);
	assert_non_null(arpc_lookup(c, 100, IP4P(1)));
	for (uint32_t n = 5; n <= 1000; n++)
		assert_int_equal(arpc_snoop(c, 100, IP6P(n), &m, n, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_add_static(c, 100, IP4P(2), &m, 0), 0);
	assert_int_equal(arpc_set_max_snooped(c, 10), 0);
	assert_int_equal(arpc_set_max_static(c, 0), 0);
	assert_int_equal(arpc_count(c, ARPC_SNOOPED), 1000);
	assert_int_equal(arpc_snoop(c, 100, IP4P(5), &m, 0, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_add_static(c, 100, IP4P(3), &m, 0), -ENOSPC);
	assert_int_equal(arpc_snoop(c, 100, IP6P(500), &m, 7, NULL), ARPC_SNOOP_REFRESHED);
	/* Fitted to the lowered caps, what is there stays: the table keeps
	 * room for its entries, and the caps hold as before. */
	assert_int_equal(arpc_fit(c), 0);
	for (uint32_t n = 1; n <= 1000; n++)
		assert_int_equal(arpc_lookup(c, 100, IP6P(n))->seen_ms, n == 500 ? 7 : n);
	assert_non_null(arpc_lookup(c, 100, IP4P(1)));
	assert_non_null(arpc_lookup(c, 100, IP4P(2)));
	assert_int_equal(arpc_snoop(c, 100, IP4P(5), &m, 0, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_add_static(c, 100, IP4P(3), &m, 0), -ENOSPC);
	assert_int_equal(arpc_expire(c, 2000, 1, NULL, NULL), 1000);
	assert_int_equal(arpc_count(c, ARPC_TYPE_MAX), 2);
	/* Fitted again, to 10 snooped and the 2 statics: 10 fit, not 11. */
	assert_int_equal(arpc_fit(c), 0);
	assert_non_null(arpc_lookup(c, 100, IP4P(1)));
	for (uint32_t n = 1; n <= 10; n++)
		assert_int_equal(arpc_snoop(c, 100, IP6P(n), &m, 3000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(c, 100, IP6P(11), &m, 3000, NULL), ARPC_SNOOP_FULL);
	assert_int_equal(arpc_set_max_snooped(c, 11), 0);   /* grows again */
	assert_int_equal(arpc_snoop(c, 100, IP6P(11), &m, 3000, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_fit(c), 0);                   /* nothing to give back */
	for (uint32_t n = 1; n <= 11; n++)
		assert_non_null(arpc_lookup(c, 100, IP6P(n)));
	arpc_free(c);
}

/* ------------------------------------------------------------------ */
/* Churn against a model: every lookup agrees after random snoops,      */
/* deletes and expiries (exercises backward-shift deletion).           */

#define MODEL_KEYS 384

struct model {
	bool present[MODEL_KEYS];
	uint32_t mac[MODEL_KEYS];
	uint64_t seen[MODEL_KEYS];
};

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* Key k: VNI 1 or 2, IPv4 or IPv6. */
static void model_key(uint32_t k, uint32_t *vni, struct vtep_addr *ip)
{
	*vni = 1 + (k & 1);
	*ip = (k & 2) ? ip6_n(k + 1) : ip4_n(k + 1);
}

static void model_check(const struct arpc *c, const struct model *m)
{
	size_t n = 0;

	for (uint32_t k = 0; k < MODEL_KEYS; k++) {
		const struct arpc_entry *e;
		struct vtep_addr ip;
		uint32_t vni;

		model_key(k, &vni, &ip);
		e = arpc_lookup(c, vni, &ip);
		if (!m->present[k]) {
			assert_null(e);
			continue;
		}
		n++;
		assert_non_null(e);
		assert_true(vtep_mac_eq(&e->mac, MACP(m->mac[k])));
		assert_int_equal(e->seen_ms, m->seen[k]);
	}
	assert_int_equal(arpc_count(c, ARPC_TYPE_MAX), n);
}

static void model_step(struct arpc *c, struct model *m, uint64_t *s, uint64_t now)
{
	uint32_t k = rnd(s) % MODEL_KEYS;
	uint32_t op = rnd(s) % 8;
	struct vtep_addr ip;
	uint32_t vni;

	model_key(k, &vni, &ip);
	if (op < 5) {
		uint32_t mac = 1 + rnd(s) % 3;
		enum arpc_snoop r = arpc_snoop(c, vni, &ip, MACP(mac), now, NULL);

		if (m->present[k])
			assert_int_equal(r, m->mac[k] == mac ? ARPC_SNOOP_REFRESHED :
					 ARPC_SNOOP_MOVED);
		else
			assert_int_equal(r, ARPC_SNOOP_NEW);
		m->present[k] = true;
		m->mac[k] = mac;
		m->seen[k] = now;
	} else if (op < 7) {
		assert_int_equal(arpc_del(c, vni, &ip), m->present[k] ? 0 : -ENOENT);
		m->present[k] = false;
	} else {
		(void)arpc_expire(c, now, 40, NULL, NULL);
		for (uint32_t j = 0; j < MODEL_KEYS; j++)
			if (m->present[j] && now - m->seen[j] >= 40)
				m->present[j] = false;
	}
}

static void test_churn_model(void **state)
{
	struct arpc *c = new_arpc(MODEL_KEYS, 0);
	struct model *m = calloc(1, sizeof(*m));
	uint64_t s = 12345;

	(void)state;
	assert_non_null(m);
	assert_int_equal(arpc_set_seed(c, 7), 0);
	for (uint64_t now = 0; now < 4000; now++) {
		model_step(c, m, &s, now);
		if (now % 97 == 0)
			model_check(c, m);
	}
	model_check(c, m);
	free(m);
	arpc_free(c);
}

/* arp_max-sized caches: fill, find everything, age everything. */
static void test_scale(void **state)
{
	const uint32_t n = 200000;
	struct arpc *c = new_arpc(n, 0);

	(void)state;
	for (uint32_t i = 1; i <= n; i++) {
		struct vtep_addr ip = (i & 1) ? ip4_n(i) : ip6_n(i);

		assert_int_equal(arpc_snoop(c, i % 7, &ip, MACP(i), i, NULL), ARPC_SNOOP_NEW);
	}
	assert_int_equal(arpc_snoop(c, 0, IP4P(n + 1), MACP(1), 0, NULL), ARPC_SNOOP_FULL);
	for (uint32_t i = 1; i <= n; i++) {
		struct vtep_addr ip = (i & 1) ? ip4_n(i) : ip6_n(i);
		const struct arpc_entry *e = arpc_lookup(c, i % 7, &ip);

		assert_non_null(e);
		assert_true(vtep_mac_eq(&e->mac, MACP(i)));
	}
	assert_int_equal(arpc_expire(c, n + 1000, 1000, NULL, NULL), n);
	assert_int_equal(arpc_count(c, ARPC_TYPE_MAX), 0);
	arpc_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snoop_lookup_refresh),
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_router_flag),
		cmocka_unit_test(test_static_protected),
		cmocka_unit_test(test_static_replaces_snooped),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_key_isolation),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_zero_caps),
		cmocka_unit_test(test_ageing),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_foreach_and_names),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_vni_max),
		cmocka_unit_test(test_churn_model),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
