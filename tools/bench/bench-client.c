// SPDX-License-Identifier: GPL-2.0-or-later
/* The benchmarks' client side, in one small program without GLib so that
 * the client costs next to nothing beside what it measures:
 *
 *   bench-client sessions PID LEVELS SAMPLES [BUDGET_S]
 *       one bus connection; for each level N (comma list): grow to N
 *       sessions (pipelined; past BUDGET_S seconds in all, the level is cut
 *       to what exists and the run ends after it), then SAMPLES x Peer.Ping, CreateSession and
 *       DestroySession, timed one by one; prints one "key=value" line per
 *       level, with the daemon's VmRSS (of PID) at that level.
 *   bench-client policy UIDBASE
 *       reads commands from stdin, answers one line each on stdout:
 *         grow N SECONDS  one connection per uid (UIDBASE + i) and one
 *                         session on each, until N exist or time is up
 *         cgrow N DIR SECONDS  N more sessions, each from a process that
 *                         just moved into a cgroup of its own (DIR/c<i>),
 *                         by 8 worker processes
 *         churn K UID     K x Ping, CreateSession, DestroySession from one
 *                         connection of UID, each round trip timed
 *         quit
 *   bench-client stalls PID
 *       reads commands from stdin, answers one line each on stdout; one
 *       connection (the holder) owns the sessions and is drained
 *       throughout, a second one pings:
 *         grow N          the holder grows to N sessions (64 in flight)
 *         probe MS [CMD]  Peer.Ping every 10 ms while the shell command
 *                         CMD runs and MS ms after it ended; prints the
 *                         longest round trip (the longest stall a client
 *                         feels) and the p99
 *         introspect      a third connection with one session of its
 *                         own times Introspect of its node, then of
 *                         the holder's node
 *         stop            SIGTERM to PID; the time until it exited, and
 *                         the Release calls the holder got meanwhile
 *         quit
 *   bench-client wait-ready ID TIMEOUT SHELLCMD
 *       runs SHELLCMD (the link up), then polls the service's
 *       GetProperties until State is ready or online; prints the time.
 *   bench-client blast ADDR PORT SECONDS [MARK]
 *       64-byte UDP datagrams with sendto() on an unconnected socket (a
 *       route lookup per packet, as an application without connect()),
 *       prints "pps=<n> sent=<n> errors=<n>".
 *
 * D-Bus is spoken directly (blocking unix socket, EXTERNAL auth,
 * little-endian marshalling of the few messages needed). Calls the daemon
 * makes to us (Notification.Update, Release) get an empty reply when one
 * is expected: that is the trivial notifier object. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_CALL 1
#define MSG_RETURN 2
#define MSG_ERROR 3
#define FLAG_NO_REPLY 1

typedef struct {
	uint8_t *d;
	size_t len, cap;
} Buf;

typedef struct {
	int fd;
	uint32_t serial;
	Buf in;           /* bytes read, not yet consumed */
	char unique[256]; /* our name on the bus (conn_open) */
} Conn;

typedef struct {
	int type;
	uint8_t flags;
	uint32_t serial, reply_serial;
	char sender[256];
	char error[256];
	char body_str[256];  /* first string/object path of the body, if any */
	uint8_t body[4096];  /* the start of the body */
	uint32_t body_len;
} Msg;

static const char *bus_path;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- marshalling ---------------------------------------------------------- */

static void grow(Buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	b->cap = (b->len + n) * 2 + 256;
	b->d = realloc(b->d, b->cap);
	if (!b->d)
		die("realloc");
}

