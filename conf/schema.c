/* SPDX-License-Identifier: MIT */
/*
 * conf/schema.c - the configuration schema of DESIGN.md 3: the key tables,
 * VNI entries with their taps, static FDB and ARP entries, duplicate and
 * cross-field checks, and the top level of the main file and of drop-ins.
 * A problem is recorded and the walk goes on, so one run reports them all.
 *
 * Messages name the key by its path: names joined by '.', list and array
 * elements as [i] counting from 0 within the file being read, e.g.
 * "vnis[1].taps[0].name", "srcport[1]", "capture.point". A message about a
 * group's content (unknown or missing keys) names the group; at the top
 * level it has no path. User values appear in single quotes.
 */
#include "internal.h"

#include <inttypes.h>

/* ------------------------------------------------------------------ */
/* Duplicate static entries                                            */

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The bytes that identify the static entry in slot: its VNI and MAC or IP. */
static size_t slot_key(const struct vtep_conf *c, bool arp, uint64_t slot, uint8_t key[24])
{
	uint32_t vi = (uint32_t)(slot >> 32) - 1;
	uint32_t ei = (uint32_t)slot;
	const struct conf_vni *v = &c->vnis[vi];

	memcpy(key, &vi, 4);
	if (!arp) {
		memcpy(key + 4, v->fdb[ei].mac.b, 6);
		return 10;
	}
	if (v->arp[ei].ip.family == AF_INET) {
		key[4] = 4;
		memcpy(key + 5, &v->arp[ei].ip.v4, 4);
		return 9;
	}
	key[4] = 6;
	memcpy(key + 5, &v->arp[ei].ip.v6, 16);
	return 21;
}

static bool dupset_grow(struct conf_ctx *ctx, struct conf_dupset *set, bool arp)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	uint64_t *slot = calloc(cap, sizeof(*slot));
	uint8_t key[24];

	if (!slot) {
		ctx->oom = true;
		return false;
	}
	for (size_t i = 0; i < set->cap; i++) {
		size_t j;

		if (!set->slot[i])
			continue;
		j = (size_t)hash_bytes(key, slot_key(ctx->conf, arp, set->slot[i], key));
		for (j &= cap - 1; slot[j]; j = (j + 1) & (cap - 1))
			;
		slot[j] = set->slot[i];
	}
	free(set->slot);
	set->slot = slot;
	set->cap = cap;
	return true;
}

/* Add entry ei of VNI vi; returns the slot of an equal entry added before, or 0. */
static uint64_t dupset_add(struct conf_ctx *ctx, bool arp, size_t vi, size_t ei)
{
	struct conf_dupset *set = arp ? &ctx->arp_set : &ctx->fdb_set;
	uint64_t slot = (uint64_t)(vi + 1) << 32 | ei;
	uint8_t key[24];
	uint8_t other[24];
	size_t len;
	size_t i;

	if (set->n * 2 >= set->cap && !dupset_grow(ctx, set, arp))
		return 0;
	len = slot_key(ctx->conf, arp, slot, key);
	i = (size_t)hash_bytes(key, len);
	for (i &= set->cap - 1; set->slot[i]; i = (i + 1) & (set->cap - 1))
		if (slot_key(ctx->conf, arp, set->slot[i], other) == len &&
		    memcmp(key, other, len) == 0)
			return set->slot[i];
	set->slot[i] = slot;
	set->n++;
	return 0;
}

/* Whether static entry ei of the current VNI (group g) repeats an earlier one. */
static bool static_dup(struct conf_ctx *ctx, bool arp, size_t ei, const config_setting_t *g,
		       const char *path)
{
	const char *key = arp ? "ip" : "mac";
	const struct conf_vni *v;
	char p[CONF_PATH_MAX];
	char buf[VTEP_ADDR_STRLEN];
	uint64_t first;
	uint32_t fi;

	if (ctx->vni_idx == SIZE_MAX)
		return false;   /* the VNI itself is in error already */
	first = dupset_add(ctx, arp, ctx->vni_idx, ei);
	if (!first)
		return false;
	v = &ctx->conf->vnis[ctx->vni_idx];
	fi = (uint32_t)first;
	conf_path_key(p, path, key);
	if (arp)
		conf_report(ctx, config_setting_get_member(g, key), p,
			    "duplicate static ARP entry '%s' (first at %s:%d)",
			    vtep_addr_fmt(&v->arp[ei].ip, buf), v->arp[fi].file, v->arp[fi].line);
	else
		conf_report(ctx, config_setting_get_member(g, key), p,
			    "duplicate static MAC '%s' (first at %s:%d)",
			    vtep_mac_fmt(&v->fdb[ei].mac, buf), v->fdb[fi].file, v->fdb[fi].line);
	return true;
}

