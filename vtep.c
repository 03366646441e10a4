/* SPDX-License-Identifier: MIT */
/*
 * vtep.c - main(): the command line (DESIGN.md 4), the daemon's lifecycle
 * (startup, signals through the ring, reload, dump, shutdown) and the
 * client side of `vtep dump` and `vtep reload`, which talk to the running
 * daemon through its pidfile, a signal and the files it writes in dumpdir,
 * and of `vtep flush`, which asks through its control socket (ctl.c).
 */
#include "daemon.h"
#include "proto/ctl.h"

#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#ifndef VTEP_VERSION
#define VTEP_VERSION "0.1.0"
#endif

#define DEFAULT_CONF "/etc/vtep.conf"
#define DEFAULT_PIDFILE "/run/vtep/vtep.pid"
#define DEFAULT_DUMPDIR "/run/vtep"
#define ERRBUF_SIZE 65536

enum exit_status {
	EXIT_OK = 0,
	EXIT_CONFIG = 1,                /* configuration or usage error */
	EXIT_RUNTIME = 2,               /* cannot open tap, bind, daemon not running */
};

static const char usage_text[] =
	"usage: vtep [-c FILE] [-v]...        run in the foreground\n"
	"       vtep -t [-c FILE]             check the configuration\n"
	"       vtep dump [-c FILE] [--json]  print the running daemon's tables\n"
	"       vtep reload [-c FILE]         check FILE, then make the daemon reload it (its own\n"
	"                                     file: refused when FILE is another)\n"
	"       vtep flush [-c FILE] [fdb] [arp] [vni N] [mac MAC] [remote ADDR] [tap NAME]\n"
	"                  [ip ADDR]          remove learned FDB and ARP/ND entries\n"
	"       vtep -V | --version           print the version\n"
	"       vtep -h | --help              this help\n"
	"FILE defaults to " DEFAULT_CONF ". Exit status: 0 ok, 1 configuration or usage\n"
	"error, 2 runtime failure (tap, socket, daemon not running).\n";

struct options {
	const char *conf_path;
	bool test;
	bool json;
	int verbosity;
	enum { CMD_RUN, CMD_DUMP, CMD_RELOAD, CMD_FLUSH } cmd;
	char **words;                   /* flush: its words, the command first */
	size_t n_words;
};

/* ------------------------------------------------------------------ */
/* Configuration loading shared by every command                       */

static struct vtep_conf *load_conf(const char *path, bool quiet_missing, int *ret_err)
{
	static char errbuf[ERRBUF_SIZE];
	struct vtep_conf *conf = NULL;
	int r;

	errbuf[0] = '\0';
	r = conf_load_file(path, &conf, errbuf, sizeof(errbuf));
	*ret_err = r;
	if (r < 0 && !(quiet_missing && r == -ENOENT))
		fputs(errbuf, stderr);
	return r < 0 ? NULL : conf;
}

/*
 * What the parser leaves to a library: libpcap compiles the capture filter.
 * Reported as the parser's errors are (FILE:LINE: path: message), so that
 * -t, `vtep reload`, a reload and the start refuse it alike. 0 or -EINVAL.
 */
static int check_capture(const struct vtep_conf *conf, char *why, size_t whylen)
{
	const struct conf_capture *c = &conf->capture;
	char msg[512];

	if (!c->enabled || !c->filter || !c->filter[0] ||
	    io_capture_check_filter(c->filter, msg, sizeof(msg)) != -EINVAL)
		return 0;       /* no memory to compile it: the capture says so */
	snprintf(why, whylen, "%s:%d: capture.filter: not a capture filter: %s\n",
		 c->filter_file, c->filter_line, msg);
	return -EINVAL;
}

/* load_conf, and check_capture: for what is to run (-t, reload, start). */
static struct vtep_conf *load_conf_checked(const char *path, int *ret_err)
{
	struct vtep_conf *conf = load_conf(path, false, ret_err);
	char why[1024];

	if (conf && check_capture(conf, why, sizeof(why)) < 0) {
		fputs(why, stderr);
		conf_free(conf);
		*ret_err = -EINVAL;
		return NULL;
	}
	return conf;
}

