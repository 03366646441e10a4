/* SPDX-License-Identifier: MIT */
/*
 * conf/conf.c - loading a configuration: reading the main file and the
 * include_dir drop-ins, fixing up integer literals for libconfig 1.5,
 * collecting every problem as "FILE:LINE: message" in line order, and the
 * struct vtep_conf lifecycle. The schema itself is conf/schema.c.
 */
#include "conf.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

enum {
	CONF_FILE_MAX = 16 << 20,       /* bytes; a larger file is refused */
};

/* ------------------------------------------------------------------ */
/* Messages                                                            */

void conf_error(struct conf_ctx *ctx, int line, const char *fmt, ...)
{
	struct conf_msg *msgs = ctx->msgs;
	char *text;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		ctx->oom = true;
		return;
	}
	/* Room for 8, then doubled whenever full. */
	if (ctx->n_msgs == 0 || (ctx->n_msgs >= 8 && (ctx->n_msgs & (ctx->n_msgs - 1)) == 0)) {
		msgs = reallocarray(msgs, ctx->n_msgs ? ctx->n_msgs * 2 : 8, sizeof(*msgs));
		if (!msgs) {
			free(text);
			ctx->oom = true;
			return;
		}
		ctx->msgs = msgs;
	}
	msgs[ctx->n_msgs].file = ctx->file;
	msgs[ctx->n_msgs].line = line;
	msgs[ctx->n_msgs].seq = ctx->n_msgs;
	msgs[ctx->n_msgs].text = text;
	ctx->n_msgs++;
}

char *conf_quote(const char *s, char *buf, size_t len)
{
	size_t max = len - 4;
	size_t i;

	for (i = 0; s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static int msg_cmp(const void *a, const void *b)
{
	const struct conf_msg *x = a;
	const struct conf_msg *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Write whole lines while they fit; errbuf is always NUL-terminated. */
static void write_msgs(struct conf_ctx *ctx, char *errbuf, size_t errlen)
{
	size_t pos = 0;

	if (!errbuf || errlen == 0)
		return;
	errbuf[0] = '\0';
	if (ctx->n_msgs > 0)
		qsort(ctx->msgs, ctx->n_msgs, sizeof(*ctx->msgs), msg_cmp);
	for (size_t i = 0; i < ctx->n_msgs; i++) {
		const struct conf_msg *m = &ctx->msgs[i];
		const char *file = ctx->conf->files[m->file];
		int n;

		if (m->line > 0)
			n = snprintf(errbuf + pos, errlen - pos, "%s:%d: %s\n", file, m->line,
				     m->text);
		else
			n = snprintf(errbuf + pos, errlen - pos, "%s: %s\n", file, m->text);
		if (n < 0 || (size_t)n >= errlen - pos) {
			errbuf[pos] = '\0';
			return;
		}
		pos += (size_t)n;
	}
}

static void free_msgs(struct conf_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_msgs; i++)
		free(ctx->msgs[i].text);
	free(ctx->msgs);
	ctx->msgs = NULL;
	ctx->n_msgs = 0;
}

/* ------------------------------------------------------------------ */
/* Integer literals                                                    */

/*
 * libconfig 1.5 reads a literal without an L suffix as a 32-bit int and
 * wraps it silently (4294967297 becomes 1, 2147483648 becomes -2147483648,
 * 99999999999999999999 becomes -1), and an array mixing 32- and 64-bit
 * literals is a syntax error. So before libconfig sees the text, every
 * integer literal gets an L: every integer is then 64 bits wide and exact.
 * A literal beyond 64 bits (or so negative that it would collide with the
 * sentinels) becomes the sentinel INT64_MIN + k and its text is kept in
 * ctx->big[k] for the range check to quote. Strings and comments are copied
 * untouched and no newline is added or removed, so line numbers hold.
 */

#define BIG_SPAN ((int64_t)1 << 32)

struct numtok {
	size_t len;                     /* the whole token, suffix included */
	size_t digits;                  /* without the L or LL suffix */
	bool integer;
	bool hex;
	bool suffix;
};

const char *conf_big_text(const struct conf_ctx *ctx, int64_t v)
{
	uint64_t k = (uint64_t)v - (uint64_t)INT64_MIN;

	return k < ctx->n_big ? ctx->big[k] : NULL;
}

static void free_big(struct conf_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_big; i++)
		free(ctx->big[i]);
	free(ctx->big);
	ctx->big = NULL;
	ctx->n_big = 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_start(char c)
{
	return isalpha((unsigned char)c) || c == '*';
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '*';
}

static bool is_number_start(const char *s)
{
	if (s[0] == '+' || s[0] == '-')
		s++;
	return is_digit(s[0]) || (s[0] == '.' && is_digit(s[1]));
}

static void scan_number(const char *s, struct numtok *t)
{
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2])) {
		for (i = 2; isxdigit((unsigned char)s[i]); i++)
			;
		t->hex = true;
		t->integer = true;
	} else {
		if (s[i] == '+' || s[i] == '-')
			i++;
		while (is_digit(s[i]))
			i++;
		t->integer = s[i] != '.' && s[i] != 'e' && s[i] != 'E';
		while (!t->integer && (is_digit(s[i]) || s[i] == '.' || s[i] == 'e' ||
				       s[i] == 'E' || ((s[i] == '+' || s[i] == '-') &&
						       (s[i - 1] == 'e' || s[i - 1] == 'E'))))
			i++;
	}
	t->digits = i;
	if (t->integer && s[i] == 'L') {
		t->suffix = true;
		i += s[i + 1] == 'L' ? 2 : 1;
	}
	t->len = i;
}