/* How many elements array s has, min to max (else reported): or -1. */
static int array_len(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     int min, int max)
{
	int n;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_ARRAY))
		return -1;
	n = config_setting_length(s);
	if (n > max) {
		conf_report(ctx, s, path, "too many entries (at most %d)", max);
		return -1;
	}
	if (n < min) {
		conf_report(ctx, s, path, "must not be empty");
		return -1;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* VNI entries                                                         */

/* A kind of value in a list of distinct ones (list_distinct): get reads
 * element e into ret, or reports why not and returns false; eq compares. */
struct list_kind {
	bool (*get)(struct conf_ctx *ctx, const config_setting_t *e, const char *path, void *ret);
	bool (*eq)(const void *a, const void *b);
	size_t size;
};

static bool get_mac(struct conf_ctx *ctx, const config_setting_t *e, const char *path, void *ret)
{
	return conf_get_mac(ctx, e, path, ret);
}

static bool eq_mac(const void *a, const void *b)
{
	return vtep_mac_eq(a, b);
}

static bool get_unicast(struct conf_ctx *ctx, const config_setting_t *e, const char *path,
			void *ret)
{
	return conf_get_addr(ctx, e, path, CONF_ADDR_UNICAST, ret);
}

static bool eq_addr(const void *a, const void *b)
{
	return vtep_addr_eq(a, b);
}

static const struct list_kind macs_kind = { get_mac, eq_mac, sizeof(struct vtep_mac) };
static const struct list_kind ips_kind = { get_unicast, eq_addr, sizeof(struct vtep_addr) };

/* Array s of 1 to max distinct values of kind k into out; returns how
 * many. A repeated one is reported in the words the file spells it. */
static size_t list_distinct(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
			    int max, const struct list_kind *k, void *out)
{
	int n = array_len(ctx, s, path, 1, max);
	union {
		struct vtep_addr a;
		struct vtep_mac m;
	} v;                            /* room for a value of any kind, aligned */
	char p[CONF_PATH_MAX];
	char q[CONF_QUOTE_MAX];
	size_t have = 0;

	for (int i = 0; i < n && k->size <= sizeof(v); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		bool dup = false;

		conf_path_elem(p, path, i);
		if (!k->get(ctx, e, p, &v))
			continue;
		for (size_t j = 0; j < have; j++)
			dup = dup || k->eq((uint8_t *)out + j * k->size, &v);
		if (dup)
			conf_report(ctx, e, p, "'%s' is listed twice",
				    conf_quote(config_setting_get_string(e), q, sizeof(q)));
		else
			memcpy((uint8_t *)out + have++ * k->size, &v, k->size);
	}
	return have;
}

/* The source MACs a tap is pinned to, and the IP addresses its guest may claim. */
static void key_tap_macs(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
			 void *obj, const struct conf_key *k)
{
	struct conf_tap *t = obj;

	(void)k;
	t->n_macs = list_distinct(ctx, s, path, VTEP_TAP_MACS, &macs_kind, t->macs);
}

static void key_tap_ips(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
			void *obj, const struct conf_key *k)
{
	struct conf_tap *t = obj;

	(void)k;
	t->n_ips = list_distinct(ctx, s, path, VTEP_TAP_IPS, &ips_kind, t->ips);
}

static const struct conf_key tap_keys[] = {
	K_FIELD(struct conf_tap, name, conf_key_ifname),
	K_FIELD(struct conf_tap, netns, conf_key_netns),
	K_UINT(struct conf_tap, vlan, 1, 4094),
	K_CALL("macs", key_tap_macs),
	K_CALL("ips", key_tap_ips),
};

static const struct conf_key fdb_keys[] = {
	K_FIELD(struct conf_fdb, mac, conf_key_mac),
	K_FIELD(struct conf_fdb, remote, conf_key_remote),
};

static const struct conf_key arp_keys[] = {
	K_FIELD(struct conf_arp, ip, conf_key_neigh),
	K_FIELD(struct conf_arp, mac, conf_key_mac),
};

/*
 * Check that list s fits in what is left of a limit (room of max, counted
 * "in all" or "per VNI": scope) and grow arr, holding have, for it.
 */
static void *reserve(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     void *arr, size_t have, size_t size, size_t room, size_t max,
		     const char *scope)
{
	size_t n;
	void *p;

	if (!conf_expect(ctx, s, path, CONFIG_TYPE_LIST))
		return NULL;
	n = (size_t)config_setting_length(s);
	if (n > room) {
		conf_report(ctx, s, path, "too many entries (at most %zu %s)", max, scope);
		return NULL;
	}
	p = reallocarray(arr, have + n + 1, size);
	if (!p)
		ctx->oom = true;
	return p;
}

/* The first tap entry named name with VLAN vlan (any VLAN: -1), in any VNI. */
static const struct conf_tap *find_tap(const struct conf_ctx *ctx, const struct conf_vni *v,
				       const char *name, int vlan)
{
	const struct vtep_conf *c = ctx->conf;

	for (size_t i = 0; i < c->n_vnis; i++)
		for (size_t j = 0; j < c->vnis[i].n_taps; j++)
			if (!strcmp(c->vnis[i].taps[j].name, name) &&
			    (vlan < 0 || c->vnis[i].taps[j].vlan == vlan))
				return &c->vnis[i].taps[j];
	/* A throw-away VNI is not in c->vnis: check its own taps too. */
	for (size_t j = 0; ctx->vni_idx == SIZE_MAX && j < v->n_taps; j++)
		if (!strcmp(v->taps[j].name, name) && (vlan < 0 || v->taps[j].vlan == vlan))
			return &v->taps[j];
	return NULL;
}

/*
 * One device may be listed once per VLAN: untagged (no vlan) in one VNI,
 * and as the sub-port of each VLAN it carries in others (a trunk). Every
 * entry of a device names the same netns.
 */
static void parse_tap(struct conf_ctx *ctx, const config_setting_t *g, const char *path,
		      struct conf_vni *v)
{
	struct conf_tap *t = &v->taps[v->n_taps];
	const struct conf_tap *first;
	size_t errors = ctx->n_msgs, slots;
	char p[CONF_PATH_MAX];

	if (!conf_expect(ctx, g, path, CONFIG_TYPE_GROUP))
		return;
	memset(t, 0, sizeof(*t));
	conf_walk(ctx, g, path, tap_keys, VTEP_ARRAY_SIZE(tap_keys), t);
	conf_require(ctx, g, path, "name");
	if (ctx->n_msgs != errors)
		return;
	conf_path_key(p, path, "name");
	first = find_tap(ctx, v, t->name, t->vlan);
	if (first) {
		if (t->vlan)
			conf_report(ctx, config_setting_get_member(g, "name"), p,
				    "duplicate tap '%s' vlan %u (first at %s:%d)", t->name,
				    (unsigned int)t->vlan, first->file, first->line);
		else
			conf_report(ctx, config_setting_get_member(g, "name"), p,
				    "duplicate tap '%s' (first at %s:%d)", t->name, first->file,
				    first->line);
		return;
	}
	for (size_t j = 0; j < v->n_taps; j++) {
		if (strcmp(v->taps[j].name, t->name))
			continue;
		conf_report(ctx, config_setting_get_member(g, "name"), p,
			    "tap '%s' is in vni %u already (at %s:%d)", t->name, v->vni,
			    v->taps[j].file, v->taps[j].line);
		return;
	}
	first = find_tap(ctx, v, t->name, -1);
	if (first && strcmp(first->netns, t->netns)) {
		conf_report(ctx, config_setting_get_member(g, "name"), p,
			    "tap '%s' is in netns '%s' at %s:%d, not '%s'", t->name, first->netns,
			    first->file, first->line, t->netns);
		return;
	}
	/* ctx->n_taps counts the daemon's tap slots: one per device and one
	 * per VLAN sub-port, so a trunk's device takes one of its own. */
	slots = t->vlan ? 1 + !first : !first;
	if (ctx->n_taps + slots > VTEP_MAX_TAPS) {
		conf_report(ctx, config_setting_get_member(g, "name"), p,
			    "tap '%s': more than %d tap slots in all (a trunk's device takes "
			    "one besides each VLAN sub-port)", t->name, VTEP_MAX_TAPS);
		return;
	}
	t->file = conf_file_name(ctx);
	t->line = conf_line_of(g);
	v->n_taps++;
	ctx->n_taps += slots;
}

static void key_taps(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     void *obj, const struct conf_key *k)
{
	struct conf_vni *v = obj;
	char p[CONF_PATH_MAX];
	struct conf_tap *taps;

	(void)k;
	taps = reserve(ctx, s, path, v->taps, v->n_taps, sizeof(*taps),
		       VTEP_MAX_TAPS - ctx->n_taps, VTEP_MAX_TAPS, "in all");
	if (!taps)
		return;
	v->taps = taps;
	for (int i = 0; i < config_setting_length(s); i++) {
		conf_path_elem(p, path, i);
		parse_tap(ctx, config_setting_get_elem(s, (unsigned int)i), p, v);
	}
}

/* With allow given, a peer or static remote it leaves out would never be
 * heard: every packet from it dropped as not_allowed. */
static void check_allowed(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
			  const struct vtep_addr *a)
{
	const struct vtep_conf *c = ctx->conf;
	char q[VTEP_ADDR_STRLEN];

	for (size_t i = 0; i < c->n_allow; i++)
		if (vtep_prefix_contains(&c->allow[i], a))
			return;
	if (c->n_allow)
		conf_report(ctx, s, path, "'%s' is outside allow (every packet from it would be "
			    "dropped as not_allowed)", vtep_addr_fmt(a, q));
}

static void parse_fdb(struct conf_ctx *ctx, const config_setting_t *g, const char *path,
		      struct conf_vni *v)
{
	struct conf_fdb *f = &v->fdb[v->n_fdb];
	size_t errors = ctx->n_msgs;
	char p[CONF_PATH_MAX];

	if (!conf_expect(ctx, g, path, CONFIG_TYPE_GROUP))
		return;
	memset(f, 0, sizeof(*f));
	conf_walk(ctx, g, path, fdb_keys, VTEP_ARRAY_SIZE(fdb_keys), f);
	conf_require(ctx, g, path, "mac");
	conf_require(ctx, g, path, "remote");
	if (ctx->n_msgs != errors)
		return;
	f->file = conf_file_name(ctx);
	f->line = conf_line_of(g);
	conf_path_key(p, path, "remote");
	check_allowed(ctx, config_setting_get_member(g, "remote"), p, &f->remote);
	if (!static_dup(ctx, false, v->n_fdb, g, path))
		v->n_fdb++;
}

static void key_fdb(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		    void *obj, const struct conf_key *k)
{
	struct conf_vni *v = obj;
	char p[CONF_PATH_MAX];
	struct conf_fdb *fdb;

	(void)k;
	fdb = reserve(ctx, s, path, v->fdb, v->n_fdb, sizeof(*fdb),
		      VTEP_MAX_STATIC - v->n_fdb, VTEP_MAX_STATIC, "per VNI");
	if (!fdb)
		return;
	v->fdb = fdb;
	for (int i = 0; i < config_setting_length(s); i++) {
		conf_path_elem(p, path, i);
		parse_fdb(ctx, config_setting_get_elem(s, (unsigned int)i), p, v);
	}
}

static void parse_arp(struct conf_ctx *ctx, const config_setting_t *g, const char *path,
		      struct conf_vni *v)
{
	struct conf_arp *a = &v->arp[v->n_arp];
	size_t errors = ctx->n_msgs;

	if (!conf_expect(ctx, g, path, CONFIG_TYPE_GROUP))
		return;
	memset(a, 0, sizeof(*a));
	conf_walk(ctx, g, path, arp_keys, VTEP_ARRAY_SIZE(arp_keys), a);
	conf_require(ctx, g, path, "ip");
	conf_require(ctx, g, path, "mac");
	if (ctx->n_msgs != errors)
		return;
	a->file = conf_file_name(ctx);
	a->line = conf_line_of(g);
	if (!static_dup(ctx, true, v->n_arp, g, path))
		v->n_arp++;
}

static void key_arp(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		    void *obj, const struct conf_key *k)
{
	struct conf_vni *v = obj;
	char p[CONF_PATH_MAX];
	struct conf_arp *arp;

	(void)k;
	arp = reserve(ctx, s, path, v->arp, v->n_arp, sizeof(*arp),
		      VTEP_MAX_STATIC - v->n_arp, VTEP_MAX_STATIC, "per VNI");
	if (!arp)
		return;
	v->arp = arp;
	for (int i = 0; i < config_setting_length(s); i++) {
		conf_path_elem(p, path, i);
		parse_arp(ctx, config_setting_get_elem(s, (unsigned int)i), p, v);
	}
}

static void key_group(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		      void *obj, const struct conf_key *k)
{
	struct conf_vni *v = obj;

	(void)k;
	v->has_group = conf_get_addr(ctx, s, path, CONF_ADDR_GROUP, &v->group);
}

static bool has_peer(const struct conf_vni *v, const struct vtep_addr *a)
{
	for (size_t i = 0; i < v->n_peers; i++)
		if (vtep_addr_eq(&v->peers[i], a))
			return true;
	return false;
}

static void key_peers(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		      void *obj, const struct conf_key *k)
{
	struct conf_vni *v = obj;
	char p[CONF_PATH_MAX];
	char q[CONF_QUOTE_MAX];
	struct vtep_addr a;
	int n;

	(void)k;
	if (!conf_expect(ctx, s, path, CONFIG_TYPE_ARRAY))
		return;
	n = config_setting_length(s);
	if (n > VTEP_MAX_PEERS) {
		conf_report(ctx, s, path, "too many entries (at most %d)", VTEP_MAX_PEERS);
		return;
	}
	v->peers = calloc((size_t)n + 1, sizeof(*v->peers));
	if (!v->peers) {
		ctx->oom = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);

		conf_path_elem(p, path, i);
		if (!conf_get_remote(ctx, e, p, &a))
			continue;
		if (has_peer(v, &a))
			conf_report(ctx, e, p, "duplicate peer '%s'",
				    conf_quote(config_setting_get_string(e), q, sizeof(q)));
		else
			v->peers[v->n_peers++] = a;
		check_allowed(ctx, e, p, &a);
	}
}