/* ------------------------------------------------------------------ */
/* Client side: dump and reload                                        */

static pid_t read_pid(const char *pidfile)
{
	FILE *f = fopen(pidfile, "re");
	int pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 ? pid : 0;
}

/* The live daemon's pid, or an exit status after saying why. */
static int find_daemon(const char *pidfile, pid_t *ret_pid)
{
	pid_t pid = read_pid(pidfile);

	if (pid == 0 || (kill(pid, 0) < 0 && errno == ESRCH)) {
		fprintf(stderr, "vtep: no daemon running (no live process in pidfile '%s')\n",
			pidfile);
		return EXIT_RUNTIME;
	}
	if (kill(pid, 0) < 0 && errno == EPERM) {
		fprintf(stderr, "vtep: not allowed to signal the daemon (pid %d): run as root\n",
			(int)pid);
		return EXIT_RUNTIME;
	}
	*ret_pid = pid;
	return EXIT_OK;
}

/* pid and generation from the head of vtep.json or vtep.reload. */
static bool read_stamp(const char *path, bool json, int *ret_pid, unsigned long long *ret_gen)
{
	char head[256];
	FILE *f = fopen(path, "re");
	size_t n;
	bool ok;

	if (!f)
		return false;
	n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	if (json)
		ok = sscanf(head, "{ \"format_version\": %*d, \"generation\": %llu, \"pid\": %d",
			    ret_gen, ret_pid) == 2;
	else
		ok = sscanf(head, "pid %d generation %llu", ret_pid, ret_gen) == 2;
	return ok;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Signal pid and wait until path carries a newer generation from it. */
static bool signal_and_wait(pid_t pid, int signo, const char *path, bool json,
			    unsigned int timeout_ms)
{
	unsigned long long gen = 0, old = 0;
	int fpid = 0;

	if (!read_stamp(path, json, &fpid, &old) || fpid != pid)
		old = 0;
	if (kill(pid, signo) < 0)
		return false;
	for (unsigned int waited = 0; waited < timeout_ms; waited += 20) {
		if (read_stamp(path, json, &fpid, &gen) && fpid == pid && gen > old)
			return true;
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return false;
		sleep_ms(20);
	}
	return false;
}

static int cat_file(const char *path)
{
	char buf[65536];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f) {
		fprintf(stderr, "vtep: cannot read '%s': %s\n", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return EXIT_OK;
}

/* The daemon makes its dumpdir at start: one that is not there is not the
 * daemon's (the file changed it), and an answer would never come there. */
static bool dumpdir_gone(const char *dumpdir, pid_t pid)
{
	struct stat st;

	if (stat(dumpdir, &st) == 0 || errno != ENOENT)
		return false;
	fprintf(stderr, "vtep: the daemon (pid %d) does not use dumpdir '%s' (there is none): "
		"changing 'dumpdir' needs a restart; nothing sent\n", (int)pid, dumpdir);
	return true;
}

/* The daemon answering on dumpdir's control socket: the device and inode
 * of the file it reloads from, and its path (in reply). */
struct daemon_file {
	unsigned long long dev, ino;
	const char *path;
	char reply[CTL_MAX_REPLY];
};

/* 0, or ctl_call's error (-EPROTO for an answer not understood). */
static int ask_daemon_file(const char *dumpdir, struct daemon_file *ret)
{
	const char *const words[] = { "config" };
	int at = 0, r;

	r = ctl_call(dumpdir, words, 1, ret->reply, sizeof(ret->reply), 2000);
	if (r < 0)
		return r;
	if (sscanf(ret->reply, "ok config %llu %llu %n", &ret->dev, &ret->ino, &at) != 2 || !at)
		return -EPROTO;
	ret->path = ret->reply + at;
	return 0;
}

/* A dumpdir that is there but where no daemon listens is not the daemon's
 * either (its control socket is made before the set-up): a dump asked for
 * would be written elsewhere. A daemon that could not make its socket
 * there (its log says why) would not write the dump there either. What is
 * not a socket is left to the wait. */
static bool dumpdir_silent(const char *dumpdir, pid_t pid)
{
	struct daemon_file df;
	char path[4096];
	struct stat st;
	int r = ask_daemon_file(dumpdir, &df);

	snprintf(path, sizeof(path), "%s/vtep.ctl", dumpdir);
	if (!(r == -ENOENT || (r == -ECONNREFUSED && lstat(path, &st) == 0 &&
			       S_ISSOCK(st.st_mode))))
		return false;
	fprintf(stderr, "vtep: no daemon listens on '%s', but one runs (pid %d): its dumpdir is "
		"another (changing 'dumpdir' needs a restart), or its log says why it has no "
		"control socket; nothing sent\n", path, (int)pid);
	return true;
}

/*
 * A reload rereads the file the daemon was started with, whatever FILE the
 * command checked: when the daemon can say which file that is (its control
 * socket; an older daemon cannot) and it is not FILE, refuse rather than
 * report another file's reload. A dumpdir that does not exist is not the
 * daemon's either (a changed one, which it would reject). EXIT_OK to go on.
 */
static int check_daemon_file(const char *file, const char *dumpdir, pid_t pid)
{
	struct daemon_file df;
	struct stat st;

	if (dumpdir_gone(dumpdir, pid))
		return EXIT_CONFIG;
	if (ask_daemon_file(dumpdir, &df) < 0)
		return EXIT_OK;
	if (stat(file, &st) < 0 || ((unsigned long long)st.st_dev == df.dev &&
				    (unsigned long long)st.st_ino == df.ino))
		return EXIT_OK;
	fprintf(stderr, "vtep: the daemon (pid %d) reloads from '%s', not '%s': nothing sent "
		"(copy the file there, or restart the daemon with -c %s)\n", (int)pid,
		df.path, file, file);
	return EXIT_CONFIG;
}

/*
 * A daemon that answers in the dumpdir but is not in the pidfile: the file
 * changed pidfile, which needs a restart (the daemon would say so, if it
 * could be found). EXIT_OK to go on.
 */
static int moved_pidfile(const struct vtep_conf *conf)
{
	struct daemon_file df;

	if (read_pid(conf->pidfile) || ask_daemon_file(conf->dumpdir, &df) < 0)
		return EXIT_OK;
	fprintf(stderr, "vtep: the daemon answering in '%s' does not use pidfile '%s': "
		"changing 'pidfile' needs a restart; nothing sent\n", conf->dumpdir,
		conf->pidfile);
	return EXIT_CONFIG;
}

static int cmd_dump(const struct options *o)
{
	struct vtep_conf *conf;
	char json[4096], text[4096];
	const char *pidfile, *dumpdir;
	pid_t pid = 0;
	int r, err;

	/* A missing or broken config still lets us find a default daemon. */
	conf = load_conf(o->conf_path, true, &err);
	pidfile = conf ? conf->pidfile : DEFAULT_PIDFILE;
	dumpdir = conf ? conf->dumpdir : DEFAULT_DUMPDIR;
	snprintf(json, sizeof(json), "%s/vtep.json", dumpdir);
	snprintf(text, sizeof(text), "%s/vtep.dump", dumpdir);
	r = conf ? moved_pidfile(conf) : EXIT_OK;
	if (r == EXIT_OK)
		r = find_daemon(pidfile, &pid);
	if (r == EXIT_OK && (dumpdir_gone(dumpdir, pid) || dumpdir_silent(dumpdir, pid)))
		r = EXIT_CONFIG;
	/* A dump of a million MACs takes about 2 s to write, and one asked
	 * for while another is being written starts after it. */
	if (r == EXIT_OK && !signal_and_wait(pid, SIGUSR1, json, true, 30000)) {
		fprintf(stderr, "vtep: the daemon (pid %d) wrote no new dump to '%s' within 30 s "
			"(a dumpdir changed in the file needs a restart)\n", (int)pid, json);
		r = EXIT_RUNTIME;
	}
	if (r == EXIT_OK)
		r = cat_file(o->json ? json : text);
	conf_free(conf);
	return r;
}

static int cmd_reload(const struct options *o)
{
	struct vtep_conf *conf;
	char path[4096], line[4096];
	pid_t pid = 0;
	FILE *f;
	int r, err;

	conf = load_conf_checked(o->conf_path, &err);
	if (!conf)
		return EXIT_CONFIG;
	snprintf(path, sizeof(path), "%s/vtep.reload", conf->dumpdir);
	r = moved_pidfile(conf);
	if (r == EXIT_OK)
		r = find_daemon(conf->pidfile, &pid);
	if (r == EXIT_OK)
		r = check_daemon_file(o->conf_path, conf->dumpdir, pid);
	if (r == EXIT_OK && !signal_and_wait(pid, SIGHUP, path, false, 10000)) {
		fprintf(stderr, "vtep: the daemon (pid %d) reported no reload result in '%s' "
			"within 10 s\n", (int)pid, path);
		r = EXIT_RUNTIME;
	}
	if (r == EXIT_OK) {
		f = fopen(path, "re");
		if (!f || !fgets(line, sizeof(line), f)) {
			fprintf(stderr, "vtep: cannot read '%s'\n", path);
			r = EXIT_RUNTIME;
		} else {
			/* "pid P generation G applied|rejected[: reason]": the
			 * word after the generation, not a search (the reason
			 * may quote the file). */
			int at = 0;
			bool applied;

			(void)sscanf(line, "pid %*d generation %*u %n", &at);
			applied = at > 0 && strncmp(line + at, "applied", 7) == 0 &&
				  (line[at + 7] == '\n' || line[at + 7] == '\0');
			printf("reload %s", at > 0 ? line + at : line);
			r = applied ? EXIT_OK : EXIT_CONFIG;
		}
		if (f)
			fclose(f);
	}
	conf_free(conf);
	return r;
}

static int cmd_flush(const struct options *o)
{
	const char *const *words = (const char *const *)o->words;
	struct ctl_request req;
	struct vtep_conf *conf;
	char reply[CTL_MAX_REPLY], why[256], path[4096];
	const char *dumpdir;
	pid_t pid;
	int r, err;

	/* Checked here too, so that a typo needs no daemon to be told. */
	if (ctl_parse(words, o->n_words, &req, why, sizeof(why)) < 0) {
		fprintf(stderr, "vtep: flush: %s\n", why);
		return EXIT_CONFIG;
	}
	conf = load_conf(o->conf_path, true, &err);
	dumpdir = conf ? conf->dumpdir : DEFAULT_DUMPDIR;
	snprintf(path, sizeof(path), "%s/vtep.ctl", dumpdir);
	r = ctl_call(dumpdir, words, o->n_words, reply, sizeof(reply), 5000);
	pid = r == -ENOENT || r == -ECONNREFUSED ? read_pid(conf ? conf->pidfile :
							   DEFAULT_PIDFILE) : 0;
	if (pid && kill(pid, 0) < 0 && errno == ESRCH)
		pid = 0;
	conf_free(conf);
	if (pid) {
		fprintf(stderr, "vtep: no daemon listens on '%s', but one runs (pid %d): its "
			"dumpdir is another (changing 'dumpdir' needs a restart), or its log "
			"says why it has no control socket\n", path, (int)pid);
		return EXIT_RUNTIME;
	}
	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr, "vtep: no daemon listens on '%s' (none running, or one with "
			"another dumpdir)\n", path);
		return EXIT_RUNTIME;
	}
	if (r == -EACCES || r == -EPERM) {
		fprintf(stderr, "vtep: not allowed to use '%s': run as root\n", path);
		return EXIT_RUNTIME;
	}
	if (r == -ETIMEDOUT) {
		fprintf(stderr, "vtep: the daemon did not answer on '%s' within 5 s\n", path);
		return EXIT_RUNTIME;
	}
	if (r == -EPROTO) {
		fprintf(stderr, "vtep: the daemon on '%s' went away without answering\n", path);
		return EXIT_RUNTIME;
	}
	if (r < 0) {
		fprintf(stderr, "vtep: '%s': %s\n", path, strerror(-r));
		return EXIT_RUNTIME;
	}
	if (strncmp(reply, "ok ", 3) == 0) {
		printf("%s\n", reply + 3);
		return EXIT_OK;
	}
	fprintf(stderr, "vtep: flush: %s\n", strncmp(reply, "error ", 6) == 0 ? reply + 6 : reply);
	return EXIT_CONFIG;
}

