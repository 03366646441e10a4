/* SPDX-License-Identifier: MIT */
/*
 * conf/value.c - reading one value: typed getters with range and syntax
 * checks, the generic key readers the schema tables point at, the group
 * walker that reports unknown keys, and "PATH: message" reporting. Key paths
 * are described in conf/schema.c.
 */
#include "internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>

/* ------------------------------------------------------------------ */
/* Reporting                                                           */

int conf_line_of(const config_setting_t *s)
{
	int line = config_setting_source_line(s);

	return line > 0 ? line : 1;
}

const char *conf_file_name(const struct conf_ctx *ctx)
{
	return ctx->conf->files[ctx->file];
}

/* Paths are made of our own key names, so a cut one is unlikely: mark it. */
static void path_cut(char *buf, int n)
{
	if (n >= CONF_PATH_MAX)
		memcpy(buf + CONF_PATH_MAX - 4, "...", 4);
}

void conf_path_key(char *buf, const char *parent, const char *name)
{
	if (*parent)
		path_cut(buf, snprintf(buf, CONF_PATH_MAX, "%s.%s", parent, name));
	else
		path_cut(buf, snprintf(buf, CONF_PATH_MAX, "%s", name));
}

void conf_path_elem(char *buf, const char *parent, int i)
{
	path_cut(buf, snprintf(buf, CONF_PATH_MAX, "%s[%d]", parent, i));
}

/* "PATH: message" at the line of s. */
void conf_report(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (*path)
		conf_error(ctx, conf_line_of(s), "%s: %s", path, msg);
	else
		conf_error(ctx, conf_line_of(s), "%s", msg);
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "integer";
	case CONFIG_TYPE_FLOAT:
		return "float";
	case CONFIG_TYPE_STRING:
		return "string";
	case CONFIG_TYPE_BOOL:
		return "boolean";
	case CONFIG_TYPE_ARRAY:
		return "array";
	case CONFIG_TYPE_LIST:
		return "list";
	case CONFIG_TYPE_GROUP:
		return "group";
	}
	return "setting";
}

static char *int_text(const struct conf_ctx *ctx, int64_t v, char *buf, size_t len)
{
	const char *big = conf_big_text(ctx, v);

	if (big)
		return conf_quote(big, buf, len);
	snprintf(buf, len, "%" PRId64, v);
	return buf;
}

/* " 'value'" for a scalar, "" for a group, list or array. */
static char *describe(const struct conf_ctx *ctx, const config_setting_t *s, char *buf,
		      size_t len)
{
	char q[CONF_QUOTE_MAX];

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		int_text(ctx, config_setting_get_int64(s), q, sizeof(q));
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(q, sizeof(q), "%g", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_STRING:
		conf_quote(config_setting_get_string(s), q, sizeof(q));
		break;
	case CONFIG_TYPE_BOOL:
		snprintf(q, sizeof(q), "%s", config_setting_get_bool(s) ? "true" : "false");
		break;
	default:
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, " '%s'", q);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Typed getters: each reports its own problem and returns false.      */

bool conf_expect(struct conf_ctx *ctx, const config_setting_t *s, const char *path, int type)
{
	char d[CONF_QUOTE_MAX + 4];
	int t = config_setting_type(s);

	if (t == type || (type == CONFIG_TYPE_INT64 && t == CONFIG_TYPE_INT))
		return true;
	conf_report(ctx, s, path, "expected %s, got %s%s", type_name(type), type_name(t),
		    describe(ctx, s, d, sizeof(d)));
	return false;
}

bool conf_get_int(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		  int64_t lo, int64_t hi, int64_t *ret)
{
	char q[CONF_QUOTE_MAX];
	int64_t v;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_INT64))
		return false;
	v = config_setting_get_int64(s);
	if (v < lo || v > hi || conf_big_text(ctx, v)) {
		conf_report(ctx, s, path, "'%s' out of range (%" PRId64 "..%" PRId64 ")",
			    int_text(ctx, v, q, sizeof(q)), lo, hi);
		return false;
	}
	*ret = v;
	return true;
}

const char *conf_get_str(struct conf_ctx *ctx, const config_setting_t *s, const char *path)
{
	const char *v;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_STRING))
		return NULL;
	v = config_setting_get_string(s);
	if (!*v) {
		conf_report(ctx, s, path, "must not be empty");
		return NULL;
	}
	return v;
}

