// SPDX-License-Identifier: GPL-2.0-or-later
/* loopback: bring "lo" up, as every host needs it before anything else. */
#include <errno.h>
#include <net/if.h>

#include "log.h"
#include "plugin.h"
#include "rtnl.h"

static void on_link_up(int error, void *user_data)
{
	if (error < 0)
		nfc_error("cannot bring lo up: %s", g_strerror(-error));
	else
		nfc_debug("lo is up");
}

static int loopback_init(void)
{
	unsigned int index = if_nametoindex("lo");

	if (!index)
		return -errno;
	return nfc_rtnl_link_set_up((int)index, true, on_link_up, NULL);
}

static void loopback_exit(void)
{
	/* lo stays up: other programs rely on it, it is not ours to take */
	nfc_rtnl_cancel(NULL);
}

NFC_PLUGIN_DEFINE(loopback, "Loopback interface", NULL, loopback_init, loopback_exit);