#define TABLE_MAX 16777216

/* In a drop-in, for a VNI declared before: group, peers, flood, tos,
 * maxaddress, arp_max, learning, arp_suppress and bum_rate are its own. */
static void key_declared(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
			 void *obj, const struct conf_key *k)
{
	const struct conf_vni *v = obj;

	(void)k;
	conf_report(ctx, s, path, "VNI '%" PRIu32 "' is declared at %s:%d; "
		    "a drop-in may only add taps, fdb and arp to it", v->vni, v->file, v->line);
}

static const char *const flood_words[] = { "auto", "multicast", "unicast", NULL };

/* conf_key_bool stores a bool (0 or 1) into the VNI's int8_t learning and
 * arp_suppress, whose -1 says "not set here". */
_Static_assert(sizeof(bool) == sizeof(int8_t), "a bool fills an int8_t");

static const struct conf_key vni_keys[] = {
	K_CALL("vni", NULL),
	K_CALL("group", key_group),
	K_CALL("peers", key_peers),
	K_WORD(struct conf_vni, flood, flood_words),
	K_FIELD(struct conf_vni, tos, conf_key_tos),
	K_UINT(struct conf_vni, maxaddress, 1, TABLE_MAX),
	K_UINT(struct conf_vni, arp_max, 1, TABLE_MAX),
	K_FIELD(struct conf_vni, learning, conf_key_bool),
	K_FIELD(struct conf_vni, arp_suppress, conf_key_bool),
	K_UINT(struct conf_vni, bum_rate, 0, UINT32_MAX),
	K_CALL("taps", key_taps),
	K_CALL("fdb", key_fdb),
	K_CALL("arp", key_arp),
};