/* Why a for an underlay of the family of local (unset: not known yet)
 * cannot be used, NULL when it can. The underlay is one family, as with
 * the kernel driver; IPv6 link-local addresses need an interface to mean
 * anything and mapped addresses are IPv4 in disguise. */
static const char *underlay_unfit(const struct vtep_addr *a, const struct vtep_addr *local)
{
	if (vtep_addr_is_set(local) && a->family != local->family)
		return a->family == AF_INET6 ? "is an IPv6 address but local is IPv4; "
		       "the underlay is one address family" : "is an IPv4 address but local is "
		       "IPv6; the underlay is one address family";
	if (a->family != AF_INET6)
		return NULL;
	if (IN6_IS_ADDR_LINKLOCAL(&a->v6))
		return "is link-local; the underlay needs a global or unique local address";
	if (IN6_IS_ADDR_V4MAPPED(&a->v6))
		return "is an IPv4-mapped address; write the IPv4 address";
	return NULL;
}

bool conf_get_addr(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		   enum conf_addr kind, struct vtep_addr *ret)
{
	char q[CONF_QUOTE_MAX];
	struct vtep_addr a;
	const char *v, *why;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_STRING))
		return false;
	v = config_setting_get_string(s);
	conf_quote(v, q, sizeof(q));
	if (vtep_addr_parse(v, &a) < 0) {
		conf_report(ctx, s, path, "invalid IP address '%s'", q);
		return false;
	}
	if (kind == CONF_ADDR_GROUP && !vtep_addr_is_multicast(&a)) {
		conf_report(ctx, s, path, "'%s' is not a multicast address", q);
		return false;
	}
	if (kind != CONF_ADDR_GROUP && !vtep_addr_is_unicast(&a)) {
		conf_report(ctx, s, path, "'%s' is not a unicast address", q);
		return false;
	}
	why = kind == CONF_ADDR_UNICAST ? NULL : underlay_unfit(&a, &ctx->conf->local);
	if (why) {
		conf_report(ctx, s, path, "'%s' %s", q, why);
		return false;
	}
	*ret = a;
	return true;
}

/* An underlay unicast address that must not be our own. */
bool conf_get_remote(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     struct vtep_addr *ret)
{
	char q[CONF_QUOTE_MAX];
	struct vtep_addr a;

	if (!conf_get_addr(ctx, s, path, CONF_ADDR_UNDERLAY, &a))
		return false;
	if (vtep_addr_eq(&a, &ctx->conf->local)) {
		conf_report(ctx, s, path, "'%s' is the local address",
			    conf_quote(config_setting_get_string(s), q, sizeof(q)));
		return false;
	}
	*ret = a;
	return true;
}

static bool is_digit_str(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* If s is ADDR/LEN with host bits set, the prefix that was probably meant. */
static bool prefix_hint(const char *s, char *buf, size_t len)
{
	char a[VTEP_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	struct vtep_addr addr;
	unsigned long plen;
	char *end;

	if (!slash || (size_t)(slash - s) >= sizeof(a) || !is_digit_str(slash + 1))
		return false;
	snprintf(a, sizeof(a), "%.*s", (int)(slash - s), s);
	plen = strtoul(slash + 1, &end, 10);
	if (vtep_addr_parse(a, &addr) < 0 || plen > (addr.family == AF_INET ? 32u : 128u))
		return false;
	vtep_prefix_mask(&addr, (unsigned int)plen);
	snprintf(buf, len, "%s/%lu", vtep_addr_fmt(&addr, a), plen);
	return true;
}

bool conf_get_prefix(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     struct vtep_prefix *ret)
{
	char q[CONF_QUOTE_MAX];
	char hint[VTEP_ADDR_STRLEN + 8];
	struct vtep_prefix p;
	const char *v;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_STRING))
		return false;
	v = config_setting_get_string(s);
	conf_quote(v, q, sizeof(q));
	if (vtep_prefix_parse(v, &p) < 0) {
		if (prefix_hint(v, hint, sizeof(hint)))
			conf_report(ctx, s, path, "'%s' has host bits set (meant '%s'?)", q, hint);
		else
			conf_report(ctx, s, path, "invalid prefix '%s' (ADDRESS/LENGTH)", q);
		return false;
	}
	if (vtep_addr_is_set(&ctx->conf->local) && p.addr.family != ctx->conf->local.family) {
		conf_report(ctx, s, path, "'%s' is an IPv%c prefix but local is IPv%c; "
			    "the underlay is one address family", q,
			    p.addr.family == AF_INET6 ? '6' : '4',
			    p.addr.family == AF_INET6 ? '4' : '6');
		return false;
	}
	*ret = p;
	return true;
}

