/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The test lab: network namespaces, veth "uplinks" into router namespaces,
 * dnsmasq, a private dbus-daemon and nfconnd, for the system tests.
 *
 * Everything a lab creates is also told to a guardian process that outlives
 * the test: when the test ends in any way other than nfc_lab_free() (failed
 * assertion, signal, timeout), the guardian kills the lab's processes by
 * PID and deletes its namespaces by name. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct NfcLab NfcLab;

/* Exit 77 (skip) unless running as root. */
void nfc_lab_require_root(void);

NfcLab *nfc_lab_new(void);
void nfc_lab_free(NfcLab *lab);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcLab, nfc_lab_free)

/* A scratch directory, removed with the lab. */
const char *nfc_lab_dir(NfcLab *lab);

/* A new namespace "<lab prefix>-<role>", with lo up. Returns its name
 * (owned by the lab). */
const char *nfc_lab_add_netns(NfcLab *lab, const char *role);

/* A veth pair: if_a in ns_a, if_b in ns_b, both left down. */
void nfc_lab_add_veth(NfcLab *lab, const char *ns_a, const char *if_a,
		      const char *ns_b, const char *if_b);

/* Run "sh -c CMD" inside ns (NULL: the test's own namespace, only for
 * commands that touch nothing there, such as "nft -v"). Fails the test on
 * a non-zero exit. nfc_lab_sh_output returns stdout. */
void nfc_lab_sh(NfcLab *lab, const char *ns, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
char *nfc_lab_sh_output(NfcLab *lab, const char *ns, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Same, but returns the exit status instead of failing. */
int nfc_lab_sh_status(NfcLab *lab, const char *ns, char **out, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);
/* Same, with stderr apart in *err. */
int nfc_lab_sh_capture(NfcLab *lab, const char *ns, char **out, char **err, const char *fmt, ...)
	G_GNUC_PRINTF(5, 6);

/* Start a background process in ns; its output goes to <dir>/<name>.log.
 * Tracked by the guardian until nfc_lab_stop(). */
GPid nfc_lab_spawn(NfcLab *lab, const char *ns, const char *name, const char *const *argv);
/* Same, with pipes to its stdin and from its stdout (stderr goes to the
 * log); the fds are the caller's to close. */
GPid nfc_lab_spawn_pipes(NfcLab *lab, const char *ns, const char *name,
			 const char *const *argv, int *stdin_fd, int *stdout_fd);
/* SIGTERM, wait up to timeout_ms (then SIGKILL and fail). Returns the
 * wait status; elapsed_ms (may be NULL) gets how long the exit took. */
int nfc_lab_stop(NfcLab *lab, GPid pid, int signum, guint timeout_ms, double *elapsed_ms);
char *nfc_lab_log(NfcLab *lab, const char *name);
/* The log's size now: a wait from there sees only what comes after. */
gsize nfc_lab_log_size(NfcLab *lab, const char *name);
/* Does log name hold want from byte from on? */
bool nfc_lab_log_has(NfcLab *lab, const char *name, gsize from, const char *want);
/* Waits until log name holds want from byte from on; fails the test,
 * showing the log, after timeout_ms. Returns the offset just past it,
 * where a wait for what follows starts. */
gsize nfc_lab_wait_log(NfcLab *lab, const char *name, gsize from, const char *want,
		       guint timeout_ms);
/* The line of log name around offset at (a match's end included), without
 * its newline. */
char *nfc_lab_log_line(NfcLab *lab, const char *name, gsize at);

/* Debian's connmanctl ARGS (split by the shell) in ns on the lab's bus,
 * stdin empty; returns its exit status, stdout in *out and stderr in *err
 * (either may be NULL), and logs all three. */
int nfc_lab_connmanctl(NfcLab *lab, const char *ns, char **out, char **err, const char *fmt, ...)
	G_GNUC_PRINTF(5, 6);

/* dnsmasq serving DHCP (and what extra adds) on ifname in ns. The
 * interface must already have its address. */
GPid nfc_lab_start_dnsmasq(NfcLab *lab, const char *ns, const char *ifname,
			   const char *range, const char *extra);

/* Before the bus starts: give it nfconnd's whole bus policy, group rules
 * included, and run it in a mount namespace of its own with group_file
 * bound over /etc/group, so that the groups the policy names (netdev)
 * resolve whether or not this machine has them. */
void nfc_lab_set_bus_group_file(NfcLab *lab, const char *group_file);

/* The private bus (started on first use) and the test's connection to it. */
const char *nfc_lab_bus_address(NfcLab *lab);
GDBusConnection *nfc_lab_bus(NfcLab *lab);
/* A directory the private bus includes policy files from (for a test that
 * puts another service on the bus); after adding one once the bus runs,
 * call org.freedesktop.DBus.ReloadConfig. Caller frees. */
char *nfc_lab_bus_policy_dir(NfcLab *lab);

/* Start nfconnd in ns on the private bus with a state and run directory of
 * its own (<dir>/state, <dir>/run) and extra arguments; waits until it owns
 * net.connman. */
GPid nfc_lab_start_nfconnd(NfcLab *lab, const char *ns, const char *const *extra_args);
const char *nfc_lab_state_dir(NfcLab *lab);
const char *nfc_lab_run_dir(NfcLab *lab);

/* Move the calling thread into namespace ns (fails the test if it cannot):
 * for tests that run the code under test in their own process. */
void nfc_lab_enter_netns(const char *ns);

/* Completions of asynchronous requests (a callback taking (int error,
 * void *user_data)): set pending to the number of requests, pass
 * nfc_lab_wait_done with the NfcLabWait as user data; nfc_lab_wait_all
 * waits (30 s at most, else the test fails) until all have come and
 * returns the first error, 0 if none. */
typedef struct {
	int pending;
	int error;
} NfcLabWait;
void nfc_lab_wait_done(int error, void *wait);
int nfc_lab_wait_all(NfcLabWait *wait);

/* Wait (iterating the default main context) until cond(data) holds. */
bool nfc_lab_wait_for(gboolean (*cond)(gpointer data), gpointer data, guint timeout_ms);

/* Synchronous call to net.connman; returns the reply or NULL with error. */
GVariant *nfc_lab_call(NfcLab *lab, const char *path, const char *iface,
		       const char *method, GVariant *params, GError **error);

/* Collects the signals net.connman emits, in order. */
typedef struct NfcLabSignals NfcLabSignals;
NfcLabSignals *nfc_lab_signals_new(NfcLab *lab, const char *iface, const char *member);
void nfc_lab_signals_free(NfcLabSignals *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcLabSignals, nfc_lab_signals_free)
/* Waits up to timeout_ms for the next signal; returns its parameters
 * (owned by the caller) or NULL on timeout. path (may be NULL) gets its
 * object path. */
GVariant *nfc_lab_signals_pop(NfcLabSignals *s, guint timeout_ms, char **path);

/* Wait until "sh -c CMD" in ns (as nfc_lab_sh) exits 0, running it again
 * after a pause that doubles from 5 ms to 80 ms, with the default main
 * context dispatched in between. On
 * timeout the test fails, naming CMD and showing its last output. */
void nfc_lab_wait_sh(NfcLab *lab, const char *ns, guint timeout_ms, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/* Let timeout_ms pass, dispatching the default main context. Only for
 * tests that assert something does NOT happen and have no event that
 * marks the moment it no longer could: each caller says why its window
 * is long enough. Everything else waits for a condition. */
void nfc_lab_observe_for(guint timeout_ms);
