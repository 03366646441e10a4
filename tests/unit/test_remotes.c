/* SPDX-License-Identifier: MIT */
/*
 * test_remotes - traffic per remote VTEP (proto/remotes): counting each
 * way, IPv4 and IPv6 kept apart, an address whose unused union bytes differ
 * is the same remote, a full table counts the rest as untracked and every
 * datagram is counted once either way, and folding one table into another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/remotes.h"

static struct vtep_addr v4(uint32_t host_order)
{
	return vtep_addr_v4(htonl(host_order));
}

/* Slot of a in t, through remotes_at only (as the dump reads it). */
static bool find(const struct remotes *t, const struct vtep_addr *a, struct remote_stats *ret)
{
	struct vtep_addr got;

	for (size_t i = 0; i < REMOTES_CAP; i++)
		if (remotes_at(t, i, &got, ret) && vtep_addr_eq(&got, a))
			return true;
	return false;
}

static void test_counts(void **state)
{
	struct remotes *t = remotes_new(42);
	struct vtep_addr a = v4(0x0a000002), b = v4(0x0a000003);
	struct remote_stats st;

	(void)state;
	assert_non_null(t);
	assert_false(find(t, &a, &st));
	remotes_rx(t, &a, 3, 300, 1000);
	remotes_tx(t, &a, 2, 150);
	remotes_tx(t, &b, 1, 50);       /* sent to, never heard from */
	remotes_rx(t, &a, 1, 100, 2000);
	assert_true(find(t, &a, &st));
	assert_int_equal(st.rx_packets, 4);
	assert_int_equal(st.rx_bytes, 400);
	assert_int_equal(st.tx_packets, 2);
	assert_int_equal(st.tx_bytes, 150);
	assert_int_equal(st.last_rx_ms, 2000);
	assert_true(find(t, &b, &st));
	assert_int_equal(st.tx_packets, 1);
	assert_int_equal(st.rx_packets, 0);
	assert_int_equal(st.last_rx_ms, 0);
	assert_int_equal(t->n, 2);
	assert_int_equal(t->untracked, 0);
	assert_false(remotes_at(t, REMOTES_CAP, &a, &st));
	remotes_free(t);
}

static void test_families_and_union(void **state)
{
	struct remotes *t = remotes_new(7);
	struct vtep_addr a4 = v4(0x0a000002), a6, dirty;
	struct remote_stats st;

	(void)state;
	memset(&a6, 0, sizeof(a6));
	a6.family = AF_INET6;
	memcpy(a6.v6.s6_addr, "\x0a\x00\x00\x02", 4);  /* same first bytes as a4 */
	/* a4 again, with bytes past the IPv4 address that are not zero. */
	memset(&dirty, 0xa5, sizeof(dirty));
	dirty.family = AF_INET;
	dirty.v4 = a4.v4;
	remotes_rx(t, &a4, 1, 10, 5);
	remotes_rx(t, &a6, 1, 20, 6);
	remotes_rx(t, &dirty, 1, 30, 7);
	assert_int_equal(t->n, 2);
	assert_true(find(t, &a4, &st));
	assert_int_equal(st.rx_packets, 2);
	assert_int_equal(st.rx_bytes, 40);
	assert_true(find(t, &a6, &st));
	assert_int_equal(st.rx_bytes, 20);
	remotes_free(t);
}

/* More addresses than slots: each datagram counted once, tracked or not,
 * and the tracked ones still found and counted afterwards. */
static void test_full(void **state)
{
	struct remotes *t = remotes_new(1);
	const uint32_t n = REMOTES_CAP * 3;
	uint64_t tracked = 0;
	struct remote_stats st;
	struct vtep_addr a;

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		a = v4(0x0a000000 + i);
		remotes_tx(t, &a, 1, 1);
	}
	assert_true(t->n <= REMOTES_CAP);
	assert_true(t->n > REMOTES_CAP / 2);    /* bounded probes still fill most */
	assert_true(t->untracked > 0);
	for (size_t i = 0; i < REMOTES_CAP; i++)
		if (remotes_at(t, i, &a, &st))
			tracked += st.tx_packets;
	assert_int_equal(tracked + t->untracked, n);
	assert_int_equal(tracked, t->n);
	/* The first address got a slot; it counts on. */
	a = v4(0x0a000000);
	assert_true(find(t, &a, &st));
	remotes_tx(t, &a, 1, 1);
	assert_true(find(t, &a, &st));
	assert_int_equal(st.tx_packets, 2);
	remotes_free(t);
}

static void test_fold(void **state)
{
	struct remotes *into = remotes_new(3), *w = remotes_new(3);
	struct vtep_addr a = v4(0x0a000002), b = v4(0x0a000004);
	struct remote_stats st;

	(void)state;
	remotes_rx(into, &a, 1, 100, 500);
	remotes_rx(w, &a, 2, 200, 900);
	remotes_tx(w, &b, 4, 400);
	w->untracked = 5;
	remotes_fold(into, w);
	assert_true(find(into, &a, &st));
	assert_int_equal(st.rx_packets, 3);
	assert_int_equal(st.rx_bytes, 300);
	assert_int_equal(st.last_rx_ms, 900);
	assert_true(find(into, &b, &st));
	assert_int_equal(st.tx_packets, 4);
	assert_int_equal(into->untracked, 5);
	/* An older last_rx does not win. */
	remotes_rx(w, &a, 1, 1, 100);
	remotes_fold(into, w);
	assert_true(find(into, &a, &st));
	assert_int_equal(st.last_rx_ms, 900);
	remotes_free(into);
	remotes_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_families_and_union),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_fold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