bool conf_get_mac(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		  struct vtep_mac *ret)
{
	char q[CONF_QUOTE_MAX];
	struct vtep_mac m;
	const char *v;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_STRING))
		return false;
	v = config_setting_get_string(s);
	conf_quote(v, q, sizeof(q));
	if (vtep_mac_parse(v, &m) < 0) {
		conf_report(ctx, s, path, "invalid MAC address '%s'", q);
		return false;
	}
	if (!vtep_mac_is_valid_unicast(&m)) {
		conf_report(ctx, s, path, "'%s' is not a unicast MAC address", q);
		return false;
	}
	*ret = m;
	return true;
}

/* s is well-formed UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF): names go into the JSON dump and the metrics, which must
 * be UTF-8. */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		unsigned int c = *p, n, cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (unsigned int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		p += n + 1;
	}
	return true;
}

/* conf_quote, with every byte past ASCII shown as '?' (for a name that is
 * not UTF-8: the message must be). */
static const char *quote_ascii(const char *s, char *buf, size_t len)
{
	conf_quote(s, buf, len);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return buf;
}

/* Linux's dev_valid_name(), and no control characters either; no '%'
 * (the kernel takes a name with one for a template: "vm%d" makes vm0). */
static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= VTEP_IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == '%' || isspace((unsigned char)*s) ||
		    iscntrl((unsigned char)*s))
			return false;
	return true;
}

/* A file name under /run/netns. */
static bool netns_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= VTEP_NETNS_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return false;
	return true;
}

bool conf_require(struct conf_ctx *ctx, const config_setting_t *g, const char *path,
		  const char *name)
{
	if (config_setting_get_member(g, name))
		return true;
	conf_report(ctx, g, path, "missing required key '%s'", name);
	return false;
}

/* ------------------------------------------------------------------ */
/* Generic keys                                                        */

static void *field(void *obj, const struct conf_key *k)
{
	return (char *)obj + k->off;
}

static void store_uint(void *p, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case 1:
		memcpy(p, &u8, 1);
		break;
	case 2:
		memcpy(p, &u16, 2);
		break;
	case 4:
		memcpy(p, &u32, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

void conf_key_uint(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		   void *obj, const struct conf_key *k)
{
	int64_t v;

	if (conf_get_int(ctx, s, path, k->lo, k->hi, &v))
		store_uint(field(obj, k), k->size, (uint64_t)v);
}

void conf_key_bool(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		   void *obj, const struct conf_key *k)
{
	bool v;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_BOOL))
		return;
	v = config_setting_get_bool(s) != 0;
	memcpy(field(obj, k), &v, sizeof(v));
}

/* The outer DS field: "inherit", or a number whose two low (ECN) bits are
 * clear, since ECN always follows the inner packet (RFC 6040). */
void conf_key_tos(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		  void *obj, const struct conf_key *k)
{
	char q[CONF_QUOTE_MAX];
	int16_t tos;
	int64_t v;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *w = config_setting_get_string(s);

		if (strcmp(w, "inherit") != 0) {
			conf_report(ctx, s, path, "invalid value '%s' (a number or \"inherit\")",
				    conf_quote(w, q, sizeof(q)));
			return;
		}
		tos = VTEP_TOS_INHERIT;
	} else {
		if (!conf_get_int(ctx, s, path, 0, 252, &v))
			return;
		if (v & 3) {
			conf_report(ctx, s, path, "'%" PRId64 "' sets ECN bits: the two low bits "
				    "follow the inner packet (RFC 6040); give the DSCP times 4 "
				    "(184 = 0xb8 for EF)", v);
			return;
		}
		tos = (int16_t)v;
	}
	memcpy(field(obj, k), &tos, sizeof(tos));
}

/* One of k->words; stores its index (the enum value). */
void conf_key_word(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		   void *obj, const struct conf_key *k)
{
	char q[CONF_QUOTE_MAX];
	char list[128];
	size_t len = 0;
	const char *v;
	size_t i;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_STRING))
		return;
	v = config_setting_get_string(s);
	for (i = 0; k->words[i]; i++) {
		if (!strcmp(v, k->words[i])) {
			store_uint(field(obj, k), k->size, i);
			return;
		}
	}
	/* "a, b or c" */
	list[0] = '\0';
	for (i = 0; k->words[i] && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i == 0 ? "" : k->words[i + 1] ? ", " : " or ",
					k->words[i]);
	conf_report(ctx, s, path, "invalid value '%s' (%s)", conf_quote(v, q, sizeof(q)), list);
}