/* ------------------------------------------------------------------ */
/* The daemon                                                         */

static int mkdir_p(const char *dir)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_pidfile(const char *pidfile)
{
	char dir[4096], *slash;
	pid_t other = read_pid(pidfile);
	FILE *f;

	if (other > 0 && other != getpid() && kill(other, 0) == 0) {
		log_error("another vtep (pid %d) runs with pidfile '%s'", (int)other, pidfile);
		return -EEXIST;
	}
	snprintf(dir, sizeof(dir), "%s", pidfile);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		(void)mkdir_p(dir);
	}
	f = fopen(pidfile, "we");
	if (!f || (fprintf(f, "%d\n", (int)getpid()), fclose(f)) != 0) {
		int r = -errno;

		log_error_errno(r, "cannot write the pidfile '%s'", pidfile);
		return r;
	}
	return 0;
}

static void notify_status(struct vtep_daemon *d, const char *extra)
{
	size_t taps = 0;

	for (size_t i = 0; i < d->n_vnis; i++)
		taps += d->vnis[i].n_taps;
	(void)sd_notifyf(0, "STATUS=%zu VNIs, %zu taps, %zu FDB entries%s", d->n_vnis, taps,
			 fdb_count(d->fdb, FDB_TYPE_MAX), extra ? extra : "");
}

