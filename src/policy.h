/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Session policy: who an application is (its identity, read from the bus
 * and /proc when it creates a session) and what a policy plugin says it
 * may do. One policy plugin at a time; without one, sessions get the
 * default (everything allowed, no per-app routing). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "session-settings.h"

typedef struct {
	uid_t uid;
	gid_t gid;              /* primary group */
	GArray *gids;           /* gid_t: all groups (primary included) */
	pid_t pid;              /* 0 if the bus did not say */
	char *label;            /* security label (SELinux context), NULL if none */
	char *cgroup;           /* cgroup v2 path ("/user.slice/..."), NULL if unknown */
} NfcIdentity;

void nfc_identity_clear(NfcIdentity *id);
/* The cgroup v2 path of a process, from /proc/<pid>/cgroup ("0::/path"). */
char *nfc_identity_read_cgroup(pid_t pid);

/* What matched, for the firewall and for explain. */
typedef enum {
	NFC_POLICY_MATCH_NONE,
	NFC_POLICY_MATCH_LABEL,
	NFC_POLICY_MATCH_CGROUP,
	NFC_POLICY_MATCH_UID,
	NFC_POLICY_MATCH_GID,
} NfcPolicyMatch;

typedef struct {
	NfcSessionPolicy settings;
	NfcPolicyMatch match;
	gid_t gid;              /* NFC_POLICY_MATCH_GID: the group that matched */
	char *source;           /* "file.policy [group]", for logs and explain */
	bool priority;
	char *roaming_policy;
	bool emergency_call;
} NfcPolicyConfig;

void nfc_policy_config_free(NfcPolicyConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NfcPolicyConfig, nfc_policy_config_free)

typedef struct {
	const char *name;
	/* NULL: no policy for this identity (defaults apply) */
	NfcPolicyConfig *(*lookup)(const NfcIdentity *identity);
} NfcPolicyDriver;

int nfc_policy_register(const NfcPolicyDriver *driver);
void nfc_policy_unregister(const NfcPolicyDriver *driver);
NfcPolicyConfig *nfc_policy_lookup(const NfcIdentity *identity);

/* The driver's rules changed: sessions re-evaluate their policy. */
typedef void (*NfcPolicyChangedFunc)(void *user_data);
void nfc_policy_set_changed_func(NfcPolicyChangedFunc func, void *user_data);
void nfc_policy_changed(void);
