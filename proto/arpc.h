/* SPDX-License-Identifier: MIT */
/*
 * proto/arpc - the ARP/ND suppression cache: (VNI, IPv4 or IPv6 address) ->
 * the MAC that owns it. Filled by snooping the sender of ARP requests,
 * replies and gratuitous ARP, and of IPv6 Neighbor Solicitations and
 * Advertisements (fwd does the snooping), plus static entries from the
 * configuration. Snooped entries are capped (arp_max) and aged on the time
 * the binding was last SNOOPED (answering from the cache does not refresh
 * it, so an owner that falls silent ages out and the next request is
 * flooded again); static entries are never aged, moved or evicted, and
 * snooping never overwrites them. Capacity is fixed at creation: snooping
 * and lookup never allocate. Pure ("now" is passed in, monotonic ms).
 *
 * Not thread-safe: one owner calls everything (or the caller locks).
 */
#ifndef VTEP_PROTO_ARPC_H
#define VTEP_PROTO_ARPC_H

#include "../vtep.h"

struct arpc;

/* Dump words (DESIGN.md 6). */
enum arpc_type {
	ARPC_SNOOPED = 0,               /* learned from ARP/ND traffic */
	ARPC_STATIC,                    /* configured (per-VNI `arp` list) */
	ARPC_TYPE_MAX,
};

static inline const char *arpc_type_name(enum arpc_type t)
{
	static const char *const names[] = {
		[ARPC_SNOOPED] = "snooped",
		[ARPC_STATIC] = "static",
	};
	_Static_assert(VTEP_ARRAY_SIZE(names) == ARPC_TYPE_MAX, "arpc type name table");

	return (unsigned int)t < ARPC_TYPE_MAX ? names[t] : "unknown";
}

/*
 * Entry flags. IPv6 only: a Neighbor Advertisement carries the Router flag,
 * and a host that receives R=0 for a neighbour it knew as a router drops
 * its routes through it (RFC 4861 7.2.5; Linux rt6_clean_tohost). So an NS
 * is answered only from an entry whose router status is known, i.e. an NA
 * from the entry's current MAC was seen (arpc_set_router).
 */
#define ARPC_F_ROUTER_KNOWN 0x01        /* ARPC_F_ROUTER is authoritative */
#define ARPC_F_ROUTER 0x02              /* the owner is an IPv6 router */

struct arpc_entry {
	uint32_t vni;
	struct vtep_addr ip;            /* AF_INET or AF_INET6, unused bytes zero */
	struct vtep_mac mac;
	uint8_t type;                   /* enum arpc_type */
	uint8_t flags;                  /* ARPC_F_* */
	uint64_t seen_ms;               /* last snooped (static: when added) */
};

enum arpc_snoop {
	ARPC_SNOOP_NONE = 0,            /* not attempted (no cache, nothing to snoop) */
	ARPC_SNOOP_NEW,                 /* new entry */
	ARPC_SNOOP_REFRESHED,           /* same MAC, seen_ms updated */
	ARPC_SNOOP_MOVED,               /* MAC changed: count a move, log old and new */
	ARPC_SNOOP_STATIC,              /* a static entry holds the IP: left untouched */
	ARPC_SNOOP_FULL,                /* refused, arp_max reached: count "arp_full" */
	ARPC_SNOOP_INVALID,             /* non-unicast IP, multicast/zero MAC, VNI > 2^24-1 */
	ARPC_SNOOP_MAX,
};

static inline const char *arpc_snoop_name(enum arpc_snoop s)
{
	static const char *const names[] = {
		[ARPC_SNOOP_NONE] = "none",
		[ARPC_SNOOP_NEW] = "new",
		[ARPC_SNOOP_REFRESHED] = "refreshed",
		[ARPC_SNOOP_MOVED] = "moved",
		[ARPC_SNOOP_STATIC] = "static",
		[ARPC_SNOOP_FULL] = "full",
		[ARPC_SNOOP_INVALID] = "invalid",
	};
	_Static_assert(VTEP_ARRAY_SIZE(names) == ARPC_SNOOP_MAX, "arpc snoop name table");

	return (unsigned int)s < ARPC_SNOOP_MAX ? names[s] : "unknown";
}

/* Called once per entry; must not modify the cache. */
typedef void (*arpc_foreach_cb)(const struct arpc_entry *entry, void *arg);
/* Selects entries for arpc_flush_if; must not modify the cache. */
typedef bool (*arpc_pred_cb)(const struct arpc_entry *entry, void *arg);

/*
 * A cache for up to max_snooped snooped (all VNIs, IPv4 and IPv6 together)
 * and max_static static entries; all memory is allocated here (about 56
 * bytes per entry). NULL on allocation failure or when the sizes overflow.
 * Not for the datapath.
 */
struct arpc *arpc_new(uint32_t max_snooped, uint32_t max_static);
void arpc_free(struct arpc *arpc);

/* Key the hash with a secret so remote parties cannot aim addresses at one
 * probe run. Only while the cache is empty: else -EBUSY. */
int arpc_set_seed(struct arpc *arpc, uint64_t seed);

/*
 * The entry for (vni, ip) or NULL. Does not refresh seen_ms. The pointer is
 * owned by the cache and stays valid until the next call that removes
 * entries or resizes (arpc_del, arpc_expire, arpc_flush_*, arpc_set_max_*);
 * snooping and arpc_add_static do not move entries. Datapath-safe.
 */
