// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: session settings, the policy overlay, service selection and
 * policy files with their precedence. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "policy-file.h"
#include "session-settings.h"

static GVariant *dict(const char *text)
{
	g_autoptr(GError) error = NULL;
	GVariant *v = g_variant_parse(G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);

	g_assert_no_error(error);
	return v;
}

static char *joined(char **v)
{
	return g_strjoinv(",", v);
}

static void test_conn_types(void)
{
	static const char *const names[] = { "any", "local", "internet" };
	NfcConnType t;

	for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
		g_assert_cmpstr(nfc_conn_type_to_string((NfcConnType)i), ==, names[i]);
		g_assert_true(nfc_conn_type_from_string(names[i], &t));
		g_assert_cmpint(t, ==, i);
	}
	g_assert_cmpint(NFC_CONN_INTERNET, ==, G_N_ELEMENTS(names) - 1);
	g_assert_cmpstr(nfc_conn_type_to_string((NfcConnType)7), ==, "any");
	t = NFC_CONN_LOCAL;
	g_assert_false(nfc_conn_type_from_string("Internet", &t));
	g_assert_false(nfc_conn_type_from_string("", &t));
	/* a refusal leaves the value alone */
	g_assert_cmpint(t, ==, NFC_CONN_LOCAL);
}

static void test_parse(void)
{
	static const struct { const char *text; int r; const char *bad; } cases[] = {
		{ "@a{sv} {}", 0, NULL },
		{ "{'AllowedBearers': <['wifi', '', 'ethernet', 'wifi']>}", 0, NULL },
		{ "{'AllowedBearers': <['warp']>}", -EINVAL, "AllowedBearers" },
		{ "{'AllowedBearers': <'ethernet'>}", -EINVAL, "AllowedBearers" },
		{ "{'ConnectionType': <'internet'>}", 0, NULL },
		{ "{'ConnectionType': <'sometimes'>}", -EINVAL, "ConnectionType" },
		{ "{'ConnectionType': <uint32 1>}", -EINVAL, "ConnectionType" },
		{ "{'AllowedInterface': <'uplink0'>}", 0, NULL },
		{ "{'AllowedInterface': <'a-very-long-interface-name'>}", -EINVAL, "AllowedInterface" },
		{ "{'SourceIPRule': <true>}", 0, NULL },
		{ "{'SourceIPRule': <'yes'>}", -EINVAL, "SourceIPRule" },
		{ "{'ContextIdentifier': <'ctx'>}", 0, NULL },
		{ "{'State': <'online'>}", -EINVAL, "State" },
		{ "{'Bogus': <1>}", -EINVAL, "Bogus" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GVariant) d = g_variant_ref_sink(dict(cases[i].text));
		NfcSessionSettings s;
		const char *bad = NULL;
		int r = nfc_session_settings_parse(d, &s, &bad);

		g_test_message("%s", cases[i].text);
		g_assert_cmpint(r, ==, cases[i].r);
		if (r < 0)
			g_assert_cmpstr(bad, ==, cases[i].bad);
		else
			nfc_session_settings_clear(&s);
	}
}

static void test_parse_values(void)
{
	g_autoptr(GVariant) d = g_variant_ref_sink(dict(
		"{'AllowedBearers': <['wifi', '', 'ethernet', 'wifi']>, 'AllowedInterface': <''>,"
		" 'ContextIdentifier': <'c1'>}"));
	NfcSessionSettings s;
	g_autofree char *b = NULL;

	g_assert_cmpint(nfc_session_settings_parse(d, &s, NULL), ==, 0);
	b = joined(s.bearers);
	/* order kept, duplicates and empty names gone */
	g_assert_cmpstr(b, ==, "wifi,ethernet");
	/* "" means any interface, also at creation */
	g_assert_null(s.interface);
	g_assert_cmpstr(s.context_identifier, ==, "c1");
	nfc_session_settings_clear(&s);
}

