// SPDX-License-Identifier: GPL-2.0-or-later
/* Loads the sock_create program (sockmark.bpf.c, embedded by its bpftool
 * skeleton), attaches it to the cgroup2 root and keeps its maps in step
 * with the identities the engine sets. */
#include "sockmark.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "sockmark.skel.h"

/* the length of the program's levels[] */
#define LEVELS G_N_ELEMENTS(((struct sockmark__bss *)0)->levels)

typedef struct {
	uint64_t id;
	unsigned int level;
} CgroupEntry;

struct NfcSockmark {
	struct sockmark *skel;
	struct bpf_link *link;
	uint32_t prog_id;
	GHashTable *cgroups;      /* path → CgroupEntry: removal goes by path */
	guint level_refs[256];    /* elements per cgroup level */
};

/* libbpf's own chatter goes to the debug log; a failure is reported by
 * the caller with its errno. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
	G_GNUC_PRINTF(2, 0);
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	g_autofree char *msg = NULL;

	if (level == LIBBPF_DEBUG)
		return 0;
	msg = g_strdup_vprintf(fmt, ap);
	g_strchomp(msg);
	nfc_debug("libbpf: %s", msg);
	return 0;
}

static int netns_cookie(uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		r = -errno;
	close(fd);
	return r;
}

static gboolean fail(GError **error, int err, const char *what)
{
	g_set_error(error, G_IO_ERROR, g_io_error_from_errno(err < 0 ? -err : err), "%s: %s",
		    what, g_strerror(err < 0 ? -err : err));
	return FALSE;
}

NfcSockmark *nfc_sockmark_new(const NfcMarkLayout *layout, GError **error)
{
	g_autoptr(NfcSockmark) sm = g_new0(NfcSockmark, 1);
	struct bpf_prog_info info = { 0 };
	uint32_t info_len = sizeof(info);
	uint64_t cookie;
	int cg, r;

	libbpf_set_print(libbpf_log);
	sm->cgroups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	r = netns_cookie(&cookie);
	if (r < 0) {
		fail(error, r, "no network namespace cookie (SO_NETNS_COOKIE)");
		return NULL;
	}
	sm->skel = sockmark__open();
	if (!sm->skel) {
		fail(error, errno, "cannot open the BPF object");
		return NULL;
	}
	sm->skel->rodata->netns_cookie = cookie;
	sm->skel->rodata->session_mask = nfc_mark_layout_session_mask(layout);
	r = sockmark__load(sm->skel);
	if (r < 0) {
		fail(error, r, "cannot load the BPF program");
		return NULL;
	}
	cg = open(nfc_cgroup2_mount(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		fail(error, errno, "no cgroup2 root to attach to");
		return NULL;
	}
	/* a link: multi-attach by nature, gone with its fd */
	sm->link = bpf_program__attach_cgroup(sm->skel->progs.nfc_sock_create, cg);
	r = -errno;
	close(cg);
	if (!sm->link) {
		fail(error, r, "cannot attach the BPF program to the cgroup2 root");
		return NULL;
	}
	if (bpf_obj_get_info_by_fd(bpf_program__fd(sm->skel->progs.nfc_sock_create), &info,
				   &info_len) == 0)
		sm->prog_id = info.id;
	return g_steal_pointer(&sm);
}

void nfc_sockmark_free(NfcSockmark *sm)
{
	if (!sm)
		return;
	if (sm->link)
		bpf_link__destroy(sm->link);
	if (sm->skel)
		sockmark__destroy(sm->skel);
	g_clear_pointer(&sm->cgroups, g_hash_table_unref);
	g_free(sm);
}

uint32_t nfc_sockmark_prog_id(NfcSockmark *sm)
{
	return sm->prog_id;
}

/* The program's list of levels: those with elements, deepest first. A
 * program running meanwhile sees either list or a mix of both for one
 * socket; both are right for the elements they find. */
static int levels_sync(NfcSockmark *sm)
{
	struct sockmark__bss *bss = sm->skel->bss;
	guint n = 0;

	for (guint level = G_N_ELEMENTS(sm->level_refs); level-- > 0;) {
		if (!sm->level_refs[level])
			continue;
		if (n == LEVELS)
			return -ERANGE;
		bss->levels[n++] = level;
	}
	__atomic_store_n(&bss->n_levels, n, __ATOMIC_RELEASE);
	return 0;
}

static int map_update(struct bpf_map *map, const void *key, size_t key_size, uint32_t mark)
{
	int r;

	if (mark)
		r = bpf_map__update_elem(map, key, key_size, &mark, sizeof(mark), BPF_ANY);
	else
		r = bpf_map__delete_elem(map, key, key_size, 0);
	return r == -ENOENT && !mark ? 0 : r;
}

static int cgroup_set(NfcSockmark *sm, const char *path, uint32_t mark)
{
	CgroupEntry *old = g_hash_table_lookup(sm->cgroups, path);
	CgroupEntry e;
	int r;

	if (!mark) {
		if (!old)
			return 0;
		r = map_update(sm->skel->maps.cgroup_marks, &old->id, sizeof(old->id), 0);
		sm->level_refs[old->level]--;
		g_hash_table_remove(sm->cgroups, path);
		levels_sync(sm);
		return r;
	}
	if (old) {
		e = *old;
	} else {
		r = nfc_cgroup_resolve(path, &e.id, &e.level);
		if (r < 0)
			return r;
		if (e.level >= G_N_ELEMENTS(sm->level_refs))
			return -ERANGE;
	}
	if (!old) {
		sm->level_refs[e.level]++;
		r = levels_sync(sm);
		if (r < 0) {
			sm->level_refs[e.level]--;
			levels_sync(sm);
			return r;
		}
	}
	r = map_update(sm->skel->maps.cgroup_marks, &e.id, sizeof(e.id), mark);
	if (r < 0) {
		if (!old) {
			sm->level_refs[e.level]--;
			levels_sync(sm);
		}
		return r;
	}
	if (!old)
		g_hash_table_insert(sm->cgroups, g_strdup(path), g_memdup2(&e, sizeof(e)));
	return 0;
}

int nfc_sockmark_set(NfcSockmark *sm, const NfcFirewallIdentity *identity, uint32_t mark)
{
	switch (identity->kind) {
	case NFC_IDENTITY_UID:
		return map_update(sm->skel->maps.uid_marks, &identity->id, sizeof(identity->id), mark);
	case NFC_IDENTITY_GID:
		return map_update(sm->skel->maps.gid_marks, &identity->id, sizeof(identity->id), mark);
	case NFC_IDENTITY_CGROUP:
		return cgroup_set(sm, identity->cgroup_path, mark);
	}
	return -EINVAL;
}