static const struct conf_key extend_keys[] = {
	K_CALL("vni", NULL),
	K_CALL("group", key_declared),
	K_CALL("peers", key_declared),
	K_CALL("flood", key_declared),
	K_CALL("tos", key_declared),
	K_CALL("maxaddress", key_declared),
	K_CALL("arp_max", key_declared),
	K_CALL("learning", key_declared),
	K_CALL("arp_suppress", key_declared),
	K_CALL("bum_rate", key_declared),
	K_CALL("taps", key_taps),
	K_CALL("fdb", key_fdb),
	K_CALL("arp", key_arp),
};

static void check_flood(struct conf_ctx *ctx, const config_setting_t *g, const char *path)
{
	const config_setting_t *f = config_setting_get_member(g, "flood");
	const config_setting_t *peers = config_setting_get_member(g, "peers");
	char p[CONF_PATH_MAX];
	const char *mode;

	if (!f || config_setting_type(f) != CONFIG_TYPE_STRING)
		return;
	mode = config_setting_get_string(f);
	conf_path_key(p, path, "flood");
	if (!strcmp(mode, "multicast") && !config_setting_get_member(g, "group"))
		conf_report(ctx, f, p, "'multicast' needs a group");
	if (!strcmp(mode, "unicast") &&
	    (!peers || (config_setting_is_aggregate(peers) && config_setting_length(peers) == 0)))
		conf_report(ctx, f, p, "'unicast' needs peers");
}