const struct arpc_entry *arpc_lookup(const struct arpc *arpc, uint32_t vni,
				     const struct vtep_addr *ip);

/* The cache has no locking of its own: where several threads use it, every
 * caller holds this mutex around its calls (and while it reads an entry
 * arpc_lookup returned). ARP and ND frames are few; nothing else takes it. */
void arpc_lock(const struct arpc *arpc);
void arpc_unlock(const struct arpc *arpc);

/*
 * Record that ip (in vni) was seen announced by mac; sets seen_ms = now.
 * ip must be a unicast IPv4/IPv6 address (not 0.0.0.0, 255.255.255.255,
 * ::, or multicast) and mac a unicast, non-zero MAC. On ARPC_SNOOP_MOVED
 * and ARPC_SNOOP_STATIC, *ret_old_mac (when not NULL) receives the MAC the
 * cache holds (for STATIC: compare it with mac to tell a forgery from an
 * agreeing announcement); other results leave it alone. NEW and MOVED
 * clear the entry's flags (a new owner's router status is unknown).
 * Datapath-safe: no allocation.
 */
enum arpc_snoop arpc_snoop(struct arpc *arpc, uint32_t vni, const struct vtep_addr *ip,
			   const struct vtep_mac *mac, uint64_t now,
			   struct vtep_mac *ret_old_mac);

/*
 * Record the Router flag of an NA for (vni, ip): sets ARPC_F_ROUTER_KNOWN
 * and ARPC_F_ROUTER = router, for snooped and static entries alike, when
 * the entry's MAC is mac. 0, or -ENOENT (no entry, or another MAC).
 * Does not touch seen_ms. Datapath-safe.
 */
int arpc_set_router(struct arpc *arpc, uint32_t vni, const struct vtep_addr *ip,
		    const struct vtep_mac *mac, bool router);

/*
 * Configure a static entry (vni, ip) -> mac. A snooped entry for the key is
 * replaced (it no longer counts against max_snooped; its flags survive if
 * its MAC was mac). Returns 0, -EEXIST if a static entry holds the key,
 * -ENOSPC when max_static static entries exist, -EINVAL for an ip or mac
 * arpc_snoop would refuse or a VNI above 2^24-1.
 */
int arpc_add_static(struct arpc *arpc, uint32_t vni, const struct vtep_addr *ip,
		    const struct vtep_mac *mac, uint64_t now);

/* Remove the entry for (vni, ip), whatever its type. 0 or -ENOENT. */
int arpc_del(struct arpc *arpc, uint32_t vni, const struct vtep_addr *ip);

/*
 * Remove snooped entries with now - seen_ms >= max_age_ms (static entries
 * never age). cb, if not NULL, sees each entry just before it goes.
 * Returns how many went. O(entries): about once a second, not per packet.
 */
size_t arpc_expire(struct arpc *arpc, uint64_t now, uint64_t max_age_ms, arpc_foreach_cb cb,
		   void *arg);

/* Remove every entry of the VNI, static ones included. Returns how many. */
size_t arpc_flush_vni(struct arpc *arpc, uint32_t vni);
/* Remove every entry pred selects, of any type (e.g. static entries gone
 * from the configuration on reload). Returns how many. */
size_t arpc_flush_if(struct arpc *arpc, arpc_pred_cb pred, void *arg);

/* Entries of one type, or of all types with ARPC_TYPE_MAX. */
size_t arpc_count(const struct arpc *arpc, enum arpc_type type);

/*
 * Change the caps (reload). Growing past the capacity allocated so far
 * reallocates (not datapath-safe; -ENOMEM keeps the old cache intact).
 * Lowering a cap below the current count evicts nothing: new snoops (or
 * static adds) are refused until entries age out or are deleted.
 */
int arpc_set_max_snooped(struct arpc *arpc, uint32_t max_snooped);
int arpc_set_max_static(struct arpc *arpc, uint32_t max_static);
/* Give back what the caps no longer need, as fdb_fit does. */
int arpc_fit(struct arpc *arpc);

/*
 * A cap of the VNI's own on its snooped entries (0: none), under the
 * global one (key arp_max in a VNI entry): one segment's ARP or ND spray
 * cannot fill the cache every segment shares. Lowering it below the count
 * evicts nothing. 0, -EINVAL (a VNI above 2^24-1), -ENOMEM, or -ENOSPC
 * with VTEP_MAX_VNIS VNIs capped. Not datapath-safe: under arpc_lock, or
 * with no other thread about.
 */
int arpc_set_vni_max(struct arpc *arpc, uint32_t vni, uint32_t max_snooped);
/* Make the room for those caps now, so that arpc_set_vni_max cannot fail
 * with -ENOMEM afterwards (a reload's commit): 0 or -ENOMEM. The same
 * locking. */
int arpc_reserve_vni_caps(struct arpc *arpc);
/* The snooped entries of the VNI. */
size_t arpc_vni_snooped(const struct arpc *arpc, uint32_t vni);

/* Call cb for every entry, in no particular order (the dump). */
void arpc_foreach(const struct arpc *arpc, arpc_foreach_cb cb, void *arg);

#endif /* VTEP_PROTO_ARPC_H */
