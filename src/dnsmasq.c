// SPDX-License-Identifier: GPL-2.0-or-later
/* The supervised dnsmasq process: spawn, log relay, readiness, restart
 * with backoff, SIGHUP for new servers, the lease file watch, and the
 * clean-up of one a crashed nfconnd left behind.
 *
 * Privileges: dnsmasq's own user= drop changes its uid, and the kernel
 * clears the parent-death signal on any uid change, so a dnsmasq that
 * drops privileges itself outlives a SIGKILLed nfconnd. Instead the child
 * is made "nobody" before exec, keeping only the capabilities dnsmasq
 * needs as ambient ones, and PR_SET_PDEATHSIG is set after that change.
 * dnsmasq then starts unprivileged (it changes no uid when not root), so
 * the files it touches after the start are prepared for it: the lease
 * file is created and handed to nobody by us, the pid file is written by
 * us, and the configuration and servers files are world-readable. */
#include "dnsmasq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

#include "file-read.h"
#include "log.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
/* a run this long resets the backoff */
#define STABLE_RUN_US (30 * G_USEC_PER_SEC)
#define MAX_FAILED_ATTEMPTS 5
#define STOP_GRACE_MS 1000
/* a start that binds nothing in this long is a failed attempt */
#define READY_TIMEOUT_MS 10000
/* its DHCP line is printed once every socket is bound */
#define READY_LINE "DHCP, IP range"
#define LOG_WINDOW_US (10 * G_USEC_PER_SEC)
/* a start is ~15 lines, each DHCP exchange 2-4 */
#define LOG_LINES_PER_WINDOW 100
#define LEASES_MAX (4 * 1024 * 1024)
/* dnsmasq rewrites the lease file in place, in several writes */
#define LEASES_SETTLE_MS 50

#define CAPS_KEPT ((1u << CAP_NET_BIND_SERVICE) | (1u << CAP_NET_ADMIN) | (1u << CAP_NET_RAW))

/* One spawned process. It outlives the NfcDnsmasq that started it until
 * its exit is collected and its log read to the end (dm is NULL then). */
typedef struct {
	NfcDnsmasq *dm;
	GSubprocess *proc;
	GDataInputStream *log;
	GPid pid;
	int pending;            /* async operations still holding the run */
	bool ready;
	gint64 started_us;
} Run;

struct NfcDnsmasq {
	NfcDnsmasqConfig config;
	char **servers;
	NfcDnsmasqEvents events;
	void *user_data;
	Run *run;
	guint failures;         /* exits in a row that never became ready */
	guint backoff_ms;
	guint restart_id;
	guint ready_timeout_id;
	bool hup_pending;       /* servers changed before dnsmasq could take SIGHUP */
	bool failed;
	GFileMonitor *monitor;
	guint leases_id;
	gint64 log_window_us;
	guint log_lines, log_dropped;
};

/* set in the parent before fork: the child may only call async-signal-safe
 * functions (GDBus has a thread) */
static uid_t child_uid;
static gid_t child_gid;
static pid_t child_parent;

static void child_setup(gpointer data G_GNUC_UNUSED)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3] = {
		{ .effective = CAPS_KEPT, .permitted = CAPS_KEPT, .inheritable = CAPS_KEPT },
	};
	static const int kept[] = { CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW };

	if (setgroups(0, NULL) < 0 || setgid(child_gid) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setuid(child_uid) < 0 ||
	    syscall(SYS_capset, &hdr, caps) < 0)
		_exit(126);
	for (size_t i = 0; i < G_N_ELEMENTS(kept); i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, kept[i], 0, 0) < 0)
			_exit(126);
	/* after the uid change, which would clear it */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
		_exit(126);
	/* nfconnd died between fork and prctl */
	if (getppid() != child_parent)
		_exit(0);
}

static void resolve_user(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct group *gr = getgrnam("nogroup");

	child_uid = pw ? pw->pw_uid : 65534;
	if (!gr)
		gr = getgrnam("nobody");
	child_gid = gr ? gr->gr_gid : pw ? pw->pw_gid : 65534;
	child_parent = getpid();
}