static void new_vni(struct conf_ctx *ctx, const config_setting_t *vs, const char *path,
		    uint32_t vni)
{
	struct vtep_conf *c = ctx->conf;
	struct conf_vni *v;

	if (c->n_vnis >= VTEP_MAX_VNIS) {
		conf_report(ctx, vs, path, "too many VNIs (at most %d)", VTEP_MAX_VNIS);
		return;
	}
	v = reallocarray(c->vnis, c->n_vnis + 1, sizeof(*v));
	if (!v) {
		ctx->oom = true;
		return;
	}
	c->vnis = v;
	v = &c->vnis[c->n_vnis];
	memset(v, 0, sizeof(*v));
	v->vni = vni;
	v->flood = VTEP_FLOOD_AUTO;
	v->tos = VTEP_TOS_UNSET;
	v->learning = -1;
	v->arp_suppress = -1;
	v->bum_rate = -1;
	v->file = conf_file_name(ctx);
	v->line = conf_line_of(vs);
	ctx->vni_idx = c->n_vnis++;
}

/*
 * Point ctx->vni_idx at the VNI entry g is about: a new one, or in a drop-in
 * one declared before (then returns true). On error it stays SIZE_MAX and
 * the entry is still checked, into a throw-away struct.
 */
static bool vni_target(struct conf_ctx *ctx, const config_setting_t *g, const char *path)
{
	const config_setting_t *vs = config_setting_get_member(g, "vni");
	const struct conf_vni *first;
	char p[CONF_PATH_MAX];
	int64_t vni;

	ctx->vni_idx = SIZE_MAX;
	if (!conf_require(ctx, g, path, "vni"))
		return false;
	conf_path_key(p, path, "vni");
	if (!conf_get_int(ctx, vs, p, 1, VTEP_VNI_MAX, &vni))
		return false;
	first = conf_find_vni(ctx->conf, (uint32_t)vni);
	if (first && ctx->dropin) {
		ctx->vni_idx = (size_t)(first - ctx->conf->vnis);
		return true;
	}
	if (first)
		conf_report(ctx, vs, p, "duplicate VNI '%" PRId64 "' (first at %s:%d)", vni,
			    first->file, first->line);
	else
		new_vni(ctx, vs, p, (uint32_t)vni);
	return false;
}