/* A non-empty string, copied into a char * field. */
void conf_key_str(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		  void *obj, const struct conf_key *k)
{
	char **p = field(obj, k);
	const char *v = conf_get_str(ctx, s, path);
	char *copy;

	if (!v)
		return;
	copy = strdup(v);
	if (!copy) {
		ctx->oom = true;
		return;
	}
	free(*p);
	*p = copy;
}

void conf_key_ifname(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     void *obj, const struct conf_key *k)
{
	char q[CONF_QUOTE_MAX];
	const char *v;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_STRING))
		return;
	v = config_setting_get_string(s);
	if (!utf8_ok(v)) {
		conf_report(ctx, s, path, "interface name '%s' is not UTF-8",
			    quote_ascii(v, q, sizeof(q)));
		return;
	}
	if (!ifname_ok(v)) {
		conf_report(ctx, s, path, "invalid interface name '%s' "
			    "(1..%d characters, no '/', ':', '%%' or white space)",
			    conf_quote(v, q, sizeof(q)), VTEP_IFNAMSIZ - 1);
		return;
	}
	memcpy(field(obj, k), v, strlen(v) + 1);
}

void conf_key_netns(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		    void *obj, const struct conf_key *k)
{
	char q[CONF_QUOTE_MAX];
	const char *v;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_STRING))
		return;
	v = config_setting_get_string(s);
	if (!utf8_ok(v)) {
		conf_report(ctx, s, path, "netns name '%s' is not UTF-8", quote_ascii(v, q, sizeof(q)));
		return;
	}
	if (!netns_ok(v)) {
		conf_report(ctx, s, path, "invalid netns name '%s' "
			    "(1..%d characters, no '/' or white space)",
			    conf_quote(v, q, sizeof(q)), VTEP_NETNS_MAX - 1);
		return;
	}
	memcpy(field(obj, k), v, strlen(v) + 1);
}

void conf_key_local(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		    void *obj, const struct conf_key *k)
{
	struct vtep_addr a;

	if (conf_get_addr(ctx, s, path, CONF_ADDR_UNDERLAY, &a))
		memcpy(field(obj, k), &a, sizeof(a));
}

void conf_key_remote(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     void *obj, const struct conf_key *k)
{
	struct vtep_addr a;

	if (conf_get_remote(ctx, s, path, &a))
		memcpy(field(obj, k), &a, sizeof(a));
}

void conf_key_neigh(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		    void *obj, const struct conf_key *k)
{
	struct vtep_addr a;

	if (conf_get_addr(ctx, s, path, CONF_ADDR_UNICAST, &a))
		memcpy(field(obj, k), &a, sizeof(a));
}

void conf_key_mac(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		  void *obj, const struct conf_key *k)
{
	struct vtep_mac m;

	if (conf_get_mac(ctx, s, path, &m))
		memcpy(field(obj, k), &m, sizeof(m));
}

static const struct conf_key *find_key(const struct conf_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

/* Read every member of group g with the table keys; unknown names are errors. */
void conf_walk(struct conf_ctx *ctx, const config_setting_t *g, const char *path,
	       const struct conf_key *keys, size_t n_keys, void *obj)
{
	char p[CONF_PATH_MAX];
	char q[CONF_QUOTE_MAX];
	int n = config_setting_length(g);

	/* Keys marked first, then the others, each in file order. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			const config_setting_t *s = config_setting_get_elem(g, (unsigned int)i);
			const char *name = config_setting_name(s);
			const struct conf_key *k = find_key(keys, n_keys, name);

			if (!k) {
				if (pass == 1)
					conf_report(ctx, s, path, "unknown key '%s'%s",
						    conf_quote(name, q, sizeof(q)),
						    ctx->dropin && !*path ?
						    " (a drop-in file holds only 'vnis')" : "");
				continue;
			}
			if (k->first != (pass == 0))
				continue;
			conf_path_key(p, path, name);
			if (k->fn)
				k->fn(ctx, s, p, obj, k);
		}
	}
}