static void put(Buf *b, const void *p, size_t n)
{
	grow(b, n);
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void align(Buf *b, size_t a)
{
	static const uint8_t zero[8];

	put(b, zero, (a - b->len % a) % a);
}

static void put_u8(Buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put_u32(Buf *b, uint32_t v)
{
	align(b, 4);
	put(b, &v, 4);  /* little-endian host: this machine is x86 */
}

static void put_str(Buf *b, const char *s)
{
	put_u32(b, strlen(s));
	put(b, s, strlen(s) + 1);
}

static void put_sig(Buf *b, const char *s)
{
	put_u8(b, strlen(s));
	put(b, s, strlen(s) + 1);
}

static void put_field(Buf *b, uint8_t code, const char *type, const char *value)
{
	align(b, 8);
	put_u8(b, code);
	put_sig(b, type);
	if (type[0] == 'g')
		put_sig(b, value);
	else
		put_str(b, value);
}

static void put_field_u32(Buf *b, uint8_t code, uint32_t value)
{
	align(b, 8);
	put_u8(b, code);
	put_sig(b, "u");
	put_u32(b, value);
}

/* A message: header fields from the arguments, body as given. */
static void send_msg(Conn *c, int type, uint8_t flags, const char *dest, const char *path,
		     const char *iface, const char *member, const char *sig, uint32_t reply_to,
		     const Buf *body)
{
	Buf m = { 0 };
	uint32_t fields_at, n;
	uint8_t head[4] = { 'l', type, flags, 1 };

	put(&m, head, 4);
	put_u32(&m, body ? body->len : 0);
	put_u32(&m, ++c->serial);
	put_u32(&m, 0);
	fields_at = m.len;
	if (path)
		put_field(&m, 1, "o", path);
	if (iface)
		put_field(&m, 2, "s", iface);
	if (member)
		put_field(&m, 3, "s", member);
	if (reply_to)
		put_field_u32(&m, 5, reply_to);
	if (dest)
		put_field(&m, 6, "s", dest);
	if (sig && *sig)
		put_field(&m, 8, "g", sig);
	n = m.len - fields_at;
	memcpy(m.d + 12, &n, 4);
	align(&m, 8);
	if (body)
		put(&m, body->d, body->len);
	for (size_t off = 0; off < m.len;) {
		ssize_t w = write(c->fd, m.d + off, m.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write to bus");
		off += w;
	}
	free(m.d);
}

static void call(Conn *c, const char *dest, const char *path, const char *iface,
		 const char *member, const char *sig, const Buf *body)
{
	send_msg(c, MSG_CALL, 0, dest, path, iface, member, sig, 0, body);
}

/* ---- reading ---------------------------------------------------------------- */

static void fill(Conn *c, size_t want)
{
	while (c->in.len < want) {
		ssize_t r;

		grow(&c->in, 65536);
		r = read(c->fd, c->in.d + c->in.len, c->in.cap - c->in.len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "bus connection closed\n");
			exit(1);
		}
		c->in.len += r;
	}
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void copy_str(char *dst, size_t size, const uint8_t *p, uint32_t len)
{
	size_t n = len < size - 1 ? len : size - 1;

	memcpy(dst, p, n);
	dst[n] = 0;
}

static void read_msg(Conn *c, Msg *m)
{
	uint32_t body_len, fields_len, total, pos, end;
	const uint8_t *d;

	fill(c, 16);
	body_len = get_u32(c->in.d + 4);
	fields_len = get_u32(c->in.d + 12);
	total = (16 + fields_len + 7) / 8 * 8 + body_len;
	fill(c, total);
	d = c->in.d;
	memset(m, 0, sizeof(*m));
	m->type = d[1];
	m->flags = d[2];
	m->serial = get_u32(d + 8);
	pos = 16;
	end = 16 + fields_len;
	while (pos < end) {
		uint8_t code = d[pos], sl = d[pos + 1];
		char t = d[pos + 2];

		pos += 2 + sl + 1;
		if (t == 'u') {
			pos = (pos + 3) / 4 * 4;
			if (code == 5)
				m->reply_serial = get_u32(d + pos);
			pos += 4;
		} else if (t == 'g') {
			pos += 1 + d[pos] + 1;
		} else {
			uint32_t len;

			pos = (pos + 3) / 4 * 4;
			len = get_u32(d + pos);
			if (code == 7)
				copy_str(m->sender, sizeof(m->sender), d + pos + 4, len);
			if (code == 4)
				copy_str(m->error, sizeof(m->error), d + pos + 4, len);
			pos += 4 + len + 1;
		}
		pos = (pos + 7) / 8 * 8;
	}
	pos = (16 + fields_len + 7) / 8 * 8;
	if (body_len >= 5 && (m->type == MSG_RETURN || m->type == MSG_ERROR))
		copy_str(m->body_str, sizeof(m->body_str), d + pos + 4,
			 get_u32(d + pos) < body_len - 4 ? get_u32(d + pos) : 0);
	m->body_len = body_len < sizeof(m->body) ? body_len : sizeof(m->body);
	memcpy(m->body, d + pos, m->body_len);
	memmove(c->in.d, c->in.d + total, c->in.len - total);
	c->in.len -= total;
}

/* The next reply or error; method calls to us are answered on the way. */
static void wait_reply(Conn *c, Msg *m)
{
	for (;;) {
		read_msg(c, m);
		if (m->type == MSG_RETURN || m->type == MSG_ERROR)
			return;
		if (m->type == MSG_CALL && !(m->flags & FLAG_NO_REPLY) && m->sender[0])
			send_msg(c, MSG_RETURN, FLAG_NO_REPLY, m->sender, NULL, NULL, NULL, NULL,
				 m->serial, NULL);
	}
}

static int connect_bus(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[512], id[64], hex[130] = "";
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		die("socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", bus_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect to bus");
	snprintf(id, sizeof(id), "%u", (unsigned)geteuid());
	for (size_t i = 0; id[i]; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
	n = snprintf(line, sizeof(line), "%cAUTH EXTERNAL %s\r\n", 0, hex);
	if (write(fd, line, n) != n)
		die("auth");
	n = read(fd, line, sizeof(line) - 1);
	if (n < 3 || strncmp(line, "OK ", 3)) {
		fprintf(stderr, "bus refused authentication\n");
		exit(1);
	}
	if (write(fd, "BEGIN\r\n", 7) != 7)
		die("auth");
	return fd;
}

static void conn_open(Conn *c)
{
	Msg m;

	memset(c, 0, sizeof(*c));
	c->fd = connect_bus();
	call(c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
	     "Hello", NULL, NULL);
	wait_reply(c, &m);
	if (m.type != MSG_RETURN) {
		fprintf(stderr, "Hello failed: %s\n", m.error);
		exit(1);
	}
	snprintf(c->unique, sizeof(c->unique), "%s", m.body_str);
}

static void conn_close(Conn *c)
{
	close(c->fd);
	free(c->in.d);
	memset(c, 0, sizeof(*c));
}

/* ---- the calls ---------------------------------------------------------------- */

static void send_create(Conn *c, const char *notifier)
{
	Buf b = { 0 };

	put_u32(&b, 0);   /* a{sv}: empty array ... */
	align(&b, 8);     /* ... its elements would start 8-aligned */
	put_str(&b, notifier);
	call(c, "net.connman", "/", "net.connman.Manager", "CreateSession", "a{sv}o", &b);
	free(b.d);
}

static void send_destroy(Conn *c, const char *path)
{
	Buf b = { 0 };

	put_str(&b, path);
	call(c, "net.connman", "/", "net.connman.Manager", "DestroySession", "o", &b);
	free(b.d);
}

static void send_ping(Conn *c)
{
	call(c, "net.connman", "/", "org.freedesktop.DBus.Peer", "Ping", NULL, NULL);
}

static void expect_ok(const Msg *m, const char *what)
{
	if (m->type == MSG_ERROR) {
		printf("error=%s what=%s message=\"%s\"\n", m->error, what, m->body_str);
		fflush(stdout);
		exit(2);
	}
}

/* ---- statistics ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);

	qsort(v, n, sizeof(*v), cmp_double);
	return n ? v[i] : 0;
}

static long rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = atol(line + 6);
	fclose(f);
	return kib;
}

/* ---- sessions ---------------------------------------------------------------- */

static int cmd_sessions(int pid, const char *levels, int samples, double budget_s)
{
	double deadline = now_ms() + budget_s * 1e3;
	int truncated = 0;
	char *list = strdup(levels), *save = NULL;
	double *ping = calloc(samples, sizeof(double));
	double *create = calloc(samples, sizeof(double));
	double *destroy = calloc(samples, sizeof(double));
	int have = 0;
	Conn c;
	Msg m;

	conn_open(&c);
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int level = atoi(tok);
		double t0 = now_ms(), fill_s;

		if (truncated)
			break;
		/* grow, 64 calls in flight, within the time budget */
		while (have < level) {
			int batch = level - have < 64 ? level - have : 64;
			char notifier[64];

			for (int i = 0; i < batch; i++) {
				snprintf(notifier, sizeof(notifier), "/bench/s%d", have + i);
				send_create(&c, notifier);
			}
			for (int i = 0; i < batch; i++) {
				wait_reply(&c, &m);
				expect_ok(&m, "grow");
			}
			have += batch;
			if (have < level && now_ms() > deadline) {
				printf("truncated wanted=%d have=%d budget_s=%.0f\n", level, have,
				       budget_s);
				level = have;
				truncated = 1;
			}
		}
		fill_s = (now_ms() - t0) / 1e3;
		/* let the daemon settle (deferred work) before the samples */
		send_ping(&c);
		wait_reply(&c, &m);
		usleep(300 * 1000);
		for (int i = 0; i < samples; i++) {
			double a = now_ms(), b, d;

			send_ping(&c);
			wait_reply(&c, &m);
			b = now_ms();
			ping[i] = b - a;
			send_create(&c, "/bench/probe");
			wait_reply(&c, &m);
			expect_ok(&m, "create");
			d = now_ms();
			create[i] = d - b;
			{
				char path[256];

				snprintf(path, sizeof(path), "%s", m.body_str);
				send_destroy(&c, path);
			}
			wait_reply(&c, &m);
			expect_ok(&m, "destroy");
			destroy[i] = now_ms() - d;
		}
		usleep(300 * 1000);
		printf("level=%d rss_kib=%ld fill_s=%.2f ping_p50=%.4f ping_p99=%.4f "
		       "create_p50=%.4f create_p99=%.4f destroy_p50=%.4f destroy_p99=%.4f\n",
		       level, rss_kib(pid), fill_s, pct(ping, samples, 0.5), pct(ping, samples, 0.99),
		       pct(create, samples, 0.5), pct(create, samples, 0.99),
		       pct(destroy, samples, 0.5), pct(destroy, samples, 0.99));
		fflush(stdout);
	}
	conn_close(&c);
	free(list);
	free(ping);
	free(create);
	free(destroy);
	return 0;
}

/* ---- policy ---------------------------------------------------------------- */

static Conn *conns;
static int nconns, cap_conns;

static void open_as(Conn *c, uid_t uid)
{
	/* the bus takes the peer's credentials at connect(); the saved uid
	 * stays 0 so that we can come back */
	if (setresuid(uid, uid, 0) < 0)
		die("setresuid");
	c->fd = -1;
	memset(c, 0, sizeof(*c));
	c->fd = connect_bus();
	if (setresuid(0, 0, 0) < 0)
		die("setresuid back");
	{
		Msg m;

		call(c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
		     "Hello", NULL, NULL);
		wait_reply(c, &m);
	}
}

static void policy_grow(uid_t base, int target, double seconds)
{
	double t0 = now_ms(), deadline = t0 + seconds * 1e3;
	char why[64] = "done";
	Msg m;

	if (target > cap_conns) {
		conns = realloc(conns, target * sizeof(Conn));
		cap_conns = target;
	}
	while (nconns < target) {
		int batch = target - nconns < 32 ? target - nconns : 32;

		if (now_ms() > deadline) {
			snprintf(why, sizeof(why), "time");
			break;
		}
		for (int i = 0; i < batch; i++)
			open_as(&conns[nconns + i], base + nconns + i);
		for (int i = 0; i < batch; i++)
			send_create(&conns[nconns + i], "/bench/n");
		for (int i = 0; i < batch; i++) {
			wait_reply(&conns[nconns + i], &m);
			if (m.type == MSG_ERROR) {
				printf("grown=%d stopped=error error=%s message=\"%s\" seconds=%.1f\n",
				       nconns + i, m.error, m.body_str, (now_ms() - t0) / 1e3);
				fflush(stdout);
				for (int j = i; j < batch; j++)
					conn_close(&conns[nconns + j]);
				nconns += i;
				return;
			}
		}
		nconns += batch;
	}
	/* a ping returns after the daemon handled everything before it */
	if (nconns) {
		send_ping(&conns[0]);
		wait_reply(&conns[0], &m);
	}
	printf("grown=%d stopped=%s seconds=%.1f\n", nconns, why, (now_ms() - t0) / 1e3);
	fflush(stdout);
}

static void policy_churn(int k, uid_t uid)
{
	double *add = calloc(k, sizeof(double)), *del = calloc(k, sizeof(double));
	double *ping = calloc(k, sizeof(double));
	Conn c;
	Msg m;

	open_as(&c, uid);
	for (int i = 0; i < k; i++) {
		double a = now_ms(), b, d;
		char path[256];

		send_ping(&c);
		wait_reply(&c, &m);
		b = now_ms();
		ping[i] = b - a;
		/* the round trips only: the daemon replies to CreateSession
		 * before its map element is in the kernel; that part it times
		 * itself (net.nfconn.Manager.GetApplyTimes, read by the script) */
		send_create(&c, "/bench/churn");
		wait_reply(&c, &m);
		expect_ok(&m, "create");
		d = now_ms();
		add[i] = d - b;
		snprintf(path, sizeof(path), "%s", m.body_str);
		send_destroy(&c, path);
		wait_reply(&c, &m);
		expect_ok(&m, "destroy");
		del[i] = now_ms() - d;
	}
	printf("ping_p50=%.4f add_p50=%.4f add_p99=%.4f del_p50=%.4f del_p99=%.4f\n",
	       pct(ping, k, 0.5), pct(add, k, 0.5), pct(add, k, 0.99), pct(del, k, 0.5),
	       pct(del, k, 0.99));
	fflush(stdout);
	conn_close(&c);
	free(add);
	free(del);
	free(ping);
}

/* cgrow N DIR SECONDS: N more sessions, each made right after its creator
 * moved itself into a cgroup of its own, DIR/c<i> (the daemon reads the
 * creator's cgroup at CreateSession, so each is a distinct identity).
 * CG_WORKERS processes with one bus connection each make them: the bus's
 * descriptors do not cap N. The workers keep their sessions until quit. */
#define CG_WORKERS 8

static pid_t *cg_pids;
static int *cg_hold, n_cg, cg_made;

static int cg_worker(const char *dir, int first, int last, int step, double deadline, int out)
{
	char path[512], line[128];
	int made = 0, n;
	Conn c;
	Msg m;

	conn_open(&c);
	for (int i = first; i < last && now_ms() < deadline; i += step) {
		int fd;

		snprintf(path, sizeof(path), "%s/c%d", dir, i);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			break;
		snprintf(path, sizeof(path), "%s/c%d/cgroup.procs", dir, i);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			die("join cgroup");
		close(fd);
		snprintf(path, sizeof(path), "/bench/c%d", i);
		send_create(&c, path);
		wait_reply(&c, &m);
		if (m.type == MSG_ERROR) {
			fprintf(stderr, "cgroup session %d: %s %s\n", i, m.error, m.body_str);
			break;
		}
		made++;
	}
	n = snprintf(line, sizeof(line), "%d\n", made);
	if (write(out, line, n) != n)
		die("report");
	return c.fd;
}

static void policy_cgrow(int more, const char *dir, double seconds)
{
	double t0 = now_ms();
	int results[CG_WORKERS], first = cg_made, made = 0;

	cg_pids = realloc(cg_pids, (n_cg + CG_WORKERS) * sizeof(pid_t));
	cg_hold = realloc(cg_hold, (n_cg + CG_WORKERS) * sizeof(int));
	for (int w = 0; w < CG_WORKERS; w++) {
		int res[2], hold[2];
		pid_t pid;

		if (pipe(res) < 0 || pipe(hold) < 0)
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			char b;

			close(res[0]);
			close(hold[1]);
			cg_worker(dir, first + w, first + more, CG_WORKERS, t0 + seconds * 1e3, res[1]);
			/* keep the sessions until the parent lets go */
			while (read(hold[0], &b, 1) > 0)
				;
			_exit(0);
		}
		close(res[1]);
		close(hold[0]);
		results[w] = res[0];
		cg_pids[n_cg] = pid;
		cg_hold[n_cg++] = hold[1];
	}
	for (int w = 0; w < CG_WORKERS; w++) {
		char line[64] = "";
		ssize_t n = read(results[w], line, sizeof(line) - 1);

		if (n > 0)
			made += atoi(line);
		close(results[w]);
	}
	cg_made += made;
	printf("grown=%d stopped=%s seconds=%.1f\n", made, made == more ? "done" : "short",
	       (now_ms() - t0) / 1e3);
	fflush(stdout);
}

static void cg_release(void)
{
	for (int i = 0; i < n_cg; i++)
		close(cg_hold[i]);
	for (int i = 0; i < n_cg; i++)
		waitpid(cg_pids[i], NULL, 0);
	n_cg = 0;
}

static int cmd_policy(uid_t base)
{
	char line[256];

	while (fgets(line, sizeof(line), stdin)) {
		char dir[256];
		int n, k;
		double secs;
		unsigned uid;

		if (sscanf(line, "grow %d %lf", &n, &secs) == 2)
			policy_grow(base, n, secs);
		else if (sscanf(line, "churn %d %u", &k, &uid) == 2)
			policy_churn(k, uid);
		else if (sscanf(line, "cgrow %d %255s %lf", &n, dir, &secs) == 3)
			policy_cgrow(n, dir, secs);
		else if (!strncmp(line, "quit", 4))
			break;
		else {
			printf("error=bad-command\n");
			fflush(stdout);
		}
	}
	cg_release();
	for (int i = 0; i < nconns; i++)
		conn_close(&conns[i]);
	free(conns);
	return 0;
}

/* ---- stalls ---------------------------------------------------------------- */

/* Is a whole message in c's buffer? */
static int has_msg(const Conn *c)
{
	if (c->in.len < 16)
		return 0;
	return c->in.len >= (get_u32(c->in.d + 12) + 16 + 7) / 8 * 8 + get_u32(c->in.d + 4);
}

/* What arrived on c without blocking; calls that want a reply get one.
 * Returns the reply messages' count (m: the last of them). */
static int drain(Conn *c, Msg *m, int *calls)
{
	int replies = 0;
	ssize_t r;

	grow(&c->in, 65536);
	r = recv(c->fd, c->in.d + c->in.len, c->in.cap - c->in.len, MSG_DONTWAIT);
	if (r == 0) {
		fprintf(stderr, "bus connection closed\n");
		exit(1);
	}
	if (r > 0)
		c->in.len += r;
	while (has_msg(c)) {
		Msg one;

		read_msg(c, &one);
		if (one.type == MSG_RETURN || one.type == MSG_ERROR) {
			replies++;
			if (m)
				*m = one;
		} else if (one.type == MSG_CALL) {
			if (calls)
				(*calls)++;
			if (!(one.flags & FLAG_NO_REPLY) && one.sender[0])
				send_msg(c, MSG_RETURN, FLAG_NO_REPLY, one.sender, NULL, NULL, NULL,
					 NULL, one.serial, NULL);
		}
	}
	return replies;
}

static Conn holder, pinger;
static int holder_have;

/* Wait up to ms for fd (another descriptor, or -1) to be readable, the
 * holder drained meanwhile; returns whether fd is readable. */
static int wait_fd(int fd, double ms)
{
	double end = now_ms() + ms;

	for (;;) {
		struct pollfd p[2] = { { holder.fd, POLLIN, 0 }, { fd, POLLIN, 0 } };
		double left = end - now_ms();

		if (left < 0)
			left = 0;
		if (poll(p, fd >= 0 ? 2 : 1, (int)(left + 0.999)) < 0 && errno != EINTR)
			die("poll");
		if (p[0].revents)
			drain(&holder, NULL, NULL);
		if (fd >= 0 && p[1].revents)
			return 1;
		if (now_ms() >= end)
			return 0;
	}
}

/* A call on c and its reply, the holder drained meanwhile. */
static void call_wait(Conn *c, Msg *m)
{
	while (!drain(c, m, NULL))
		wait_fd(c->fd, 1e9);
}

/* until the holder has something (its replies are ours to read) */
static void wait_holder(void)
{
	struct pollfd p = { holder.fd, POLLIN, 0 };

	if (poll(&p, 1, -1) < 0 && errno != EINTR)
		die("poll");
}

static void stalls_grow(int target)
{
	double t0 = now_ms();
	Msg m = { 0 };

	while (holder_have < target) {
		int batch = target - holder_have < 64 ? target - holder_have : 64, got = 0;
		char notifier[64];

		for (int i = 0; i < batch; i++) {
			snprintf(notifier, sizeof(notifier), "/bench/s%d", holder_have + i);
			send_create(&holder, notifier);
		}
		while (got < batch) {
			int r = drain(&holder, &m, NULL);

			got += r;
			if (r && m.type == MSG_ERROR) {
				printf("grown=%d error=%s message=\"%s\"\n", holder_have, m.error,
				       m.body_str);
				fflush(stdout);
				return;
			}
			if (got < batch)
				wait_holder();
		}
		holder_have += batch;
	}
	send_ping(&holder);
	while (!drain(&holder, &m, NULL))
		wait_holder();
	printf("grown=%d seconds=%.2f\n", holder_have, (now_ms() - t0) / 1e3);
	fflush(stdout);
}

/* Ping every 10 ms (or right after a late reply) until CMD has ended and
 * ms more have passed. */
static void stalls_probe(double ms, const char *cmd)
{
	int cap = 4096, n = 0, status;
	double *rtt = malloc(cap * sizeof(double)), end = cmd ? 1e300 : now_ms() + ms, worst = 0;
	pid_t pid = 0;
	Msg m;

	if (cmd) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
	}
	while (now_ms() < end) {
		double a = now_ms(), b;

		send_ping(&pinger);
		call_wait(&pinger, &m);
		b = now_ms();
		if (n == cap)
			rtt = realloc(rtt, (cap *= 2) * sizeof(double));
		rtt[n++] = b - a;
		if (b - a > worst)
			worst = b - a;
		if (pid && waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			end = now_ms() + ms;
		}
		if (a + 10 > now_ms())
			wait_fd(-1, a + 10 - now_ms());
	}
	printf("max_ms=%.2f p99_ms=%.2f p50_ms=%.3f pings=%d\n", worst, pct(rtt, n, 0.99),
	       pct(rtt, n, 0.5), n);
	fflush(stdout);
	free(rtt);
}

static double introspect_ms(Conn *c, const char *path, uint32_t *len)
{
	double t0 = now_ms();
	Msg m;

	call(c, "net.connman", path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL,
	     NULL);
	call_wait(c, &m);
	*len = m.type == MSG_RETURN ? get_u32(m.body) : 0;
	return now_ms() - t0;
}

/* "/sessions/" + the unique name with ':' and '.' as '_' + rest */
static void session_node(char *out, size_t size, const char *unique, const char *rest)
{
	int n = snprintf(out, size, "/sessions/%s", unique);

	for (char *p = out + 10; *p; p++)
		if (*p == ':' || *p == '.')
			*p = '_';
	snprintf(out + n, size - n, "%s", rest);
}

static void stalls_introspect(void)
{
	char own[256], other[256];
	uint32_t own_len, other_len;
	double own_ms, other_ms;
	Conn c;
	Msg m;

	conn_open(&c);
	session_node(other, sizeof(other), c.unique, "/bench");
	send_create(&c, "/bench/other");
	call_wait(&c, &m);
	expect_ok(&m, "create");
	other_ms = introspect_ms(&c, other, &other_len);
	session_node(own, sizeof(own), holder.unique, "/bench");
	own_ms = introspect_ms(&c, own, &own_len);
	printf("other_ms=%.2f other_bytes=%u own_ms=%.2f own_bytes=%u\n", other_ms, other_len,
	       own_ms, own_len);
	fflush(stdout);
	conn_close(&c);
}

static void stalls_stop(int pid)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0), calls = 0;
	double t0 = now_ms();

	if (pfd < 0)
		die("pidfd_open");
	kill(pid, SIGTERM);
	for (;;) {
		struct pollfd p[2] = { { pfd, POLLIN, 0 }, { holder.fd, POLLIN, 0 } };

		if (poll(p, 2, 60000) <= 0) {
			printf("stop_ms=timeout releases=%d\n", calls);
			break;
		}
		if (p[1].revents & POLLIN)
			drain(&holder, NULL, &calls);
		if (p[0].revents) {
			printf("stop_ms=%.1f releases=%d\n", now_ms() - t0, calls);
			break;
		}
	}
	fflush(stdout);
	close(pfd);
}

