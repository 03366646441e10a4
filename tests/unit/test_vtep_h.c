/* SPDX-License-Identifier: MIT */
/*
 * test_vtep_h.c - the inline helpers of vtep.h: MAC parse/format and
 * predicates, address parse/format/compare and the unicast and multicast
 * predicates, prefixes (parse with strict host bits, contains), the name
 * tables. Links nothing but vtep.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../vtep.h"

/* Contract values (DESIGN.md): checked when this compiles. */
_Static_assert(VTEP_VNI_MAX == 16777215, "24-bit VNI");
_Static_assert(VTEP_PORT_DEFAULT == 4789, "IANA VXLAN port");

/* ------------------------------------------------------------------ */
/* MAC                                                                 */

struct mac_case {
	const char *in;
	const char *out;                /* canonical form, NULL = must fail */
};

static const struct mac_case mac_cases[] = {
	{ "52:54:00:12:34:56", "52:54:00:12:34:56" },
	{ "52:54:00:AB:cd:Ef", "52:54:00:ab:cd:ef" },
	{ "52-54-00-12-34-56", "52:54:00:12:34:56" },
	{ "ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff" },
	{ "00:00:00:00:00:00", "00:00:00:00:00:00" },
	{ "", NULL },
	{ "52:54:00:12:34", NULL },             /* five octets */
	{ "52:54:00:12:34:56:78", NULL },       /* seven */
	{ "52:54:00:12:34:56:", NULL },         /* trailing separator */
	{ "52:54:00:12:34:5", NULL },           /* short last octet */
	{ "5:54:00:12:34:56", NULL },           /* short first octet */
	{ "52:54-00:12:34:56", NULL },          /* mixed separators */
	{ "52::54:00:12:34:56", NULL },
	{ "52:54:00:12:34:5g", NULL },
	{ " 52:54:00:12:34:56", NULL },
	{ "52:54:00:12:34:56 ", NULL },
	{ "525400123456", NULL },               /* no separators */
	{ "52.54.00.12.34.56", NULL },
	{ "5254.0012.3456", NULL },             /* Cisco style is not accepted */
	{ "152:54:00:12:34:56", NULL },
};

static void mac_parse_format(void **state)
{
	char buf[VTEP_MAC_STRLEN];

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(mac_cases); i++) {
		const struct mac_case *c = &mac_cases[i];
		struct vtep_mac m;

		memset(&m, 0xa5, sizeof(m));
		if (!c->out) {
			if (vtep_mac_parse(c->in, &m) != -EINVAL)
				fail_msg("'%s' should not parse", c->in);
			/* Output written only on success. */
			for (int j = 0; j < 6; j++)
				assert_int_equal(m.b[j], 0xa5);
			continue;
		}
		if (vtep_mac_parse(c->in, &m) != 0)
			fail_msg("'%s' should parse", c->in);
		assert_string_equal(vtep_mac_fmt(&m, buf), c->out);
	}
	assert_int_equal(vtep_mac_parse(NULL, NULL), -EINVAL);
}

static void mac_predicates(void **state)
{
	struct vtep_mac bc, mc, uc, la, zero;

	(void)state;
	assert_int_equal(vtep_mac_parse("ff:ff:ff:ff:ff:ff", &bc), 0);
	assert_int_equal(vtep_mac_parse("01:00:5e:00:00:01", &mc), 0);
	assert_int_equal(vtep_mac_parse("52:54:00:12:34:56", &uc), 0);
	assert_int_equal(vtep_mac_parse("02:00:00:00:00:01", &la), 0);
	assert_int_equal(vtep_mac_parse("00:00:00:00:00:00", &zero), 0);

	assert_true(vtep_mac_is_broadcast(&bc));
	assert_true(vtep_mac_is_multicast(&bc));
	assert_false(vtep_mac_is_valid_unicast(&bc));

	assert_false(vtep_mac_is_broadcast(&mc));
	assert_true(vtep_mac_is_multicast(&mc));
	assert_false(vtep_mac_is_valid_unicast(&mc));

	assert_false(vtep_mac_is_multicast(&uc));
	assert_false(vtep_mac_is_zero(&uc));
	assert_true(vtep_mac_is_valid_unicast(&uc));
	assert_true(vtep_mac_is_valid_unicast(&la));     /* locally administered */

	assert_true(vtep_mac_is_zero(&zero));
	assert_false(vtep_mac_is_multicast(&zero));
	assert_false(vtep_mac_is_valid_unicast(&zero));

	assert_true(vtep_mac_eq(&uc, &uc));
	assert_false(vtep_mac_eq(&uc, &la));
}

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