static void parse_vni(struct conf_ctx *ctx, const config_setting_t *g, const char *path)
{
	struct conf_vni scratch;
	struct conf_vni *v;

	ctx->n_entries++;
	if (!conf_expect(ctx, g, path, CONFIG_TYPE_GROUP))
		return;
	memset(&scratch, 0, sizeof(scratch));
	if (vni_target(ctx, g, path)) {
		v = &ctx->conf->vnis[ctx->vni_idx];
		conf_walk(ctx, g, path, extend_keys, VTEP_ARRAY_SIZE(extend_keys), v);
	} else {
		v = ctx->vni_idx == SIZE_MAX ? &scratch : &ctx->conf->vnis[ctx->vni_idx];
		conf_walk(ctx, g, path, vni_keys, VTEP_ARRAY_SIZE(vni_keys), v);
		check_flood(ctx, g, path);
	}
	conf_vni_fini(&scratch);
	ctx->vni_idx = SIZE_MAX;
}

static void parse_vnis(struct conf_ctx *ctx, const config_setting_t *s)
{
	char p[CONF_PATH_MAX];

	for (int i = 0; i < config_setting_length(s); i++) {
		conf_path_elem(p, "vnis", i);
		parse_vni(ctx, config_setting_get_elem(s, (unsigned int)i), p);
	}
}

void conf_vni_fini(struct conf_vni *v)
{
	free(v->peers);
	free(v->taps);
	free(v->fdb);
	free(v->arp);
}

/* ------------------------------------------------------------------ */
/* Top level                                                           */

static void key_srcport(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
			void *obj, const struct conf_key *k)
{
	struct vtep_conf *c = obj;
	char p0[CONF_PATH_MAX];
	char p1[CONF_PATH_MAX];
	int64_t lo;
	int64_t hi;
	bool ok;

	(void)k;
	if (!conf_expect(ctx, s, path, CONFIG_TYPE_ARRAY))
		return;
	if (config_setting_length(s) != 2) {
		conf_report(ctx, s, path, "expected 2 ports [low, high], got %d",
			    config_setting_length(s));
		return;
	}
	conf_path_elem(p0, path, 0);
	conf_path_elem(p1, path, 1);
	ok = conf_get_int(ctx, config_setting_get_elem(s, 0), p0, 1, 65535, &lo);
	ok = conf_get_int(ctx, config_setting_get_elem(s, 1), p1, 1, 65535, &hi) && ok;
	if (!ok)
		return;
	if (lo > hi) {
		conf_report(ctx, s, path, "low port '%" PRId64 "' above high port '%" PRId64 "'",
			    lo, hi);
		return;
	}
	c->srcport_min = (uint16_t)lo;
	c->srcport_max = (uint16_t)hi;
}

