/* SPDX-License-Identifier: MIT */
/*
 * conf/internal.h - what conf/conf.c (files, lexing, drop-ins, the error
 * list), conf/value.c (reading one value) and conf/schema.c (the DESIGN.md 3
 * schema) share. Nothing outside conf/ includes this.
 */
#ifndef VTEP_CONF_INTERNAL_H
#define VTEP_CONF_INTERNAL_H

#include <libconfig.h>

#include "conf.h"

enum {
	CONF_PATH_MAX = 96,             /* "vnis[4095].fdb[65535].remote" and the like */
	CONF_QUOTE_MAX = 80,            /* user values are cut to this in messages */
};

/* One reported problem; sorted by (file, line, seq) before it is printed. */
struct conf_msg {
	size_t file;                    /* index into conf->files */
	int line;                       /* 0: the message is about the whole file */
	size_t seq;
	char *text;
};

/* Open-addressing set of static FDB or ARP entries, for duplicate checks. */
struct conf_dupset {
	uint64_t *slot;                 /* 0 empty, else (vni index + 1) << 32 | entry index */
	size_t cap;                     /* power of two, or 0 */
	size_t n;
};

struct conf_ctx {
	struct vtep_conf *conf;
	size_t file;                    /* file being read, index into conf->files */
	bool dropin;
	/*
	 * Integer literals of the file being read that do not fit in 64 bits.
	 * The lexer replaces the k-th one with INT64_MIN + k so that the schema
	 * can still quote the text the user wrote (libconfig 1.5 would wrap
	 * it silently).
	 */
	char **big;
	size_t n_big;
	struct conf_msg *msgs;
	size_t n_msgs;
	bool oom;
	int include_line;               /* line of include_dir in the main file */
	int vnis_line;                  /* line of vnis in the main file */
	size_t n_taps;                  /* tap slots in the whole configuration: a
					 * trunk device takes one beside its VLANs */
	size_t n_entries;               /* vnis entries seen, valid or not, in all files */
	size_t vni_idx;                 /* VNI being read, or SIZE_MAX for a throw-away one */
	struct conf_dupset fdb_set;
	struct conf_dupset arp_set;
};

/* Record a problem at line (0 = none) of the file being read. */
void conf_error(struct conf_ctx *ctx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The text of a literal the lexer replaced, or NULL when v is a real value. */
const char *conf_big_text(const struct conf_ctx *ctx, int64_t v);

/* Copy s into buf for a message: control characters become '?', long values
 * are cut and end in "...". Returns buf. */
char *conf_quote(const char *s, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Schema tables (conf/value.c, conf/schema.c)                         */

struct conf_key;

/* Reads setting s (at path) into obj, as described by k; reports problems. */
typedef void conf_key_fn(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
			 void *obj, const struct conf_key *k);

struct conf_key {
	const char *name;
	conf_key_fn *fn;                /* NULL: read by the caller of conf_walk() */
	size_t off;                     /* field in obj */
	size_t size;
	int64_t lo;                     /* conf_key_uint range */
	int64_t hi;
	const char *const *words;       /* conf_key_word values, NULL-terminated;
					 * the index is stored */
	bool first;                     /* read before the other keys, wherever it
					 * stands in the file (others check it) */
};

#define CONF_SIZEOF(T, m) sizeof(((T *)0)->m)
#define K_CALL(n, fn) { n, fn, 0, 0, 0, 0, NULL, false }
#define K_FIELD(T, m, fn) { #m, fn, offsetof(T, m), CONF_SIZEOF(T, m), 0, 0, NULL, false }
#define K_FIRST(T, m, fn) { #m, fn, offsetof(T, m), CONF_SIZEOF(T, m), 0, 0, NULL, true }
#define K_UINT(T, m, lo, hi) \
	{ #m, conf_key_uint, offsetof(T, m), CONF_SIZEOF(T, m), lo, hi, NULL, false }
#define K_WORD(T, m, w) \
	{ #m, conf_key_word, offsetof(T, m), CONF_SIZEOF(T, m), 0, 0, w, false }

enum conf_addr {
	CONF_ADDR_UNDERLAY,             /* underlay unicast: local, peers, remote */
	CONF_ADDR_GROUP,                /* underlay multicast group */
	CONF_ADDR_UNICAST,              /* overlay neighbour: IPv4 or IPv6 */
};

/* Line of s (1 for the root), and the name of the file being read. */
int conf_line_of(const config_setting_t *s);
const char *conf_file_name(const struct conf_ctx *ctx);

/* buf (CONF_PATH_MAX bytes) = parent.name, or parent[i]. */
void conf_path_key(char *buf, const char *parent, const char *name);
void conf_path_elem(char *buf, const char *parent, int i);

/* Record "PATH: message" (just "message" when path is "") at the line of s. */
void conf_report(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Typed getters: each checks the type of s and the syntax or range of its
 * value, reports a problem at path and returns false (NULL), or stores the
 * value and returns true. CONFIG_TYPE_INT64 accepts both integer types.
 */
bool conf_expect(struct conf_ctx *ctx, const config_setting_t *s, const char *path, int type);
bool conf_get_int(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		  int64_t lo, int64_t hi, int64_t *ret);
const char *conf_get_str(struct conf_ctx *ctx, const config_setting_t *s, const char *path);
bool conf_get_addr(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		   enum conf_addr kind, struct vtep_addr *ret);
/* An underlay unicast address that is not conf->local. */
bool conf_get_remote(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     struct vtep_addr *ret);
bool conf_get_prefix(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		     struct vtep_prefix *ret);
bool conf_get_mac(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
		  struct vtep_mac *ret);
/* Whether group g has member name; reports "missing required key" if not. */
bool conf_require(struct conf_ctx *ctx, const config_setting_t *g, const char *path,
		  const char *name);

/* Key readers for the tables; k->off and k->size locate the field in obj. */
conf_key_fn conf_key_uint;              /* integer in k->lo..k->hi */
conf_key_fn conf_key_bool;
conf_key_fn conf_key_tos;               /* DSCP << 2 or "inherit", into an int16_t */
conf_key_fn conf_key_word;              /* one of k->words, stored as its index */
conf_key_fn conf_key_str;               /* non-empty string, strdup'd into a char * */
conf_key_fn conf_key_ifname;            /* interface name into a char array */
conf_key_fn conf_key_netns;             /* netns name into a char array */
conf_key_fn conf_key_local;             /* IPv4 unicast */
conf_key_fn conf_key_remote;            /* IPv4 unicast, not local */
conf_key_fn conf_key_neigh;             /* IPv4 or IPv6 unicast */
conf_key_fn conf_key_mac;               /* unicast MAC */

/* Read every member of group g with the table keys; unknown names are errors. */
void conf_walk(struct conf_ctx *ctx, const config_setting_t *g, const char *path,
	       const struct conf_key *keys, size_t n_keys, void *obj);

/* ------------------------------------------------------------------ */
/* Entry points of the schema (conf/schema.c)                          */

/* Walk a parsed root: the main file (every key) or a drop-in (vnis only). */
void conf_schema_main(struct conf_ctx *ctx, const config_setting_t *root);
void conf_schema_dropin(struct conf_ctx *ctx, const config_setting_t *root);

/* Checks that need the whole configuration, after every drop-in is read. */
void conf_schema_finish(struct conf_ctx *ctx);

void conf_schema_fini(struct conf_ctx *ctx);

/* Free what a conf_vni owns (not the struct itself). */
void conf_vni_fini(struct conf_vni *v);

#endif /* VTEP_CONF_INTERNAL_H */