struct addr_case {
	const char *in;
	int family;                     /* 0 = must fail */
	const char *out;
	bool multicast;
	bool unicast;
};

static const struct addr_case addr_cases[] = {
	{ "10.0.0.1", AF_INET, "10.0.0.1", false, true },
	{ "127.0.0.1", AF_INET, "127.0.0.1", false, true },
	{ "223.255.255.255", AF_INET, "223.255.255.255", false, true },
	{ "224.0.0.1", AF_INET, "224.0.0.1", true, false },
	{ "239.255.255.255", AF_INET, "239.255.255.255", true, false },
	{ "240.0.0.1", AF_INET, "240.0.0.1", false, false },      /* class E */
	{ "255.255.255.255", AF_INET, "255.255.255.255", false, false },
	{ "0.0.0.0", AF_INET, "0.0.0.0", false, false },
	{ "fe80::1", AF_INET6, "fe80::1", false, true },
	{ "FD00:0:0::02", AF_INET6, "fd00::2", false, true },
	{ "::ffff:10.0.0.1", AF_INET6, "::ffff:10.0.0.1", false, true },
	{ "ff02::1", AF_INET6, "ff02::1", true, false },
	{ "::", AF_INET6, "::", false, false },
	{ "", 0, NULL, false, false },
	{ "10.0.0", 0, NULL, false, false },
	{ "10.0.0.256", 0, NULL, false, false },
	{ "1.2.3.4.5", 0, NULL, false, false },
	{ "010.0.0.1", 0, NULL, false, false },
	{ "0x0a.0.0.1", 0, NULL, false, false },
	{ " 10.0.0.1", 0, NULL, false, false },
	{ "10.0.0.1 ", 0, NULL, false, false },
	{ "localhost", 0, NULL, false, false },
	{ "fe80::1%eth0", 0, NULL, false, false },
	{ "1::2::3", 0, NULL, false, false },
	{ "10.0.0.0/8", 0, NULL, false, false },
};

static void addr_parse_format(void **state)
{
	char buf[VTEP_ADDR_STRLEN];

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct vtep_addr a;

		memset(&a, 0xa5, sizeof(a));
		if (!c->family) {
			if (vtep_addr_parse(c->in, &a) != -EINVAL)
				fail_msg("'%s' should not parse", c->in);
			assert_int_equal(((uint8_t *)&a)[0], 0xa5);
			continue;
		}
		if (vtep_addr_parse(c->in, &a) != 0)
			fail_msg("'%s' should parse", c->in);
		assert_int_equal(a.family, c->family);
		assert_true(vtep_addr_is_set(&a));
		assert_string_equal(vtep_addr_fmt(&a, buf), c->out);
		if (vtep_addr_is_multicast(&a) != c->multicast)
			fail_msg("'%s': multicast should be %d", c->in, c->multicast);
		if (vtep_addr_is_unicast(&a) != c->unicast)
			fail_msg("'%s': unicast should be %d", c->in, c->unicast);
	}
	assert_int_equal(vtep_addr_parse(NULL, NULL), -EINVAL);
}