/* CLOCK_MONOTONIC in microseconds, as systemd compares MONOTONIC_USEC
 * with its own (the coarse clock could read earlier than the request). */
static unsigned long long monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000 + (unsigned long long)ts.tv_nsec / 1000;
}

/* Reason text for the status file: conf errors are one per line. */
static void flatten(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
	for (char *p = s; *p; p++)
		if (*p == '\n')
			*p = ';';
}

static void unlink_metrics(const char *path)
{
	if (unlink(path) == 0)
		log_info("metrics file '%s' removed", path);
	else if (errno != ENOENT)
		log_warning("cannot remove metrics file '%s': %s", path, strerror(errno));
}

static void do_reload(struct vtep_daemon *d)
{
	static char why[ERRBUF_SIZE];
	struct vtep_conf *old = d->conf, *conf = NULL;
	char moved[4096] = "";
	int r;

	(void)sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", monotonic_usec());
	why[0] = '\0';
	r = conf_load_file(d->conf_path, &conf, why, sizeof(why));
	if (r == 0)
		r = check_capture(conf, why, sizeof(why));
	if (r == 0)
		r = daemon_reload(d, conf, why, sizeof(why));
	flatten(why);
	if (r < 0) {
		log_error("reload of '%s' rejected, keeping the running configuration: %s",
			  d->conf_path, why);
		if (conf && strcmp(conf->dumpdir, old->dumpdir) != 0)
			snprintf(moved, sizeof(moved), "%s", conf->dumpdir);
		conf_free(conf);
	} else {
		log_info("reload of '%s' applied", d->conf_path);
		/* A metrics file no longer written would be read as a live,
		 * idle VTEP: it goes, and the new one is written at once. */
		if (!vtep_str_eq(old->metrics, conf->metrics)) {
			if (old->metrics)
				unlink_metrics(old->metrics);
			if (conf->metrics)
				(void)dump_metrics(d);
		}
		conf_free(old);
	}
	/* A reload brings back taps lost since, applied or not: the
	 * configuration that names them is the running one either way. */
	daemon_revive_taps(d, true);
	/* READY=1 first: `vtep reload` returns once the status file is written. */
	(void)sd_notify(0, "READY=1");
	notify_status(d, r == 0 ? NULL : " (last reload rejected)");
	(void)dump_reload_status(d, r == 0, why, moved[0] ? moved : NULL);
}

