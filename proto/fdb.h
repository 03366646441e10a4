/* SPDX-License-Identifier: MIT */
/*
 * proto/fdb - the forwarding database: (VNI, MAC) -> where the MAC lives
 * (behind one of our taps, or behind a remote VTEP). Learned entries are
 * capped (maxaddress) and aged on the time traffic was last RECEIVED from
 * the MAC; static entries are never aged, moved or evicted, and learning
 * never overwrites them. Capacity is fixed at creation: learning and lookup
 * never allocate. Pure (no clock: "now" is passed in, monotonic ms).
 *
 * Move damping (fdb_set_damping; off until set): a learned MAC that moves
 * `limit` times within `window` ms of its first counted move is frozen
 * where the last move put it for `hold` ms. While frozen, learning it
 * anywhere else is refused (FDB_LEARN_FROZEN: the caller drops the frame)
 * and traffic from the frozen location refreshes it as usual. The window is
 * fixed (it starts at the first move after the previous one ran out), not
 * sliding: two bursts of limit-1 moves either side of a window boundary go
 * unnoticed, the price of fitting in the entry's former padding (the entry
 * stays 48 bytes). A frozen entry still ages: if nothing is heard from the
 * frozen location for the ageing time, it goes, and its freeze with it.
 * Cf. RFC 7432 15.1 (EVPN MAC mobility: 5 moves in 180 s) and the
 * Cumulus/NX-OS duplicate-address freeze.
 *
 * Threads: packet workers may call fdb_get and fdb_learn_* at the same time
 * as each other and as fdb_expire, fdb_flush_*, fdb_del, fdb_add_static,
 * fdb_count and fdb_foreach. Writers serialize on a mutex inside the
 * table; fdb_get and the refresh of an entry that has not moved take no
 * lock (a sequence count, retried on a concurrent change). fdb_lookup
 * (a pointer into the table) and fdb_set_max_* (which reallocate) are for
 * a single thread: tests, or the daemon with its workers stopped.
 */
#ifndef VTEP_PROTO_FDB_H
#define VTEP_PROTO_FDB_H

#include "../vtep.h"

struct fdb;

/* Dump words (DESIGN.md 6). */
enum fdb_type {
	FDB_LOCAL = 0,                  /* behind one of our taps (learned) */
	FDB_REMOTE,                     /* behind a remote VTEP (learned) */
	FDB_STATIC,                     /* behind a remote VTEP (configured) */
	FDB_TYPE_MAX,
};

static inline const char *fdb_type_name(enum fdb_type t)
{
	static const char *const names[] = {
		[FDB_LOCAL] = "local",
		[FDB_REMOTE] = "remote",
		[FDB_STATIC] = "static",
	};
	_Static_assert(VTEP_ARRAY_SIZE(names) == FDB_TYPE_MAX, "fdb type name table");

	return (unsigned int)t < FDB_TYPE_MAX ? names[t] : "unknown";
}

/* Damping state lives in what used to be padding: the entry stays 48 bytes. */
#define FDB_F_FROZEN 0x01               /* fdb_entry.flags: damped (see fdb_frozen) */

struct fdb_entry {
	uint32_t vni;
	struct vtep_mac mac;
	uint8_t type;                   /* enum fdb_type */
	uint8_t flags;                  /* FDB_F_*; cleared lazily: ask fdb_frozen */
	uint16_t tap;                   /* FDB_LOCAL: the caller's tap index */
	uint16_t moves;                 /* moves counted in the damping window */
	struct vtep_addr remote;        /* FDB_REMOTE, FDB_STATIC: the VTEP */
	uint32_t damp_ms;               /* low 32 bits of now: window (or freeze) start */
	uint64_t seen_ms;               /* last RX from this MAC (static: when added);
					 * in the pool (fdb_lookup) the slot's
					 * generation sits above: fdb_seen_ms() */
};

/* Where a MAC was, reported when learning moves it. */
struct fdb_loc {
	uint8_t type;                   /* enum fdb_type */
	uint16_t tap;                   /* FDB_LOCAL */
	struct vtep_addr remote;        /* FDB_REMOTE, FDB_STATIC */
};