static void test_change(void)
{
	NfcSessionSettings s = { 0 };
	g_autoptr(GVariant) iface = g_variant_ref_sink(g_variant_new_string("uplink1"));
	g_autoptr(GVariant) star = g_variant_ref_sink(g_variant_new_string("*"));
	g_autoptr(GVariant) bad = g_variant_ref_sink(g_variant_new_string("lunar"));
	g_autoptr(GVariant) ctx = g_variant_ref_sink(g_variant_new_string("x"));

	g_assert_cmpint(nfc_session_settings_change(&s, "AllowedInterface", iface), ==, 0);
	g_assert_cmpstr(s.interface, ==, "uplink1");
	/* a failed change leaves everything as it was */
	g_assert_cmpint(nfc_session_settings_change(&s, "ConnectionType", bad), ==, -EINVAL);
	g_assert_cmpint(s.type, ==, NFC_CONN_ANY);
	g_assert_cmpstr(s.interface, ==, "uplink1");
	g_assert_cmpint(nfc_session_settings_change(&s, "ContextIdentifier", ctx), ==, -EINVAL);
	g_assert_cmpint(nfc_session_settings_change(&s, "AllowedInterface", star), ==, 0);
	g_assert_null(s.interface);
	nfc_session_settings_clear(&s);
}

static void test_effective(void)
{
	char *user_order[] = { "wifi", "ethernet", NULL };
	char *user_star[] = { "cellular", "*", NULL };
	char *policy_list[] = { "ethernet", "cellular", NULL };
	NfcSessionSettings s = { 0 };
	NfcSessionPolicy p = { 0 };
	g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	g_auto(GStrv) ea = NULL, eb = NULL, ec = NULL, ed = NULL;

	ea = nfc_session_effective_bearers(&s, NULL);
	a = joined(ea);
	g_assert_cmpstr(a, ==, "ethernet,wifi,bluetooth,cellular,gadget");

	s.bearers = user_order;
	eb = nfc_session_effective_bearers(&s, NULL);
	b = joined(eb);
	g_assert_cmpstr(b, ==, "wifi,ethernet"); /* the user's order, unlike ConnMan */

	p.bearers = policy_list;
	ec = nfc_session_effective_bearers(&s, &p);
	c = joined(ec);
	g_assert_cmpstr(c, ==, "ethernet");

	s.bearers = user_star;
	ed = nfc_session_effective_bearers(&s, &p);
	d = joined(ed);
	g_assert_cmpstr(d, ==, "cellular,ethernet");

	p.has_type = true;
	p.type = NFC_CONN_INTERNET;
	g_assert_cmpint(nfc_session_effective_type(&s, &p), ==, NFC_CONN_INTERNET);
	p.type = NFC_CONN_ANY;
	s.type = NFC_CONN_LOCAL;
	g_assert_cmpint(nfc_session_effective_type(&s, &p), ==, NFC_CONN_LOCAL);
	s.interface = "uplink0";
	p.interface = "uplink1";
	g_assert_cmpstr(nfc_session_effective_interface(&s, &p), ==, "uplink1");
}