static bool number_is_big(const char *s, const struct numtok *t)
{
	errno = 0;
	if (t->hex) {
		unsigned long long u = strtoull(s, NULL, 16);

		return errno == ERANGE || u > INT64_MAX;
	}
	{
		long long v = strtoll(s, NULL, 10);

		return errno == ERANGE || v < INT64_MIN + BIG_SPAN;
	}
}

/* Write the token at s to out; returns the bytes written or -ENOMEM. */
static int emit_number(struct conf_ctx *ctx, const char *s, const struct numtok *t, char *out)
{
	char **big;

	memcpy(out, s, t->len);
	if (!t->integer)
		return (int)t->len;
	if (!number_is_big(s, t)) {
		if (t->suffix)
			return (int)t->len;
		out[t->len] = 'L';
		return (int)t->len + 1;
	}
	big = reallocarray(ctx->big, ctx->n_big + 1, sizeof(*big));
	if (!big)
		return -ENOMEM;
	ctx->big = big;
	big[ctx->n_big] = strndup(s, t->digits);
	if (!big[ctx->n_big])
		return -ENOMEM;
	/* out has room: a big literal is at least 18 bytes, this at most 21. */
	return sprintf(out, "%" PRId64 "L", INT64_MIN + (int64_t)ctx->n_big++);
}

/* Length of the string, comment or name at s, or 0 when it is none of them. */
static size_t scan_plain(const char *s)
{
	const char *end;
	size_t i = 1;

	if (s[0] == '"') {
		while (s[i] && s[i] != '"')
			i += s[i] == '\\' && s[i + 1] ? 2 : 1;
		return s[i] ? i + 1 : i;
	}
	if (s[0] == '#' || (s[0] == '/' && s[1] == '/'))
		return strcspn(s, "\n");
	if (s[0] == '/' && s[1] == '*') {
		end = strstr(s + 2, "*/");
		return end ? (size_t)(end - s) + 2 : strlen(s);
	}
	if (is_name_start(s[0])) {
		while (is_name_char(s[i]))
			i++;
		return i;
	}
	return 0;
}

/*
 * Returns the text to hand to libconfig (malloc'd; grows at most to twice
 * the input, see emit_number), or NULL when out of memory. Also refuses
 * @include, which would bypass include_dir, the file list and this fix-up.
 * Appends a newline: libconfig 1.5 fails on a comment that ends the input.
 */