static void run_unref(Run *run)
{
	if (--run->pending > 0)
		return;
	g_clear_object(&run->log);
	g_clear_object(&run->proc);
	g_free(run);
}

static void config_copy(NfcDnsmasqConfig *dst, const NfcDnsmasqConfig *src)
{
	*dst = *src;
	dst->interface = g_strdup(src->interface);
	dst->conf_path = g_strdup(src->conf_path);
	dst->servers_path = g_strdup(src->servers_path);
	dst->pid_path = g_strdup(src->pid_path);
	dst->leases_path = g_strdup(src->leases_path);
	dst->binary = g_strdup(src->binary);
}

void nfc_dnsmasq_config_clear(NfcDnsmasqConfig *c)
{
	g_free(c->interface);
	g_free(c->conf_path);
	g_free(c->servers_path);
	g_free(c->pid_path);
	g_free(c->leases_path);
	g_free(c->binary);
}

/* Addresses only: a name or anything with a newline would be dnsmasq
 * configuration. */
/* nfconnd's umask is 077 (storage.c): the files dnsmasq (nobody) reads
 * are made readable after they are written. */
static gboolean write_readable(const char *path, const char *text, gssize len, GError **error)
{
	if (!g_file_set_contents_full(path, text, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
		return FALSE;
	if (chmod(path, 0644) < 0) {
		int err = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", path,
			    g_strerror(err));
		return FALSE;
	}
	return TRUE;
}

/* An interface name that dnsmasq's parser takes as a whole: nothing of
 * its own syntax ('#', '@', ',', '/'), no space, no newline. */
static bool zone_ok(const char *zone)
{
	size_t len = strlen(zone);

	if (len == 0 || len >= IF_NAMESIZE)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isalnum(zone[i]) && !strchr("-_.", zone[i]))
			return false;
	return true;
}

/* An address, or a link-local IPv6 address with the interface it is on
 * ("fe80::1%uplink0", from RDNSS): dnsmasq takes the zone as the scope
 * id, without which nothing can be sent to such an address. */
static bool server_ok(const char *server)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *zone = strchr(server, '%');
	g_autofree char *addr = NULL;

	if (!zone)
		return inet_pton(AF_INET, server, buf) == 1 || inet_pton(AF_INET6, server, buf) == 1;
	addr = g_strndup(server, (gsize)(zone - server));
	return inet_pton(AF_INET6, addr, buf) == 1 &&
	       IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)buf) && zone_ok(zone + 1);
}

static gboolean write_servers(const char *path, const char *const *servers, GError **error)
{
	g_autoptr(GString) s = g_string_new("# upstream nameservers, written by nfconnd\n");

	for (size_t i = 0; servers && servers[i]; i++) {
		if (!server_ok(servers[i])) {
			g_autofree char *shown = g_strescape(servers[i], NULL);

			nfc_warn("dnsmasq: nameserver \"%s\" ignored: not an address", shown);
			continue;
		}
		g_string_append_printf(s, "server=%s\n", servers[i]);
	}
	/* temp + rename in the same directory: dnsmasq never reads half */
	return write_readable(path, s->str, (gssize)s->len, error);
}

/* dnsmasq runs as nobody and keeps the lease file open from its start:
 * it must exist and be nobody's. */
static gboolean prepare_leases(const char *path, GError **error)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    ((st.st_uid != child_uid || st.st_gid != child_gid) &&
	     fchown(fd, child_uid, child_gid) < 0)) {
		int err = fd < 0 ? errno : S_ISREG(st.st_mode) ? errno : EINVAL;

		if (fd >= 0)
			close(fd);
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err),
			    "cannot prepare the lease file %s: %s", path, g_strerror(err));
		return FALSE;
	}
	close(fd);
	return TRUE;
}

