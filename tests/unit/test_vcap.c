/* SPDX-License-Identifier: MIT */
/*
 * test_vcap - the per-VNI caps table (proto/vcap) with allocation failing
 * on demand (calloc is wrapped at link time, see the Makefile): without a
 * reserve, the first cap fails cleanly; after vcaps_reserve no cap, uncap
 * or compaction allocates, through churn of three times the slots; at most
 * VTEP_MAX_VNIS VNIs capped at once; counts come from the owner once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../proto/vcap.h"

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static bool calloc_fails;
static unsigned int callocs;

void *__wrap_calloc(size_t n, size_t size)
{
	callocs++;
	return calloc_fails ? NULL : __real_calloc(n, size);
}

/* The owner's count: vni % 5 entries, and how often it was asked. */
static unsigned int counted;

static uint32_t count(const void *owner, uint32_t vni)
{
	(void)owner;
	counted++;
	return vni % 5;
}

static void test_no_memory(void **state)
{
	struct vcaps t = { 0 };

	(void)state;
	calloc_fails = true;
	assert_int_equal(vcaps_set_max(&t, 7, 3, count, NULL), -ENOMEM);
	assert_null(vcaps_find(&t, 7));
	assert_int_equal(vcaps_set_max(&t, 7, 0, count, NULL), 0);    /* nothing to lift */
	assert_int_equal(vcaps_reserve(&t), -ENOMEM);
	calloc_fails = false;
	assert_int_equal(vcaps_set_max(&t, 7, 3, count, NULL), 0);
	assert_non_null(vcaps_find(&t, 7));
	vcaps_free(&t);
}

static void test_reserved_churn(void **state)
{
	struct vcaps t = { 0 };
	unsigned int before;

	(void)state;
	calloc_fails = false;
	assert_int_equal(vcaps_reserve(&t), 0);
	before = callocs;
	calloc_fails = true;
	assert_int_equal(vcaps_reserve(&t), 0);         /* made already */
	counted = 0;
	/* Each VNI capped, then lifted: the slots fill with uncapped ones,
	 * which compactions drop, again and again. */
	for (uint32_t v = 0; v < 3 * VCAP_SLOTS; v++) {
		assert_int_equal(vcaps_set_max(&t, 100 + v, 1 + v % 9, count, NULL), 0);
		assert_int_equal(vcaps_find(&t, 100 + v)->n, (100 + v) % 5);
		if (v % 4 == 0)
			vcaps_note(&t, 100 + v, true);
		assert_int_equal(vcaps_set_max(&t, 100 + v, 0, count, NULL), 0);
	}
	assert_int_equal(counted, 3 * VCAP_SLOTS);
	/* VTEP_MAX_VNIS at once fit; one more does not, until one is lifted. */
	for (uint32_t v = 0; v < VTEP_MAX_VNIS; v++)
		assert_int_equal(vcaps_set_max(&t, 1u << 20 | v, 2, count, NULL), 0);
	assert_int_equal(vcaps_set_max(&t, 9, 2, count, NULL), -ENOSPC);
	assert_int_equal(vcaps_set_max(&t, 1u << 20, 0, count, NULL), 0);
	assert_int_equal(vcaps_set_max(&t, 9, 2, count, NULL), 0);
	/* The compactions kept every capped VNI with its count. */
	for (uint32_t v = 1; v < VTEP_MAX_VNIS; v++) {
		const struct vcap *c = vcaps_find(&t, 1u << 20 | v);

		assert_non_null(c);
		assert_int_equal(c->max, 2);
		assert_int_equal(c->n, (1u << 20 | v) % 5);
	}
	assert_int_equal(callocs, before);      /* not one allocation since the reserve */
	calloc_fails = false;
	vcaps_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_memory),
		cmocka_unit_test(test_reserved_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
