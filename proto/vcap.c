/* SPDX-License-Identifier: MIT */
/*
 * proto/vcap.c - per-VNI caps on learned entries (see vcap.h).
 */
#include "vcap.h"

#include <stdlib.h>
#include <string.h>

static uint32_t first_slot(uint32_t vni)
{
	return (uint32_t)((vni * 0x9e3779b97f4a7c15ull) >> 32) & (VCAP_SLOTS - 1);
}

static uint32_t free_slot(const struct vcap *slot, uint32_t vni)
{
	uint32_t i = first_slot(vni);

	while (slot[i].vni1)
		i = (i + 1) & (VCAP_SLOTS - 1);
	return i;
}

struct vcap *vcaps_find(const struct vcaps *t, uint32_t vni)
{
	if (!t->slot)
		return NULL;
	for (uint32_t i = first_slot(vni); t->slot[i].vni1; i = (i + 1) & (VCAP_SLOTS - 1))
		if (t->slot[i].vni1 == vni + 1)
			return &t->slot[i];
	return NULL;
}

int vcaps_reserve(struct vcaps *t)
{
	if (!t->slot)
		t->slot = calloc(VCAP_SLOTS, sizeof(*t->slot));
	if (!t->spare)
		t->spare = calloc(VCAP_SLOTS, sizeof(*t->spare));
	return t->slot && t->spare ? 0 : -ENOMEM;
}

/* Keep only the capped slots, so that there is room again. */
static void compact(struct vcaps *t)
{
	struct vcap *old = t->slot, *slot = t->spare;

	memset(slot, 0, VCAP_SLOTS * sizeof(*slot));
	t->used = 0;
	for (uint32_t k = 0; k < VCAP_SLOTS; k++) {
		if (!old[k].vni1 || !old[k].max)
			continue;
		slot[free_slot(slot, old[k].vni1 - 1)] = old[k];
		t->used++;
	}
	t->spare = old;
	t->slot = slot;
}

int vcaps_set_max(struct vcaps *t, uint32_t vni, uint32_t max, vcaps_count_fn count,
		  const void *owner)
{
	struct vcap *c = vcaps_find(t, vni);
	uint32_t i;

	if (c || !max) {
		if (c)
			c->max = max;
		return 0;
	}
	if (vcaps_reserve(t) < 0)
		return -ENOMEM;
	if (t->used >= VCAP_SLOTS / 2)
		compact(t);
	if (t->used >= VCAP_SLOTS / 2)
		return -ENOSPC;
	i = free_slot(t->slot, vni);
	t->slot[i].vni1 = vni + 1;
	t->slot[i].max = max;
	t->slot[i].n = count(owner, vni);
	t->used++;
	return 0;
}

void vcaps_free(struct vcaps *t)
{
	free(t->slot);
	free(t->spare);
	t->slot = NULL;
	t->spare = NULL;
	t->used = 0;
}
