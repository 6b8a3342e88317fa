// SPDX-License-Identifier: GPL-2.0-or-later
/* System tier, compatibility with a real GUI: Debian's cmst (Qt) with its
 * counters on ("cmst -c") against nfconnd with two uplinks, on the lab's
 * private bus (cmst talks to the system bus: DBUS_SYSTEM_BUS_ADDRESS points
 * it there) and an Xvfb display of the test's own.
 *
 * What a user would see is checked on the screen itself: Xvfb keeps its
 * framebuffer in a file (-fbdir, XWD format), the test turns it into a PPM
 * and tesseract reads it (as one block of text: a table row stays one
 * line); the services table must list both services (a
 * "Wired [uplinkN]" row each, with its identifier's MAC, two misread
 * characters allowed). Error dialogs are
 * top-level windows of their own: once the daemon has cmst's counter and
 * the table shows both services, cmst's windows must be only its main
 * window (and Qt's helpers), by xdotool. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uplinks.h"

/* generous: a loaded machine draws and reads the screen slowly */
#define TIMEOUT_MS 60000

typedef struct {
	Uplinks u;
	char *display;
} Fixture;

static gboolean have(const char *tool)
{
	g_autofree char *path = g_find_program_in_path(tool);

	return path != NULL;
}

static void setup(Fixture *f, gconstpointer data)
{
	static const char *const tools[] = { "Xvfb", "cmst", "xdotool", "tesseract", NULL };

	for (gsize i = 0; tools[i]; i++) {
		if (!have(tools[i])) {
			g_test_skip_printf("%s is not installed (tools/setup-deps)", tools[i]);
			return;
		}
	}
	uplinks_setup(&f->u, NULL);
	uplinks_start_nfconnd(&f->u);
	uplinks_wait_services(&f->u, 2, "ready|online", TIMEOUT_MS);
}

static void teardown(Fixture *f, gconstpointer data)
{
	if (!f->u.lab)
		return;
	uplinks_teardown(&f->u);
	g_free(f->display);
}

typedef struct {
	int fd;
	GString *text;
} Reader;

static gboolean got_line(gpointer data)
{
	Reader *r = data;
	char buf[64];
	ssize_t n;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0)
		g_string_append_len(r->text, buf, n);
	return strchr(r->text->str, '\n') != NULL;
}

/* Xvfb on a display number it picks itself (-displayfd), its screen in
 * <lab>/Xvfb_screen0. */
static void start_xvfb(Fixture *f)
{
	const char *argv[] = { "Xvfb", "-displayfd", "1", "-screen", "0", "1024x1024x24",
			       "-fbdir", nfc_lab_dir(f->u.lab), "-nolisten", "tcp", NULL };
	Reader r = { -1, g_string_new(NULL) };
	int in;

	nfc_lab_spawn_pipes(f->u.lab, f->u.host, "xvfb", argv, &in, &r.fd);
	close(in);
	g_assert_cmpint(fcntl(r.fd, F_SETFL, O_NONBLOCK), ==, 0);
	if (!nfc_lab_wait_for(got_line, &r, TIMEOUT_MS)) {
		g_autofree char *log = nfc_lab_log(f->u.lab, "xvfb");

		g_error("Xvfb did not start:\n%s", log);
	}
	g_strstrip(r.text->str);
	f->display = g_strdup_printf(":%s", r.text->str);
	close(r.fd);
	g_string_free(r.text, TRUE);
}

static guint32 be32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* The XWD screen file as a PPM; FALSE if it is not the 32-bit TrueColor
 * screen asked for. */
static gboolean screen_to_ppm(const char *xwd, const char *ppm)
{
	g_autofree guint8 *data = NULL;
	g_autoptr(GString) out = NULL;
	gsize len;
	guint32 header, width, height, bpp, line, ncolors;
	gsize offset;

	if (!g_file_get_contents(xwd, (char **)&data, &len, NULL) || len < 100)
		return FALSE;
	header = be32(data);
	width = be32(data + 16);
	height = be32(data + 20);
	bpp = be32(data + 44);
	line = be32(data + 48);
	ncolors = be32(data + 76);
	offset = header + (gsize)ncolors * 12;
	if (bpp != 32 || offset + (gsize)line * height > len)
		return FALSE;
	out = g_string_new(NULL);
	g_string_append_printf(out, "P6\n%u %u\n255\n", width, height);
	for (guint32 y = 0; y < height; y++) {
		const guint8 *row = data + offset + (gsize)y * line;

		/* the server's byte order here: blue, green, red, pad */
		for (guint32 x = 0; x < width; x++) {
			g_string_append_c(out, (char)row[4 * x + 2]);
			g_string_append_c(out, (char)row[4 * x + 1]);
			g_string_append_c(out, (char)row[4 * x]);
		}
	}
	return g_file_set_contents(ppm, out->str, (gssize)out->len, NULL);
}

typedef struct {
	Fixture *f;
	char *mac[2];
	char *text;	/* what tesseract read last */
} Screen;

/* OCR confuses some digits with letters (0/O, 1/l, 5/S, 8/B): compare on
 * one spelling. */
static char *hexish(const char *text)
{
	char *s = g_strdup(text);

	for (char *p = s; *p; p++) {
		if (*p == 'B')
			*p = '8';
		*p = g_ascii_tolower(*p);
		if (*p == 'o')
			*p = '0';
		else if (*p == 'l' || *p == 'i')
			*p = '1';
		else if (*p == 's')
			*p = '5';
	}
	return s;
}

/* The text holds mac with at most two characters misread, dropped or
 * added (OCR does all three; a random 48-bit MAC matches nothing else on
 * the screen that closely): the least edit distance between mac and any
 * stretch of the text (Sellers), one row at a time. */
