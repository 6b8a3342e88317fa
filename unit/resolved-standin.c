// SPDX-License-Identifier: GPL-2.0-or-later
/* A stand-in for systemd-resolved on the lab's private bus (Debian 12 has
 * no systemd-resolved here): just the part of org.freedesktop.resolve1 that
 * nfconnd's mDNS hand-off uses. Manager.SetLinkMulticastDNS(i, s) for a
 * link that exists in this network namespace (else NoSuchLink, as
 * resolved answers), Manager.GetLink(i) → o, and the link object's
 * MulticastDNS property. Every accepted call is printed on stdout as
 * "SetLinkMulticastDNS <ifname> <mode>" for the test to read.
 *   resolved-standin BUS_ADDRESS */
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <gio/gio.h>

static const char introspection[] =
	"<node>"
	" <interface name='org.freedesktop.resolve1.Manager'>"
	"  <method name='SetLinkMulticastDNS'>"
	"   <arg name='ifindex' type='i' direction='in'/>"
	"   <arg name='mode' type='s' direction='in'/>"
	"  </method>"
	"  <method name='GetLink'>"
	"   <arg name='ifindex' type='i' direction='in'/>"
	"   <arg name='path' type='o' direction='out'/>"
	"  </method>"
	" </interface>"
	" <interface name='org.freedesktop.resolve1.Link'>"
	"  <property name='MulticastDNS' type='s' access='read'/>"
	" </interface>"
	"</node>";

static GDBusNodeInfo *node;
static GHashTable *links; /* ifindex → mode (char *); registered objects */

/* resolved's own encoding of the link's object path (sd_bus_path_encode) */
static char *link_path(int ifindex)
{
	g_autofree char *digits = g_strdup_printf("%d", ifindex);

	return g_strdup_printf("/org/freedesktop/resolve1/link/_3%c%s", digits[0], digits + 1);
}

static GVariant *link_get(GDBusConnection *c, const char *sender, const char *path,
			  const char *iface, const char *prop, GError **error, gpointer data)
{
	const char *mode = g_hash_table_lookup(links, data);

	return g_variant_new_string(mode ? mode : "no");
}

static const GDBusInterfaceVTable link_vtable = { NULL, link_get, NULL };

static bool ensure_link(GDBusConnection *c, int ifindex, GDBusMethodInvocation *inv)
{
	char name[IF_NAMESIZE];
	g_autofree char *path = NULL;

	if (ifindex <= 0 || !if_indextoname((unsigned int)ifindex, name)) {
		g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.resolve1.NoSuchLink",
							   "Link not known");
		return false;
	}
	if (g_hash_table_contains(links, GINT_TO_POINTER(ifindex)))
		return true;
	path = link_path(ifindex);
	g_dbus_connection_register_object(c, path, node->interfaces[1], &link_vtable,
					  GINT_TO_POINTER(ifindex), NULL, NULL);
	g_hash_table_insert(links, GINT_TO_POINTER(ifindex), g_strdup("no"));
	return true;
}

static void manager_call(GDBusConnection *c, const char *sender, const char *path,
			 const char *iface, const char *method, GVariant *params,
			 GDBusMethodInvocation *inv, gpointer data)
{
	int ifindex;

	if (g_str_equal(method, "GetLink")) {
		g_autofree char *link = NULL;

		g_variant_get(params, "(i)", &ifindex);
		link = link_path(ifindex);
		if (ensure_link(c, ifindex, inv))
			g_dbus_method_invocation_return_value(inv, g_variant_new("(o)", link));
		return;
	}
	{
		const char *mode;
		char name[IF_NAMESIZE];

		g_variant_get(params, "(i&s)", &ifindex, &mode);
		if (!g_str_equal(mode, "yes") && !g_str_equal(mode, "no") &&
		    !g_str_equal(mode, "resolve")) {
			g_dbus_method_invocation_return_dbus_error(
				inv, "org.freedesktop.DBus.Error.InvalidArgs", "Invalid MulticastDNS setting");
			return;
		}
		if (!ensure_link(c, ifindex, inv))
			return;
		g_hash_table_insert(links, GINT_TO_POINTER(ifindex), g_strdup(mode));
		printf("SetLinkMulticastDNS %s %s\n", if_indextoname((unsigned int)ifindex, name), mode);
		fflush(stdout);
		g_dbus_method_invocation_return_value(inv, NULL);
	}
}

static const GDBusInterfaceVTable manager_vtable = { manager_call, NULL, NULL };

static void on_acquired(GDBusConnection *c, const char *name, gpointer data)
{
	printf("ready\n");
	fflush(stdout);
}

static void on_lost(GDBusConnection *c, const char *name, gpointer data)
{
	fprintf(stderr, "cannot own %s\n", name);
	exit(1);
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) c = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

	if (argc != 2) {
		fprintf(stderr, "usage: resolved-standin BUS_ADDRESS\n");
		return 2;
	}
	node = g_dbus_node_info_new_for_xml(introspection, &error);
	g_assert_no_error(error);
	links = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	c = g_dbus_connection_new_for_address_sync(argv[1],
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
	if (!c) {
		fprintf(stderr, "%s\n", error->message);
		return 1;
	}
	g_dbus_connection_register_object(c, "/org/freedesktop/resolve1", node->interfaces[0],
					  &manager_vtable, NULL, NULL, &error);
	g_assert_no_error(error);
	g_bus_own_name_on_connection(c, "org.freedesktop.resolve1", G_BUS_NAME_OWNER_FLAGS_NONE,
				     on_acquired, on_lost, NULL, NULL);
	g_main_loop_run(loop);
	return 0;
}
