/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What nfconn tells about its steering, on the bus: net.nfconn.Manager at
 * "/" (Explain: where an identity's traffic goes and why; GetCounters;
 * GetApplyTimes) and net.nfconn.SessionStats on every session object
 * (GetStats, SetPeriod, the Stats signal). It reports; it never changes
 * how anything is steered. */
#pragma once

#include <gio/gio.h>

void nfc_stats_dbus_init(GDBusConnection *conn);
void nfc_stats_dbus_cleanup(void);