/* SIGUSR2: stop a running capture, or start the configured one. */
static void switch_capture(struct vtep_daemon *d)
{
	char why[512] = "";
	int r;

	if (d->capture) {
		log_info("SIGUSR2: capture stopped after %llu packets",
			 (unsigned long long)io_capture_packets(d->capture));
		io_capture_close(d->capture);
		d->capture = NULL;
		d->capture_paused = true;
		return;
	}
	if (!d->conf->capture.enabled) {
		log_warning("SIGUSR2: no capture is configured, ignoring");
		return;
	}
	d->capture_paused = false;
	r = daemon_capture_open(d->conf, false, &d->capture, why, sizeof(why));
	if (r < 0)
		log_error("SIGUSR2: cannot start the capture: %s", why);
	else
		daemon_capture_start(d->capture, d->conf, "SIGUSR2: ");
}

/* The workers write to the capture: they stop while it changes. */
static void toggle_capture(struct vtep_daemon *d)
{
	workers_stop(d);
	switch_capture(d);
	workers_start(d);
}

static void on_signal(struct vtep_daemon *d, int signo)
{
	switch (signo) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: shutting down", signo);
		d->stop = true;
		break;
	case SIGHUP:
		do_reload(d);
		break;
	case SIGUSR1:
		(void)dump_write(d);
		break;
	case SIGUSR2:
		toggle_capture(d);
		break;
	case SIGCHLD:
		dump_reap(d, false);
		break;
	default:
		break;
	}
}

