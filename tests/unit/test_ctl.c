/* SPDX-License-Identifier: MIT */
/*
 * test_ctl - the control socket's requests (proto/ctl): a datagram splits
 * into words only when every word is NUL-ended and non-empty; flush
 * selectors parse, refuse bad values, repeats and the combinations one
 * table cannot take, and imply the tables; and, on a real FDB and ARP/ND
 * cache, each selector takes exactly its learned entries and never a
 * static one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/ctl.h"

static void test_split(void **state)
{
	const char *w[4];
	char ok[] = "flush\0vni\0" "100";       /* the literal's NUL ends "100" */
	char open_word[] = { 'f', 'l', 'u', 's', 'h' };
	char empty[] = "flush\0\0vni";
	char many[] = "a\0b\0c\0d\0e";

	(void)state;
	assert_int_equal(ctl_split(ok, sizeof(ok), w, 4), 3);
	assert_string_equal(w[0], "flush");
	assert_string_equal(w[1], "vni");
	assert_string_equal(w[2], "100");
	assert_int_equal(ctl_split(open_word, sizeof(open_word), w, 4), -1);
	assert_int_equal(ctl_split(empty, sizeof(empty), w, 4), -1);
	assert_int_equal(ctl_split(many, sizeof(many), w, 4), -1);
	assert_int_equal(ctl_split(ok, 0, w, 4), -1);
	assert_int_equal(ctl_split(ok, CTL_MAX_REQUEST + 1, w, 4), -1);
}

/* Parse a space-separated request; 0 or -EINVAL, with the reason in why. */
static int parse(const char *line, struct ctl_request *r, char *why, size_t whylen)
{
	char buf[256], *save = NULL;
	const char *w[CTL_MAX_WORDS];
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok_r(buf, " ", &save); t && n < CTL_MAX_WORDS;
	     t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	why[0] = '\0';
	return ctl_parse(w, n, r, why, whylen);
}

static void test_parse(void **state)
{
	struct ctl_request r;
	char why[256], d[256];

	(void)state;
	assert_int_equal(parse("flush", &r, why, sizeof(why)), 0);
	assert_true(r.fdb && r.arp);
	assert_string_equal(ctl_describe(&r, d, sizeof(d)), "all");

	assert_int_equal(parse("flush vni 100 mac 52:54:00:00:00:01", &r, why, sizeof(why)), 0);
	assert_true(r.fdb && r.arp && r.has_vni && r.has_mac);
	assert_int_equal(r.vni, 100);
	assert_string_equal(ctl_describe(&r, d, sizeof(d)), "vni 100 mac 52:54:00:00:00:01");

	/* A location means FDB only; an IP means ARP/ND only. */
	assert_int_equal(parse("flush remote 10.0.0.2", &r, why, sizeof(why)), 0);
	assert_true(r.fdb && !r.arp && r.has_remote);
	assert_int_equal(parse("flush tap vm1 vni 7", &r, why, sizeof(why)), 0);
	assert_true(r.fdb && !r.arp);
	assert_string_equal(r.tap, "vm1");
	assert_string_equal(ctl_describe(&r, d, sizeof(d)), "vni 7 tap vm1");
	assert_int_equal(parse("flush ip fd00::5", &r, why, sizeof(why)), 0);
	assert_true(!r.fdb && r.arp && r.has_ip);
	assert_string_equal(ctl_describe(&r, d, sizeof(d)), "ip fd00::5");
	/* Naming a table takes only it. */
	assert_int_equal(parse("flush fdb vni 1", &r, why, sizeof(why)), 0);
	assert_true(r.fdb && !r.arp);
	assert_int_equal(parse("flush arp", &r, why, sizeof(why)), 0);
	assert_true(!r.fdb && r.arp);
	assert_int_equal(parse("flush fdb arp", &r, why, sizeof(why)), 0);
	assert_true(r.fdb && r.arp);
	/* config: which file the daemon reloads from. */
	assert_int_equal(parse("config", &r, why, sizeof(why)), 0);
	assert_int_equal(r.cmd, CTL_CONFIG);
	assert_int_equal(parse("flush", &r, why, sizeof(why)), 0);
	assert_int_equal(r.cmd, CTL_FLUSH);
	assert_int_equal(parse("flush vni 16777215", &r, why, sizeof(why)), 0);
}

static void test_parse_refused(void **state)
{
	static const struct {
		const char *line;
		const char *why;        /* a part of the reason */
	} bad[] = {
		{ "", "unknown command" },
		{ "dump", "unknown command 'dump'" },
		{ "config now", "'config' takes no words ('now')" },
		{ "flush config", "unknown word 'config'" },
		{ "flush vni", "'vni' needs a value" },
		{ "flush vni 0", "not a number from 1 to 16777215" },
		{ "flush vni 16777216", "not a number" },
		{ "flush vni -1", "not a number" },
		{ "flush vni 1x", "not a number" },
		{ "flush vni 1 vni 2", "'vni' given twice" },
		{ "flush mac 52:54:00:00:00", "not a MAC address" },
		{ "flush remote 239.1.1.1", "not a unicast" },
		{ "flush remote foo", "not a unicast" },
		{ "flush ip 0.0.0.0", "not a unicast" },
		{ "flush tap 0123456789abcdef", "longer than 15" },
		{ "flush tap a tap b", "'tap' given twice" },
		{ "flush bogus", "unknown word 'bogus'" },
		{ "flush ip 10.1.1.1 remote 10.0.0.2", "have no 'remote' or 'tap'" },
		{ "flush fdb ip 10.1.1.1", "'fdb' leaves out" },
		{ "flush arp tap vm1", "'tap' selects FDB entries" },
		{ "flush arp remote 10.0.0.2", "'remote' selects FDB entries" },
	};
	struct ctl_request r;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(bad[i].line, &r, why, sizeof(why));

		if (ret != -EINVAL || !strstr(why, bad[i].why))
			fail_msg("'%s': got %d '%s', want -EINVAL '...%s...'", bad[i].line, ret,
				 why, bad[i].why);
	}
}

