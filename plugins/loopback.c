// SPDX-License-Identifier: GPL-2.0-or-later
/* loopback: bring "lo" up, as every host needs it before anything else. */
#include <errno.h>
#include <net/if.h>

#include "log.h"
#include "plugin.h"
#include "rtnl.h"

static int link_up_request; /* in flight, 0: none */

static void on_link_up(int error, void *user_data)
{
	link_up_request = 0;
	if (error < 0)
		nfc_error("cannot bring lo up: %s", g_strerror(-error));
	else
		nfc_debug("lo is up");
}

static int loopback_init(void)
{
	unsigned int index = if_nametoindex("lo");
	int r;

	if (!index)
		return -errno;
	r = nfc_rtnl_link_set_up((int)index, true, on_link_up, NULL);
	if (r < 0)
		return r;
	link_up_request = r;
	return 0;
}

static void loopback_exit(void)
{
	/* lo stays up: other programs rely on it, it is not ours to take */
	if (link_up_request)
		nfc_rtnl_cancel(link_up_request);
	link_up_request = 0;
}

NFC_PLUGIN_DEFINE(loopback, "Loopback interface", NULL, loopback_init, loopback_exit);