static void on_tick(struct vtep_daemon *d)
{
	static uint64_t last_watchdog;
	uint64_t usec = 0, now = vtep_now_ms();

	datapath_tick(d);
	dump_reap(d, false);    /* SIGCHLDs merge: one may stand for two exits */
	datapath_check_taps(d);
	daemon_revive_taps(d, false);
	workers_tick(d);
	pthread_mutex_lock(&d->slow_lock);
	io_capture_flush(d->capture);
	pthread_mutex_unlock(&d->slow_lock);
	if (d->conf->metrics && ++d->ticks % 15 == 0)
		(void)dump_metrics(d);
	/* Every WatchdogSec/2, with half a tick of slack so a tick measured a
	 * little short never skips a ping. */
	if (sd_watchdog_enabled(0, &usec) > 0 &&
	    (now - last_watchdog) * 1000 + 500000 >= usec / 2) {
		(void)sd_notify(0, "WATCHDOG=1");
		last_watchdog = now;
	}
}

static void on_event(void *arg, const struct io_event *ev)
{
	struct vtep_daemon *d = arg;

	switch (ev->kind) {
	case IO_EV_TAP_RX:
		datapath_tap_rx(&d->main, ev);
		break;
	case IO_EV_UDP_RX:
		datapath_udp_rx(&d->main, ev);
		break;
	case IO_EV_SIGNAL:
		datapath_flush(&d->main);       /* a reload may change what it refers to */
		on_signal(d, ev->signo);
		break;
	case IO_EV_CTL:
		datapath_flush(&d->main);
		ctl_handle(d);
		break;
	case IO_EV_TIMER:
		datapath_flush(&d->main);
		on_tick(d);
		break;
	case IO_EV_PORT_ERROR:
		datapath_flush(&d->main);
		datapath_port_error(&d->main, ev);
		break;
	case IO_EV_TX_TOO_BIG:
		datapath_tx_too_big(&d->main, ev);
		break;
	case IO_EV_TX_ERROR:
		datapath_tx_error(&d->main, ev);
		break;
	case IO_EV_BATCH_END:
		datapath_flush(&d->main);
		break;
	}
}

/*
 * Each tap takes a descriptor per worker, so a thousand taps need more
 * than the soft limit a process gets by default (1024, where the hard one
 * is far higher): the soft limit goes up to the hard one, as for a program
 * that uses no select(2). vtep.service sets its own (LimitNOFILE), since
 * its system call filter refuses setrlimit.
 */
static void raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warning_errno(-errno, "cannot raise the open files limit from %llu",
				  (unsigned long long)was);
	else
		log_info("open files limit raised from %llu to %llu", (unsigned long long)was,
			 (unsigned long long)rl.rlim_cur);
}