static void log_line(NfcDnsmasq *dm, const char *line)
{
	g_autofree char *clean = NULL;
	const char *text = line;
	gint64 now = g_get_monotonic_time();

	if (now - dm->log_window_us >= LOG_WINDOW_US) {
		if (dm->log_dropped)
			nfc_info("dnsmasq: %u lines not logged (too many)", dm->log_dropped);
		dm->log_window_us = now;
		dm->log_lines = dm->log_dropped = 0;
	}
	if (++dm->log_lines > LOG_LINES_PER_WINDOW) {
		dm->log_dropped++;
		return;
	}
	/* "dnsmasq[123]: ", "dnsmasq-dhcp[123]: " or "dnsmasq: " */
	if (g_str_has_prefix(text, "dnsmasq")) {
		const char *colon = strstr(text, ": ");

		if (colon)
			text = colon + 2;
	}
	/* client-chosen names show up in these lines */
	clean = g_strdup(text);
	for (char *p = clean; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	nfc_info("dnsmasq: %s", clean);
}

static void spawn_run(NfcDnsmasq *dm);
static void read_log(Run *run);

static void emit_leases(NfcDnsmasq *dm)
{
	if (dm->events.leases_changed)
		dm->events.leases_changed(dm->user_data);
}

static gboolean leases_settled(gpointer data)
{
	NfcDnsmasq *dm = data;

	dm->leases_id = 0;
	emit_leases(dm);
	return G_SOURCE_REMOVE;
}

static void on_leases_changed(GFileMonitor *monitor G_GNUC_UNUSED, GFile *file G_GNUC_UNUSED,
			      GFile *other G_GNUC_UNUSED, GFileMonitorEvent event, gpointer data)
{
	NfcDnsmasq *dm = data;

	if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED ||
	    event == G_FILE_MONITOR_EVENT_PRE_UNMOUNT || event == G_FILE_MONITOR_EVENT_UNMOUNTED)
		return;
	if (!dm->leases_id)
		dm->leases_id = g_timeout_add(LEASES_SETTLE_MS, leases_settled, dm);
}

static void became_ready(Run *run)
{
	NfcDnsmasq *dm = run->dm;

	run->ready = true;
	dm->failures = 0;
	g_clear_handle_id(&dm->ready_timeout_id, g_source_remove);
	nfc_debug("dnsmasq %d ready", run->pid);
	if (dm->hup_pending && run->pid > 0) {
		dm->hup_pending = false;
		kill(run->pid, SIGHUP);
	}
	if (dm->events.ready)
		dm->events.ready(dm->user_data);
}

static void on_log_line(GObject *source, GAsyncResult *result, gpointer data)
{
	Run *run = data;
	g_autoptr(GError) error = NULL;
	g_autofree char *line = NULL;
	gsize len;

	line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, &len,
						    &error);
	if (!line || !run->dm) {
		run_unref(run);
		return;
	}
	log_line(run->dm, line);
	if (!run->ready && run->dm->run == run && strstr(line, ": " READY_LINE))
		became_ready(run);
	/* the callback may have stopped us */
	if (!run->dm) {
		run_unref(run);
		return;
	}
	g_data_input_stream_read_line_async(run->log, G_PRIORITY_DEFAULT, NULL, on_log_line, run);
}

static void read_log(Run *run)
{
	run->pending++;
	g_data_input_stream_read_line_async(run->log, G_PRIORITY_DEFAULT, NULL, on_log_line, run);
}

static gboolean restart_cb(gpointer data)
{
	NfcDnsmasq *dm = data;

	dm->restart_id = 0;
	spawn_run(dm);
	return G_SOURCE_REMOVE;
}

static void give_up(NfcDnsmasq *dm, const char *why)
{
	g_autoptr(GError) error = NULL;

	dm->failed = true;
	g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED,
		    "dnsmasq failed %u times in a row without starting (last: %s)", dm->failures,
		    why);
	nfc_error("%s; giving up", error->message);
	if (dm->events.failed)
		dm->events.failed(error, dm->user_data);
}

