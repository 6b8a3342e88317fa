// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tier: the sample configuration shipped as /etc/nfconn/main.conf
 * (doc/main.conf). As shipped it changes nothing; with every "#Key = value"
 * line uncommented it still parses without a warning and gives the
 * defaults: the values it shows are the daemon's. */
#include <string.h>

#include "config.h"

static char *read_sample(void)
{
	g_autoptr(GError) error = NULL;
	char *text = NULL;

	g_file_get_contents(NFC_SOURCE_ROOT "/doc/main.conf", &text, NULL, &error);
	g_assert_no_error(error);
	return text;
}

static void assert_strv_equal(char **a, char **b)
{
	g_assert_cmpuint(g_strv_length(a), ==, g_strv_length(b));
	for (guint i = 0; a[i]; i++)
		g_assert_cmpstr(a[i], ==, b[i]);
}

static void assert_defaults(const NfcConfig *c)
{
	g_autoptr(NfcConfig) d = nfc_config_new_defaults();

	g_assert_cmpuint(c->input_request_timeout, ==, d->input_request_timeout);
	g_assert_cmpuint(c->browser_launch_timeout, ==, d->browser_launch_timeout);
	g_assert_cmpint(c->background_scanning, ==, d->background_scanning);
	g_assert_cmpint(c->use_gateways_as_timeservers, ==, d->use_gateways_as_timeservers);
	assert_strv_equal(c->default_autoconnect_technologies, d->default_autoconnect_technologies);
	assert_strv_equal(c->default_favorite_technologies, d->default_favorite_technologies);
	assert_strv_equal(c->network_interface_blacklist, d->network_interface_blacklist);
	assert_strv_equal(c->tethering_technologies, d->tethering_technologies);
	g_assert_cmpint(c->allow_hostname_updates, ==, d->allow_hostname_updates);
	g_assert_cmpint(c->allow_domainname_updates, ==, d->allow_domainname_updates);
	g_assert_cmpint(c->single_connected_technology, ==, d->single_connected_technology);
	g_assert_cmpint(c->persistent_tethering_mode, ==, d->persistent_tethering_mode);
	g_assert_cmpint(c->enable_6to4, ==, d->enable_6to4);
	g_assert_cmpint(c->online_check_mode, ==, d->online_check_mode);
	g_assert_cmpstr(c->online_check_ipv4_url, ==, d->online_check_ipv4_url);
	g_assert_cmpstr(c->online_check_ipv6_url, ==, d->online_check_ipv6_url);
	g_assert_cmpuint(c->online_check_initial_interval, ==, d->online_check_initial_interval);
	g_assert_cmpuint(c->online_check_max_interval, ==, d->online_check_max_interval);
	g_assert_cmpint(c->online_check_interval_style, ==, d->online_check_interval_style);
	g_assert_cmpuint(c->online_check_failures_threshold, ==, d->online_check_failures_threshold);
	g_assert_cmpuint(c->online_check_successes_threshold, ==,
			 d->online_check_successes_threshold);
	g_assert_cmpint(c->autoconnect_roaming_services, ==, d->autoconnect_roaming_services);
	g_assert_cmpint(c->address_conflict_detection, ==, d->address_conflict_detection);
	g_assert_cmpstr(c->localtime, ==, d->localtime);
	g_assert_cmpint(c->regdom_follows_timezone, ==, d->regdom_follows_timezone);
	g_assert_cmpuint(c->sessions_per_client, ==, d->sessions_per_client);
	g_assert_cmpuint(c->sessions_per_user, ==, d->sessions_per_user);
	g_assert_cmpuint(c->sessions_max, ==, d->sessions_max);
	g_assert_cmpuint(c->routing_mark_mask, ==, d->routing_mark_mask);
	g_assert_cmpuint(c->session_mark_mask, ==, d->session_mark_mask);
	g_assert_cmpuint(c->routing_table_base, ==, d->routing_table_base);
	g_assert_cmpuint(c->rule_priority_base, ==, d->rule_priority_base);
	g_assert_cmpuint(c->routing_range, ==, d->routing_range);
}

static void test_as_shipped(void)
{
	g_autofree char *text = read_sample();
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcConfig) c = nfc_config_parse(text, strlen(text), warnings, &error);

	g_assert_no_error(error);
	g_assert_cmpuint(warnings->len, ==, 0);
	assert_defaults(c);
	g_assert_null(c->resolv_conf);
}

static void test_uncommented(void)
{
	g_autofree char *text = read_sample();
	g_autoptr(GRegex) key = NULL;
	g_autofree char *open = NULL;
	g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(NfcConfig) c = NULL;
	guint n = 0;

	/* "#Key = value" with a value: a default shown; "# " starts prose */
	key = g_regex_new("^#([A-Za-z0-9]+ = \\S)", G_REGEX_MULTILINE, 0, &error);
	g_assert_no_error(error);
	open = g_regex_replace(key, text, -1, 0, "\\1", 0, &error);
	g_assert_no_error(error);
	for (const char *p = open; (p = strstr(p, " = ")); p++)
		n++;
	/* most keys show their default; a rewrite that lost them fails here */
	g_assert_cmpuint(n, >=, 30);
	c = nfc_config_parse(open, strlen(open), warnings, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < warnings->len; i++)
		g_test_message("warning: %s", (char *)warnings->pdata[i]);
	g_assert_cmpuint(warnings->len, ==, 0);
	assert_defaults(c);
	/* the default spelled out: the run directory's file */
	g_assert_cmpstr(c->resolv_conf, ==, "/run/nfconn/resolv.conf");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/main-conf/as-shipped", test_as_shipped);
	g_test_add_func("/main-conf/uncommented", test_uncommented);
	return g_test_run();
}