static void addr_compare(void **state)
{
	struct vtep_addr unset, a, b, six, v4;
	char buf[VTEP_ADDR_STRLEN];

	(void)state;
	memset(&unset, 0, sizeof(unset));
	assert_false(vtep_addr_is_set(&unset));
	assert_false(vtep_addr_is_unicast(&unset));
	assert_false(vtep_addr_is_multicast(&unset));
	assert_string_equal(vtep_addr_fmt(&unset, buf), "none");

	assert_int_equal(vtep_addr_parse("10.0.0.1", &a), 0);
	assert_int_equal(vtep_addr_parse("10.0.0.2", &b), 0);
	assert_int_equal(vtep_addr_parse("::ffff:10.0.0.1", &six), 0);
	assert_true(vtep_addr_eq(&a, &a));
	assert_false(vtep_addr_eq(&a, &b));
	assert_false(vtep_addr_eq(&a, &six));   /* mapped is not the same family */
	assert_false(vtep_addr_eq(&a, &unset));
	assert_true(vtep_addr_eq(&unset, &unset));

	v4 = vtep_addr_v4(htobe32(0x0a000001));
	assert_int_equal(v4.family, AF_INET);
	assert_true(vtep_addr_eq(&v4, &a));
	assert_string_equal(vtep_addr_fmt(&v4, buf), "10.0.0.1");
}

/* ------------------------------------------------------------------ */
/* Prefixes                                                            */

struct prefix_case {
	const char *in;
	const char *addr;               /* NULL = must fail */
	int len;
};

static const struct prefix_case prefix_cases[] = {
	{ "10.0.0.0/8", "10.0.0.0", 8 },
	{ "10.0.0.1", "10.0.0.1", 32 },         /* bare address: host prefix */
	{ "10.0.0.1/32", "10.0.0.1", 32 },
	{ "0.0.0.0/0", "0.0.0.0", 0 },
	{ "192.168.128.0/17", "192.168.128.0", 17 },
	{ "10.0.0.0/08", "10.0.0.0", 8 },       /* as strtoul, like iproute2 */
	{ "fd00::/8", "fd00::", 8 },
	{ "::/0", "::", 0 },
	{ "fd00::1/128", "fd00::1", 128 },
	{ "fd00::1", "fd00::1", 128 },
	{ "2001:db8::/33", "2001:db8::", 33 },
	{ "10.0.0.1/8", NULL, 0 },              /* host bits set */
	{ "10.0.0.0/0", NULL, 0 },
	{ "192.168.129.0/17", NULL, 0 },
	{ "fd00::1/64", NULL, 0 },
	{ "2001:db8:4000::/33", NULL, 0 },     /* bit 34 set */
	{ "2001:db8:8000::/33", "2001:db8:8000::", 33 },
	{ "10.0.0.0/33", NULL, 0 },
	{ "fd00::/129", NULL, 0 },
	{ "10.0.0.0/", NULL, 0 },
	{ "10.0.0.0/-1", NULL, 0 },
	{ "10.0.0.0/+8", NULL, 0 },
	{ "10.0.0.0/ 8", NULL, 0 },
	{ "10.0.0.0/8x", NULL, 0 },
	{ "10.0.0.0/8/8", NULL, 0 },
	{ "10.0.0.0/99999999999999999999999", NULL, 0 },
	{ "/8", NULL, 0 },
	{ "", NULL, 0 },
	{ "10.0.0/8", NULL, 0 },
	{ "1111:2222:3333:4444:5555:6666:7777:8888/128xxxxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL, 0 },
};

static void prefix_parse(void **state)
{
	char buf[VTEP_ADDR_STRLEN];

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(prefix_cases); i++) {
		const struct prefix_case *c = &prefix_cases[i];
		struct vtep_prefix p;

		memset(&p, 0xa5, sizeof(p));
		if (!c->addr) {
			if (vtep_prefix_parse(c->in, &p) != -EINVAL)
				fail_msg("'%s' should not parse", c->in);
			assert_int_equal(p.len, 0xa5);
			continue;
		}
		if (vtep_prefix_parse(c->in, &p) != 0)
			fail_msg("'%s' should parse", c->in);
		assert_string_equal(vtep_addr_fmt(&p.addr, buf), c->addr);
		assert_int_equal(p.len, c->len);
	}
	assert_int_equal(vtep_prefix_parse(NULL, NULL), -EINVAL);
}