/* Zeroed room for the elements of array s (at most max, and one more);
 * *ret_n gets how many. NULL with *ret_n = 0 when s is not such an array
 * (reported) or memory ran out. */
static void *array_room(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
			int max, size_t size, int *ret_n)
{
	void *room;
	int n = array_len(ctx, s, path, 0, max);

	*ret_n = 0;
	if (n < 0)
		return NULL;
	room = calloc((size_t)n + 1, size);
	if (!room) {
		ctx->oom = true;
		return NULL;
	}
	*ret_n = n;
	return room;
}

static void key_allow(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		      void *obj, const struct conf_key *k)
{
	struct vtep_conf *c = obj;
	char p[CONF_PATH_MAX];
	int n;

	(void)k;
	c->allow = array_room(ctx, s, path, VTEP_MAX_ALLOW, sizeof(*c->allow), &n);
	for (int i = 0; i < n; i++) {
		conf_path_elem(p, path, i);
		if (conf_get_prefix(ctx, config_setting_get_elem(s, (unsigned int)i), p,
				    &c->allow[c->n_allow]))
			c->n_allow++;
	}
}

/* CPU numbers, each once; whether this machine has them is checked where
 * they are used (daemon_check_cpus: a reload is read by a pinned thread). */
static void key_cpus(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     void *obj, const struct conf_key *k)
{
	struct vtep_conf *c = obj;
	char p[CONF_PATH_MAX];
	int n;

	(void)k;
	c->cpus_line = conf_line_of(s);
	c->cpus = array_room(ctx, s, path, VTEP_MAX_CPUS, sizeof(*c->cpus), &n);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		bool dup = false;
		int64_t v;

		conf_path_elem(p, path, i);
		if (!conf_get_int(ctx, e, p, 0, VTEP_MAX_CPUS - 1, &v))
			continue;
		for (size_t j = 0; j < c->n_cpus; j++)
			dup = dup || c->cpus[j] == v;
		if (dup)
			conf_report(ctx, e, p, "CPU %" PRId64 " is listed twice", v);
		else
			c->cpus[c->n_cpus++] = (uint16_t)v;
	}
}

static const char *const point_words[] = { "inner", "outer", "both", NULL };

static const struct conf_key capture_keys[] = {
	K_FIELD(struct conf_capture, file, conf_key_str),
	K_FIELD(struct conf_capture, filter, conf_key_str),
	K_WORD(struct conf_capture, point, point_words),
	K_UINT(struct conf_capture, max_size, 0, INT64_MAX),
	K_UINT(struct conf_capture, max_files, 1, 1000),
};

static void key_capture(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
			void *obj, const struct conf_key *k)
{
	struct vtep_conf *c = obj;
	const config_setting_t *f;

	(void)k;
	if (!conf_expect(ctx, s, path, CONFIG_TYPE_GROUP))
		return;
	c->capture.enabled = true;
	conf_walk(ctx, s, path, capture_keys, VTEP_ARRAY_SIZE(capture_keys), &c->capture);
	f = config_setting_get_member(s, "filter");
	c->capture.filter_file = conf_file_name(ctx);
	c->capture.filter_line = conf_line_of(f ? f : s);
	f = config_setting_get_member(s, "file");
	c->capture.file_line = conf_line_of(f ? f : s);
	conf_require(ctx, s, path, "file");
}

static const char *const df_words[] = { "set", "unset", NULL };

/*
 * df: a word. "unset" is an IPv4 matter (IPv6 routers never fragment:
 * there is no DF to clear); "inherit", which the kernel driver has, is named
 * as not offered: every send socket has one DF setting, not one per frame.
 */
static void key_df(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		   void *obj, const struct conf_key *k)
{
	struct vtep_conf *c = obj;
	const char *v = config_setting_type(s) == CONFIG_TYPE_STRING ?
			config_setting_get_string(s) : NULL;

	if (v && !strcmp(v, "inherit")) {
		conf_report(ctx, s, path, "'inherit' is not supported (the send sockets have one "
			    "DF setting, not one per frame): 'set' or 'unset'");
		return;
	}
	conf_key_word(ctx, s, path, obj, k);
	if (c->df == CONF_DF_UNSET && c->local.family == AF_INET6) {
		conf_report(ctx, s, path, "'unset' needs an IPv4 local (IPv6 packets have no DF "
			    "bit: routers never fragment them)");
		c->df = CONF_DF_SET;
	}
}

