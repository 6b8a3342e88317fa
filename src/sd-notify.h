/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's service notifications (READY=1, WATCHDOG=1, STOPPING=1): one
 * datagram per message to the AF_UNIX socket named by $NOTIFY_SOCKET, so
 * small a protocol that it lives here instead of pulling in libsystemd.
 * Outside systemd (no $NOTIFY_SOCKET) every call does nothing. */
#pragma once

#include <stdint.h>

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID once and
 * removes them from the environment, so that processes we start never
 * speak for us. 0, or a negative errno for a socket name that cannot be
 * used (the daemon goes on without notifications). */
int nfc_sd_notify_init(void);
void nfc_sd_notify_cleanup(void);

/* Sends state ("READY=1", "WATCHDOG=1" ...): 0, -errno if it could not be
 * sent, 0 also when there is nobody to tell. */
int nfc_sd_notify(const char *state);

/* The watchdog period systemd expects pings within, in µs; 0 if none was
 * asked for, or it was asked of another process ($WATCHDOG_PID). */
uint64_t nfc_sd_watchdog_usec(void);