/* An attempt ended (exit, or could not spawn): schedule the next one. */
static void attempt_over(NfcDnsmasq *dm, bool was_ready, gint64 ran_us, const char *why)
{
	guint delay;

	if (was_ready)
		dm->failures = 0;
	else
		dm->failures++;
	if (dm->failures >= MAX_FAILED_ATTEMPTS) {
		give_up(dm, why);
		return;
	}
	if (ran_us >= STABLE_RUN_US)
		dm->backoff_ms = BACKOFF_FIRST_MS;
	delay = dm->backoff_ms;
	dm->backoff_ms = MIN(dm->backoff_ms * 2, BACKOFF_MAX_MS);
	nfc_warn("dnsmasq %s; restarting in %u ms", why, delay);
	dm->restart_id = g_timeout_add(delay, restart_cb, dm);
}

static void on_run_exit(GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer data)
{
	Run *run = data;
	NfcDnsmasq *dm = run->dm;
	g_autofree char *why = NULL;

	g_subprocess_wait_finish(run->proc, result, NULL);
	if (!dm || dm->run != run) {
		run_unref(run);
		return;
	}
	dm->run = NULL;
	g_clear_handle_id(&dm->ready_timeout_id, g_source_remove);
	if (g_subprocess_get_if_signaled(run->proc))
		why = g_strdup_printf("%d killed by signal %d", run->pid,
				      g_subprocess_get_term_sig(run->proc));
	else
		why = g_strdup_printf("%d exited with status %d", run->pid,
				      g_subprocess_get_exit_status(run->proc));
	unlink(dm->config.pid_path);
	attempt_over(dm, run->ready, g_get_monotonic_time() - run->started_us, why);
	run_unref(run);
}

static gboolean ready_timeout(gpointer data)
{
	NfcDnsmasq *dm = data;

	dm->ready_timeout_id = 0;
	if (dm->run && !dm->run->ready && dm->run->pid > 0) {
		nfc_warn("dnsmasq %d not ready after %u ms; killing it", dm->run->pid,
			 READY_TIMEOUT_MS);
		/* its exit is then an attempt that never became ready */
		kill(dm->run->pid, SIGKILL);
	}
	return G_SOURCE_REMOVE;
}

static char *find_binary(const NfcDnsmasqConfig *config)
{
	const char *name = config->binary ? config->binary : g_getenv("NFCONN_DNSMASQ");

	if (!name || !*name)
		name = "dnsmasq";
	if (strchr(name, '/'))
		return g_strdup(name);
	return g_find_program_in_path(name);
}

static gboolean spawn_try(NfcDnsmasq *dm, GError **error)
{
	g_autofree char *binary = find_binary(&dm->config);
	g_autofree char *conf_arg = NULL;
	g_autofree char *pid_text = NULL;
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	const char *ident;
	Run *run;

	if (!binary) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "dnsmasq not found in PATH");
		return FALSE;
	}
	conf_arg = g_strdup_printf("--conf-file=%s", dm->config.conf_path);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					     G_SUBPROCESS_FLAGS_STDERR_MERGE);
	g_subprocess_launcher_set_cwd(launcher, "/");
	g_subprocess_launcher_set_child_setup(launcher, child_setup, NULL, NULL);
	/* --conf-file keeps it off /etc/dnsmasq.conf and /etc/dnsmasq.d */
	proc = g_subprocess_launcher_spawn(launcher, error, binary, conf_arg,
					   "--keep-in-foreground", "--log-facility=-", NULL);
	if (!proc) {
		g_prefix_error(error, "cannot start %s: ", binary);
		return FALSE;
	}
	run = g_new0(Run, 1);
	run->dm = dm;
	run->proc = g_steal_pointer(&proc);
	/* NULL if it already exited and was reaped: pid 0, never signalled */
	ident = g_subprocess_get_identifier(run->proc);
	run->pid = ident ? (GPid)atoi(ident) : 0;
	run->started_us = g_get_monotonic_time();
	run->log = g_data_input_stream_new(g_subprocess_get_stdout_pipe(run->proc));
	dm->run = run;
	/* it reads the servers file as it is now */
	dm->hup_pending = false;
	/* dnsmasq, unprivileged, cannot write into the run directory */
	pid_text = g_strdup_printf("%d\n", run->pid);
	if (run->pid > 0 && !g_file_set_contents_full(dm->config.pid_path, pid_text, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0644, NULL))
		nfc_warn("dnsmasq: cannot write %s", dm->config.pid_path);
	nfc_info("dnsmasq started (pid %d)", run->pid);
	dm->ready_timeout_id = g_timeout_add(READY_TIMEOUT_MS, ready_timeout, dm);
	run->pending++;
	g_subprocess_wait_async(run->proc, NULL, on_run_exit, run);
	read_log(run);
	return TRUE;
}

