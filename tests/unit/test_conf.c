/* SPDX-License-Identifier: MIT */
/*
 * test_conf.c - conf/: every rule of DESIGN.md 3 fed as inline text through
 * conf_load_string, with the exact messages; defaults; a full configuration;
 * include_dir drop-ins in a temporary directory; the example config.
 *
 * Message format, checked here to the byte: one problem per line,
 *
 *	FILE:LINE: PATH: message
 *
 * where PATH names the key: names joined by '.', list and array elements as
 * [i] counting from 0 within their file ("vnis[1].taps[0].name",
 * "srcport[1]", "capture.point"). Unknown and missing keys are reported on
 * the group that holds them ("vnis[0]: unknown key 'grp'"), and at the top
 * level without a path ("unknown key 'locl'"). User values are quoted with
 * single quotes. A file that cannot be read is "FILE: cannot open: REASON".
 * Lines come out sorted by file (main first, then drop-ins in name order)
 * and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../conf/conf.h"

#define L1 "local = \"10.0.0.1\";\n"
#define V2 "vnis = ( { vni = 100; } );\n"
#define L6 "local = \"fd00:1::1\";\n"
#define OK ""

struct conf_case {
	const char *name;
	const char *text;
	const char *errors;             /* "" = must load */
};

static const struct conf_case cases[] = {
	/* Valid */
	{ "minimal", L1 V2, OK },
	{ "full vni", L1
	  "vnis = ( { vni = 100; group = \"239.1.1.100\"; peers = [ \"10.0.0.2\", \"10.0.0.3\" ];\n"
	  "  flood = \"auto\"; taps = ( { name = \"vm1\"; }, { name = \"vm2\"; netns = \"blue\"; } );\n"
	  "  fdb = ( { mac = \"52:54:00:12:34:56\"; remote = \"10.0.0.2\"; } );\n"
	  "  arp = ( { ip = \"192.168.7.2\"; mac = \"52:54:00:12:34:56\"; } ); } );\n", OK },
	{ "hex and L suffix", L1 V2 "dstport = 0x12b5;\nmaxaddress = 65536L;\n", OK },
	{ "srcport single port", L1 V2 "srcport = [ 5000, 5000 ];\n", OK },
	{ "srcport mixed int sizes", L1 V2 "srcport = [ 49152, 65535L ];\n", OK },
	{ "arp ipv6 neighbour", L1
	  "vnis = ( { vni = 1; arp = ( { ip = \"fd00::2\"; mac = \"52:54:00:00:00:02\"; } ); } );\n",
	  OK },
	{ "comment at end of input", L1 V2 "# the end", OK },
	{ "ipv6 underlay", L6
	  "allow = [ \"fd00:1::/64\", \"2001:db8::7\" ];\n"
	  "vnis = ( { vni = 100; group = \"ff05::100\"; peers = [ \"fd00:1::2\", \"2001:db8::7\" ];\n"
	  "  fdb = ( { mac = \"52:54:00:12:34:56\"; remote = \"fd00:1::2\"; } ); },\n"
	  "  { vni = 101; group = \"ff02::100\"; } );\n", OK },
	{ "flood unicast with peers", L1
	  "vnis = ( { vni = 7; flood = \"unicast\"; peers = [ \"10.0.0.9\" ]; } );\n", OK },
	{ "flood multicast with group", L1
	  "vnis = ( { vni = 7; flood = \"multicast\"; group = \"239.0.0.7\"; } );\n", OK },
	{ "bum_rate limits", L1 V2 "bum_rate = 4294967295;\n", OK },
	{ "mac with dashes", L1
	  "vnis = ( { vni = 1; fdb = ( { mac = \"52-54-00-AB-CD-EF\"; remote = \"10.0.0.2\"; } ); } );\n",
	  OK },

	/* Top level: keys, types, ranges */
	{ "unknown top key", L1 V2 "locl = \"10.0.0.1\";\n",
	  "t.conf:3: unknown key 'locl'\n" },
	{ "missing local", V2,
	  "t.conf:1: missing required key 'local'\n" },
	{ "missing vnis", L1,
	  "t.conf:1: missing required key 'vnis'\n" },
	{ "vnis not a list", L1 "vnis = { vni = 1; };\n",
	  "t.conf:2: vnis: expected list, got group\n" },
	{ "vnis empty", L1 "vnis = ();\n",
	  "t.conf:2: vnis: no VNI configured\n" },
	{ "dstport zero", L1 V2 "dstport = 0;\n",
	  "t.conf:3: dstport: '0' out of range (1..65535)\n" },
	{ "dstport too big", L1 V2 "dstport = 65536;\n",
	  "t.conf:3: dstport: '65536' out of range (1..65535)\n" },
	{ "dstport string", L1 V2 "dstport = \"4789\";\n",
	  "t.conf:3: dstport: expected integer, got string '4789'\n" },
	{ "srcport three", L1 V2 "srcport = [ 1, 2, 3 ];\n",
	  "t.conf:3: srcport: expected 2 ports [low, high], got 3\n" },
	{ "srcport reversed", L1 V2 "srcport = [ 60000, 50000 ];\n",
	  "t.conf:3: srcport: low port '60000' above high port '50000'\n" },
	{ "srcport element range", L1 V2 "srcport = [ 0,\n 70000 ];\n",
	  "t.conf:3: srcport[0]: '0' out of range (1..65535)\n"
	  "t.conf:4: srcport[1]: '70000' out of range (1..65535)\n" },
	{ "srcport scalar", L1 V2 "srcport = 5;\n",
	  "t.conf:3: srcport: expected array, got integer '5'\n" },
	{ "ttl zero", L1 V2 "ttl = 0;\n",
	  "t.conf:3: ttl: '0' out of range (1..255)\n" },
	{ "ttl wraps in libconfig", L1 V2 "ttl = 4294967297;\n",
	  "t.conf:3: ttl: '4294967297' out of range (1..255)\n" },
	{ "mcast_ttl 256", L1 V2 "mcast_ttl = 256;\n",
	  "t.conf:3: mcast_ttl: '256' out of range (1..255)\n" },
	{ "mtu low", L1 V2 "mtu = 575;\n",
	  "t.conf:3: mtu: '575' out of range (576..9000)\n" },
	{ "mtu high", L1 V2 "mtu = 9001;\n",
	  "t.conf:3: mtu: '9001' out of range (576..9000)\n" },
	{ "mtu float", L1 V2 "mtu = 1500.0;\n",
	  "t.conf:3: mtu: expected integer, got float '1500'\n" },
	{ "learning string", L1 V2 "learning = \"yes\";\n",
	  "t.conf:3: learning: expected boolean, got string 'yes'\n" },
	{ "arp_suppress int", L1 V2 "arp_suppress = 1;\n",
	  "t.conf:3: arp_suppress: expected boolean, got integer '1'\n" },
	{ "ageing zero", L1 V2 "ageing = 0;\n",
	  "t.conf:3: ageing: '0' out of range (1..604800)\n" },
	{ "arp_ageing too long", L1 V2 "arp_ageing = 604801;\n",
	  "t.conf:3: arp_ageing: '604801' out of range (1..604800)\n" },
	{ "maxaddress sign wrap", L1 V2 "maxaddress = 2147483648;\n",
	  "t.conf:3: maxaddress: '2147483648' out of range (1..16777216)\n" },
	{ "arp_max beyond 64 bits", L1 V2 "arp_max = 99999999999999999999;\n",
	  "t.conf:3: arp_max: '99999999999999999999' out of range (1..16777216)\n" },
	{ "workers hex beyond 64 bits", L1 V2 "workers = 0x10000000000000000;\n",
	  "t.conf:3: workers: '0x10000000000000000' out of range (1..64)\n" },
	{ "workers 65", L1 V2 "workers = 65;\n",
	  "t.conf:3: workers: '65' out of range (1..64)\n" },
	{ "busy_poll above a second", L1 V2 "busy_poll = 1000001;\n",
	  "t.conf:3: busy_poll: '1000001' out of range (0..1000000)\n" },
	{ "busy_poll negative", L1 V2 "busy_poll = -1;\n",
	  "t.conf:3: busy_poll: '-1' out of range (0..1000000)\n" },
	{ "cpus range", L1 V2 "cpus = [ 0,\n 1024, -1 ];\n",
	  "t.conf:4: cpus[1]: '1024' out of range (0..1023)\n"
	  "t.conf:4: cpus[2]: '-1' out of range (0..1023)\n" },
	{ "cpus twice", L1 V2 "cpus = [ 3, 1,\n 3 ];\n",
	  "t.conf:4: cpus[2]: CPU 3 is listed twice\n" },
	{ "cpus not an array", L1 V2 "cpus = 1;\n",
	  "t.conf:3: cpus: expected array, got integer '1'\n" },
	{ "cpus strings", L1 V2 "cpus = [ \"0-3\" ];\n",
	  "t.conf:3: cpus[0]: expected integer, got string '0-3'\n" },
	{ "bum_rate negative", L1 V2 "bum_rate = -1;\n",
	  "t.conf:3: bum_rate: '-1' out of range (0..4294967295)\n" },
	{ "bum_rate above 32 bits", L1 V2 "bum_rate = 4294967296;\n",
	  "t.conf:3: bum_rate: '4294967296' out of range (0..4294967295)\n" },
	{ "move damping ranges", L1 V2 "move_limit = 1001;\nmove_window = 0;\nmove_hold = 0;\n",
	  "t.conf:3: move_limit: '1001' out of range (1..1000)\n"
	  "t.conf:4: move_window: '0' out of range (1..604800)\n"
	  "t.conf:5: move_hold: '0' out of range (1..604800)\n" },
	{ "reserved_bits word", L1 V2 "reserved_bits = \"DROP\";\n",
	  "t.conf:3: reserved_bits: invalid value 'DROP' (drop or ignore)\n" },
	{ "df word", L1 V2 "df = \"on\";\n",
	  "t.conf:3: df: invalid value 'on' (set or unset)\n" },
	{ "df inherit", L1 V2 "df = \"inherit\";\n",
	  "t.conf:3: df: 'inherit' is not supported (the send sockets have one DF setting, "
	  "not one per frame): 'set' or 'unset'\n" },
	{ "df unset over IPv6", L6 V2 "df = \"unset\";\n",
	  "t.conf:3: df: 'unset' needs an IPv4 local (IPv6 packets have no DF bit: routers "
	  "never fragment them)\n" },
	{ "df number", L1 V2 "df = 0;\n",
	  "t.conf:3: df: expected string, got integer '0'\n" },
	{ "pidfile float", L1 V2 "pidfile = 1.5;\n",
	  "t.conf:3: pidfile: expected string, got float '1.5'\n" },
	{ "metrics empty", L1 V2 "metrics = \"\";\n",
	  "t.conf:3: metrics: must not be empty\n" },
	{ "dumpdir list", L1 V2 "dumpdir = ( \"/run\" );\n",
	  "t.conf:3: dumpdir: expected string, got list\n" },

	/* Addresses and names */
	{ "local link-local", "local = \"fe80::1\";\n" V2,
	  "t.conf:1: local: 'fe80::1' is link-local; "
	  "the underlay needs a global or unique local address\n" },
	{ "local mapped", "local = \"::ffff:10.0.0.1\";\n" V2,
	  "t.conf:1: local: '::ffff:10.0.0.1' is an IPv4-mapped address; "
	  "write the IPv4 address\n" },
	{ "local garbage", "local = \"10.0.0.256\";\n" V2,
	  "t.conf:1: local: invalid IP address '10.0.0.256'\n" },
	{ "local ipv6 multicast", "local = \"ff05::1\";\n" V2,
	  "t.conf:1: local: 'ff05::1' is not a unicast address\n" },
	{ "local multicast", "local = \"224.0.0.1\";\n" V2,
	  "t.conf:1: local: '224.0.0.1' is not a unicast address\n" },
	{ "local unspecified", "local = \"0.0.0.0\";\n" V2,
	  "t.conf:1: local: '0.0.0.0' is not a unicast address\n" },
	{ "dev too long", L1 V2 "dev = \"abcdefghijklmnop\";\n",
	  "t.conf:3: dev: invalid interface name 'abcdefghijklmnop' "
	  "(1..15 characters, no '/', ':', '%' or white space)\n" },
	{ "dev not utf-8", L1 V2 "dev = \"eth\xff\";\n",
	  "t.conf:3: dev: interface name 'eth?' is not UTF-8\n" },
	{ "dev overlong utf-8", L1 V2 "dev = \"e\xc0\xafx\";\n",
	  "t.conf:3: dev: interface name 'e?\?x' is not UTF-8\n" },
	{ "dev surrogate", L1 V2 "dev = \"e\xed\xa0\x80\";\n",
	  "t.conf:3: dev: interface name 'e?\?\?' is not UTF-8\n" },
	{ "dev slash", L1 V2 "dev = \"eth0/1\";\n",
	  "t.conf:3: dev: invalid interface name 'eth0/1' "
	  "(1..15 characters, no '/', ':', '%' or white space)\n" },
	{ "allow host bits", L1 V2 "allow = [ \"10.0.0.1/24\" ];\n",
	  "t.conf:3: allow[0]: '10.0.0.1/24' has host bits set (meant '10.0.0.0/24'?)\n" },
	{ "peer outside allow", L1 "allow = [ \"10.0.0.0/29\", \"192.0.2.0/24\" ];\n"
	  "vnis = ( { vni = 1; peers = [ \"10.0.0.2\", \"10.0.0.9\" ];\n"
	  "  fdb = ( { mac = \"52:54:00:00:00:01\"; remote = \"192.0.2.7\"; },\n"
	  "          { mac = \"52:54:00:00:00:02\"; remote = \"198.51.100.1\"; } ); } );\n",
	  "t.conf:3: vnis[0].peers[1]: '10.0.0.9' is outside allow (every packet from it "
	  "would be dropped as not_allowed)\n"
	  "t.conf:5: vnis[0].fdb[1].remote: '198.51.100.1' is outside allow (every packet "
	  "from it would be dropped as not_allowed)\n" },
	{ "allow bad length", L1 V2 "allow = [ \"10.0.0.0/8\", \"10.0.0.0/33\" ];\n",
	  "t.conf:3: allow[1]: invalid prefix '10.0.0.0/33' (ADDRESS/LENGTH)\n" },
	{ "allow ipv6 on ipv4", L1 V2 "allow = [ \"fd00::/8\" ];\n",
	  "t.conf:3: allow[0]: 'fd00::/8' is an IPv6 prefix but local is IPv4; "
	  "the underlay is one address family\n" },
	{ "allow ipv4 on ipv6", L6 V2 "allow = [ \"10.0.0.0/8\" ];\n",
	  "t.conf:3: allow[0]: '10.0.0.0/8' is an IPv4 prefix but local is IPv6; "
	  "the underlay is one address family\n" },
	/* local is read first, wherever it stands: what checks it works. */
	{ "allow ipv6 before an ipv4 local", "allow = [ \"fd00::/8\" ];\n" L1 V2,
	  "t.conf:1: allow[0]: 'fd00::/8' is an IPv6 prefix but local is IPv4; "
	  "the underlay is one address family\n" },
	{ "df unset before an ipv6 local", "df = \"unset\";\n" L6 V2,
	  "t.conf:1: df: 'unset' needs an IPv4 local (IPv6 packets have no DF bit: routers "
	  "never fragment them)\n" },
	{ "allow string", L1 V2 "allow = \"10.0.0.0/8\";\n",
	  "t.conf:3: allow: expected array, got string '10.0.0.0/8'\n" },

	/* VNI entries */
	{ "vni zero", L1 "vnis = ( { vni = 0; } );\n",
	  "t.conf:2: vnis[0].vni: '0' out of range (1..16777215)\n" },
	{ "vni 2^24", L1 "vnis = ( { vni = 16777216; } );\n",
	  "t.conf:2: vnis[0].vni: '16777216' out of range (1..16777215)\n" },
	{ "vni wraps in libconfig", L1 "vnis = ( { vni = 4294967297; } );\n",
	  "t.conf:2: vnis[0].vni: '4294967297' out of range (1..16777215)\n" },
	{ "vni beyond 64 bits", L1 "vnis = ( { vni = 99999999999999999999; } );\n",
	  "t.conf:2: vnis[0].vni: '99999999999999999999' out of range (1..16777215)\n" },
	{ "vni float", L1 "vnis = ( { vni = 100.0; } );\n",
	  "t.conf:2: vnis[0].vni: expected integer, got float '100'\n" },
	{ "vni string", L1 "vnis = ( { vni = \"100\"; } );\n",
	  "t.conf:2: vnis[0].vni: expected integer, got string '100'\n" },
	{ "vni missing", L1 "vnis = ( { group = \"239.1.1.1\"; } );\n",
	  "t.conf:2: vnis[0]: missing required key 'vni'\n" },
	{ "vni duplicate", L1 "vnis = ( { vni = 100; },\n { vni = 100; } );\n",
	  "t.conf:3: vnis[1].vni: duplicate VNI '100' (first at t.conf:2)\n" },
	{ "vni entry not a group", L1 "vnis = ( 5 );\n",
	  "t.conf:2: vnis[0]: expected group, got integer '5'\n" },
	{ "vni unknown key", L1 "vnis = ( { vni = 1;\n grp = \"239.1.1.1\"; } );\n",
	  "t.conf:3: vnis[0]: unknown key 'grp'\n" },
	{ "group unicast", L1 "vnis = ( { vni = 1; group = \"10.0.0.7\"; } );\n",
	  "t.conf:2: vnis[0].group: '10.0.0.7' is not a multicast address\n" },
	{ "group ipv6 on ipv4", L1 "vnis = ( { vni = 1; group = \"ff05::100\"; } );\n",
	  "t.conf:2: vnis[0].group: 'ff05::100' is an IPv6 address but local is IPv4; "
	  "the underlay is one address family\n" },
	{ "group ipv4 on ipv6", L6 "vnis = ( { vni = 1; group = \"239.1.1.1\"; } );\n",
	  "t.conf:2: vnis[0].group: '239.1.1.1' is an IPv4 address but local is IPv6; "
	  "the underlay is one address family\n" },
	{ "group ipv6 unicast", L6 "vnis = ( { vni = 1; group = \"fd00::7\"; } );\n",
	  "t.conf:2: vnis[0].group: 'fd00::7' is not a multicast address\n" },
	{ "peer ipv4 on ipv6", L6 "vnis = ( { vni = 1; peers = [ \"10.0.0.2\" ]; } );\n",
	  "t.conf:2: vnis[0].peers[0]: '10.0.0.2' is an IPv4 address but local is IPv6; "
	  "the underlay is one address family\n" },
	{ "peer link-local", L6 "vnis = ( { vni = 1; peers = [ \"fe80::2\" ]; } );\n",
	  "t.conf:2: vnis[0].peers[0]: 'fe80::2' is link-local; "
	  "the underlay needs a global or unique local address\n" },
	{ "peer ipv6 is local", L6 "vnis = ( { vni = 1; peers = [ \"fd00:1::1\" ]; } );\n",
	  "t.conf:2: vnis[0].peers[0]: 'fd00:1::1' is the local address\n" },
	{ "fdb remote ipv6 on ipv4", L1
	  "vnis = ( { vni = 1; fdb = ( { mac = \"52:54:00:00:00:02\"; remote = \"fd00:1::2\"; } ); } );\n",
	  "t.conf:2: vnis[0].fdb[0].remote: 'fd00:1::2' is an IPv6 address but local is IPv4; "
	  "the underlay is one address family\n" },
	{ "peer duplicate", L1 "vnis = ( { vni = 1; peers = [ \"10.0.0.2\",\n \"10.0.0.2\" ]; } );\n",
	  "t.conf:3: vnis[0].peers[1]: duplicate peer '10.0.0.2'\n" },
	{ "peer is local", L1 "vnis = ( { vni = 1; peers = [ \"10.0.0.1\" ]; } );\n",
	  "t.conf:2: vnis[0].peers[0]: '10.0.0.1' is the local address\n" },
	{ "peer bad", L1 "vnis = ( { vni = 1; peers = [ \"10.0.0.x\" ]; } );\n",
	  "t.conf:2: vnis[0].peers[0]: invalid IP address '10.0.0.x'\n" },
	{ "peers string", L1 "vnis = ( { vni = 1; peers = \"10.0.0.2\"; } );\n",
	  "t.conf:2: vnis[0].peers: expected array, got string '10.0.0.2'\n" },
	{ "flood word", L1 "vnis = ( { vni = 1; flood = \"both\"; } );\n",
	  "t.conf:2: vnis[0].flood: invalid value 'both' (auto, multicast or unicast)\n" },
	{ "flood multicast no group", L1 "vnis = ( { vni = 1; flood = \"multicast\"; } );\n",
	  "t.conf:2: vnis[0].flood: 'multicast' needs a group\n" },
	{ "flood unicast no peers", L1 "vnis = ( { vni = 1; flood = \"unicast\"; peers = []; } );\n",
	  "t.conf:2: vnis[0].flood: 'unicast' needs peers\n" },

	/* Taps */
	{ "tap name 16 chars", L1 "vnis = ( { vni = 1; taps = ( { name = \"abcdefghijklmnop\"; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].name: invalid interface name 'abcdefghijklmnop' "
	  "(1..15 characters, no '/', ':', '%' or white space)\n" },
	{ "tap name space", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm 1\"; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].name: invalid interface name 'vm 1' "
	  "(1..15 characters, no '/', ':', '%' or white space)\n" },
	{ "tap name template", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm%d\"; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].name: invalid interface name 'vm%d' "
	  "(1..15 characters, no '/', ':', '%' or white space)\n" },
	{ "tap name empty", L1 "vnis = ( { vni = 1; taps = ( { name = \"\"; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].name: invalid interface name '' "
	  "(1..15 characters, no '/', ':', '%' or white space)\n" },
	{ "tap name missing", L1 "vnis = ( { vni = 1; taps = ( { netns = \"blue\"; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0]: missing required key 'name'\n" },
	{ "tap unknown key", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; mtu = 1500; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0]: unknown key 'mtu'\n" },
	{ "tap duplicate across vnis", L1
	  "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; } ); },\n"
	  "  { vni = 2; taps = ( { name = \"vm1\"; } ); } );\n",
	  "t.conf:3: vnis[1].taps[0].name: duplicate tap 'vm1' (first at t.conf:2)\n" },
	/* Trunks: one device per VLAN, untagged in at most one VNI */
	{ "tap vlans", L1
	  "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; } ); },\n"
	  "  { vni = 2; taps = ( { name = \"vm1\"; vlan = 10; }, { name = \"vm2\"; vlan = 10; } ); },\n"
	  "  { vni = 3; taps = ( { name = \"vm1\"; vlan = 4094; } ); } );\n", OK },
	{ "tap vlan range", L1
	  "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; vlan = 0; }, { name = \"vm2\"; vlan = 4095; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].vlan: '0' out of range (1..4094)\n"
	  "t.conf:2: vnis[0].taps[1].vlan: '4095' out of range (1..4094)\n" },
	{ "tap vlan twice", L1
	  "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; vlan = 10; } ); },\n"
	  "  { vni = 2; taps = ( { name = \"vm1\"; vlan = 10; } ); } );\n",
	  "t.conf:3: vnis[1].taps[0].name: duplicate tap 'vm1' vlan 10 (first at t.conf:2)\n" },
	{ "tap twice in a vni", L1
	  "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; vlan = 10; },\n"
	  "  { name = \"vm1\"; vlan = 20; } ); } );\n",
	  "t.conf:3: vnis[0].taps[1].name: tap 'vm1' is in vni 1 already (at t.conf:2)\n" },
	{ "tap vlans netns", L1
	  "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; netns = \"a\"; } ); },\n"
	  "  { vni = 2; taps = ( { name = \"vm1\"; vlan = 10; } ); } );\n",
	  "t.conf:3: vnis[1].taps[0].name: tap 'vm1' is in netns 'a' at t.conf:2, not ''\n" },
	{ "tap netns not utf-8",
	  L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; netns = \"n\x80s\"; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].netns: netns name 'n?s' is not UTF-8\n" },
	{ "tap netns slash", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; netns = \"a/b\"; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].netns: invalid netns name 'a/b' "
	  "(1..63 characters, no '/' or white space)\n" },
	{ "taps not a list", L1 "vnis = ( { vni = 1; taps = [ \"vm1\" ]; } );\n",
	  "t.conf:2: vnis[0].taps: expected list, got array\n" },

	/* Static FDB and ARP entries */
	{ "fdb missing remote", L1 "vnis = ( { vni = 1; fdb = ( { mac = \"52:54:00:00:00:01\"; } ); } );\n",
	  "t.conf:2: vnis[0].fdb[0]: missing required key 'remote'\n" },
	{ "fdb multicast mac", L1
	  "vnis = ( { vni = 1; fdb = ( { mac = \"01:00:5e:00:00:01\"; remote = \"10.0.0.2\"; } ); } );\n",
	  "t.conf:2: vnis[0].fdb[0].mac: '01:00:5e:00:00:01' is not a unicast MAC address\n" },
	{ "fdb zero mac", L1
	  "vnis = ( { vni = 1; fdb = ( { mac = \"00:00:00:00:00:00\"; remote = \"10.0.0.2\"; } ); } );\n",
	  "t.conf:2: vnis[0].fdb[0].mac: '00:00:00:00:00:00' is not a unicast MAC address\n" },
	{ "fdb short mac", L1
	  "vnis = ( { vni = 1; fdb = ( { mac = \"52:54:00:00:01\"; remote = \"10.0.0.2\"; } ); } );\n",
	  "t.conf:2: vnis[0].fdb[0].mac: invalid MAC address '52:54:00:00:01'\n" },
	{ "fdb remote is local", L1
	  "vnis = ( { vni = 1; fdb = ( { mac = \"52:54:00:00:00:01\"; remote = \"10.0.0.1\"; } ); } );\n",
	  "t.conf:2: vnis[0].fdb[0].remote: '10.0.0.1' is the local address\n" },
	{ "fdb duplicate mac", L1
	  "vnis = ( { vni = 1; fdb = ( { mac = \"52:54:00:00:00:01\"; remote = \"10.0.0.2\"; },\n"
	  "  { mac = \"52:54:00:00:00:01\"; remote = \"10.0.0.3\"; } ); } );\n",
	  "t.conf:3: vnis[0].fdb[1].mac: duplicate static MAC '52:54:00:00:00:01' (first at t.conf:2)\n" },
	{ "fdb same mac other vni", L1
	  "vnis = ( { vni = 1; fdb = ( { mac = \"52:54:00:00:00:01\"; remote = \"10.0.0.2\"; } ); },\n"
	  "  { vni = 2; fdb = ( { mac = \"52:54:00:00:00:01\"; remote = \"10.0.0.3\"; } ); } );\n",
	  OK },
	{ "arp duplicate ip", L1
	  "vnis = ( { vni = 1; arp = ( { ip = \"192.168.7.2\"; mac = \"52:54:00:00:00:01\"; },\n"
	  "  { ip = \"192.168.7.2\"; mac = \"52:54:00:00:00:02\"; } ); } );\n",
	  "t.conf:3: vnis[0].arp[1].ip: duplicate static ARP entry '192.168.7.2' (first at t.conf:2)\n" },
	{ "arp bad ip", L1 "vnis = ( { vni = 1; arp = ( { ip = \"192.168.7\"; mac = \"52:54:00:00:00:01\"; } ); } );\n",
	  "t.conf:2: vnis[0].arp[0].ip: invalid IP address '192.168.7'\n" },
	{ "arp multicast ip", L1 "vnis = ( { vni = 1; arp = ( { ip = \"ff02::1\"; mac = \"52:54:00:00:00:01\"; } ); } );\n",
	  "t.conf:2: vnis[0].arp[0].ip: 'ff02::1' is not a unicast address\n" },
	{ "arp missing mac", L1 "vnis = ( { vni = 1; arp = ( { ip = \"192.168.7.2\"; } ); } );\n",
	  "t.conf:2: vnis[0].arp[0]: missing required key 'mac'\n" },

	/* Port security */
	{ "tap macs", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\";\n"
	  "  macs = [ \"52:54:00:00:00:01\", \"52:54:00:00:00:02\" ]; } ); } );\n", OK },
	{ "tap macs empty", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; macs = [ ]; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].macs: must not be empty\n" },
	{ "tap macs too many", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; macs = [\n"
	  "  \"52:54:00:00:00:01\", \"52:54:00:00:00:02\", \"52:54:00:00:00:03\",\n"
	  "  \"52:54:00:00:00:04\", \"52:54:00:00:00:05\", \"52:54:00:00:00:06\",\n"
	  "  \"52:54:00:00:00:07\", \"52:54:00:00:00:08\", \"52:54:00:00:00:09\" ]; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].macs: too many entries (at most 8)\n" },
	{ "tap macs bad", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\";\n"
	  "  macs = [ \"52:54:00:00:00:01\", \"01:00:5e:00:00:01\", \"52:54:00:00:00:01\", \"x\" ]; } ); } );\n",
	  "t.conf:3: vnis[0].taps[0].macs[1]: '01:00:5e:00:00:01' is not a unicast MAC address\n"
	  "t.conf:3: vnis[0].taps[0].macs[2]: '52:54:00:00:00:01' is listed twice\n"
	  "t.conf:3: vnis[0].taps[0].macs[3]: invalid MAC address 'x'\n" },
	{ "tap macs type", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; macs = \"52:54:00:00:00:01\"; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].macs: expected array, got string '52:54:00:00:00:01'\n" },

	{ "tap ips", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\";\n"
	  "  ips = [ \"192.168.1.1\", \"fd00::1\" ]; } ); } );\n", OK },
	{ "tap ips bad", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\";\n"
	  "  ips = [ \"192.168.1.1\", \"224.0.0.1\", \"192.168.1.1\", \"x\" ]; } ); } );\n",
	  "t.conf:3: vnis[0].taps[0].ips[1]: '224.0.0.1' is not a unicast address\n"
	  "t.conf:3: vnis[0].taps[0].ips[2]: '192.168.1.1' is listed twice\n"
	  "t.conf:3: vnis[0].taps[0].ips[3]: invalid IP address 'x'\n" },
	{ "tap ips empty", L1 "vnis = ( { vni = 1; taps = ( { name = \"vm1\"; ips = [ ]; } ); } );\n",
	  "t.conf:2: vnis[0].taps[0].ips: must not be empty\n" },

	/* Outer DS field */
	{ "tos values", L1 "tos = 184;\n"
	  "vnis = ( { vni = 1; tos = \"inherit\"; }, { vni = 2; tos = 0; } );\n", OK },
	{ "tos ecn bits", L1 V2 "tos = 0xb9;\n",
	  "t.conf:3: tos: '185' sets ECN bits: the two low bits follow the inner packet "
	  "(RFC 6040); give the DSCP times 4 (184 = 0xb8 for EF)\n" },
	{ "tos range", L1 V2 "tos = 256;\n",
	  "t.conf:3: tos: '256' out of range (0..252)\n" },
	{ "tos word", L1 "vnis = ( { vni = 1; tos = \"copy\"; } );\n",
	  "t.conf:2: vnis[0].tos: invalid value 'copy' (a number or \"inherit\")\n" },
	{ "vni maxaddress", L1 "maxaddress = 100;\n"
	  "vnis = ( { vni = 1; maxaddress = 500; }, { vni = 2; maxaddress = 16777216; } );\n", OK },
	{ "vni arp_max", L1 "arp_max = 100;\n"
	  "vnis = ( { vni = 1; arp_max = 500; }, { vni = 2; arp_max = 16777216; } );\n", OK },
	{ "vni arp_max range", L1 "vnis = ( { vni = 1; arp_max = 0; }, { vni = 2; arp_max = -5; } );\n",
	  "t.conf:2: vnis[0].arp_max: '0' out of range (1..16777216)\n"
	  "t.conf:2: vnis[1].arp_max: '-5' out of range (1..16777216)\n" },
	{ "vni learning, arp_suppress, bum_rate", L1 "learning = false;\n"
	  "vnis = ( { vni = 1; learning = true; arp_suppress = false; bum_rate = 4294967295; } );\n",
	  OK },
	{ "vni learning, arp_suppress, bum_rate bad", L1
	  "vnis = ( { vni = 1; learning = 1; arp_suppress = \"no\"; bum_rate = -1; } );\n",
	  "t.conf:2: vnis[0].learning: expected boolean, got integer '1'\n"
	  "t.conf:2: vnis[0].arp_suppress: expected boolean, got string 'no'\n"
	  "t.conf:2: vnis[0].bum_rate: '-1' out of range (0..4294967295)\n" },
	{ "vni maxaddress zero", L1 "vnis = ( { vni = 1; maxaddress = 0; } );\n",
	  "t.conf:2: vnis[0].maxaddress: '0' out of range (1..16777216)\n" },
	{ "tos type", L1 V2 "tos = true;\n",
	  "t.conf:3: tos: expected integer, got boolean 'true'\n" },

	/* Capture */
	{ "capture unknown key", L1 V2 "capture = { file = \"/tmp/x.pcap\"; snaplen = 96; };\n",
	  "t.conf:3: capture: unknown key 'snaplen'\n" },
	{ "capture missing file", L1 V2 "capture = { filter = \"arp\"; };\n",
	  "t.conf:3: capture: missing required key 'file'\n" },
	{ "capture point", L1 V2 "capture = { file = \"/tmp/x.pcap\"; point = \"middle\"; };\n",
	  "t.conf:3: capture.point: invalid value 'middle' (inner, outer or both)\n" },
	{ "capture max_files", L1 V2 "capture = { file = \"/tmp/x.pcap\"; max_files = 0; };\n",
	  "t.conf:3: capture.max_files: '0' out of range (1..1000)\n" },
	{ "capture empty filter", L1 V2 "capture = { file = \"/tmp/x.pcap\"; filter = \"\"; };\n",
	  "t.conf:3: capture.filter: must not be empty\n" },

	/* Syntax, reported by libconfig: one message, its line and words */
	{ "syntax error", L1 V2 "ttl = ;\n",
	  "t.conf:3: syntax error\n" },
	{ "libconfig duplicate name", L1 V2 "ttl = 1;\nttl = 2;\n",
	  "t.conf:4: duplicate setting name\n" },
	{ "unterminated input", L1 "vnis = ( { vni = 1; }\n",
	  "t.conf:2: syntax error\n" },
	{ "include directive", L1 V2 "@include \"other.conf\"\n",
	  "t.conf:3: @include is not supported, use include_dir\n" },
	{ "include_dir missing", L1 V2 "include_dir = \"/nonexistent/vtep.d\";\n",
	  "t.conf:3: include_dir: cannot open '/nonexistent/vtep.d': No such file or directory\n" },
};

static void run_case(void **state)
{
	const struct conf_case *c = *state;
	struct vtep_conf *conf = NULL;
	char err[4096];
	int r;

	memset(err, 'x', sizeof(err));
	r = conf_load_string(c->text, "t.conf", &conf, err, sizeof(err));
	if (!*c->errors) {
		if (r != 0)
			print_error("unexpected errors:\n%s", err);
		assert_int_equal(r, 0);
		assert_non_null(conf);
		assert_string_equal(err, "");
		conf_free(conf);
		return;
	}
	assert_int_equal(r, -EINVAL);
	assert_null(conf);
	assert_string_equal(err, c->errors);
}

/* ------------------------------------------------------------------ */
/* Whole configurations                                                */

static int load(const char *text, struct vtep_conf **conf, char *err, size_t len)
{
	*conf = NULL;
	return conf_load_string(text, "t.conf", conf, err, len);
}

static void five_mistakes(void **state)
{
	static const char text[] =
		"local = \"10.0.0.1\";\n"
		"ttl = 300;\n"
		"learning = \"no\";\n"
		"vnis = ( { vni = 100; flood = \"multicast\"; },\n"
		"  { vni = 100; },\n"
		"  { vni = 200; taps = ( { nam = \"vm1\"; } ); } );\n";
	static const char want[] =
		"t.conf:2: ttl: '300' out of range (1..255)\n"
		"t.conf:3: learning: expected boolean, got string 'no'\n"
		"t.conf:4: vnis[0].flood: 'multicast' needs a group\n"
		"t.conf:5: vnis[1].vni: duplicate VNI '100' (first at t.conf:4)\n"
		"t.conf:6: vnis[2].taps[0]: unknown key 'nam'\n"
		"t.conf:6: vnis[2].taps[0]: missing required key 'name'\n";
	static const char five[] =
		"local = \"10.0.0.1\";\n"
		"ttl = 300;\n"
		"learning = \"no\";\n"
		"vnis = ( { vni = 100; flood = \"multicast\"; },\n"
		"  { vni = 100; },\n"
		"  { vni = 200; taps = ( { name = \"vm/1\"; } ); } );\n";
	struct vtep_conf *conf;
	char err[4096];
	int lines = 0;

	(void)state;
	/* One mistake can be two problems (unknown and missing key). */
	assert_int_equal(load(text, &conf, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);

	assert_int_equal(load(five, &conf, err, sizeof(err)), -EINVAL);
	assert_null(conf);
	for (const char *p = err; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 5);
	assert_non_null(strstr(err, "t.conf:6: vnis[2].taps[0].name: invalid interface name 'vm/1'"));
}

static void defaults(void **state)
{
	struct vtep_conf *conf;
	char err[1024];

	(void)state;
	assert_int_equal(load(L1 V2, &conf, err, sizeof(err)), 0);
	assert_string_equal(conf->path, "t.conf");
	assert_int_equal(conf->local.family, AF_INET);
	assert_int_equal(conf->local.v4.s_addr, htobe32(0x0a000001));
	assert_string_equal(conf->dev, "");
	assert_int_equal(conf->dstport, 4789);
	assert_int_equal(conf->srcport_min, 49152);
	assert_int_equal(conf->srcport_max, 65535);
	assert_int_equal(conf->ttl, 64);
	assert_int_equal(conf->mcast_ttl, 8);
	assert_int_equal(conf->tos, 0);
	assert_int_equal(conf->mtu, 0);
	assert_true(conf->learning);
	assert_int_equal(conf->ageing, 300);
	assert_int_equal(conf->maxaddress, 65536);
	assert_int_equal(conf->reserved_bits, CONF_RESERVED_DROP);
	assert_int_equal(conf->df, CONF_DF_SET);
	assert_true(conf->persist_taps);
	assert_true(conf->arp_suppress);
	assert_int_equal(conf->arp_ageing, 300);
	assert_int_equal(conf->arp_max, 65536);
	assert_int_equal(conf->workers, 1);
	assert_int_equal(conf->busy_poll, 0);
	assert_null(conf->cpus);
	assert_int_equal(conf->n_cpus, 0);
	assert_int_equal(conf->bum_rate, 0);
	assert_int_equal(conf->move_limit, 5);
	assert_int_equal(conf->move_window, 180);
	assert_int_equal(conf->move_hold, 180);
	assert_null(conf->metrics);
	assert_null(conf->include_dir);
	assert_null(conf->allow);
	assert_int_equal(conf->n_allow, 0);
	assert_string_equal(conf->pidfile, "/run/vtep/vtep.pid");
	assert_string_equal(conf->dumpdir, "/run/vtep");
	assert_false(conf->capture.enabled);
	assert_null(conf->capture.file);
	assert_null(conf->capture.filter);
	assert_int_equal(conf->capture.point, CONF_CAPTURE_INNER);
	assert_int_equal(conf->capture.max_size, 0);
	assert_int_equal(conf->capture.max_files, 2);
	assert_int_equal(conf->n_vnis, 1);
	assert_int_equal(conf->vnis[0].vni, 100);
	assert_false(conf->vnis[0].has_group);
	assert_int_equal(conf->vnis[0].flood, VTEP_FLOOD_AUTO);
	assert_int_equal(conf->vnis[0].n_peers + conf->vnis[0].n_taps, 0);
	assert_int_equal(conf->vnis[0].n_fdb + conf->vnis[0].n_arp, 0);
	assert_int_equal(conf->n_files, 1);
	assert_string_equal(conf->files[0], "t.conf");
	conf_free(conf);

	/* arp_ageing follows ageing unless set. */
	assert_int_equal(load(L1 V2 "ageing = 60;\n", &conf, err, sizeof(err)), 0);
	assert_int_equal(conf->arp_ageing, 60);
	conf_free(conf);
	assert_int_equal(load(L1 V2 "ageing = 60;\narp_ageing = 90;\n", &conf, err, sizeof(err)), 0);
	assert_int_equal(conf->arp_ageing, 90);
	conf_free(conf);
}

static const char full_text[] =
	"local = \"10.0.0.1\";\n"
	"dev = \"eth1\";\n"
	"dstport = 8472;\n"
	"srcport = [ 40000, 50000 ];\n"
	"ttl = 32;\n"
	"mcast_ttl = 4; tos = \"inherit\";\n"
	"mtu = 1400;\n"
	"learning = false;\n"
	"ageing = 120;\n"
	"maxaddress = 1000;\n"
	"reserved_bits = \"ignore\"; df = \"unset\";\n"
	"arp_suppress = false; persist_taps = false;\n"
	"arp_ageing = 240;\n"
	"arp_max = 2000;\n"
	"workers = 4; busy_poll = 50; cpus = [ 2, 0, 1023 ];\n"
	"bum_rate = 500;\n"
	"move_limit = 3;\n"
	"move_window = 60;\n"
	"move_hold = 600;\n"
	"metrics = \"/tmp/vtep.prom\";\n"
	"allow = [ \"10.0.0.0/24\", \"192.0.2.7\" ];\n"
	"pidfile = \"/tmp/vtep.pid\";\n"
	"dumpdir = \"/tmp\";\n"
	"capture = { file = \"/tmp/vtep.pcap\"; filter = \"arp or icmp\"; point = \"both\";\n"
	"            max_size = 10000000000; max_files = 5; };\n"
	"vnis = (\n"
	"  { vni = 100; group = \"239.1.1.100\"; peers = [ \"10.0.0.2\", \"10.0.0.3\" ];\n"
	"    flood = \"multicast\";\n"
	"    taps = ( { name = \"vm1\"; macs = [ \"52:54:00:00:0a:01\" ]; },"
	" { name = \"vm2\"; netns = \"blue\"; } );\n"
	"    fdb = ( { mac = \"52:54:00:12:34:56\"; remote = \"10.0.0.2\"; } );\n"
	"    arp = ( { ip = \"192.168.7.2\"; mac = \"52:54:00:12:34:56\"; },\n"
	"            { ip = \"fd00::2\"; mac = \"52:54:00:12:34:57\"; } ); },\n"
	"  { vni = 16777215; flood = \"unicast\"; peers = [ \"10.0.0.4\" ]; tos = 0x28;\n"
	"    maxaddress = 77; arp_max = 33; learning = false; arp_suppress = false; bum_rate = 0; }\n"
	");\n";

static void full_config(void **state)
{
	const struct conf_vni *v;
	struct vtep_conf *conf;
	char buf[VTEP_ADDR_STRLEN];
	char err[1024];

	(void)state;
	assert_int_equal(load(full_text, &conf, err, sizeof(err)), 0);
	assert_string_equal(conf->dev, "eth1");
	assert_int_equal(conf->dstport, 8472);
	assert_int_equal(conf->srcport_min, 40000);
	assert_int_equal(conf->srcport_max, 50000);
	assert_int_equal(conf->ttl, 32);
	assert_int_equal(conf->mcast_ttl, 4);
	assert_int_equal(conf->tos, VTEP_TOS_INHERIT);
	assert_int_equal(conf->mtu, 1400);
	assert_false(conf->learning);
	assert_int_equal(conf->ageing, 120);
	assert_int_equal(conf->maxaddress, 1000);
	assert_int_equal(conf->reserved_bits, CONF_RESERVED_IGNORE);
	assert_int_equal(conf->df, CONF_DF_UNSET);
	assert_false(conf->persist_taps);
	assert_false(conf->arp_suppress);
	assert_int_equal(conf->arp_ageing, 240);
	assert_int_equal(conf->arp_max, 2000);
	assert_int_equal(conf->workers, 4);
	assert_int_equal(conf->busy_poll, 50);
	assert_int_equal(conf->n_cpus, 3);
	assert_int_equal(conf->cpus[0], 2);
	assert_int_equal(conf->cpus[1], 0);
	assert_int_equal(conf->cpus[2], 1023);
	assert_int_equal(conf->cpus_line, 15);
	assert_int_equal(conf->bum_rate, 500);
	assert_int_equal(conf->move_limit, 3);
	assert_int_equal(conf->move_window, 60);
	assert_int_equal(conf->move_hold, 600);
	assert_string_equal(conf->metrics, "/tmp/vtep.prom");
	assert_int_equal(conf->n_allow, 2);
	assert_string_equal(vtep_addr_fmt(&conf->allow[0].addr, buf), "10.0.0.0");
	assert_int_equal(conf->allow[0].len, 24);
	assert_string_equal(vtep_addr_fmt(&conf->allow[1].addr, buf), "192.0.2.7");
	assert_int_equal(conf->allow[1].len, 32);
	assert_string_equal(conf->pidfile, "/tmp/vtep.pid");
	assert_string_equal(conf->dumpdir, "/tmp");
	assert_true(conf->capture.enabled);
	assert_string_equal(conf->capture.file, "/tmp/vtep.pcap");
	assert_string_equal(conf->capture.filter, "arp or icmp");
	assert_int_equal(conf->capture.filter_line, 24);     /* for libpcap's errors */
	assert_string_equal(conf->capture.filter_file, conf->path);
	assert_int_equal(conf->capture.point, CONF_CAPTURE_BOTH);
	assert_true(conf->capture.max_size == 10000000000ull);
	assert_int_equal(conf->capture.max_files, 5);

	assert_int_equal(conf->n_vnis, 2);
	v = conf_find_vni(conf, 100);
	assert_ptr_equal(v, &conf->vnis[0]);
	assert_true(v->has_group);
	assert_string_equal(vtep_addr_fmt(&v->group, buf), "239.1.1.100");
	assert_int_equal(v->flood, VTEP_FLOOD_MULTICAST);
	assert_int_equal(v->n_peers, 2);
	assert_string_equal(vtep_addr_fmt(&v->peers[1], buf), "10.0.0.3");
	assert_int_equal(v->n_taps, 2);
	assert_string_equal(v->taps[0].name, "vm1");
	assert_string_equal(v->taps[0].netns, "");
	assert_int_equal(v->taps[0].n_macs, 1);
	assert_string_equal(vtep_mac_fmt(&v->taps[0].macs[0], buf), "52:54:00:00:0a:01");
	assert_int_equal(v->taps[1].n_macs, 0);
	assert_string_equal(v->taps[1].name, "vm2");
	assert_string_equal(v->taps[1].netns, "blue");
	assert_string_equal(v->taps[1].file, "t.conf");
	assert_int_equal(v->taps[1].line, 29);
	assert_int_equal(v->n_fdb, 1);
	assert_string_equal(vtep_mac_fmt(&v->fdb[0].mac, buf), "52:54:00:12:34:56");
	assert_string_equal(vtep_addr_fmt(&v->fdb[0].remote, buf), "10.0.0.2");
	assert_int_equal(v->fdb[0].line, 30);
	assert_int_equal(v->n_arp, 2);
	assert_int_equal(v->arp[1].ip.family, AF_INET6);
	assert_string_equal(vtep_addr_fmt(&v->arp[1].ip, buf), "fd00::2");
	assert_string_equal(vtep_mac_fmt(&v->arp[1].mac, buf), "52:54:00:12:34:57");
	assert_string_equal(v->file, "t.conf");
	assert_int_equal(v->line, 27);
	assert_int_equal(v->tos, VTEP_TOS_UNSET);
	assert_int_equal(v->maxaddress, 0);
	assert_int_equal(v->learning, -1);
	assert_int_equal(v->arp_suppress, -1);
	assert_int_equal(v->bum_rate, -1);

	v = conf_find_vni(conf, 16777215);
	assert_non_null(v);
	assert_int_equal(v->flood, VTEP_FLOOD_UNICAST);
	assert_false(v->has_group);
	assert_int_equal(v->tos, 0x28);
	assert_int_equal(v->maxaddress, 77);
	assert_int_equal(v->arp_max, 33);
	assert_int_equal(v->learning, 0);
	assert_int_equal(v->arp_suppress, 0);
	assert_int_equal(v->bum_rate, 0);
	assert_null(conf_find_vni(conf, 101));
	conf_free(conf);
}

/* ------------------------------------------------------------------ */
/* API edges                                                           */

static void api_edges(void **state)
{
	struct vtep_conf *conf = (struct vtep_conf *)&conf;
	struct vtep_conf *untouched = conf;
	char err[64];

	(void)state;
	conf_free(NULL);

	/* Failure leaves *ret_conf alone. */
	assert_int_equal(conf_load_string("ttl = 0;\n", "t.conf", &conf, err, sizeof(err)),
			 -EINVAL);
	assert_ptr_equal(conf, untouched);

	/* Only whole lines go into a short errbuf. */
	assert_int_equal(conf_load_string("ttl = 0;\nmtu = 1;\n", "t.conf", &conf, err,
					  sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:1: ttl: '0' out of range (1..255)\n");

	/* No errbuf at all is allowed. */
	assert_int_equal(conf_load_string("ttl = 0;\n", "t.conf", &conf, NULL, 0), -EINVAL);

	/* Without a name. */
	assert_int_equal(conf_load_string(L1 "vnis = 1;\n", NULL, &conf, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "<string>:2: vnis: expected list, got integer '1'\n");
}

/* Lists longer than the limits of vtep.h. */
static void limits(void **state)
{
	size_t cap = 64 * 1024;
	char *text = malloc(cap);
	struct vtep_conf *conf;
	char err[512];
	size_t o;

	(void)state;
	assert_non_null(text);
	o = (size_t)snprintf(text, cap, L1 "vnis = ( { vni = 1; peers = [ \"10.1.0.1\"");
	for (int i = 2; i <= VTEP_MAX_PEERS + 1; i++)
		o += (size_t)snprintf(text + o, cap - o, ", \"10.1.%d.%d\"", i / 256, i % 256);
	snprintf(text + o, cap - o, " ];\n taps = ( { name = \"t0\"; }");
	o += strlen(text + o);
	for (int i = 1; i <= VTEP_MAX_TAPS; i++)
		o += (size_t)snprintf(text + o, cap - o, ", { name = \"t%d\"; }", i);
	snprintf(text + o, cap - o, " ); } );\n");
	assert_int_equal(load(text, &conf, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.conf:2: vnis[0].peers: too many entries (at most 1024)\n"
			    "t.conf:3: vnis[0].taps: too many entries (at most 1024 in all)\n");

	/* A trunk's device takes a slot besides its VLAN sub-ports: 1021
	 * taps and a trunk with one VLAN fit, a second trunk does not. */
	o = (size_t)snprintf(text, cap, L1 "vnis = ( { vni = 1; taps = ( { name = \"t0\"; }");
	for (int i = 1; i < VTEP_MAX_TAPS - 3; i++)
		o += (size_t)snprintf(text + o, cap - o, ", { name = \"t%d\"; }", i);
	snprintf(text + o, cap - o, " ); },\n { vni = 2; taps = ( { name = \"k1\"; vlan = 5; } ); } );\n");
	assert_int_equal(load(text, &conf, err, sizeof(err)), 0);
	conf_free(conf);
	o = strlen(text) - strlen(" ); } );\n");
	snprintf(text + o, cap - o, " ); },\n { vni = 3; taps = ( { name = \"k2\"; vlan = 5; } ); } );\n");
	assert_int_equal(load(text, &conf, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:4: vnis[2].taps[0].name: tap 'k2': more than 1024 tap "
			    "slots in all (a trunk's device takes one besides each VLAN sub-port)\n");
	free(text);
}

static void file_errors(void **state)
{
	char path[] = "/tmp/vtep-test-XXXXXX";
	struct vtep_conf *conf = NULL;
	char err[512];
	char want[512];
	int fd;

	(void)state;
	assert_int_equal(conf_load_file("/nonexistent/vtep.conf", &conf, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/vtep.conf: cannot open: No such file or directory\n");
	assert_int_equal(conf_load_file("/", &conf, err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "/: cannot open: Is a directory\n");
	assert_null(conf);
	/* A FIFO is refused at once (read, it would wait for a writer). */
	snprintf(want, sizeof(want), "/tmp/vtep-test-fifo-%d", (int)getpid());
	assert_int_equal(mkfifo(want, 0600), 0);
	assert_true(conf_load_file(want, &conf, err, sizeof(err)) < 0);
	assert_null(conf);
	assert_non_null(strstr(err, ": cannot open: not a regular file\n"));
	unlink(want);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, L1 V2 "mtu = 100;\n", sizeof(L1 V2 "mtu = 100;\n") - 1),
			 (ssize_t)sizeof(L1 V2 "mtu = 100;\n") - 1);
	close(fd);
	assert_int_equal(conf_load_file(path, &conf, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: mtu: '100' out of range (576..9000)\n", path);
	assert_string_equal(err, want);

	/* libconfig would stop reading at a NUL byte: refuse the file instead. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\0ttl = 0;\n", 10), 10);
	close(fd);
	assert_int_equal(conf_load_file(path, &conf, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: contains a NUL byte\n", path);
	assert_string_equal(err, want);

	/* 16 MiB is the most (of comments here); one byte more is refused. */
	assert_int_equal(truncate(path, 0), 0);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, L1 V2, sizeof(L1 V2) - 1), (ssize_t)sizeof(L1 V2) - 1);
	assert_int_equal(lseek(fd, (16 << 20) - 1, SEEK_SET), (16 << 20) - 1);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	{
		static char pad[1 << 16];
		off_t at = (off_t)(sizeof(L1 V2) - 1);

		memset(pad, '#', sizeof(pad));
		while (at < (16 << 20) - 1) {
			size_t n = VTEP_MIN(sizeof(pad), (size_t)((16 << 20) - 1 - at));

			/* one comment line per 64 KiB block */
			pad[n - 1] = '\n';
			assert_int_equal(pwrite(fd, pad, n, at), (ssize_t)n);
			pad[n - 1] = '#';
			at += (off_t)n;
		}
	}
	close(fd);
	assert_int_equal(conf_load_file(path, &conf, err, sizeof(err)), 0);
	conf_free(conf);
	conf = NULL;
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\n", 1), 1);
	close(fd);
	assert_int_equal(conf_load_file(path, &conf, err, sizeof(err)), -EFBIG);
	assert_null(conf);
	snprintf(want, sizeof(want), "%s: cannot open: %s\n", path, strerror(EFBIG));
	assert_string_equal(err, want);
	unlink(path);
}

static void example_config(void **state)
{
	const char *path = "packaging/vtep.conf";
	struct vtep_conf *conf = NULL;
	char err[4096];
	int r;

	(void)state;
	if (access(path, R_OK) != 0)
		path = "../../packaging/vtep.conf";
	r = conf_load_file(path, &conf, err, sizeof(err));
	if (r != 0)
		print_error("%s", err);
	assert_int_equal(r, 0);
	assert_non_null(conf_find_vni(conf, 100));
	assert_true(conf->capture.enabled);
	conf_free(conf);
}

/* ------------------------------------------------------------------ */
/* include_dir drop-ins                                                */

struct dropin_dir {
	char path[64];
};

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int dir_setup(void **state)
{
	struct dropin_dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/vtep-dropin-XXXXXX");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dropin_dir *d = *state;
	struct dirent *e;
	char path[512];
	DIR *dir;

	dir = opendir(d->path);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->path, e->d_name);
		unlink(path);
	}
	if (dir)
		closedir(dir);
	rmdir(d->path);
	free(d);
	return 0;
}

/* The main text with include_dir pointing at the test directory. */
static int load_main(const struct dropin_dir *d, const char *vnis, struct vtep_conf **conf,
		     char *err, size_t len)
{
	char text[1024];

	snprintf(text, sizeof(text), "local = \"10.0.0.1\";\ninclude_dir = \"%s\";\n%s", d->path,
		 vnis);
	*conf = NULL;
	return conf_load_string(text, "main.conf", conf, err, len);
}

static void dropin_extend(void **state)
{
	struct dropin_dir *d = *state;
	const struct conf_vni *v;
	struct vtep_conf *conf;
	char err[2048];
	char want[256];

	put_file(d->path, "20-new.conf",
		 "vnis = ( { vni = 200; flood = \"unicast\"; peers = [ \"10.0.0.5\" ];\n"
		 "  taps = ( { name = \"vm3\"; }, { name = \"vm1\"; vlan = 20; } ); } );\n");
	put_file(d->path, "10-add.conf",
		 "# adds to VNI 100\n"
		 "vnis = ( { vni = 100; taps = ( { name = \"vm2\"; } );\n"
		 "  fdb = ( { mac = \"52:54:00:00:00:09\"; remote = \"10.0.0.9\"; } ); } );\n");
	put_file(d->path, "README", "not a drop-in\n");
	put_file(d->path, "old.conf.bak", "garbage\n");
	put_file(d->path, ".hidden.conf", "garbage\n");

	assert_int_equal(load_main(d, "vnis = ( { vni = 100; group = \"239.1.1.1\";\n"
				   "  taps = ( { name = \"vm1\"; } ); } );\n",
				   &conf, err, sizeof(err)), 0);
	assert_int_equal(conf->n_files, 3);
	assert_string_equal(conf->files[0], "main.conf");
	snprintf(want, sizeof(want), "%s/10-add.conf", d->path);
	assert_string_equal(conf->files[1], want);
	snprintf(want, sizeof(want), "%s/20-new.conf", d->path);
	assert_string_equal(conf->files[2], want);

	v = conf_find_vni(conf, 100);
	assert_non_null(v);
	assert_true(v->has_group);
	assert_int_equal(v->n_taps, 2);
	assert_string_equal(v->taps[1].name, "vm2");
	assert_string_equal(v->taps[1].file, conf->files[1]);
	assert_int_equal(v->taps[1].line, 2);
	assert_int_equal(v->n_fdb, 1);
	v = conf_find_vni(conf, 200);
	assert_non_null(v);
	assert_int_equal(v->flood, VTEP_FLOOD_UNICAST);
	assert_string_equal(v->file, conf->files[2]);
	assert_string_equal(v->taps[0].name, "vm3");
	/* A drop-in may give a tap of the main file a VLAN sub-port. */
	assert_int_equal(v->n_taps, 2);
	assert_string_equal(v->taps[1].name, "vm1");
	assert_int_equal(v->taps[1].vlan, 20);
	assert_int_equal(conf_find_vni(conf, 100)->taps[0].vlan, 0);
	conf_free(conf);
}

static void dropin_errors(void **state)
{
	struct dropin_dir *d = *state;
	struct vtep_conf *conf;
	char err[4096];
	char want[4096];

	put_file(d->path, "a.conf",
		 "vnis = ( { vni = 100;\n"
		 "  taps = ( { name = \"vm1\"; } );\n"
		 "  fdb = ( { mac = \"52:54:00:00:00:01\"; remote = \"10.0.0.2\"; } ); } );\n"
		 "ttl = 5;\n");
	put_file(d->path, "b.conf",
		 "vnis = ( { vni = 100; group = \"239.1.1.2\";\n"
		 "  arp = ( { ip = \"192.168.0.1\"; mac = \"52:54:00:00:00:01\"; } );\n"
		 "  fdb = ( { mac = \"52:54:00:00:00:01\"; remote = \"10.0.0.3\"; } ); },\n"
		 "  { vni = 300; flood = \"multicast\"; },\n"
		 "  { vni = 100; tos = 4; maxaddress = 9; learning = false; } );\n");
	put_file(d->path, "c.conf", "vnis = ( { vni = 100; arp = ( { ip = \"192.168.0.1\";\n"
		 "  mac = \"52:54:00:00:00:02\"; } ); } );\n");
	put_file(d->path, "d.conf", "vnis = ( { vni = 400;\n");
	put_file(d->path, "e.conf", "vnis = ( { vni = 500; taps = ( { name = \"vm1\"; } ); } );\n");

	assert_int_equal(load_main(d, "vnis = ( { vni = 100; } );\nttl = 0;\n", &conf, err,
				   sizeof(err)), -EINVAL);
	assert_null(conf);
	snprintf(want, sizeof(want),
		 "main.conf:4: ttl: '0' out of range (1..255)\n"
		 "%1$s/a.conf:4: unknown key 'ttl' (a drop-in file holds only 'vnis')\n"
		 "%1$s/b.conf:1: vnis[0].group: VNI '100' is declared at main.conf:3; "
		 "a drop-in may only add taps, fdb and arp to it\n"
		 "%1$s/b.conf:3: vnis[0].fdb[0].mac: duplicate static MAC '52:54:00:00:00:01' "
		 "(first at %1$s/a.conf:3)\n"
		 "%1$s/b.conf:4: vnis[1].flood: 'multicast' needs a group\n"
		 "%1$s/b.conf:5: vnis[2].tos: VNI '100' is declared at main.conf:3; "
		 "a drop-in may only add taps, fdb and arp to it\n"
		 "%1$s/b.conf:5: vnis[2].maxaddress: VNI '100' is declared at main.conf:3; "
		 "a drop-in may only add taps, fdb and arp to it\n"
		 "%1$s/b.conf:5: vnis[2].learning: VNI '100' is declared at main.conf:3; "
		 "a drop-in may only add taps, fdb and arp to it\n"
		 "%1$s/c.conf:1: vnis[0].arp[0].ip: duplicate static ARP entry '192.168.0.1' "
		 "(first at %1$s/b.conf:2)\n"
		 "%1$s/d.conf:1: syntax error\n"
		 "%1$s/e.conf:1: vnis[0].taps[0].name: duplicate tap 'vm1' "
		 "(first at %1$s/a.conf:2)\n", d->path);
	assert_string_equal(err, want);
}

static void dropin_empty(void **state)
{
	struct dropin_dir *d = *state;
	struct vtep_conf *conf;
	char err[1024];

	/* An empty directory is fine, but then the main file must have a VNI. */
	assert_int_equal(load_main(d, "vnis = ();\n", &conf, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "main.conf:3: vnis: no VNI configured\n");

	/* Every VNI may come from drop-ins. */
	put_file(d->path, "only.conf", "vnis = ( { vni = 9; } );\n");
	assert_int_equal(load_main(d, "vnis = ();\n", &conf, err, sizeof(err)), 0);
	assert_int_equal(conf->n_vnis, 1);
	assert_int_equal(conf->vnis[0].vni, 9);
	assert_int_equal(conf->vnis[0].line, 1);
	conf_free(conf);
}

static void dropin_unreadable(void **state)
{
	struct dropin_dir *d = *state;
	struct vtep_conf *conf;
	char path[256];
	char err[1024];
	char want[1024];

	/* A directory named *.conf cannot be read as a file. */
	snprintf(path, sizeof(path), "%s/sub.conf", d->path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(load_main(d, V2, &conf, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: cannot open: Is a directory\n", path);
	assert_string_equal(err, want);
	rmdir(path);
	/* Nor a FIFO: it would hang the reload until someone wrote to it. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(load_main(d, V2, &conf, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: cannot open: not a regular file\n", path);
	assert_string_equal(err, want);
	unlink(path);
}

int main(void)
{
	const size_t n = VTEP_ARRAY_SIZE(cases);
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	const struct CMUnitTest others[] = {
		cmocka_unit_test(five_mistakes),
		cmocka_unit_test(defaults),
		cmocka_unit_test(full_config),
		cmocka_unit_test(api_edges),
		cmocka_unit_test(limits),
		cmocka_unit_test(file_errors),
		cmocka_unit_test(example_config),
		cmocka_unit_test_setup_teardown(dropin_extend, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(dropin_errors, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(dropin_empty, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(dropin_unreadable, dir_setup, dir_teardown),
	};
	int failed;

	if (!tests)
		return 1;
	for (size_t i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = run_case;
		tests[i].initial_state = (void *)(uintptr_t)&cases[i];
	}
	failed = _cmocka_run_group_tests("conf_cases", tests, n, NULL, NULL);
	failed += cmocka_run_group_tests_name("conf", others, NULL, NULL);
	free(tests);
	return failed ? 1 : 0;
}