static int cmd_stalls(int pid)
{
	char line[1024];

	conn_open(&holder);
	conn_open(&pinger);
	for (;;) {
		int n;
		double ms;

		/* the holder is drained while we wait for a command */
		while (!wait_fd(STDIN_FILENO, 1e9))
			;
		if (!fgets(line, sizeof(line), stdin))
			break;
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "grow %d", &n) == 1) {
			stalls_grow(n);
		} else if (sscanf(line, "probe %lf %n", &ms, &n) == 1) {
			stalls_probe(ms, line[n] ? line + n : NULL);
		} else if (!strcmp(line, "introspect")) {
			stalls_introspect();
		} else if (!strcmp(line, "stop")) {
			stalls_stop(pid);
		} else if (!strcmp(line, "quit")) {
			break;
		} else {
			printf("error=bad-command\n");
			fflush(stdout);
		}
	}
	conn_close(&holder);
	conn_close(&pinger);
	return 0;
}

/* ---- wait-ready ---------------------------------------------------------------- */

/* Does a GetProperties reply say State ready or online? (The values are
 * marshalled strings: length, text, NUL; no other property has them.) */
static int says_ready(const Msg *m)
{
	static const uint8_t ready[] = { 5, 0, 0, 0, 'r', 'e', 'a', 'd', 'y', 0 };
	static const uint8_t online[] = { 6, 0, 0, 0, 'o', 'n', 'l', 'i', 'n', 'e', 0 };

	return m->type == MSG_RETURN &&
	       (memmem(m->body, m->body_len, ready, sizeof(ready)) ||
		memmem(m->body, m->body_len, online, sizeof(online)));
}

