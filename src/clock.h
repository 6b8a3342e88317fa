/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The clock: the settings of ConnMan's Clock API (TimeUpdates,
 * TimezoneUpdates, Timeservers; persisted in "settings" [global]), the
 * time zone as the Localtime symlink of main.conf, and, with
 * TimeUpdates=auto, the SNTP schedule that keeps the system clock right
 * (unless systemd-timesyncd runs: then it does, and we stay out). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sntp.h"

typedef enum {
	NFC_CLOCK_AUTO,
	NFC_CLOCK_MANUAL,
} NfcClockUpdates;

const char *nfc_clock_updates_to_string(NfcClockUpdates u);
bool nfc_clock_updates_from_string(const char *s, NfcClockUpdates *u);

typedef struct {
	/* property: the D-Bus name of what changed */
	void (*changed)(const char *property, void *user_data);
} NfcClockWatch;

void nfc_clock_init(void);
void nfc_clock_cleanup(void);
unsigned int nfc_clock_watch_add(const NfcClockWatch *watch, void *user_data);
void nfc_clock_watch_remove(unsigned int id);

uint64_t nfc_clock_get_time(void); /* seconds since the epoch */
NfcClockUpdates nfc_clock_get_time_updates(void);
NfcClockUpdates nfc_clock_get_timezone_updates(void);
/* The zone the Localtime symlink names, or NULL (not a link into the
 * zone directory). Caller frees. */
char *nfc_clock_get_timezone(void);
char *const *nfc_clock_get_timeservers(void);
bool nfc_clock_get_synced(void);

/* Setters for the D-Bus layer: 0 or -errno. -EPERM where ConnMan refuses
 * (Time while TimeUpdates=auto, Timezone while TimezoneUpdates=auto),
 * -EINVAL for a bad value. Settings are stored before they take effect. */
int nfc_clock_set_time(uint64_t seconds);
int nfc_clock_set_time_updates(NfcClockUpdates u);
int nfc_clock_set_timezone_updates(NfcClockUpdates u);
int nfc_clock_set_timezone(const char *zone);
int nfc_clock_set_timeservers(char **servers);

/* Another daemon keeps the clock (name: for the log), or none (NULL):
 * our SNTP client stops or resumes. */
void nfc_clock_set_external(const char *name);

/* Pure, for the tests: a tzdata name that cannot leave the zone
 * directory ("Europe/Paris"; not "../x", "/etc/x", "a//b", ""). */
bool nfc_clock_zone_name_valid(const char *zone);
/* A timeserver entry we accept (a host name or an address). */
bool nfc_clock_server_valid(const char *server);