static char *fix_literals(struct conf_ctx *ctx, const char *text)
{
	char *out = malloc(2 * strlen(text) + 2);
	size_t o = 0;
	int line = 1;

	if (!out)
		return NULL;
	while (*text) {
		struct numtok t;
		size_t n = scan_plain(text);
		int r;

		if (n == 0 && is_number_start(text)) {
			scan_number(text, &t);
			r = emit_number(ctx, text, &t, out + o);
			if (r < 0)
				goto fail;
			o += (size_t)r;
			text += t.len;
			continue;
		}
		if (n == 0 && strncmp(text, "@include", 8) == 0) {
			conf_error(ctx, line, "@include is not supported, use include_dir");
			n = strcspn(text, "\n");
			memset(out + o, ' ', n);
		} else {
			n = n ? n : 1;
			memcpy(out + o, text, n);
		}
		for (size_t i = 0; i < n; i++)
			line += text[i] == '\n';
		o += n;
		text += n;
	}
	out[o++] = '\n';
	out[o] = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */

/* -errno of the failed call, never 0. */
static int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#define NOT_REGULAR (-ESPIPE)     /* read_file: a FIFO, socket or device */

static const char *read_strerror(int r)
{
	return r == NOT_REGULAR ? "not a regular file" : strerror(-r);
}

/*
 * Reads a whole regular file into a NUL-terminated buffer (*ret_len excludes the
 * NUL). Returns NULL with a negative errno in *ret_err on failure.
 */
static char *read_file(const char *path, size_t *ret_len, int *ret_err)
{
	struct stat st = { 0 };
	size_t len = 0;
	size_t cap = 4096;
	char *buf;
	char *p;
	ssize_t n;
	int fd;
	int r;

	/* Not blocking: a FIFO would hang the checker, and a reload on the
	 * daemon's packet thread, until someone wrote to it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		*ret_err = neg_errno();
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : NOT_REGULAR;
		goto close_fd;
	}
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto close_fd;
	}
	for (;;) {
		/* Room for CONF_FILE_MAX bytes, the NUL, and one more byte
		 * that tells a larger file. */
		if (len + 1 >= cap) {
			if (cap >= CONF_FILE_MAX + 2) {
				r = -EFBIG;
				goto free_buf;
			}
			cap = VTEP_MIN(cap * 2, (size_t)CONF_FILE_MAX + 2);
			p = realloc(buf, cap);
			if (!p) {
				r = -ENOMEM;
				goto free_buf;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = neg_errno();
			goto free_buf;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	*ret_len = len;
	return buf;
free_buf:
	free(buf);
close_fd:
	close(fd);
	*ret_err = r;
	return NULL;
}

/* Takes ownership of name; returns its index in conf->files or -ENOMEM. */
static int add_file(struct vtep_conf *conf, char *name)
{
	char **files;

	if (!name)
		return -ENOMEM;
	files = reallocarray(conf->files, conf->n_files + 1, sizeof(*files));
	if (!files) {
		free(name);
		return -ENOMEM;
	}
	conf->files = files;
	files[conf->n_files] = name;
	return (int)conf->n_files++;
}

/* libconfig puts an error at the end of the input after the last line. */
static int last_line(const char *text, size_t len)
{
	int n = 1;

	for (size_t i = 0; i + 1 < len; i++)
		n += text[i] == '\n';
	return n;
}

/* Parse one file's text (already read) with the file's slot in ctx->file. */
static void parse_text(struct conf_ctx *ctx, const char *text, size_t len)
{
	config_t cfg;
	char *fixed;

	if (memchr(text, '\0', len)) {
		conf_error(ctx, 0, "contains a NUL byte");
		return;
	}
	fixed = fix_literals(ctx, text);
	if (!fixed) {
		ctx->oom = true;
		goto free_big;
	}
	config_init(&cfg);
	if (!config_read_string(&cfg, fixed))
		conf_error(ctx, VTEP_MIN(config_error_line(&cfg), last_line(text, len)), "%s",
			   config_error_text(&cfg) ? config_error_text(&cfg) : "syntax error");
	else if (ctx->dropin)
		conf_schema_dropin(ctx, config_root_setting(&cfg));
	else
		conf_schema_main(ctx, config_root_setting(&cfg));
	config_destroy(&cfg);
	free(fixed);
free_big:
	free_big(ctx);
}

static void read_dropin(struct conf_ctx *ctx, const char *dir, const char *name)
{
	size_t dlen = strlen(dir);
	char *path;
	size_t len = 0;
	char *text;
	int idx;
	int r;

	while (dlen > 0 && dir[dlen - 1] == '/')
		dlen--;
	if (asprintf(&path, "%.*s/%s", (int)dlen, dir, name) < 0) {
		ctx->oom = true;
		return;
	}
	idx = add_file(ctx->conf, path);
	if (idx < 0) {
		ctx->oom = true;
		return;
	}
	ctx->file = (size_t)idx;
	text = read_file(path, &len, &r);
	if (!text) {
		conf_error(ctx, 0, "cannot open: %s", read_strerror(r));
		return;
	}
	parse_text(ctx, text, len);
	free(text);
}

/* Like the shell's *.conf: no hidden files. */
static int is_dropin(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

static void read_dropins(struct conf_ctx *ctx)
{
	const char *dir = ctx->conf->include_dir;
	char q[CONF_QUOTE_MAX];
	struct dirent **list;
	int n;

	n = scandir(dir, &list, is_dropin, alphasort);
	if (n < 0) {
		ctx->file = 0;
		conf_error(ctx, ctx->include_line, "include_dir: cannot open '%s': %s",
			   conf_quote(dir, q, sizeof(q)), strerror(errno));
		return;
	}
	ctx->dropin = true;
	for (int i = 0; i < n; i++) {
		if (!ctx->oom)
			read_dropin(ctx, dir, list[i]->d_name);
		free(list[i]);
	}
	free(list);
}

/* ------------------------------------------------------------------ */
/* The struct                                                          */

static struct vtep_conf *conf_new(const char *name)
{
	struct vtep_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->dstport = VTEP_PORT_DEFAULT;
	c->srcport_min = 49152;
	c->srcport_max = 65535;
	c->ttl = 64;
	c->mcast_ttl = 8;
	c->learning = true;
	c->ageing = 300;
	c->maxaddress = 65536;
	c->reserved_bits = CONF_RESERVED_DROP;
	c->arp_suppress = true;
	c->persist_taps = true;
	c->arp_max = 65536;
	c->workers = 1;
	c->move_limit = 5;
	c->move_window = 180;
	c->move_hold = 180;
	c->capture.point = CONF_CAPTURE_INNER;
	c->capture.max_files = 2;
	c->path = strdup(name);
	c->pidfile = strdup("/run/vtep/vtep.pid");
	c->dumpdir = strdup("/run/vtep");
	if (!c->path || !c->pidfile || !c->dumpdir || add_file(c, strdup(name)) < 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

void conf_free(struct vtep_conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->n_vnis; i++)
		conf_vni_fini(&conf->vnis[i]);
	free(conf->vnis);
	for (size_t i = 0; i < conf->n_files; i++)
		free(conf->files[i]);
	free(conf->files);
	free(conf->allow);
	free(conf->cpus);
	free(conf->capture.file);
	free(conf->capture.filter);
	free(conf->metrics);
	free(conf->include_dir);
	free(conf->pidfile);
	free(conf->dumpdir);
	free(conf->path);
	free(conf);
}

const struct conf_vni *conf_find_vni(const struct vtep_conf *conf, uint32_t vni)
{
	for (size_t i = 0; i < conf->n_vnis; i++)
		if (conf->vnis[i].vni == vni)
			return &conf->vnis[i];
	return NULL;
}

static int no_memory(const char *name, char *errbuf, size_t errlen)
{
	if (errbuf && errlen > 0)
		snprintf(errbuf, errlen, "%s: out of memory\n", name);
	return -ENOMEM;
}

static int load(const char *text, size_t len, const char *name, struct vtep_conf **ret_conf,
		char *errbuf, size_t errlen)
{
	struct conf_ctx ctx;
	int r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.vni_idx = SIZE_MAX;
	ctx.conf = conf_new(name);
	if (!ctx.conf)
		return no_memory(name, errbuf, errlen);
	parse_text(&ctx, text, len);
	if (ctx.conf->include_dir && !ctx.oom)
		read_dropins(&ctx);
	if (!ctx.oom)
		conf_schema_finish(&ctx);
	r = ctx.oom ? -ENOMEM : ctx.n_msgs > 0 ? -EINVAL : 0;
	if (r == -ENOMEM)
		no_memory(name, errbuf, errlen);
	else
		write_msgs(&ctx, errbuf, errlen);
	free_msgs(&ctx);
	free_big(&ctx);
	conf_schema_fini(&ctx);
	if (r < 0) {
		conf_free(ctx.conf);
		return r;
	}
	*ret_conf = ctx.conf;
	return 0;
}

int conf_load_string(const char *text, const char *name, struct vtep_conf **ret_conf,
		     char *errbuf, size_t errlen)
{
	if (!name)
		name = "<string>";
	if (!text) {
		if (errbuf && errlen > 0)
			snprintf(errbuf, errlen, "%s: no configuration text\n", name);
		return -EINVAL;
	}
	return load(text, strlen(text), name, ret_conf, errbuf, errlen);
}

int conf_load_file(const char *path, struct vtep_conf **ret_conf, char *errbuf, size_t errlen)
{
	size_t len = 0;
	char *text;
	int r;

	text = read_file(path, &len, &r);
	if (!text) {
		if (errbuf && errlen > 0)
			snprintf(errbuf, errlen, "%s: cannot open: %s\n", path, read_strerror(r));
		return r;
	}
	r = load(text, len, path, ret_conf, errbuf, errlen);
	free(text);
	return r;
}