static void test_select(void)
{
	static const NfcSelectCandidate svc[] = {
		{ "ethernet", "uplink0", true, false },  /* ready */
		{ "ethernet", "uplink1", true, true },   /* online */
		{ "wifi", "wlan0", true, true },
		{ "cellular", "wwan0", false, false },   /* idle */
	};
	static const struct {
		const char *bearers, *iface;
		NfcConnType type;
		int expect;
	} cases[] = {
		{ "ethernet,wifi", NULL, NFC_CONN_ANY, 0 },
		{ "ethernet,wifi", NULL, NFC_CONN_INTERNET, 1 },
		{ "wifi,ethernet", NULL, NFC_CONN_ANY, 2 },
		{ "ethernet", "uplink1", NFC_CONN_ANY, 1 },
		{ "ethernet", "wlan0", NFC_CONN_ANY, -1 },
		{ "cellular", NULL, NFC_CONN_ANY, -1 },
		{ "", NULL, NFC_CONN_ANY, -1 },
		{ "cellular,wifi", NULL, NFC_CONN_LOCAL, 2 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_auto(GStrv) b = g_strsplit(cases[i].bearers, ",", -1);

		if (!*cases[i].bearers) {
			g_strfreev(b);
			b = g_new0(char *, 1);
		}
		g_assert_cmpint(nfc_session_select(b, cases[i].type, cases[i].iface, svc, 4), ==,
				cases[i].expect);
	}
}

static void test_policy_files(void)
{
	g_autoptr(NfcPolicySet) set = nfc_policy_set_new();
	g_autoptr(GError) error = NULL;
	NfcIdentity id = { 0 };
	NfcPolicyConfig *c;

	g_assert_true(nfc_policy_set_add_file(set, "10-users.policy",
		"[policy_uid]\nuid=1234\nAllowedBearers=ethernet\nAllowedInterface=uplink0\n"
		"[policy_gid]\ngid=4321\nAllowedBearers=wifi cellular\nConnectionType=internet\n", -1, &error));
	g_assert_no_error(error);
	g_assert_true(nfc_policy_set_add_file(set, "20-apps.policy",
		"[flatpak]\ncgroup=/user.slice/*/app-flatpak-org.example.App-*\nAllowedBearers=cellular\n"
		"[broad]\ncgroup=/user.slice\nAllowedBearers=*\n"
		"[selinux]\nselinux=myapp_t\nAllowedBearers=gadget\n"
		"[uid-again]\nuid=1234\nAllowedBearers=wifi\n", -1, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(nfc_policy_set_count(set), ==, 6);

	/* uid match; the first file wins a tie */
	id.uid = 1234;
	c = nfc_policy_set_lookup(set, &id);
	g_assert_nonnull(c);
	g_assert_cmpint(c->match, ==, NFC_POLICY_MATCH_UID);
	g_assert_cmpstr(c->settings.bearers[0], ==, "ethernet");
	g_assert_cmpstr(c->settings.interface, ==, "uplink0");
	g_assert_cmpstr(c->source, ==, "10-users.policy [policy_uid]");
	nfc_policy_config_free(c);

	/* a supplementary group matches after uid */
	id.uid = 99;
	id.gid = 100;
	id.gids = g_array_new(FALSE, FALSE, sizeof(gid_t));
	g_array_append_val(id.gids, id.gid);
	{
		gid_t g = 4321;

		g_array_append_val(id.gids, g);
	}
	c = nfc_policy_set_lookup(set, &id);
	g_assert_nonnull(c);
	g_assert_cmpint(c->match, ==, NFC_POLICY_MATCH_GID);
	/* the group the policy named, not the primary one */
	g_assert_cmpuint(c->gid, ==, 4321);
	g_assert_true(c->settings.has_type);
	g_assert_cmpint(c->settings.type, ==, NFC_CONN_INTERNET);
	nfc_policy_config_free(c);

	/* cgroup beats uid and gid; the longest matching pattern wins */
	id.uid = 1234;
	id.cgroup = g_strdup("/user.slice/user-1234.slice/app-flatpak-org.example.App-42.scope");
	c = nfc_policy_set_lookup(set, &id);
	g_assert_cmpint(c->match, ==, NFC_POLICY_MATCH_CGROUP);
	g_assert_cmpstr(c->source, ==, "20-apps.policy [flatpak]");
	nfc_policy_config_free(c);
	g_free(id.cgroup);
	id.cgroup = g_strdup("/user.slice/user-1234.slice/session-2.scope");
	c = nfc_policy_set_lookup(set, &id);
	g_assert_cmpstr(c->source, ==, "20-apps.policy [broad]");
	nfc_policy_config_free(c);

	/* a security label beats everything */
	id.label = g_strdup("system_u:system_r:myapp_t:s0");
	c = nfc_policy_set_lookup(set, &id);
	g_assert_cmpint(c->match, ==, NFC_POLICY_MATCH_LABEL);
	nfc_policy_config_free(c);

	/* nobody else */
	nfc_identity_clear(&id);
	memset(&id, 0, sizeof(id));
	id.uid = 5;
	g_assert_null(nfc_policy_set_lookup(set, &id));
}

static void test_policy_bad_files(void)
{
	static const char *const bad[] = {
		"[p]\nAllowedBearers=ethernet\n",                 /* matches nobody */
		"[p]\nuid=1\nAllowedBearers=ethernet warp\n",     /* unknown bearer */
		"[p]\nuid=1\nConnectionType=maybe\n",
		"[p]\nuid=no-such-user-here\n",
		"[p]\ncgroup=relative/path\n",
		"[ok]\nuid=1\n[broken]\ngid=1\nConnectionType=x\n", /* one bad group spoils the file */
		"not a key file",
	};
	g_autoptr(NfcPolicySet) set = nfc_policy_set_new();

	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;

		g_assert_false(nfc_policy_set_add_file(set, "bad.policy", bad[i], -1, &error));
		g_assert_nonnull(error);
		g_assert_nonnull(strstr(error->message, "bad.policy"));
	}
	g_assert_cmpuint(nfc_policy_set_count(set), ==, 0);
}

/* A FIFO (or a directory) named *.policy is skipped without blocking the
 * loader; a symlink to a regular policy file is followed. */
static void test_policy_special_files(void)
{
	g_autofree char *dir = g_dir_make_tmp("nfc-policy-XXXXXX", NULL);
	g_autofree char *fifo = g_build_filename(dir, "10-fifo.policy", NULL);
	g_autofree char *sub = g_build_filename(dir, "15-dir.policy", NULL);
	g_autofree char *ok = g_build_filename(dir, "20-ok.policy", NULL);
	g_autofree char *link = g_build_filename(dir, "30-link.policy", NULL);
	g_autofree char *link_fifo = g_build_filename(dir, "40-link-fifo.policy", NULL);
	g_autoptr(NfcPolicySet) set = nfc_policy_set_new();

	g_assert_nonnull(dir);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_assert_cmpint(g_mkdir(sub, 0700), ==, 0);
	g_assert_true(g_file_set_contents(ok, "[p]\nuid=1\nAllowedBearers=ethernet\n", -1, NULL));
	g_assert_cmpint(symlink(ok, link), ==, 0);
	g_assert_cmpint(symlink(fifo, link_fifo), ==, 0);
	/* a blocking open() of the FIFO would never return: no writer */
	g_assert_cmpuint(nfc_policy_set_load_dir(set, dir), ==, 2);
	g_assert_cmpuint(nfc_policy_set_count(set), ==, 2);
	g_unlink(link_fifo);
	g_unlink(link);
	g_unlink(ok);
	g_rmdir(sub);
	g_unlink(fifo);
	g_rmdir(dir);
}

static void test_policy_reload_delay(void)
{
	const gint64 t0 = 1000000000;

	/* the first event waits the settle time */
	g_assert_cmpuint(nfc_policy_reload_delay(t0, t0, 100, 500), ==, 100);
	/* later events restart the settle time ... */
	g_assert_cmpuint(nfc_policy_reload_delay(t0, t0 + 300000, 100, 500), ==, 100);
	/* ... but never past the cap after the first pending event */
	g_assert_cmpuint(nfc_policy_reload_delay(t0, t0 + 450000, 100, 500), ==, 50);
	g_assert_cmpuint(nfc_policy_reload_delay(t0, t0 + 499500, 100, 500), ==, 1);
	g_assert_cmpuint(nfc_policy_reload_delay(t0, t0 + 500000, 100, 500), ==, 0);
	g_assert_cmpuint(nfc_policy_reload_delay(t0, t0 + 9000000, 100, 500), ==, 0);
	/* a writer every 20 ms: the applies come at the cap, not never */
	{
		gint64 first = t0, applied_at = 0;

		for (gint64 now = t0; now < t0 + 2000000 && !applied_at; now += 20000)
			if (now + (gint64)nfc_policy_reload_delay(first, now, 100, 500) * 1000 <
			    now + 20000)
				applied_at = now + nfc_policy_reload_delay(first, now, 100, 500) * 1000;
		g_assert_cmpint(applied_at, >, t0);
		g_assert_cmpint(applied_at, <=, t0 + 500000);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/session/conn-types", test_conn_types);
	g_test_add_func("/session/parse", test_parse);
	g_test_add_func("/session/parse-values", test_parse_values);
	g_test_add_func("/session/change", test_change);
	g_test_add_func("/session/effective", test_effective);
	g_test_add_func("/session/select", test_select);
	g_test_add_func("/policy/files", test_policy_files);
	g_test_add_func("/policy/bad-files", test_policy_bad_files);
	g_test_add_func("/policy/special-files", test_policy_special_files);
	g_test_add_func("/policy/reload-delay", test_policy_reload_delay);
	return g_test_run();
}
