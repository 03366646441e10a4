/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl - a control socket request (proto/ctl) as the daemon takes one:
 * the input is the datagram, split into words, parsed, described, and
 * matched against a few FDB and ARP/ND entries. A request that parses must
 * obey what ctl_parse promises: at least one table, no ip with fdb or with
 * a location, no location with arp, a VNI in range, a tap name that fits;
 * static entries are never selected.
 */
#include "../../proto/ctl.h"
#include "fuzz.h"

static bool any_tap(uint16_t tap, void *arg)
{
	(void)arg;
	return tap == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[CTL_MAX_REQUEST + 1], why[256], desc[256];
	const char *words[CTL_MAX_WORDS];
	struct ctl_request r;
	struct fdb_entry fe;
	struct arpc_entry ae;
	int n;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	n = ctl_split(buf, size, words, CTL_MAX_WORDS);
	if (n < 0)
		return 0;
	for (int i = 0; i < n; i++)
		CHECK(words[i][0] != '\0' && words[i] >= buf && words[i] < buf + size);
	why[0] = '\0';
	if (ctl_parse(words, (size_t)n, &r, why, sizeof(why)) < 0) {
		CHECK(why[0] != '\0');
		return 0;
	}
	if (r.cmd == CTL_CONFIG) {      /* a question with no words: nothing to select */
		CHECK(n == 1 && !strcmp(words[0], "config"));
		CHECK(!r.fdb && !r.arp && !r.has_vni && !r.has_mac && !r.has_remote && !r.has_ip);
		return 0;
	}
	CHECK(r.cmd == CTL_FLUSH);
	CHECK(r.fdb || r.arp);
	CHECK(!(r.has_ip && r.fdb));
	CHECK(!((r.has_remote || r.tap[0]) && r.arp));
	CHECK(!r.has_vni || (r.vni >= 1 && r.vni <= VTEP_VNI_MAX));
	CHECK(strlen(r.tap) < VTEP_IFNAMSIZ);
	CHECK(!r.has_remote || vtep_addr_is_unicast(&r.remote));
	CHECK(ctl_describe(&r, desc, sizeof(desc))[0] != '\0');

	memset(&fe, 0, sizeof(fe));
	fe.vni = r.has_vni ? r.vni : 100;
	fe.mac = r.mac;
	fe.remote = r.remote;
	fe.tap = 1;
	for (int t = FDB_LOCAL; t < FDB_TYPE_MAX; t++) {
		fe.type = (uint8_t)t;
		CHECK(!ctl_fdb_match(&r, &fe, any_tap, NULL) || (t != FDB_STATIC && r.fdb));
	}
	memset(&ae, 0, sizeof(ae));
	ae.vni = fe.vni;
	ae.mac = r.mac;
	ae.ip = r.ip;
	for (int t = ARPC_SNOOPED; t < ARPC_TYPE_MAX; t++) {
		ae.type = (uint8_t)t;
		CHECK(!ctl_arp_match(&r, &ae) || (t == ARPC_SNOOPED && r.arp));
	}
	return 0;
}