/* Run CMD (e.g. the link up), then poll the service until it is ready;
 * prints "ms=<from CMD's exit> polls=<n>". */
static int cmd_wait_ready(const char *id, double timeout_s, char **cmd)
{
	char path[256];
	double t0, t;
	int polls = 0, status;
	pid_t pid;
	Conn c;
	Msg m;

	snprintf(path, sizeof(path), "/net/connman/service/%s", id);
	conn_open(&c);
	/* not system(): it ignores SIGINT, and Ctrl-C must end us at once */
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd[0], (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "warning: '%s' failed\n", cmd[0]);
	/* the link is up once the command returned */
	t0 = now_ms();
	for (;;) {
		call(&c, "net.connman", path, "net.connman.Service", "GetProperties", NULL, NULL);
		wait_reply(&c, &m);
		polls++;
		t = now_ms();
		if (says_ready(&m))
			break;
		if (t - t0 > timeout_s * 1e3) {
			printf("ms=timeout polls=%d\n", polls);
			return 1;
		}
		usleep(200);
	}
	printf("ms=%.2f polls=%d\n", t - t0, polls);
	conn_close(&c);
	return 0;
}

/* ---- blast ---------------------------------------------------------------- */

static int cmd_blast(const char *addr, int port, double seconds, unsigned int mark)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	char payload[64] = "nfconn bench";
	unsigned long sent = 0, errors = 0;
	double t0, t;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		die("blast socket");
	/* the socket's own mark (needs CAP_NET_ADMIN): routed by it from the
	 * first lookup on */
	if (mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		die("SO_MARK");
	t0 = now_ms();
	for (;;) {
		for (int i = 0; i < 1024; i++) {
			if (sendto(fd, payload, sizeof(payload), 0, (struct sockaddr *)&sa,
				   sizeof(sa)) < 0)
				errors++;
			else
				sent++;
		}
		t = now_ms();
		if (t - t0 >= seconds * 1e3)
			break;
	}
	printf("pps=%.0f sent=%lu errors=%lu\n", sent / ((t - t0) / 1e3), sent, errors);
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	struct rlimit rl = { 1 << 20, 1 << 20 };

	if (argc >= 5 && !strcmp(argv[1], "blast"))
		return cmd_blast(argv[2], atoi(argv[3]), atof(argv[4]),
				 argc >= 6 ? (unsigned int)strtoul(argv[5], NULL, 0) : 0);
	if (!addr || strncmp(addr, "unix:path=", 10)) {
		fprintf(stderr, "DBUS_SYSTEM_BUS_ADDRESS must be unix:path=...\n");
		return 1;
	}
	bus_path = addr + 10;
	/* one socket per connection in policy mode; lower limits are fine
	 * for the smaller runs */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		rl.rlim_cur = rl.rlim_max = 200000;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (argc >= 5 && !strcmp(argv[1], "sessions"))
		return cmd_sessions(atoi(argv[2]), argv[3], atoi(argv[4]),
				    argc >= 6 ? atof(argv[5]) : 1e9);
	if (argc >= 5 && !strcmp(argv[1], "wait-ready"))
		return cmd_wait_ready(argv[2], atof(argv[3]), argv + 4);
	if (argc >= 3 && !strcmp(argv[1], "stalls"))
		return cmd_stalls(atoi(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "policy"))
		return cmd_policy(atoi(argv[2]));
	fprintf(stderr, "usage: %s sessions PID LEVELS SAMPLES [BUDGET_S] | policy UIDBASE | "
			"stalls PID | blast ADDR PORT SECONDS [MARK] | wait-ready ID TIMEOUT SHELLCMD\n", argv[0]);
	return 1;
}