/* The daemon's tap_named, for a table where tap index 3 is named "t3". */
static bool tap_is_3(uint16_t tap, void *arg)
{
	const struct ctl_request *r = arg;

	return tap == 3 && strcmp(r->tap, "t3") == 0;
}

static bool fdb_pred(const struct fdb_entry *e, void *arg)
{
	return ctl_fdb_match(arg, e, tap_is_3, arg);
}

static bool arp_pred(const struct arpc_entry *e, void *arg)
{
	return ctl_arp_match(arg, e);
}

static struct vtep_mac mac(uint8_t last)
{
	struct vtep_mac m = { { 0x52, 0x54, 0x00, 0x00, 0x00, last } };

	return m;
}

/* A table of: VNI 100 local 01 (tap 3), 02 (tap 4), remote 03, 04 behind
 * 10.0.0.2 and 05 behind 10.0.0.3, static 06; VNI 200 local 01 (tap 3),
 * remote 03 behind 10.0.0.2. ARP/ND: VNI 100 .1 -> 01, .3 -> 03, fd00::3
 * -> 03, static .6 -> 06; VNI 200 .1 -> 01. */
static void fill(struct fdb **ret_fdb, struct arpc **ret_arpc)
{
	struct fdb *f = fdb_new(64, 8);
	struct arpc *a = arpc_new(64, 8);
	struct vtep_addr b = vtep_addr_v4(htonl(0x0a000002)), c = vtep_addr_v4(htonl(0x0a000003));
	struct vtep_mac m1 = mac(1), m2 = mac(2), m3 = mac(3), m4 = mac(4), m5 = mac(5), m6 = mac(6);
	struct vtep_addr ip;

	assert_non_null(f);
	assert_non_null(a);
	assert_int_equal(fdb_learn_local(f, 100, &m1, 3, 1, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_local(f, 100, &m2, 4, 1, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 100, &m3, &b, 1, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 100, &m4, &b, 1, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 100, &m5, &c, 1, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_add_static(f, 100, &m6, &c, 1), 0);
	assert_int_equal(fdb_learn_local(f, 200, &m1, 3, 1, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_remote(f, 200, &m3, &b, 1, NULL), FDB_LEARN_NEW);
	assert_int_equal(vtep_addr_parse("192.168.0.1", &ip), 0);
	assert_int_equal(arpc_snoop(a, 100, &ip, &m1, 1, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(arpc_snoop(a, 200, &ip, &m1, 1, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(vtep_addr_parse("192.168.0.3", &ip), 0);
	assert_int_equal(arpc_snoop(a, 100, &ip, &m3, 1, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(vtep_addr_parse("fd00::3", &ip), 0);
	assert_int_equal(arpc_snoop(a, 100, &ip, &m3, 1, NULL), ARPC_SNOOP_NEW);
	assert_int_equal(vtep_addr_parse("192.168.0.6", &ip), 0);
	assert_int_equal(arpc_add_static(a, 100, &ip, &m6, 1), 0);
	*ret_fdb = f;
	*ret_arpc = a;
}

static void test_select(void **state)
{
	static const struct {
		const char *line;
		size_t fdb, arp;        /* entries it takes from the filled tables */
	} cases[] = {
		{ "flush", 7, 4 },                              /* not the statics */
		{ "flush fdb", 7, 0 },
		{ "flush arp", 0, 4 },
		{ "flush vni 100", 5, 3 },
		{ "flush vni 200", 2, 1 },
		{ "flush vni 300", 0, 0 },
		{ "flush mac 52:54:00:00:00:03", 2, 2 },        /* both VNIs, v4 and v6 */
		{ "flush mac 52:54:00:00:00:06", 0, 0 },        /* static only */
		{ "flush vni 100 mac 52:54:00:00:00:03", 1, 2 },
		{ "flush remote 10.0.0.2", 3, 0 },
		{ "flush remote 10.0.0.3", 1, 0 },              /* not the static behind it */
		{ "flush vni 100 remote 10.0.0.2", 2, 0 },
		{ "flush tap t3", 2, 0 },                       /* tap index 3: both VNIs */
		{ "flush tap t3 vni 200", 1, 0 },
		{ "flush tap t4", 0, 0 },                       /* another name: nothing */
		{ "flush ip 192.168.0.1", 0, 2 },
		{ "flush ip fd00::3", 0, 1 },
		{ "flush ip 192.168.0.6", 0, 0 },               /* static */
		{ "flush vni 200 ip 192.168.0.1", 0, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fdb *f;
		struct arpc *a;
		struct ctl_request r;
		char why[256];
		size_t nf, na;

		fill(&f, &a);
		assert_int_equal(parse(cases[i].line, &r, why, sizeof(why)), 0);
		nf = fdb_flush_if(f, fdb_pred, &r);
		na = arpc_flush_if(a, arp_pred, &r);
		if (nf != cases[i].fdb || na != cases[i].arp)
			fail_msg("'%s': took %zu FDB and %zu ARP/ND entries, want %zu and %zu",
				 cases[i].line, nf, na, cases[i].fdb, cases[i].arp);
		/* The static entries are all still there. */
		assert_int_equal(fdb_count(f, FDB_STATIC), 1);
		assert_int_equal(arpc_count(a, ARPC_STATIC), 1);
		fdb_free(f);
		arpc_free(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_select),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