#define SECONDS_MAX 604800              /* a week */

static const char *const reserved_words[] = { "drop", "ignore", NULL };

static const struct conf_key main_keys[] = {
	K_FIRST(struct vtep_conf, local, conf_key_local),  /* allow, df, peers... check it */
	K_FIELD(struct vtep_conf, dev, conf_key_ifname),
	K_UINT(struct vtep_conf, dstport, 1, 65535),
	K_CALL("srcport", key_srcport),
	K_UINT(struct vtep_conf, ttl, 1, 255),
	K_UINT(struct vtep_conf, mcast_ttl, 1, 255),
	K_FIELD(struct vtep_conf, tos, conf_key_tos),
	{ "df", key_df, offsetof(struct vtep_conf, df), CONF_SIZEOF(struct vtep_conf, df), 0, 0,
	  df_words, false },
	K_UINT(struct vtep_conf, mtu, VTEP_MTU_MIN, VTEP_MTU_MAX),
	K_FIELD(struct vtep_conf, learning, conf_key_bool),
	K_UINT(struct vtep_conf, ageing, 1, SECONDS_MAX),
	K_UINT(struct vtep_conf, maxaddress, 1, TABLE_MAX),
	K_WORD(struct vtep_conf, reserved_bits, reserved_words),
	K_FIELD(struct vtep_conf, arp_suppress, conf_key_bool),
	K_UINT(struct vtep_conf, arp_ageing, 1, SECONDS_MAX),
	K_UINT(struct vtep_conf, arp_max, 1, TABLE_MAX),
	K_FIELD(struct vtep_conf, persist_taps, conf_key_bool),
	K_UINT(struct vtep_conf, workers, 1, 64),
	K_UINT(struct vtep_conf, busy_poll, 0, 1000000),
	K_CALL("cpus", key_cpus),
	K_UINT(struct vtep_conf, bum_rate, 0, UINT32_MAX),
	K_UINT(struct vtep_conf, move_limit, 1, 1000),
	K_UINT(struct vtep_conf, move_window, 1, SECONDS_MAX),
	K_UINT(struct vtep_conf, move_hold, 1, SECONDS_MAX),
	K_FIELD(struct vtep_conf, metrics, conf_key_str),
	K_FIELD(struct vtep_conf, include_dir, conf_key_str),
	K_CALL("allow", key_allow),
	K_FIELD(struct vtep_conf, pidfile, conf_key_str),
	K_FIELD(struct vtep_conf, dumpdir, conf_key_str),
	K_CALL("capture", key_capture),
	K_CALL("vnis", NULL),           /* after the rest: peers are checked against local */
};

static const struct conf_key dropin_keys[] = {
	K_CALL("vnis", NULL),
};

void conf_schema_main(struct conf_ctx *ctx, const config_setting_t *root)
{
	const config_setting_t *s;

	conf_walk(ctx, root, "", main_keys, VTEP_ARRAY_SIZE(main_keys), ctx->conf);
	conf_require(ctx, root, "", "local");
	s = config_setting_get_member(root, "vnis");
	if (conf_require(ctx, root, "", "vnis") && conf_expect(ctx, s, "vnis", CONFIG_TYPE_LIST)) {
		ctx->vnis_line = conf_line_of(s);
		parse_vnis(ctx, s);
	}
	s = config_setting_get_member(root, "include_dir");
	if (s)
		ctx->include_line = conf_line_of(s);
	if (!ctx->conf->arp_ageing)
		ctx->conf->arp_ageing = ctx->conf->ageing;
}

void conf_schema_dropin(struct conf_ctx *ctx, const config_setting_t *root)
{
	const config_setting_t *s;

	conf_walk(ctx, root, "", dropin_keys, VTEP_ARRAY_SIZE(dropin_keys), NULL);
	s = config_setting_get_member(root, "vnis");
	if (s && conf_expect(ctx, s, "vnis", CONFIG_TYPE_LIST))
		parse_vnis(ctx, s);
}

void conf_schema_finish(struct conf_ctx *ctx)
{
	if (ctx->vnis_line > 0 && ctx->n_entries == 0) {
		ctx->file = 0;
		conf_error(ctx, ctx->vnis_line, "vnis: no VNI configured");
	}
}

void conf_schema_fini(struct conf_ctx *ctx)
{
	free(ctx->fdb_set.slot);
	free(ctx->arp_set.slot);
	memset(&ctx->fdb_set, 0, sizeof(ctx->fdb_set));
	memset(&ctx->arp_set, 0, sizeof(ctx->arp_set));
}