static void spawn_run(NfcDnsmasq *dm)
{
	g_autoptr(GError) error = NULL;

	if (!spawn_try(dm, &error))
		attempt_over(dm, false, 0, error->message);
}

NfcDnsmasq *nfc_dnsmasq_start(const NfcDnsmasqConfig *config, const char *const *servers,
			      const NfcDnsmasqEvents *events, void *user_data, GError **error)
{
	g_autofree char *text = nfc_dnsmasq_config_text(config);
	g_autoptr(GFile) leases = NULL;
	NfcDnsmasq *dm;

	resolve_user();
	if (!write_servers(config->servers_path, servers, error) ||
	    !write_readable(config->conf_path, text, -1, error) ||
	    !prepare_leases(config->leases_path, error)) {
		g_prefix_error(error, "dnsmasq: ");
		unlink(config->servers_path);
		unlink(config->conf_path);
		return NULL;
	}
	dm = g_new0(NfcDnsmasq, 1);
	config_copy(&dm->config, config);
	dm->servers = g_strdupv((char **)servers);
	if (events)
		dm->events = *events;
	dm->user_data = user_data;
	dm->backoff_ms = BACKOFF_FIRST_MS;
	leases = g_file_new_for_path(config->leases_path);
	dm->monitor = g_file_monitor_file(leases, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
	if (dm->monitor) {
		g_file_monitor_set_rate_limit(dm->monitor, LEASES_SETTLE_MS);
		g_signal_connect(dm->monitor, "changed", G_CALLBACK(on_leases_changed), dm);
	}
	if (!spawn_try(dm, error)) {
		g_prefix_error(error, "dnsmasq: ");
		nfc_dnsmasq_stop(dm);
		return NULL;
	}
	return dm;
}

/* Whether pid has exited (left a zombie or is gone); does not reap it,
 * GLib's child watch does. */
static bool child_exited(GPid pid)
{
	siginfo_t info = { 0 };

	return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0 ||
	       info.si_pid == pid;
}

static bool wait_until(bool (*gone)(GPid pid, const char *arg), GPid pid, const char *arg,
		       guint ms)
{
	for (guint waited = 0; waited < ms; waited += 10) {
		if (gone(pid, arg))
			return true;
		g_usleep(10 * 1000);
	}
	return gone(pid, arg);
}

static bool own_child_gone(GPid pid, const char *arg G_GNUC_UNUSED)
{
	return child_exited(pid);
}

void nfc_dnsmasq_stop(NfcDnsmasq *dm)
{
	if (!dm)
		return;
	if (dm->run && dm->run->pid > 0) {
		Run *run = dm->run;

		/* bounded and short: dnsmasq exits on SIGTERM at once; the
		 * caller (disable, shutdown) must find it gone */
		kill(run->pid, SIGTERM);
		if (!wait_until(own_child_gone, run->pid, NULL, STOP_GRACE_MS)) {
			nfc_warn("dnsmasq %d ignored SIGTERM; killing it", run->pid);
			kill(run->pid, SIGKILL);
			wait_until(own_child_gone, run->pid, NULL, STOP_GRACE_MS);
		}
	}
	if (dm->run) {
		dm->run->dm = NULL;
		dm->run = NULL;
	}
	g_clear_handle_id(&dm->restart_id, g_source_remove);
	g_clear_handle_id(&dm->ready_timeout_id, g_source_remove);
	g_clear_handle_id(&dm->leases_id, g_source_remove);
	if (dm->monitor) {
		g_signal_handlers_disconnect_by_data(dm->monitor, dm);
		g_file_monitor_cancel(dm->monitor);
		g_clear_object(&dm->monitor);
	}
	if (dm->log_dropped)
		nfc_info("dnsmasq: %u lines not logged (too many)", dm->log_dropped);
	unlink(dm->config.conf_path);
	unlink(dm->config.servers_path);
	unlink(dm->config.pid_path);
	nfc_dnsmasq_config_clear(&dm->config);
	g_strfreev(dm->servers);
	g_free(dm);
}

void nfc_dnsmasq_set_servers(NfcDnsmasq *dm, const char *const *servers)
{
	g_autoptr(GError) error = NULL;
	const char *const none[] = { NULL };

	if (g_strv_equal(servers ? servers : none,
			 dm->servers ? (const char *const *)dm->servers : none))
		return;
	if (!write_servers(dm->config.servers_path, servers, &error)) {
		nfc_error("dnsmasq: cannot write the servers file: %s", error->message);
		return;
	}
	g_strfreev(dm->servers);
	dm->servers = g_strdupv((char **)servers);
	/* before its handlers are installed SIGHUP would kill it; a run that
	 * is not ready yet gets it once it is */
	if (dm->run && dm->run->ready && dm->run->pid > 0)
		kill(dm->run->pid, SIGHUP);
	else if (dm->run)
		dm->hup_pending = true;
}

GArray *nfc_dnsmasq_get_leases(NfcDnsmasq *dm)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;

	if (!nfc_file_read_regular(dm->config.leases_path, LEASES_MAX, &text, &len, &error)) {
		nfc_debug("dnsmasq leases: %s", error->message);
		return g_array_new(FALSE, TRUE, sizeof(NfcDnsmasqLease));
	}
	return nfc_dnsmasq_leases_parse(text, len);
}

