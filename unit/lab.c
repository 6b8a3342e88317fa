// SPDX-License-Identifier: GPL-2.0-or-later
#include "lab.h"

#include "fw-state.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

struct NfcLab {
	char *prefix;        /* unique per lab: "nfc<pid>x<n>" */
	char *dir;
	char *state_dir;
	char *run_dir;
	int guardian_fd;     /* write end of the pipe to the guardian */
	GPid guardian;
	GPtrArray *netns;    /* names, in creation order */
	GHashTable *procs;   /* GPid → name, still running */
	GPid bus_pid;
	char *bus_group_file; /* NULL: the policy without its group rules */
	char *bus_address;
	GDBusConnection *bus;
};

static unsigned int lab_counter;

void nfc_lab_require_root(void)
{
	if (geteuid() != 0) {
		g_print("1..0 # SKIP needs root (network namespaces)\n");
		exit(77);
	}
	/* the firewall backend a second run of the test asks for */
	fw_require_backend();
}

/* ---- the guardian ------------------------------------------------------ */

/* The start time of a live process, 0 when there is none. */
static unsigned long long proc_start_time(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree char *stat = NULL;
	const char *p;
	unsigned long long start = 0;

	if (!g_file_get_contents(path, &stat, NULL, NULL))
		return 0;
	/* field 22; the command name (field 2) may contain spaces */
	p = strrchr(stat, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z')
		return 0; /* a zombie is as good as gone */
	p++;
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = g_ascii_strtoull(p + 1, NULL, 10);
	return start;
}

static void guardian_run_cmd(const char *const *argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

typedef struct {
	pid_t pid;
	unsigned long long start;
} GuardedPid;

static void guardian_main(int fd)
{
	g_autoptr(GArray) pids = g_array_new(FALSE, FALSE, sizeof(GuardedPid));
	g_autoptr(GPtrArray) netns = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) logs = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *dir = NULL;
	g_autoptr(GString) buf = g_string_new(NULL);
	bool done = false;
	char chunk[4096];
	ssize_t n;

	setsid(); /* out of the test's process group: a group kill spares us */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		char *nl;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		g_string_append_len(buf, chunk, n);
		while ((nl = strchr(buf->str, '\n'))) {
			g_autofree char *line = g_strndup(buf->str, nl - buf->str);
			const char *arg = line + 2;

			g_string_erase(buf, 0, nl - buf->str + 1);
			if (g_str_equal(line, "done")) {
				done = true;
			} else if (line[0] == 'P') {
				GuardedPid g = { atoi(arg), proc_start_time(atoi(arg)) };

				g_array_append_val(pids, g);
			} else if (line[0] == 'p') {
				for (guint i = 0; i < pids->len; i++)
					if (g_array_index(pids, GuardedPid, i).pid == atoi(arg))
						g_array_remove_index(pids, i--);
			} else if (line[0] == 'N') {
				g_ptr_array_add(netns, g_strdup(arg));
			} else if (line[0] == 'n') {
				for (guint i = 0; i < netns->len; i++)
					if (g_str_equal(netns->pdata[i], arg))
						g_ptr_array_remove_index(netns, i--);
			} else if (line[0] == 'L') {
				g_ptr_array_add(logs, g_strdup(arg));
			} else if (line[0] == 'D') {
				g_free(dir);
				dir = g_strdup(arg);
			}
		}
	}
	if (done)
		_exit(0);

	fprintf(stderr, "lab guardian: the test ended without tearing its lab down; cleaning up\n");
	for (guint i = 0; i < logs->len; i++) {
		g_autofree char *text = NULL;

		if (g_file_get_contents(logs->pdata[i], &text, NULL, NULL))
			fprintf(stderr, "---- %s ----\n%s\n", (char *)logs->pdata[i], text);
	}
	for (guint i = 0; i < pids->len; i++) {
		GuardedPid *g = &g_array_index(pids, GuardedPid, i);

		/* the same process, not a later one that got its PID */
		if (g->start && proc_start_time(g->pid) == g->start)
			kill(g->pid, SIGKILL);
	}
	for (int tries = 0; tries < 100; tries++) {
		bool alive = false;

		for (guint i = 0; i < pids->len; i++) {
			GuardedPid *g = &g_array_index(pids, GuardedPid, i);

			if (g->start && proc_start_time(g->pid) == g->start)
				alive = true;
		}
		if (!alive)
			break;
		g_usleep(10000);
	}
	for (guint i = netns->len; i > 0; i--) {
		const char *argv[] = { "ip", "netns", "delete", netns->pdata[i - 1], NULL };

		guardian_run_cmd(argv);
	}
	if (dir && g_str_has_prefix(dir, g_get_tmp_dir())) {
		const char *argv[] = { "rm", "-rf", "--one-file-system", dir, NULL };

		guardian_run_cmd(argv);
	}
	_exit(0);
}