enum fdb_learn {
	FDB_LEARN_NONE = 0,             /* not attempted (learning off, or dropped first) */
	FDB_LEARN_NEW,                  /* new entry: count "learned" */
	FDB_LEARN_REFRESHED,            /* same location, seen_ms updated */
	FDB_LEARN_MOVED,                /* location changed: count "moved", log old and new */
	FDB_LEARN_STATIC,               /* a static entry holds the MAC: left untouched */
	FDB_LEARN_FULL,                 /* refused, maxaddress reached: count "fdb_full" */
	FDB_LEARN_INVALID,              /* multicast/zero MAC or unusable remote: nothing done */
	FDB_LEARN_FROZE,                /* moved, and that move froze it there: count "moved",
					 * log once that the MAC is frozen (old and new location) */
	FDB_LEARN_FROZEN,               /* frozen elsewhere: not moved, not refreshed; the
					 * caller drops the frame (VTEP_DROP_MOVE_FROZEN) */
	FDB_LEARN_MAX,
};

static inline const char *fdb_learn_name(enum fdb_learn l)
{
	static const char *const names[] = {
		[FDB_LEARN_NONE] = "none",
		[FDB_LEARN_NEW] = "new",
		[FDB_LEARN_REFRESHED] = "refreshed",
		[FDB_LEARN_MOVED] = "moved",
		[FDB_LEARN_STATIC] = "static",
		[FDB_LEARN_FULL] = "full",
		[FDB_LEARN_INVALID] = "invalid",
		[FDB_LEARN_FROZE] = "froze",
		[FDB_LEARN_FROZEN] = "frozen",
	};
	_Static_assert(VTEP_ARRAY_SIZE(names) == FDB_LEARN_MAX, "fdb learn name table");

	return (unsigned int)l < FDB_LEARN_MAX ? names[l] : "unknown";
}

/* Called once per entry; must not modify the fdb. */
typedef void (*fdb_foreach_cb)(const struct fdb_entry *entry, void *arg);
/* Selects entries for fdb_flush_if; must not modify the fdb. */
typedef bool (*fdb_pred_cb)(const struct fdb_entry *entry, void *arg);

/*
 * A table for up to max_learned learned (local + remote, all VNIs) and
 * max_static static entries; all memory is allocated here. NULL on
 * allocation failure or when the sizes overflow. Not for the datapath.
 */
struct fdb *fdb_new(uint32_t max_learned, uint32_t max_static);
void fdb_free(struct fdb *fdb);

/* Key the hash with a secret (e.g. from getrandom) so remote parties cannot
 * aim MACs at one bucket chain. Only while the table is empty: else -EBUSY. */
int fdb_set_seed(struct fdb *fdb, uint64_t seed);

/*
 * The entry for (vni, mac) or NULL. Does not refresh seen_ms. The pointer is
 * owned by the fdb and stays valid until the next call that removes entries
 * or resizes (fdb_del, fdb_expire, fdb_flush_*, fdb_set_max_*); learning and
 * fdb_add_static do not move entries. Only while no other thread writes.
 */
const struct fdb_entry *fdb_lookup(const struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac);
/* The milliseconds of e->seen_ms, for an entry fdb_lookup returned (the
 * copies fdb_get and the callbacks hand out hold nothing else). */
uint64_t fdb_seen_ms(const struct fdb_entry *e);

/* A copy of the entry for (vni, mac) into *ret; false when there is none.
 * Safe against concurrent writers (no lock: retried when one ran). */
bool fdb_get(const struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac,
	     struct fdb_entry *ret);

/*
 * Learn that traffic from mac (in vni) was received on our tap `tap`
 * (fdb_learn_local) or from the remote VTEP `remote` (fdb_learn_remote,
 * which needs a unicast address). Sets seen_ms = now (not on FROZEN). On
 * FDB_LEARN_MOVED and FDB_LEARN_FROZE the previous location is written to
 * *ret_old when ret_old is not NULL (other results leave it alone). A
 * learned entry moves freely between local and remote (unless move
 * damping froze it); loop detection is the caller's business (fwd). Datapath-safe: no
 * allocation.
 */
enum fdb_learn fdb_learn_local(struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac,
			       uint16_t tap, uint64_t now, struct fdb_loc *ret_old);
enum fdb_learn fdb_learn_remote(struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac,
				const struct vtep_addr *remote, uint64_t now,
				struct fdb_loc *ret_old);

/*
 * Configure a static entry (vni, mac) -> remote. A learned entry for the
 * key is replaced (it no longer counts against max_learned). Returns 0,
 * -EEXIST if a static entry holds the key, -ENOSPC when max_static static
 * entries exist, -EINVAL for a multicast/zero MAC, a VNI above 2^24-1 or a
 * non-unicast remote.
 */