GPid nfc_dnsmasq_get_pid(NfcDnsmasq *dm)
{
	return dm && dm->run ? dm->run->pid : 0;
}

/* Whether /proc/<pid>/cmdline names our configuration file: not a zombie,
 * not a pid reused by something else. */
static bool is_ours(GPid pid, const char *conf_path)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", pid);
	g_autofree char *cmdline = NULL;
	g_autofree char *want = g_strdup_printf("--conf-file=%s", conf_path);
	gsize len;

	if (!g_file_get_contents(path, &cmdline, &len, NULL))
		return false;
	for (gsize i = 0; i < len; i += strlen(cmdline + i) + 1)
		if (g_str_equal(cmdline + i, want))
			return true;
	return false;
}

/* Exited: no /proc entry, or a zombie (its reaper is not us). Its
 * cmdline empties earlier, while it is still tearing down. */
static bool stale_gone(GPid pid, const char *conf_path G_GNUC_UNUSED)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *stat = NULL;
	const char *paren;

	if (!g_file_get_contents(path, &stat, NULL, NULL))
		return true;
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

void nfc_dnsmasq_kill_stale(const char *pid_path, const char *conf_path)
{
	g_autofree char *text = NULL;
	char *end;
	gint64 pid;

	if (!g_file_get_contents(pid_path, &text, NULL, NULL))
		return;
	pid = g_ascii_strtoll(g_strstrip(text), &end, 10);
	if (!*end && pid > 1 && pid <= G_MAXINT && is_ours((GPid)pid, conf_path)) {
		nfc_info("dnsmasq: stopping %" G_GINT64_FORMAT " left by an earlier nfconnd", pid);
		kill((pid_t)pid, SIGTERM);
		if (!wait_until(stale_gone, (GPid)pid, conf_path, STOP_GRACE_MS)) {
			kill((pid_t)pid, SIGKILL);
			wait_until(stale_gone, (GPid)pid, conf_path, STOP_GRACE_MS);
		}
	}
	unlink(pid_path);
}
