/* SPDX-License-Identifier: MIT */
/*
 * proto/ctl - the language of the control socket (DUMPDIR/vtep.ctl): a
 * request is one datagram of words, each ended by a NUL, as `vtep flush`
 * takes them on its command line; this parses it and selects the table
 * entries it names. Pure: the socket is the daemon's (ctl.c).
 *
 *   flush [fdb] [arp] [vni N] [mac MAC] [remote ADDR] [tap NAME] [ip ADDR]
 *   config
 *
 * removes learned entries, never static ones: FDB entries (local and
 * remote) and snooped ARP/ND entries, those matching every selector given.
 * Naming no table means both, but for the selectors that only one table
 * has: remote and tap (a location) are FDB words, ip an ARP/ND word. The
 * switch's `clear mac address-table dynamic [vlan V] [address M]
 * [interface I]`, the kernel's `bridge fdb flush` and `ip neigh flush`.
 *
 * config asks which file the daemon reloads from: "ok config DEV INO PATH"
 * (the file's device and inode numbers, then its path), so that `vtep
 * reload -c FILE` can tell whether FILE is the daemon's own.
 */
#ifndef VTEP_PROTO_CTL_H
#define VTEP_PROTO_CTL_H

#include "arpc.h"
#include "fdb.h"

#define CTL_MAX_REQUEST 512             /* bytes in a request datagram */
#define CTL_MAX_WORDS 16
#define CTL_MAX_REPLY 512

enum ctl_cmd {
	CTL_FLUSH,
	CTL_CONFIG,
};

struct ctl_request {
	enum ctl_cmd cmd;
	bool fdb, arp;                  /* the tables to flush */
	bool has_vni, has_mac, has_remote, has_ip;
	uint32_t vni;
	struct vtep_mac mac;
	struct vtep_addr remote;
	struct vtep_addr ip;
	char tap[VTEP_IFNAMSIZ];        /* "": any */
};

/*
 * Split a request datagram of len bytes in place into at most max words;
 * the count, or -1 when it is not a run of NUL-ended words (a word left
 * open, an empty word, more than max).
 */
int ctl_split(char *buf, size_t len, const char **words, size_t max);

/* Parse words into *ret: 0, or -EINVAL with the reason in why. */
int ctl_parse(const char *const *words, size_t n, struct ctl_request *ret, char *why,
	      size_t whylen);

/* The selectors of r in its own words ("vni 100 remote 10.0.0.2"), or
 * "all" when there are none. */
const char *ctl_describe(const struct ctl_request *r, char *buf, size_t len);

/*
 * Whether flush request r takes FDB entry e. tap_ok, when r names a tap,
 * says whether an FDB tap index is one of that name (the daemon's slots).
 */
bool ctl_fdb_match(const struct ctl_request *r, const struct fdb_entry *e,
		   bool (*tap_ok)(uint16_t tap, void *arg), void *arg);
/* Whether flush request r takes ARP/ND entry e. */
bool ctl_arp_match(const struct ctl_request *r, const struct arpc_entry *e);

#endif
