/* SPDX-License-Identifier: MIT */
/*
 * proto/ctl.c - the control socket's requests: split, parse, describe, and
 * the selection of FDB and ARP/ND entries a flush takes.
 */
#include "ctl.h"

#include <stdlib.h>

int ctl_split(char *buf, size_t len, const char **words, size_t max)
{
	size_t n = 0, start = 0;

	if (len == 0 || len > CTL_MAX_REQUEST || buf[len - 1] != '\0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\0')
			continue;
		if (i == start || n == max)
			return -1;
		words[n++] = buf + start;
		start = i + 1;
	}
	return (int)n;
}

/* A selector's value: the word after key, or NULL with why filled. */
static const char *value_of(const char *const *words, size_t n, size_t *i, bool *seen,
			    char *why, size_t whylen)
{
	const char *key = words[*i];

	if (*seen) {
		snprintf(why, whylen, "'%s' given twice", key);
		return NULL;
	}
	if (*i + 1 >= n) {
		snprintf(why, whylen, "'%s' needs a value", key);
		return NULL;
	}
	*seen = true;
	return words[++*i];
}

static int parse_vni(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > VTEP_VNI_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* One selector, words[*i] its key; *i is left on its value. */
static int parse_selector(const char *const *words, size_t n, size_t *i,
			  struct ctl_request *r, char *why, size_t whylen)
{
	const char *key = words[*i], *v;
	bool tap_seen = r->tap[0] != '\0';

	if (strcmp(key, "vni") == 0) {
		v = value_of(words, n, i, &r->has_vni, why, whylen);
		if (v && parse_vni(v, &r->vni) < 0)
			snprintf(why, whylen, "vni '%s': not a number from 1 to %u", v, VTEP_VNI_MAX);
		else if (v)
			return 0;
	} else if (strcmp(key, "mac") == 0) {
		v = value_of(words, n, i, &r->has_mac, why, whylen);
		if (v && vtep_mac_parse(v, &r->mac) < 0)
			snprintf(why, whylen, "mac '%s': not a MAC address", v);
		else if (v)
			return 0;
	} else if (strcmp(key, "remote") == 0 || strcmp(key, "ip") == 0) {
		bool remote = key[0] == 'r';
		struct vtep_addr *a = remote ? &r->remote : &r->ip;

		v = value_of(words, n, i, remote ? &r->has_remote : &r->has_ip, why, whylen);
		if (v && (vtep_addr_parse(v, a) < 0 || !vtep_addr_is_unicast(a)))
			snprintf(why, whylen, "%s '%s': not a unicast IPv4 or IPv6 address", key, v);
		else if (v)
			return 0;
	} else if (strcmp(key, "tap") == 0) {
		v = value_of(words, n, i, &tap_seen, why, whylen);
		if (v && strlen(v) >= VTEP_IFNAMSIZ)
			snprintf(why, whylen, "tap '%s': longer than %d characters", v,
				 VTEP_IFNAMSIZ - 1);
		else if (v) {
			snprintf(r->tap, sizeof(r->tap), "%s", v);
			return 0;
		}
	} else {
		snprintf(why, whylen, "unknown word '%s' (flush takes fdb, arp, vni, mac, "
			 "remote, tap and ip)", key);
	}
	return -EINVAL;
}

int ctl_parse(const char *const *words, size_t n, struct ctl_request *ret, char *why,
	      size_t whylen)
{
	struct ctl_request r;
	bool fdb = false, arp = false, located;

	memset(&r, 0, sizeof(r));
	if (n > 0 && strcmp(words[0], "config") == 0) {
		if (n > 1) {
			snprintf(why, whylen, "'config' takes no words ('%s')", words[1]);
			return -EINVAL;
		}
		r.cmd = CTL_CONFIG;
		*ret = r;
		return 0;
	}
	if (n == 0 || strcmp(words[0], "flush") != 0) {
		snprintf(why, whylen, "unknown command '%s' (the daemon knows flush and config)",
			 n ? words[0] : "");
		return -EINVAL;
	}
	r.cmd = CTL_FLUSH;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(words[i], "fdb") == 0)
			fdb = true;
		else if (strcmp(words[i], "arp") == 0)
			arp = true;
		else if (parse_selector(words, n, &i, &r, why, whylen) < 0)
			return -EINVAL;
	}
	located = r.has_remote || r.tap[0];
	if (r.has_ip && (located || fdb)) {
		snprintf(why, whylen, "'ip' selects ARP/ND entries, which %s",
			 located ? "have no 'remote' or 'tap'" : "'fdb' leaves out");
		return -EINVAL;
	}
	if (located && arp) {
		snprintf(why, whylen, "'%s' selects FDB entries, which 'arp' leaves out "
			 "(ARP/ND entries have no location)", r.has_remote ? "remote" : "tap");
		return -EINVAL;
	}
	if (!fdb && !arp) {
		fdb = !r.has_ip;
		arp = !located;
	}
	r.fdb = fdb;
	r.arp = arp;
	*ret = r;
	return 0;
}

const char *ctl_describe(const struct ctl_request *r, char *buf, size_t len)
{
	char a[VTEP_ADDR_STRLEN], m[VTEP_MAC_STRLEN];
	size_t at = 0;

	buf[0] = '\0';
#define PUT(...) (at += (size_t)snprintf(buf + at, at < len ? len - at : 0, __VA_ARGS__))
	if (r->has_vni)
		PUT(" vni %u", r->vni);
	if (r->has_mac)
		PUT(" mac %s", vtep_mac_fmt(&r->mac, m));
	if (r->has_remote)
		PUT(" remote %s", vtep_addr_fmt(&r->remote, a));
	if (r->tap[0])
		PUT(" tap %s", r->tap);
	if (r->has_ip)
		PUT(" ip %s", vtep_addr_fmt(&r->ip, a));
#undef PUT
	if (at == 0)
		snprintf(buf, len, " all");
	return buf + 1;
}

bool ctl_fdb_match(const struct ctl_request *r, const struct fdb_entry *e,
		   bool (*tap_ok)(uint16_t tap, void *arg), void *arg)
{
	if (!r->fdb || (e->type != FDB_LOCAL && e->type != FDB_REMOTE))
		return false;
	if ((r->has_vni && e->vni != r->vni) || (r->has_mac && !vtep_mac_eq(&e->mac, &r->mac)))
		return false;
	if (r->has_remote && (e->type != FDB_REMOTE || !vtep_addr_eq(&e->remote, &r->remote)))
		return false;
	if (r->tap[0] && (e->type != FDB_LOCAL || !tap_ok || !tap_ok(e->tap, arg)))
		return false;
	return true;
}

bool ctl_arp_match(const struct ctl_request *r, const struct arpc_entry *e)
{
	if (!r->arp || e->type != ARPC_SNOOPED)
		return false;
	if ((r->has_vni && e->vni != r->vni) || (r->has_mac && !vtep_mac_eq(&e->mac, &r->mac)))
		return false;
	return !r->has_ip || vtep_addr_eq(&e->ip, &r->ip);
}