static void tell(NfcLab *lab, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void tell(NfcLab *lab, const char *fmt, ...)
{
	g_autofree char *line = NULL;
	va_list ap;
	size_t off = 0, len;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	len = strlen(line);
	while (off < len) {
		ssize_t n = write(lab->guardian_fd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		g_assert_cmpint(n, >, 0);
		off += n;
	}
}

/* ---- lab ---------------------------------------------------------------- */

/* The lab's commands find python3 (and the rest) where the system has
 * them, not through a version manager's shim ahead of it in PATH: pyenv's
 * ~/.pyenv/shims/python3 is a bash script that runs a dozen more before
 * the interpreter, ~0.8 s of CPU per start, more than most of the scripts
 * it started; and the modules the tests need are the system's packages. */
static void path_without_shims(void)
{
	static bool done;
	g_auto(GStrv) dirs = NULL;
	g_autoptr(GStrvBuilder) keep = g_strv_builder_new();
	g_auto(GStrv) kept = NULL;
	g_autofree char *path = NULL;

	if (done || !g_getenv("PATH"))
		return;
	done = true; /* once, before the first bus connection starts a thread */
	dirs = g_strsplit(g_getenv("PATH"), ":", -1);
	for (char **d = dirs; *d; d++)
		if (!g_str_has_suffix(*d, "/shims"))
			g_strv_builder_add(keep, *d);
	kept = g_strv_builder_end(keep);
	path = g_strjoinv(":", kept);
	g_setenv("PATH", path, TRUE);
}

NfcLab *nfc_lab_new(void)
{
	NfcLab *lab = g_new0(NfcLab, 1);
	g_autoptr(GError) error = NULL;
	int fds[2];

	path_without_shims();
	lab->prefix = g_strdup_printf("nfc%dx%u", getpid(), lab_counter++);
	lab->dir = g_dir_make_tmp("nfconn-lab-XXXXXX", &error);
	g_assert_no_error(error);
	lab->state_dir = g_build_filename(lab->dir, "state", NULL);
	lab->run_dir = g_build_filename(lab->dir, "run", NULL);
	lab->netns = g_ptr_array_new_with_free_func(g_free);
	lab->procs = g_hash_table_new_full(NULL, NULL, NULL, g_free);

	g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
	lab->guardian = fork();
	g_assert_cmpint(lab->guardian, >=, 0);
	if (lab->guardian == 0) {
		close(fds[1]);
		guardian_main(fds[0]);
	}
	close(fds[0]);
	lab->guardian_fd = fds[1];
	tell(lab, "D %s\n", lab->dir);
	return lab;
}

const char *nfc_lab_dir(NfcLab *lab)
{
	return lab->dir;
}

const char *nfc_lab_state_dir(NfcLab *lab)
{
	return lab->state_dir;
}

const char *nfc_lab_run_dir(NfcLab *lab)
{
	return lab->run_dir;
}

static void enter_netns(gpointer data)
{
	const char *ns = data;
	g_autofree char *path = NULL;
	int fd;

	if (!ns)
		return;
	path = g_strdup_printf("/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		perror(path);
		_exit(126);
	}
	close(fd);
}

/* A command runs through nsenter, not in a child that enters the namespace
 * itself: without a child_setup function (and with the descriptors left
 * as they are: ours are close-on-exec) GLib starts it with posix_spawn,
 * where the test's address space is shared, not copied. A fork of a test
 * built with ASan copies the page tables of its shadow memory: that fork
 * was most of the CPU the test binaries used, and the tests run thousands
 * of commands (every nfc_lab_wait_sh turn is one). */
static int sh_va(NfcLab *lab, const char *ns, char **out, char **err,
		 const char *fmt, va_list ap)
{
	g_autofree char *cmd = g_strdup_vprintf(fmt, ap);
	g_autofree char *net = ns ? g_strdup_printf("--net=/run/netns/%s", ns) : NULL;
	const char *in_ns[] = { "nsenter", net, "/bin/sh", "-c", cmd, NULL };
	const char *here[] = { "/bin/sh", "-c", cmd, NULL };
	g_autoptr(GError) error = NULL;
	int status = 0;

	g_spawn_sync(NULL, (char **)(ns ? in_ns : here), NULL,
		     G_SPAWN_SEARCH_PATH | G_SPAWN_LEAVE_DESCRIPTORS_OPEN, NULL, NULL, out, err,
		     &status, &error);
	g_assert_no_error(error);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

void nfc_lab_sh(NfcLab *lab, const char *ns, const char *fmt, ...)
{
	g_autofree char *out = NULL, *err = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	status = sh_va(lab, ns, &out, &err, fmt, ap);
	va_end(ap);
	if (status != 0)
		g_error("command failed (%d) in %s: %s\n%s", status, ns ? ns : "test ns", out, err);
}

char *nfc_lab_sh_output(NfcLab *lab, const char *ns, const char *fmt, ...)
{
	g_autofree char *err = NULL;
	char *out = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	status = sh_va(lab, ns, &out, &err, fmt, ap);
	va_end(ap);
	if (status != 0)
		g_error("command failed (%d) in %s: %s", status, ns ? ns : "test ns", err);
	return out;
}

int nfc_lab_sh_status(NfcLab *lab, const char *ns, char **out, const char *fmt, ...)
{
	g_autofree char *err = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	status = sh_va(lab, ns, out, &err, fmt, ap);
	va_end(ap);
	return status;
}

int nfc_lab_sh_capture(NfcLab *lab, const char *ns, char **out, char **err, const char *fmt, ...)
{
	va_list ap;
	int status;

	va_start(ap, fmt);
	status = sh_va(lab, ns, out, err, fmt, ap);
	va_end(ap);
	return status;
}

const char *nfc_lab_add_netns(NfcLab *lab, const char *role)
{
	char *name = g_strdup_printf("%s-%s", lab->prefix, role);

	/* told first: a failure half-way must still be cleaned up */
	tell(lab, "N %s\n", name);
	nfc_lab_sh(lab, NULL, "ip netns add %s", name);
	g_ptr_array_add(lab->netns, name);
	nfc_lab_sh(lab, name, "ip link set lo up");
	return name;
}

void nfc_lab_add_veth(NfcLab *lab, const char *ns_a, const char *if_a,
		      const char *ns_b, const char *if_b)
{
	nfc_lab_sh(lab, ns_a, "ip link add %s type veth peer name %s netns %s",
		   if_a, if_b, ns_b);
}

GPid nfc_lab_spawn(NfcLab *lab, const char *ns, const char *name, const char *const *argv)
{
	g_autofree char *log_path = g_strdup_printf("%s/%s.log", lab->dir, name);
	g_autoptr(GError) error = NULL;
	int log_fd, null_fd;
	GPid pid;

	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(log_fd, >=, 0);
	g_spawn_async_with_fds(NULL, (char **)argv, NULL,
			       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
			       enter_netns, (gpointer)ns, &pid, null_fd, log_fd, log_fd, &error);
	close(log_fd);
	close(null_fd);
	g_assert_no_error(error);
	tell(lab, "P %d\nL %s\n", pid, log_path);
	g_hash_table_insert(lab->procs, GINT_TO_POINTER(pid), g_strdup(name));
	return pid;
}

GPid nfc_lab_spawn_pipes(NfcLab *lab, const char *ns, const char *name,
			 const char *const *argv, int *stdin_fd, int *stdout_fd)
{
	g_autofree char *log_path = g_strdup_printf("%s/%s.log", lab->dir, name);
	g_autoptr(GError) error = NULL;
	int in[2], out[2], log_fd;
	GPid pid;

	g_assert_cmpint(pipe2(in, O_CLOEXEC), ==, 0);
	g_assert_cmpint(pipe2(out, O_CLOEXEC), ==, 0);
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	g_assert_cmpint(log_fd, >=, 0);
	g_spawn_async_with_fds(NULL, (char **)argv, NULL,
			       G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
			       enter_netns, (gpointer)ns, &pid, in[0], out[1], log_fd, &error);
	close(in[0]);
	close(out[1]);
	close(log_fd);
	g_assert_no_error(error);
	tell(lab, "P %d\nL %s\n", pid, log_path);
	g_hash_table_insert(lab->procs, GINT_TO_POINTER(pid), g_strdup(name));
	*stdin_fd = in[1];
	*stdout_fd = out[0];
	return pid;
}

char *nfc_lab_log(NfcLab *lab, const char *name)
{
	g_autofree char *path = g_strdup_printf("%s/%s.log", lab->dir, name);
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return g_strdup("");
	return text;
}

gsize nfc_lab_log_size(NfcLab *lab, const char *name)
{
	g_autofree char *log = nfc_lab_log(lab, name);

	return strlen(log);
}

/* where want starts in log name from byte from on, or -1 */
static gssize log_find(NfcLab *lab, const char *name, gsize from, const char *want)
{
	g_autofree char *log = nfc_lab_log(lab, name);
	const char *p = strlen(log) >= from ? strstr(log + from, want) : NULL;

	return p ? p - log : -1;
}

bool nfc_lab_log_has(NfcLab *lab, const char *name, gsize from, const char *want)
{
	return log_find(lab, name, from, want) >= 0;
}

typedef struct {
	NfcLab *lab;
	const char *name, *want;
	gsize from;
	gssize at;
} LogWait;

static gboolean log_seen(gpointer data)
{
	LogWait *w = data;

	w->at = log_find(w->lab, w->name, w->from, w->want);
	return w->at >= 0;
}

gsize nfc_lab_wait_log(NfcLab *lab, const char *name, gsize from, const char *want,
		       guint timeout_ms)
{
	LogWait w = { lab, name, want, from, -1 };

	if (!nfc_lab_wait_for(log_seen, &w, timeout_ms)) {
		g_autofree char *log = nfc_lab_log(lab, name);

		g_error("%s never showed \"%s\" (from byte %" G_GSIZE_FORMAT " on):\n%s", name,
			want, from, strlen(log) >= from ? log + from : log);
	}
	return (gsize)w.at + strlen(want);
}

char *nfc_lab_log_line(NfcLab *lab, const char *name, gsize at)
{
	g_autofree char *log = nfc_lab_log(lab, name);
	gsize len = strlen(log), start, end;

	/* at is past the match: its last character is on the line (unless
	 * that was the line's newline) */
	start = MIN(at, len) > 0 ? MIN(at, len) - 1 : 0;
	if (start > 0 && log[start] == '\n')
		start--;
	while (start > 0 && log[start - 1] != '\n')
		start--;
	end = start + strcspn(log + start, "\n");
	return g_strndup(log + start, end - start);
}

int nfc_lab_stop(NfcLab *lab, GPid pid, int signum, guint timeout_ms, double *elapsed_ms)
{
	gint64 start = g_get_monotonic_time();
	int status = 0;
	pid_t r;

	g_assert_true(g_hash_table_contains(lab->procs, GINT_TO_POINTER(pid)));
	kill(pid, signum);
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (g_get_monotonic_time() - start > (gint64)timeout_ms * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			tell(lab, "p %d\n", pid);
			g_hash_table_remove(lab->procs, GINT_TO_POINTER(pid));
			g_error("process %d did not exit within %u ms of signal %d", pid,
				timeout_ms, signum);
		}
		g_usleep(1000);
	}
	if (elapsed_ms)
		*elapsed_ms = (g_get_monotonic_time() - start) / 1000.0;
	tell(lab, "p %d\n", pid);
	g_hash_table_remove(lab->procs, GINT_TO_POINTER(pid));
	return status;
}

int nfc_lab_connmanctl(NfcLab *lab, const char *ns, char **out, char **err, const char *fmt, ...)
{
	g_autofree char *args = NULL, *o = NULL, *e = NULL;
	va_list ap;
	int status;

	va_start(ap, fmt);
	args = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	status = nfc_lab_sh_capture(lab, ns, &o, &e,
				    "DBUS_SYSTEM_BUS_ADDRESS=%s connmanctl %s </dev/null",
				    nfc_lab_bus_address(lab), args);
	g_test_message("connmanctl %s -> %d\n%s%s", args, status, o, e);
	if (out)
		*out = g_steal_pointer(&o);
	if (err)
		*err = g_steal_pointer(&e);
	return status;
}

GPid nfc_lab_start_dnsmasq(NfcLab *lab, const char *ns, const char *ifname,
			   const char *range, const char *extra)
{
	g_autofree char *name = g_strdup_printf("dnsmasq-%s-%s", ns, ifname);
	g_autofree char *iface = g_strdup_printf("--interface=%s", ifname);
	g_autofree char *dhcp_range = g_strdup_printf("--dhcp-range=%s", range);
	g_autofree char *leases = g_strdup_printf("--dhcp-leasefile=%s/%s.leases", lab->dir, name);
	g_autofree char *pidfile = g_strdup_printf("--pid-file=%s/%s.pid", lab->dir, name);
	g_auto(GStrv) extras = g_strsplit(extra ? extra : "", " ", -1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();

	g_ptr_array_add(argv, "dnsmasq");
	g_ptr_array_add(argv, "--keep-in-foreground");
	g_ptr_array_add(argv, "--no-resolv");
	g_ptr_array_add(argv, "--no-hosts");
	g_ptr_array_add(argv, "--bind-interfaces");
	g_ptr_array_add(argv, "--except-interface=lo");
	g_ptr_array_add(argv, "--log-dhcp");
	g_ptr_array_add(argv, "--log-facility=-");
	g_ptr_array_add(argv, "--conf-file=/dev/null");
	g_ptr_array_add(argv, "--user=root");
	g_ptr_array_add(argv, iface);
	g_ptr_array_add(argv, dhcp_range);
	g_ptr_array_add(argv, leases);
	g_ptr_array_add(argv, pidfile);
	for (char **e = extras; *e; e++)
		if (**e)
			g_ptr_array_add(argv, *e);
	g_ptr_array_add(argv, NULL);
	return nfc_lab_spawn(lab, ns, name, (const char *const *)argv->pdata);
}

/* nfconnd's bus policy (dbus/nfconn.conf) without its <policy group="...">
 * blocks, written into the lab: a fresh install may lack the group
 * (netdev), and dbus-daemon warns about every unknown one. The lab's
 * clients run as root or as uids outside those groups, so they get the
 * same answers as with the real file. Returns the path. */
static char *write_bus_policy(NfcLab *lab)
{
	g_autofree char *text = NULL;
	g_autofree char *policy = NULL;
	g_autoptr(GRegex) group = NULL;
	g_autoptr(GError) error = NULL;
	char *path = g_build_filename(lab->dir, "nfconn.conf", NULL);

	g_file_get_contents(NFC_SOURCE_ROOT "/dbus/nfconn.conf", &text, NULL, &error);
	g_assert_no_error(error);
	if (lab->bus_group_file) {
		g_file_set_contents(path, text, -1, &error);
		g_assert_no_error(error);
		return path;
	}
	group = g_regex_new("<policy group=.*?</policy>\\s*", G_REGEX_DOTALL, 0, &error);
	g_assert_no_error(error);
	policy = g_regex_replace_literal(group, text, -1, 0, "", 0, &error);
	g_assert_no_error(error);
	if (strstr(policy, "group="))
		g_error("dbus/nfconn.conf names a group in a way the lab does not remove");
	g_file_set_contents(path, policy, -1, &error);
	g_assert_no_error(error);
	return path;
}

char *nfc_lab_bus_policy_dir(NfcLab *lab)
{
	return g_build_filename(lab->dir, "bus.d", NULL);
}

void nfc_lab_set_bus_group_file(NfcLab *lab, const char *group_file)
{
	g_assert_null(lab->bus_address);
	g_free(lab->bus_group_file);
	lab->bus_group_file = g_strdup(group_file);
}

const char *nfc_lab_bus_address(NfcLab *lab)
{
	g_autofree char *policy_path = NULL;
	g_autofree char *policy_dir = NULL;
	g_autofree char *conf_path = NULL;
	g_autofree char *conf = NULL;
	g_autofree char *socket = NULL;
	g_autofree char *conf_arg = NULL;
	g_autoptr(GError) error = NULL;

	if (lab->bus_address)
		return lab->bus_address;

	socket = g_build_filename(lab->dir, "bus", NULL);
	conf_path = g_build_filename(lab->dir, "bus.conf", NULL);
	policy_path = write_bus_policy(lab);
	policy_dir = nfc_lab_bus_policy_dir(lab);
	g_assert_cmpint(g_mkdir_with_parents(policy_dir, 0755), ==, 0);
	/* like the system bus: default deny, plus nfconnd's own policy */
	conf = g_strdup_printf(
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
		" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig>\n"
		"  <type>system</type>\n"
		"  <listen>unix:path=%s</listen>\n"
		"  <auth>EXTERNAL</auth>\n"
		"  <policy context=\"default\">\n"
		"    <allow user=\"*\"/>\n"
		"    <deny own=\"*\"/>\n"
		"    <deny send_type=\"method_call\"/>\n"
		"    <allow send_type=\"signal\"/>\n"
		"    <allow send_requested_reply=\"true\" send_type=\"method_return\"/>\n"
		"    <allow send_requested_reply=\"true\" send_type=\"error\"/>\n"
		"    <allow receive_type=\"method_call\"/>\n"
		"    <allow receive_type=\"method_return\"/>\n"
		"    <allow receive_type=\"error\"/>\n"
		"    <allow receive_type=\"signal\"/>\n"
		"    <allow send_destination=\"org.freedesktop.DBus\"\n"
		"           send_interface=\"org.freedesktop.DBus\"/>\n"
		"    <allow send_destination=\"org.freedesktop.DBus\"\n"
		"           send_interface=\"org.freedesktop.DBus.Introspectable\"/>\n"
		"  </policy>\n"
		"  <include>%s</include>\n"
		"  <includedir>%s/bus.d</includedir>\n"
		"</busconfig>\n",
		socket, policy_path, lab->dir);
	g_file_set_contents(conf_path, conf, -1, &error);
	g_assert_no_error(error);
	conf_arg = g_strdup_printf("--config-file=%s", conf_path);
	{
		const char *argv[] = { "dbus-daemon", conf_arg, "--nofork", "--nopidfile",
				       "--nosyslog", NULL };
		/* unshare and sh exec into dbus-daemon: the PID stays the bus's;
		 * the bind mount goes with its namespace */
		const char *unshared[] = { "unshare", "--mount", "--propagation=private", "sh", "-c",
					   "mount --bind \"$0\" /etc/group && exec dbus-daemon \"$@\"",
					   lab->bus_group_file, conf_arg, "--nofork", "--nopidfile",
					   "--nosyslog", NULL };

		lab->bus_pid = nfc_lab_spawn(lab, NULL, "dbus-daemon",
					     lab->bus_group_file ? unshared : argv);
	}
	lab->bus_address = g_strdup_printf("unix:path=%s", socket);
	for (int i = 0; i < 500 && !lab->bus; i++) {
		g_clear_error(&error);
		lab->bus = g_dbus_connection_new_for_address_sync(lab->bus_address,
			G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
		if (!lab->bus)
			g_usleep(10000);
	}
	g_assert_no_error(error);
	g_dbus_connection_set_exit_on_close(lab->bus, FALSE);
	/* the configuration was read before the bus listened: a user or
	 * group that this machine lacks has been reported by now */
	{
		g_autofree char *log = nfc_lab_log(lab, "dbus-daemon");

		if (strstr(log, "Unknown "))
			g_error("the lab's bus configuration names what this machine lacks:\n%s", log);
	}
	return lab->bus_address;
}

GDBusConnection *nfc_lab_bus(NfcLab *lab)
{
	nfc_lab_bus_address(lab);
	return lab->bus;
}

static bool name_has_owner(NfcLab *lab, const char *name)
{
	g_autoptr(GVariant) r = NULL;
	gboolean has = FALSE;

	r = g_dbus_connection_call_sync(lab->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					"org.freedesktop.DBus", "NameHasOwner",
					g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"),
					G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
	if (r)
		g_variant_get(r, "(b)", &has);
	return has;
}

GPid nfc_lab_start_nfconnd(NfcLab *lab, const char *ns, const char *const *extra_args)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	GPid pid;
	int status;

	nfc_lab_bus_address(lab);
	g_ptr_array_add(argv, g_strdup(NFC_BUILD_ROOT "/nfconnd"));
	g_ptr_array_add(argv, g_strdup("-n"));
	g_ptr_array_add(argv, g_strdup("-d"));
	g_ptr_array_add(argv, g_strdup_printf("--bus=%s", lab->bus_address));
	g_ptr_array_add(argv, g_strdup_printf("--state-dir=%s", lab->state_dir));
	g_ptr_array_add(argv, g_strdup_printf("--run-dir=%s", lab->run_dir));
	for (const char *const *a = extra_args; a && *a; a++)
		g_ptr_array_add(argv, g_strdup(*a));
	g_ptr_array_add(argv, NULL);
	pid = nfc_lab_spawn(lab, ns, "nfconnd", (const char *const *)argv->pdata);

	for (int i = 0; i < 1000; i++) {
		if (name_has_owner(lab, "net.connman"))
			return pid;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			g_autofree char *log = nfc_lab_log(lab, "nfconnd");

			tell(lab, "p %d\n", pid);
			g_hash_table_remove(lab->procs, GINT_TO_POINTER(pid));
			g_error("nfconnd exited (status %d) before owning net.connman:\n%s",
				status, log);
		}
		g_usleep(10000);
	}
	g_error("nfconnd did not own net.connman within 10 s");
	return 0;
}

void nfc_lab_free(NfcLab *lab)
{
	GHashTableIter it;
	gpointer key;

	if (!lab)
		return;
	if (lab->bus) {
		g_dbus_connection_close_sync(lab->bus, NULL, NULL);
		g_clear_object(&lab->bus);
	}
	/* everything still running, the bus last */
	g_hash_table_iter_init(&it, lab->procs);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		GPid pid = GPOINTER_TO_INT(key);

		if (pid == lab->bus_pid)
			continue;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		tell(lab, "p %d\n", pid);
		g_hash_table_iter_remove(&it);
	}
	if (lab->bus_pid && g_hash_table_contains(lab->procs, GINT_TO_POINTER(lab->bus_pid)))
		nfc_lab_stop(lab, lab->bus_pid, SIGTERM, 5000, NULL);
	for (guint i = lab->netns->len; i > 0; i--) {
		const char *ns = lab->netns->pdata[i - 1];

		nfc_lab_sh(lab, NULL, "ip netns delete %s", ns);
		tell(lab, "n %s\n", ns);
	}
	nfc_lab_sh(lab, NULL, "rm -rf --one-file-system '%s'", lab->dir);
	tell(lab, "done\n");
	close(lab->guardian_fd);
	waitpid(lab->guardian, NULL, 0);

	g_ptr_array_unref(lab->netns);
	g_hash_table_unref(lab->procs);
	g_free(lab->bus_address);
	g_free(lab->bus_group_file);
	g_free(lab->prefix);
	g_free(lab->dir);
	g_free(lab->state_dir);
	g_free(lab->run_dir);
	g_free(lab);
}

static gboolean poll_due(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* The condition is checked again after every event of the test's own main
 * context (a D-Bus reply or signal wakes it at once) and otherwise after a
 * pause that doubles from 1 ms to 32 ms: many conditions run a command (ip,
 * nft) or a D-Bus call to nfconnd, and polling those every 2 ms kept both
 * cores busy once tests ran four at a time. */
bool nfc_lab_wait_for(gboolean (*cond)(gpointer data), gpointer data, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	guint pause_ms = 1;

	while (!cond(data)) {
		bool due = false;
		guint id;

		if (g_get_monotonic_time() > end)
			return false;
		id = g_timeout_add(pause_ms, poll_due, &due);
		/* returns at once if another thread owns the context: the
		 * pause then comes from the sleep */
		if (!g_main_context_iteration(NULL, TRUE))
			g_usleep(pause_ms * 1000);
		if (!due)
			g_source_remove(id);
		pause_ms = MIN(pause_ms * 2, 32);
	}
	return true;
}

GVariant *nfc_lab_call(NfcLab *lab, const char *path, const char *iface,
		       const char *method, GVariant *params, GError **error)
{
	return g_dbus_connection_call_sync(nfc_lab_bus(lab), "net.connman", path, iface, method,
					   params, NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL,
					   error);
}

struct NfcLabSignals {
	GDBusConnection *bus;
	guint id;
	GQueue queue; /* of GVariant "(o@*)": path and parameters */
};

static void on_signal(GDBusConnection *conn, const char *sender, const char *path,
		      const char *iface, const char *member, GVariant *params, gpointer data)
{
	NfcLabSignals *s = data;

	g_queue_push_tail(&s->queue, g_variant_ref_sink(g_variant_new("(o@*)", path, params)));
}

NfcLabSignals *nfc_lab_signals_new(NfcLab *lab, const char *iface, const char *member)
{
	NfcLabSignals *s = g_new0(NfcLabSignals, 1);

	s->bus = g_object_ref(nfc_lab_bus(lab));
	s->id = g_dbus_connection_signal_subscribe(s->bus, "net.connman", iface, member, NULL,
						   NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, s,
						   NULL);
	/* a round trip, so that the bus has the match rule before we go on */
	g_variant_unref(g_dbus_connection_call_sync(s->bus, "org.freedesktop.DBus",
						    "/org/freedesktop/DBus", "org.freedesktop.DBus",
						    "GetId", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1,
						    NULL, NULL));
	return s;
}

void nfc_lab_signals_free(NfcLabSignals *s)
{
	if (!s)
		return;
	g_dbus_connection_signal_unsubscribe(s->bus, s->id);
	g_queue_clear_full(&s->queue, (GDestroyNotify)g_variant_unref);
	g_object_unref(s->bus);
	g_free(s);
}

static gboolean queue_not_empty(gpointer data)
{
	return !g_queue_is_empty(&((NfcLabSignals *)data)->queue);
}

GVariant *nfc_lab_signals_pop(NfcLabSignals *s, guint timeout_ms, char **path)
{
	g_autoptr(GVariant) item = NULL;
	GVariant *params;

	if (!nfc_lab_wait_for(queue_not_empty, s, timeout_ms))
		return NULL;
	item = g_queue_pop_head(&s->queue);
	g_variant_get(item, "(o@*)", path, &params);
	return params;
}

static gboolean pause_over(gpointer data)
{
	*(bool *)data = true;
	return G_SOURCE_REMOVE;
}

/* Dispatch the default main context for ms: a pause that still lets the
 * test's own D-Bus connection and sources run. */
static void pause_dispatching(guint ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	bool over = false;
	guint id = g_timeout_add(ms, pause_over, &over);

	/* the clock too: an iteration returns at once if another thread
	 * owns the context, and the timeout would never be dispatched */
	while (!over && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	if (!over)
		g_source_remove(id);
}

void nfc_lab_wait_sh(NfcLab *lab, const char *ns, guint timeout_ms, const char *fmt, ...)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	g_autofree char *cmd = NULL;
	va_list ap;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	/* the pause doubles from 5 ms to 80 ms: what tests wait for here
	 * mostly takes a second or more (the kernel's link watch, DHCP, a
	 * daemon's timer), and every turn is a shell and a command or two */
	for (guint pause_ms = 5;; pause_ms = MIN(pause_ms * 2, 80)) {
		g_autofree char *out = NULL, *err = NULL;
		int status = nfc_lab_sh_capture(lab, ns, &out, &err, "%s", cmd);

		if (status == 0)
			return;
		if (g_get_monotonic_time() > end)
			g_error("timed out after %u ms waiting for `%s` in %s; last exit %d, output:\n%s%s",
				timeout_ms, cmd, ns ? ns : "test ns", status, out, err);
		pause_dispatching(pause_ms);
	}
}

void nfc_lab_observe_for(guint timeout_ms)
{
	pause_dispatching(timeout_ms);
}

void nfc_lab_enter_netns(const char *ns)
{
	g_autofree char *path = g_strdup_printf("/run/netns/%s", ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(setns(fd, CLONE_NEWNET), ==, 0);
	close(fd);
}

void nfc_lab_wait_done(int error, void *wait)
{
	NfcLabWait *w = wait;

	if (error && !w->error)
		w->error = error;
	w->pending--;
}

static gboolean wait_all_over(gpointer data)
{
	return ((NfcLabWait *)data)->pending == 0;
}

int nfc_lab_wait_all(NfcLabWait *w)
{
	g_assert_true(nfc_lab_wait_for(wait_all_over, w, 30000));
	return w->error;
}