int fdb_add_static(struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac,
		   const struct vtep_addr *remote, uint64_t now);

/* Remove the entry for (vni, mac), whatever its type. 0 or -ENOENT. */
int fdb_del(struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac);

/*
 * Remove learned entries with now - seen_ms >= max_age_ms (static entries
 * never age). cb, if not NULL, sees each entry just before it goes (e.g. to
 * count "aged" per VNI). Returns how many went. O(entries): call it about
 * once a second, not per packet.
 */
size_t fdb_expire(struct fdb *fdb, uint64_t now, uint64_t max_age_ms, fdb_foreach_cb cb,
		  void *arg);

/* Remove every entry of the VNI, static ones included (the VNI went away).
 * Returns how many. */
size_t fdb_flush_vni(struct fdb *fdb, uint32_t vni);
/* Remove the local entries on tap (the tap went away). Returns how many. */
size_t fdb_flush_tap(struct fdb *fdb, uint16_t tap);
/* Remove the learned remote entries at remote (a peer went away); static
 * entries stay. Returns how many. */
size_t fdb_flush_remote(struct fdb *fdb, const struct vtep_addr *remote);
/* Remove every entry pred selects, of any type. Returns how many. */
size_t fdb_flush_if(struct fdb *fdb, fdb_pred_cb pred, void *arg);

/* Entries of one type, or of all types with FDB_TYPE_MAX. */
size_t fdb_count(const struct fdb *fdb, enum fdb_type type);

/*
 * Change the caps (reload). Growing past the capacity allocated so far
 * reallocates the table (not datapath-safe; -ENOMEM keeps the old one
 * intact). Lowering a cap below the current count evicts nothing: new
 * learns (or static adds) are refused until entries age out or are
 * deleted. Returns 0 or a negative errno.
 */
int fdb_set_max_learned(struct fdb *fdb, uint32_t max_learned);
int fdb_set_max_static(struct fdb *fdb, uint32_t max_static);
/*
 * Give back what the caps no longer need (a reload that lowered them, or
 * one rejected after raising them): the pool and index are made again for
 * the caps, or for the entries there are if more. Not datapath-safe. 0, or
 * -ENOMEM with the table as it was.
 */
int fdb_fit(struct fdb *fdb);
/*
 * A cap of VNI vni's own on its learned entries, within max_learned (a
 * tenant spraying MACs fills its own share, not the table); 0 lifts it.
 * As for the caps above, lowering it evicts nothing. At most VTEP_MAX_VNIS
 * VNIs capped at once (-ENOSPC beyond). Not for the datapath (the first cap
 * of a VNI counts its entries). Returns 0, -EINVAL (vni), -ENOSPC or -ENOMEM.
 */
int fdb_set_vni_max(struct fdb *fdb, uint32_t vni, uint32_t max_learned);
/* Make the room for those caps now, so that fdb_set_vni_max cannot fail
 * with -ENOMEM afterwards (a reload's commit): 0 or -ENOMEM. */
int fdb_reserve_vni_caps(struct fdb *fdb);
/* Learned (local + remote) entries of one VNI. */
size_t fdb_vni_learned(const struct fdb *fdb, uint32_t vni);

/*
 * Move damping (see the top of this file): freeze a learned MAC after
 * `limit` moves within window_ms, for hold_ms. limit 0 turns damping off
 * (and thaws every frozen entry at its next learn). Entries keep their
 * state across a change; the new numbers apply from the next learn.
 * -EINVAL when limit > 65535 or window_ms/hold_ms >= 2^31 (times are kept
 * as 32-bit wrapping milliseconds; conf allows at most a week). Learned
 * entries must be aged (fdb_expire) with a max age below 2^31 ms too, so
 * that no entry's damping start goes unlooked-at for 24 days.
 */
int fdb_set_damping(struct fdb *fdb, uint32_t limit, uint64_t window_ms, uint64_t hold_ms);

/* Whether e (an entry of this fdb) is frozen at `now` (for the dump). */
bool fdb_frozen(const struct fdb *fdb, const struct fdb_entry *e, uint64_t now);

/* Call cb for every entry, in no particular order (the dump). */
void fdb_foreach(const struct fdb *fdb, fdb_foreach_cb cb, void *arg);

#endif /* VTEP_PROTO_FDB_H */