struct contains_case {
	const char *prefix;
	const char *addr;
	bool in;
};

static const struct contains_case contains_cases[] = {
	{ "10.0.0.0/8", "10.0.0.0", true },
	{ "10.0.0.0/8", "10.255.255.255", true },
	{ "10.0.0.0/8", "11.0.0.0", false },
	{ "10.0.0.0/8", "9.255.255.255", false },
	{ "192.168.128.0/17", "192.168.255.1", true },
	{ "192.168.128.0/17", "192.168.127.1", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "0.0.0.0/0", "::1", false },          /* families never match */
	{ "10.0.0.1/32", "10.0.0.1", true },
	{ "10.0.0.1/32", "10.0.0.2", false },
	{ "::/0", "fe80::1", true },
	{ "::/0", "10.0.0.1", false },
	{ "fd00:1::/64", "fd00:1::abcd", true },
	{ "fd00:1::/64", "fd00:2::abcd", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
	{ "fd00::1", "fd00::1", true },
	{ "fd00::1", "fd00::2", false },
};

static void prefix_contains(void **state)
{
	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(contains_cases); i++) {
		const struct contains_case *c = &contains_cases[i];
		struct vtep_prefix p;
		struct vtep_addr a;

		assert_int_equal(vtep_prefix_parse(c->prefix, &p), 0);
		assert_int_equal(vtep_addr_parse(c->addr, &a), 0);
		if (vtep_prefix_contains(&p, &a) != c->in)
			fail_msg("%s contains %s should be %d", c->prefix, c->addr, c->in);
	}
}

/* ------------------------------------------------------------------ */
/* Name tables and small macros                                        */

static void names(void **state)
{
	(void)state;
	assert_string_equal(vtep_flood_name(VTEP_FLOOD_AUTO), "auto");
	assert_string_equal(vtep_flood_name(VTEP_FLOOD_MULTICAST), "multicast");
	assert_string_equal(vtep_flood_name(VTEP_FLOOD_UNICAST), "unicast");
	assert_string_equal(vtep_flood_name(VTEP_FLOOD_LOCAL), "local");
	assert_string_equal(vtep_flood_name(VTEP_FLOOD_MAX), "unknown");
	assert_string_equal(vtep_flood_name((enum vtep_flood)-1), "unknown");

	/* The dump contract (DESIGN.md 6) names. */
	assert_string_equal(vtep_drop_name(VTEP_DROP_MALFORMED), "malformed");
	assert_string_equal(vtep_drop_name(VTEP_DROP_BAD_FLAGS), "bad_flags");
	assert_string_equal(vtep_drop_name(VTEP_DROP_UNKNOWN_VNI), "unknown_vni");
	assert_string_equal(vtep_drop_name(VTEP_DROP_NOT_ALLOWED), "not_allowed");
	assert_string_equal(vtep_drop_name(VTEP_DROP_FDB_FULL), "fdb_full");
	assert_string_equal(vtep_drop_name(VTEP_DROP_LOOP), "loop");
	assert_string_equal(vtep_drop_name(VTEP_DROP_TOO_BIG), "too_big");
	assert_string_equal(vtep_drop_name(VTEP_DROP_MAX), "unknown");
	for (int d = 0; d < VTEP_DROP_MAX; d++) {
		const char *n = vtep_drop_name((enum vtep_drop)d);

		assert_non_null(n);
		assert_string_not_equal(n, "unknown");
		for (int e = 0; e < d; e++)
			assert_string_not_equal(n, vtep_drop_name((enum vtep_drop)e));
	}

	assert_int_equal(VTEP_MIN(3, 4), 3);
	assert_int_equal(VTEP_MAX(3, 4), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mac_parse_format),
		cmocka_unit_test(mac_predicates),
		cmocka_unit_test(addr_parse_format),
		cmocka_unit_test(addr_compare),
		cmocka_unit_test(prefix_parse),
		cmocka_unit_test(prefix_contains),
		cmocka_unit_test(names),
	};

	return cmocka_run_group_tests_name("vtep_h", tests, NULL, NULL);
}
