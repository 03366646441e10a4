/* SPDX-License-Identifier: MIT */
/*
 * fixture.h - frames from tests/data/NAME.hex for the unit tests: hex byte
 * pairs, whitespace and anything else that is not a hex digit ignored, '#'
 * to the end of a line a comment. The tests run from the repository root.
 */
#ifndef VTEP_TESTS_UNIT_FIXTURE_H
#define VTEP_TESTS_UNIT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "../../vtep.h"

/* Read fixture NAME into buf (max bytes at most, or the test fails);
 * returns the bytes read. An odd number of hex digits fails the test. */
static inline size_t load_hex(const char *name, uint8_t *buf, size_t max)
{
	char path[128];
	size_t n = 0;
	int hi = -1;
	FILE *f;
	int c;

	snprintf(path, sizeof(path), "tests/data/%s", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	while ((c = fgetc(f)) != EOF) {
		if (c == '#') {
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (vtep_hexval((char)c) < 0)
			continue;
		if (hi < 0) {
			hi = vtep_hexval((char)c);
			continue;
		}
		assert_true(n < max);
		buf[n++] = (uint8_t)(hi << 4 | vtep_hexval((char)c));
		hi = -1;
	}
	fclose(f);
	assert_int_equal(hi, -1);
	return n;
}

#endif /* VTEP_TESTS_UNIT_FIXTURE_H */