static int run_daemon(const struct options *o)
{
	struct vtep_daemon d;
	struct vtep_conf *conf;
	int r, err;

	conf = load_conf_checked(o->conf_path, &err);
	if (!conf)
		return EXIT_CONFIG;
	vtep_log_init(o->verbosity);
	log_info("vtep %s starting with configuration '%s'", VTEP_VERSION, o->conf_path);
	raise_nofile();
	memset(&d, 0, sizeof(d));
	d.conf_path = o->conf_path;
	d.ctl_fd = -1;
	r = mkdir_p(conf->dumpdir);
	if (r < 0)
		log_warning_errno(r, "cannot create dumpdir '%s'", conf->dumpdir);
	r = io_signals_block();
	if (r < 0)
		log_warning_errno(r, "cannot block signals before the pidfile is written");
	r = write_pidfile(conf->pidfile);
	if (r < 0) {
		conf_free(conf);
		return EXIT_RUNTIME;
	}
	d.pidfile_written = true;
	ctl_open(&d, conf->dumpdir);
	r = daemon_setup(&d, conf);
	if (r < 0) {
		log_error_errno(r, "startup failed");
		goto out;
	}
	ctl_start(&d);
	(void)sd_notify(0, "READY=1");
	notify_status(&d, NULL);
	log_info("ready: %zu VNIs", d.n_vnis);
	if (d.conf->metrics)
		(void)dump_metrics(&d);
	while (!d.stop) {
		r = io_run(d.io, 1000, on_event, &d);
		if (r < 0 && r != -EINTR && r != -ETIME) {
			log_error_errno(r, "io_uring wait failed");
			sleep_ms(10);   /* never spin on a persistent error */
		}
	}
	(void)sd_notify(0, "STOPPING=1");
	r = 0;
out:
	dump_reap(&d, true);    /* a dump being written is finished first */
	daemon_teardown(&d);
	ctl_close(&d);
	if (d.pidfile_written)
		unlink(d.conf->pidfile);
	if (d.conf && d.conf->metrics)
		unlink_metrics(d.conf->metrics);
	conf_free(d.conf);
	log_info("vtep stopped");
	if (r < 0)
		return d.conf_refused ? EXIT_CONFIG : EXIT_RUNTIME;
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Command line                                                       */

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->conf_path = DEFAULT_CONF;
	if (argc > 1 && strcmp(argv[1], "dump") == 0)
		o->cmd = CMD_DUMP;
	else if (argc > 1 && strcmp(argv[1], "reload") == 0)
		o->cmd = CMD_RELOAD;
	else if (argc > 1 && strcmp(argv[1], "flush") == 0)
		o->cmd = CMD_FLUSH;
	if (o->cmd != CMD_RUN) {
		argc--;
		argv++;
	}
	while ((c = getopt_long(argc, argv, "c:tvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->conf_path = optarg;
			break;
		case 't':
			o->test = true;
			break;
		case 'v':
			o->verbosity++;
			break;
		case 'j':
			o->json = true;
			break;
		case 'V':
			printf("vtep %s\n", VTEP_VERSION);
			exit(EXIT_OK);
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		default:
			fputs(usage_text, stderr);
			return -EINVAL;
		}
	}
	if (o->cmd == CMD_FLUSH) {
		/* The command's own name leads its words: argv[optind - 1] is
		 * free once getopt has moved the options in front. */
		o->words = argv + optind - 1;
		o->words[0] = (char *)"flush";
		o->n_words = (size_t)(argc - optind + 1);
		optind = argc;
	}
	if (optind < argc) {
		fprintf(stderr, "vtep: unexpected argument '%s'\n%s", argv[optind], usage_text);
		return -EINVAL;
	}
	if ((o->json && o->cmd != CMD_DUMP) || (o->test && o->cmd != CMD_RUN)) {
		fprintf(stderr, "vtep: option not valid here\n%s", usage_text);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct vtep_conf *conf;
	int err;

	memset(&o, 0, sizeof(o));
	if (parse_options(argc, argv, &o) < 0)
		return EXIT_CONFIG;
	if (o.cmd == CMD_DUMP)
		return cmd_dump(&o);
	if (o.cmd == CMD_RELOAD)
		return cmd_reload(&o);
	if (o.cmd == CMD_FLUSH)
		return cmd_flush(&o);
	if (o.test) {
		conf = load_conf_checked(o.conf_path, &err);
		if (!conf)
			return EXIT_CONFIG;
		conf_free(conf);
		printf("configuration OK\n");
		return EXIT_OK;
	}
	return run_daemon(&o);
}
