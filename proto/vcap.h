/* SPDX-License-Identifier: MIT */
/*
 * proto/vcap - caps of a VNI's own on the learned entries of a table that
 * every VNI shares (the FDB's maxaddress, the ARP/ND cache's arp_max in a
 * VNI entry), so that one segment's spray cannot fill what the others
 * need. A small open-addressing table of (VNI, cap, learned entries),
 * made by vcaps_reserve (or on first use): a VNI gets a slot when it is
 * first capped, its entries are counted from then on (counted once by the
 * owner's callback when the slot is made), and the slot stays, with cap 0
 * once uncapped, until a compaction drops the uncapped ones into a spare
 * table made with the first. At most VTEP_MAX_VNIS slots are in use, so
 * probes stay short. The owner serializes every call that changes it; the
 * table has no lock of its own.
 */
#ifndef VTEP_PROTO_VCAP_H
#define VTEP_PROTO_VCAP_H

#include "../vtep.h"

#define VCAP_SLOTS (2u * VTEP_MAX_VNIS)
_Static_assert((VCAP_SLOTS & (VCAP_SLOTS - 1)) == 0, "vcap slots: a power of two");

struct vcap {
	uint32_t vni1;                  /* VNI + 1; 0 = empty */
	uint32_t max;                   /* 0 = uncapped */
	uint32_t n;                     /* learned entries of the VNI */
};

struct vcaps {
	struct vcap *slot;              /* VCAP_SLOTS, or NULL: no VNI capped yet */
	struct vcap *spare;             /* VCAP_SLOTS, what a compaction fills */
	uint32_t used;                  /* slots in use */
};

/* The learned entries of vni in the owner's table. */
typedef uint32_t (*vcaps_count_fn)(const void *owner, uint32_t vni);

/* vni's slot, or NULL. */
struct vcap *vcaps_find(const struct vcaps *t, uint32_t vni);

/* Make the tables now, so that no vcaps_set_max allocates (a reload's
 * commit, which must not fail): 0 or -ENOMEM. */
int vcaps_reserve(struct vcaps *t);

/*
 * Cap vni at max learned entries (0: uncap). A new slot's count comes from
 * count(owner, vni). 0, -ENOMEM (never after vcaps_reserve), or -ENOSPC
 * with VTEP_MAX_VNIS VNIs capped.
 */
int vcaps_set_max(struct vcaps *t, uint32_t vni, uint32_t max, vcaps_count_fn count,
		  const void *owner);

void vcaps_free(struct vcaps *t);

/* A learned entry of vni comes (true) or goes (false). */
static inline void vcaps_note(struct vcaps *t, uint32_t vni, bool comes)
{
	struct vcap *c = t->slot ? vcaps_find(t, vni) : NULL;

	if (c)
		c->n = comes ? c->n + 1 : c->n - 1;
}

/* Whether vni may learn no more. */
static inline bool vcaps_full(const struct vcaps *t, uint32_t vni)
{
	const struct vcap *c = t->slot ? vcaps_find(t, vni) : NULL;

	return c && c->max && c->n >= c->max;
}

#endif
