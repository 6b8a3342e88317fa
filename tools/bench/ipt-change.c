// SPDX-License-Identifier: GPL-2.0-or-later
/* The cost of one session change on legacy xtables with N identities
 * installed, two ways (issue 13): an iptables-legacy-restore --noflush
 * helper process fed the change on stdin (what firewall/ipt-backend.c
 * does), and libip4tc in-process (read the table, change it, commit).
 * A change is what the backend sends for a new session: one owner rule
 * and its session's two counting rules, added, then the same removed.
 * Run inside a network namespace of its own (tools/bench/ipt-change).
 * Prints p50/p99/max in ms per way and N. */
#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libiptc/libiptc.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_owner.h>

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run_restore(const char *text)
{
	char *argv[] = { "iptables-legacy-restore", "-w", "10", "--noflush", NULL };
	posix_spawn_file_actions_t fa;
	int fds[2], status;
	pid_t pid;
	size_t len = strlen(text);

	if (pipe(fds) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (write(fds[1], text, len) != (ssize_t)len)
		return -1;
	close(fds[1]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

/* ---- libip4tc: an entry of one match and one target ------------------------- */

static struct ipt_entry *entry_new(const char *match, uint8_t mrev, const void *mdata,
				   size_t mlen, const char *target, uint8_t trev,
				   const void *tdata, size_t tlen)
{
	size_t msize = XT_ALIGN(sizeof(struct xt_entry_match) + mlen);
	size_t tsize = XT_ALIGN(sizeof(struct xt_entry_target) + tlen);
	size_t size = XT_ALIGN(sizeof(struct ipt_entry)) + msize + tsize;
	struct ipt_entry *e = calloc(1, size);
	struct xt_entry_match *m;
	struct xt_entry_target *t;

	e->target_offset = XT_ALIGN(sizeof(struct ipt_entry)) + msize;
	e->next_offset = size;
	m = (struct xt_entry_match *)e->elems;
	m->u.match_size = msize;
	strcpy(m->u.user.name, match);
	m->u.user.revision = mrev;
	memcpy(m->data, mdata, mlen);
	t = (struct xt_entry_target *)((char *)e + e->target_offset);
	t->u.target_size = tsize;
	strcpy(t->u.user.name, target);
	t->u.user.revision = trev;
	memcpy(t->data, tdata, tlen);
	return e;
}

static struct ipt_entry *owner_rule(uint32_t uid, uint32_t mark)
{
	struct xt_owner_match_info o = { .uid_min = uid, .uid_max = uid, .match = XT_OWNER_UID };
	struct xt_mark_tginfo2 t = { .mark = mark, .mask = 0xffffff };

	return entry_new("owner", 1, &o, sizeof(o), "MARK", 2, &t, sizeof(t));
}

static struct ipt_entry *count_rule(uint32_t session)
{
	struct xt_mark_mtinfo1 m = { .mark = session, .mask = 0xff00ffff };
	char verdict[sizeof(int)] = { 0 };
	struct ipt_entry *e = entry_new("mark", 1, &m, sizeof(m), "", 0, verdict, sizeof(int));
	struct xt_standard_target *st = (struct xt_standard_target *)((char *)e + e->target_offset);

	st->verdict = XT_RETURN;
	return e;
}

static unsigned char *mask_of(const struct ipt_entry *e)
{
	unsigned char *mask = malloc(e->next_offset);

	memset(mask, 0xff, e->next_offset);
	return mask;
}

static int iptc_change(uint32_t uid, uint32_t session, int add)
{
	struct xtc_handle *h = iptc_init("mangle");
	struct ipt_entry *rules[3] = { owner_rule(uid, 0x10000 | session), count_rule(session),
				       count_rule(session) };
	const char *chains[3] = { "NFCONN-UID", "NFCONN-TX", "NFCONN-RX" };
	int ok = h != NULL;

	for (int i = 0; ok && i < 3; i++) {
		if (add) {
			ok = iptc_append_entry(chains[i], rules[i], h);
		} else {
			unsigned char *mask = mask_of(rules[i]);

			ok = iptc_delete_entry(chains[i], rules[i], mask, h);
			free(mask);
		}
	}
	if (ok)
		ok = iptc_commit(h);
	if (!ok)
		fprintf(stderr, "libip4tc: %s\n", iptc_strerror(errno));
	if (h)
		iptc_free(h);
	for (int i = 0; i < 3; i++)
		free(rules[i]);
	return ok ? 0 : -1;
}

/* nfconnd's way: the same libip4tc change in a forked child, the parent
 * waiting for its exit (in the daemon the main loop goes on meanwhile) */
static int forked_change(uint32_t uid, uint32_t session, int add)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(iptc_change(uid, session, add) < 0 ? 1 : 0);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int restore_change(uint32_t uid, uint32_t session, int add)
{
	char text[1024];
	const char *op = add ? "-A" : "-D";

	snprintf(text, sizeof(text),
		 "*mangle\n"
		 "%s NFCONN-UID -m owner --uid-owner %u -j MARK --set-xmark 0x%x/0xffffff\n"
		 "%s NFCONN-TX -m mark --mark 0x%x/0xff00ffff -j RETURN\n"
		 "%s NFCONN-RX -m mark --mark 0x%x/0xff00ffff -j RETURN\n"
		 "COMMIT\n", op, uid, 0x10000 | session, op, session, op, session);
	return run_restore(text);
}

/* ---- the table of N identities ---------------------------------------------------- */

static int fill(unsigned int n)
{
	size_t cap = 256 + (size_t)n * 300, used = 0;
	char *text = malloc(cap);
	int r;

	used += snprintf(text + used, cap - used,
			 "*mangle\n:NFCONN-UID - [0:0]\n:NFCONN-TX - [0:0]\n:NFCONN-RX - [0:0]\n");
	for (unsigned int i = 1; i <= n; i++)
		used += snprintf(text + used, cap - used,
				 "-A NFCONN-UID -m owner --uid-owner %u -j MARK --set-xmark 0x%x/0xffffff\n"
				 "-A NFCONN-TX -m mark --mark 0x%x/0xff00ffff -j RETURN\n"
				 "-A NFCONN-RX -m mark --mark 0x%x/0xff00ffff -j RETURN\n",
				 10000 + i, 0x10000 | i, i, i);
	snprintf(text + used, cap - used, "COMMIT\n");
	r = run_restore(text);
	free(text);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void measure(const char *way, unsigned int n, unsigned int samples,
		    int (*change)(uint32_t, uint32_t, int))
{
	double *t = calloc(samples, sizeof(double));

	for (unsigned int i = 0; i < samples; i++) {
		int add = i % 2 == 0;
		double t0 = now_ms();

		if (change(50000, 60000, add) < 0) {
			fprintf(stderr, "%s: change failed at N=%u\n", way, n);
			exit(1);
		}
		t[i] = now_ms() - t0;
	}
	qsort(t, samples, sizeof(double), cmp_double);
	printf("%-22s %7u %9.2f %9.2f %9.2f\n", way, n, t[samples / 2],
	       t[samples * 99 / 100], t[samples - 1]);
	free(t);
}

int main(int argc, char **argv)
{
	unsigned int samples = argc > 1 ? (unsigned int)atoi(argv[1]) : 100;
	static const unsigned int levels[] = { 0, 1000, 10000 };

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("%-22s %7s %9s %9s %9s\n", "way (one change)", "N", "p50 ms", "p99 ms", "max ms");
	for (unsigned int l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		if (argc > 2 && levels[l] > (unsigned int)atoi(argv[2]))
			break;
		if (fill(levels[l]) < 0) {
			fprintf(stderr, "cannot install %u identities\n", levels[l]);
			return 1;
		}
		measure("restore process", levels[l], samples, restore_change);
		measure("libip4tc in-process", levels[l], samples, iptc_change);
		measure("libip4tc forked child", levels[l], samples, forked_change);
	}
	return 0;
}