static gboolean shows_mac(const char *text, const char *mac)
{
	gsize n = strlen(mac), len = strlen(text);
	g_autofree guint *col = g_new(guint, n + 1);

	for (gsize i = 0; i <= n; i++)
		col[i] = i;
	if (col[n] <= 2)
		return TRUE;
	for (gsize j = 0; j < len; j++) {
		guint diag = 0; /* a match may start anywhere in the text */

		col[0] = 0;
		for (gsize i = 1; i <= n; i++) {
			guint up = col[i];
			guint best = diag + (mac[i - 1] != text[j]);

			best = MIN(best, up + 1);          /* a character added */
			best = MIN(best, col[i - 1] + 1);  /* a character dropped */
			diag = up;
			col[i] = best;
		}
		if (col[n] <= 2)
			return TRUE;
	}
	return FALSE;
}

static guint count(const char *text, const char *needle)
{
	guint n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static gboolean screen_shows_services(gpointer data)
{
	Screen *s = data;
	NfcLab *lab = s->f->u.lab;
	g_autofree char *xwd = g_strdup_printf("%s/Xvfb_screen0", nfc_lab_dir(lab));
	g_autofree char *ppm = g_strdup_printf("%s/screen.ppm", nfc_lab_dir(lab));
	g_autofree char *norm = NULL;

	if (!screen_to_ppm(xwd, ppm))
		return FALSE;
	g_free(s->text);
	s->text = NULL;
	if (nfc_lab_sh_status(lab, NULL, &s->text, "tesseract %s - --psm 6 2>/dev/null", ppm) != 0)
		return FALSE;
	norm = hexish(s->text);
	return count(s->text, "Wired [uplink") == 2 && shows_mac(norm, s->mac[0]) &&
	       shows_mac(norm, s->mac[1]);
}

typedef struct {
	NfcLab *lab;
	const char *needle;
} LogWait;

static gboolean nfconnd_logged(gpointer data)
{
	LogWait *w = data;
	g_autofree char *log = nfc_lab_log(w->lab, "nfconnd");

	return strstr(log, w->needle) != NULL;
}

static void test_cmst(Fixture *f, gconstpointer data)
{
	g_autofree char *dir = NULL, *runtime = NULL, *cmd = NULL, *windows = NULL;
	const char *argv[] = { "sh", "-c", NULL, NULL };
	LogWait counter = { NULL, "counters: " };
	Screen s = { f };
	g_auto(GStrv) names = NULL;
	GPid pid;
	int status;

	if (!f->u.lab)
		return;
	counter.lab = f->u.lab;
	for (int i = 0; i < 2; i++) {
		g_autofree char *id = uplinks_service_id(&f->u, i);

		/* ethernet_<mac>_cable */
		s.mac[i] = g_strndup(id + strlen("ethernet_"), 12);
	}
	start_xvfb(f);
	dir = g_strdup(nfc_lab_dir(f->u.lab));
	runtime = g_strdup_printf("%s/xdg", dir);
	g_assert_cmpint(g_mkdir_with_parents(runtime, 0700), ==, 0);
	/* -d: no tray icon (Xvfb has no tray); its settings go to the lab;
	 * no session bus: cmst says so and goes on */
	cmd = g_strdup_printf("exec env DISPLAY=%s HOME=%s XDG_CONFIG_HOME=%s/config "
			      "XDG_RUNTIME_DIR=%s DBUS_SYSTEM_BUS_ADDRESS=%s "
			      "DBUS_SESSION_BUS_ADDRESS=disabled: QT_QPA_PLATFORM=xcb cmst -c -d",
			      f->display, dir, dir, runtime, nfc_lab_bus_address(f->u.lab));
	argv[2] = cmd;
	pid = nfc_lab_spawn(f->u.lab, f->u.host, "cmst", argv);

	/* its counter reached the daemon (the call that opened an error
	 * dialog when nfconnd lacked the Counter API) ... */
	if (!nfc_lab_wait_for(nfconnd_logged, &counter, TIMEOUT_MS)) {
		g_autofree char *log = nfc_lab_log(f->u.lab, "cmst");

		g_error("cmst registered no counter; its log:\n%s", log);
	}
	/* ... and the window shows both services */
	if (!nfc_lab_wait_for(screen_shows_services, &s, TIMEOUT_MS))
		g_error("cmst's window never showed both services (%s, %s); the screen read:\n%s",
			s.mac[0], s.mac[1], s.text);
	g_test_message("the screen read:\n%s", s.text);

	/* no dialog: only the main window and Qt's helpers */
	windows = nfc_lab_sh_output(f->u.lab, f->u.host,
				    "export DISPLAY=%s; xdotool search --name . 2>/dev/null | while read w; do "
				    "xdotool getwindowname $w; done", f->display);
	g_test_message("windows:\n%s", windows);
	names = g_strsplit(windows, "\n", -1);
	g_assert_true(g_strv_contains((const char *const *)names, "Connman System Tray"));
	for (gsize i = 0; names[i]; i++) {
		static const char *const known[] = {
			"", "Connman System Tray", "CMST - Connman System Tray",
			"Qt Selection Owner for CMST - Connman System Tray", NULL,
		};

		if (!g_strv_contains(known, names[i]))
			g_error("a window '%s' opened beside cmst's main window", names[i]);
	}

	status = nfc_lab_stop(f->u.lab, pid, SIGTERM, 10000, NULL);
	g_assert_true(WIFEXITED(status) || WIFSIGNALED(status));
	for (int i = 0; i < 2; i++)
		g_free(s.mac[i]);
	g_free(s.text);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	nfc_lab_require_root();
	g_test_add("/cmst/counters-and-services", Fixture, NULL, setup, test_cmst, teardown);
	return g_test_run();
}
