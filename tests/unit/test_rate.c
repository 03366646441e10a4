/* SPDX-License-Identifier: MIT */
/*
 * test_rate - the token bucket (proto/rate): a zeroed bucket starts full,
 * the burst, the steady rate with "now" advanced in steps as coarse or fine
 * as the clock, no refill from a clock going backwards, a rate lowered
 * under a full bucket, rate 0 (no limit) and extreme rates and gaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/rate.h"

/* Packets passed from n offered at `now`. */
static unsigned int offer(struct rate_bucket *b, uint32_t rate, uint64_t now, unsigned int n)
{
	unsigned int passed = 0;

	for (unsigned int i = 0; i < n; i++)
		passed += rate_take(b, rate, now);
	return passed;
}

static void test_burst(void **state)
{
	struct rate_bucket b;

	(void)state;
	assert_int_equal(rate_burst(0), 0);
	assert_int_equal(rate_burst(1), RATE_MIN_BURST);
	assert_int_equal(rate_burst(RATE_MIN_BURST), RATE_MIN_BURST);
	assert_int_equal(rate_burst(100), 100);
	assert_int_equal(rate_burst(UINT32_MAX), UINT32_MAX);
	memset(&b, 0, sizeof(b));
	assert_int_equal(offer(&b, 100, 5000, 1000), 100);
	memset(&b, 0, sizeof(b));
	assert_int_equal(offer(&b, 2, 0, 1000), RATE_MIN_BURST);  /* full at now = 0 too */
	memset(&b, 0, sizeof(b));
	assert_int_equal(offer(&b, 0, 1, 1000), 1000);             /* no limit */
	assert_false(b.used);
}

/* table: rate, clock step (ms), seconds run, passed after the burst */
struct steady_case {
	uint32_t rate;
	uint32_t step_ms;
	uint32_t seconds;
};

static void test_steady(void **state)
{
	static const struct steady_case cases[] = {
		{ 100, 1, 10 }, { 100, 4, 10 }, { 100, 10, 10 }, { 100, 250, 10 },
		{ 1, 4, 30 }, { 3, 7, 30 }, { 1000, 4, 5 }, { 12345, 1, 3 },
		{ 1000000, 4, 2 },
	};

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(cases); i++) {
		const struct steady_case *c = &cases[i];
		struct rate_bucket b;
		uint64_t now = 1000000, passed = 0;
		uint64_t steps = (uint64_t)c->seconds * 1000 / c->step_ms;
		uint64_t want = (uint64_t)c->rate * steps * c->step_ms / 1000;

		memset(&b, 0, sizeof(b));
		/* Empty the bucket first. */
		assert_int_equal(offer(&b, c->rate, now, rate_burst(c->rate) + 10),
				 rate_burst(c->rate));
		for (uint64_t s = 0; s < steps; s++) {
			now += c->step_ms;
			/* Offer more than can pass each step. */
			passed += offer(&b, c->rate, now, (unsigned int)VTEP_MIN(
					(uint64_t)c->rate * c->step_ms / 1000 + 3, 100000u));
		}
		if (passed + 1 < want || passed > want)
			fail_msg("case %zu: rate %u step %u: passed %llu, want %llu", i, c->rate,
				 c->step_ms, (unsigned long long)passed, (unsigned long long)want);
	}
}

static void test_refill_cap_and_clock(void **state)
{
	struct rate_bucket b;

	(void)state;
	memset(&b, 0, sizeof(b));
	assert_int_equal(offer(&b, 100, 1000, 200), 100);
	/* 10 ms = 1 packet at 100/s; 9 ms is not enough. */
	assert_int_equal(offer(&b, 100, 1009, 5), 0);
	assert_int_equal(offer(&b, 100, 1010, 5), 1);
	/* Backwards: nothing refilled, the later time stands. */
	assert_int_equal(offer(&b, 100, 500, 5), 0);
	assert_int_equal(offer(&b, 100, 1020, 5), 1);
	/* A long idle time refills only up to the burst. */
	assert_int_equal(offer(&b, 100, 1020 + 3600000, 1000), 100);
	/* An enormous gap and rate: no overflow. */
	assert_int_equal(offer(&b, UINT32_MAX, UINT64_MAX / 2, 10), 10);
	assert_int_equal(offer(&b, UINT32_MAX, UINT64_MAX - 1, 10), 10);
	/* The rate lowered (reload) under a full bucket: the new burst caps it. */
	memset(&b, 0, sizeof(b));
	assert_int_equal(offer(&b, 1000, 10, 1), 1);
	assert_int_equal(offer(&b, 20, 10, 1000), 20);
	assert_int_equal(offer(&b, 20, 60, 10), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_steady),
		cmocka_unit_test(test_refill_cap_and_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
