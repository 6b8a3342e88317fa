// SPDX-License-Identifier: GPL-2.0-or-later
/* The socket-mark fast path, kernel side: a cgroup sock_create program
 * that stamps nfconn's mark on a new inet socket of a steered identity,
 * so that its very first route lookup already uses the session's uplink
 * table and picks that uplink's source address (no re-route on output,
 * no masquerade). Loaded and fed by firewall/sockmark.c.
 *
 * Identities and precedence are the nft output chain's
 * (firewall/nft-ruleset.c, put_output_rules): cgroup ancestors, deepest
 * level first, then the uid, then the gid. nft matches `meta skuid` /
 * `meta skgid`, the credentials of the socket's file, which are the
 * creator's fsuid/fsgid when socket() ran; this program runs inside
 * socket() (before the file exists) and reads the same fsuid/fsgid
 * from the creating task's credentials. bpf_get_current_uid_gid() would
 * give the real uid/gid instead, which differ from them in a setuid
 * program or after seteuid(). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* Only what we read, relocated against the running kernel's BTF. */
typedef struct { __u32 val; } nfc_kid_t;
struct cred {
	nfc_kid_t fsuid;
	nfc_kid_t fsgid;
} __attribute__((preserve_access_index));
struct task_struct {
	const struct cred *cred;
} __attribute__((preserve_access_index));

#define NFC_SOCKMARK_LEVELS 16

/* Set before load: nfconnd's network namespace and its mark layout. */
const volatile __u64 netns_cookie = 0;
const volatile __u32 session_mask = 0;

/* Written by nfconnd while running: the cgroup levels that have an
 * element, deepest first (the order of the nft chain's rules). */
__u32 n_levels = 0;
__u32 levels[NFC_SOCKMARK_LEVELS] = { 0 };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 131072);
	__type(key, __u64);     /* cgroup id (inode of its directory) */
	__type(value, __u32);
} cgroup_marks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 131072);
	__type(key, __u32);
	__type(value, __u32);
} uid_marks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 131072);
	__type(key, __u32);
	__type(value, __u32);
} gid_marks SEC(".maps");

static __u32 lookup(void)
{
	struct task_struct *task;
	__u32 *mark, id;

	for (__u32 i = 0; i < NFC_SOCKMARK_LEVELS; i++) {
		__u64 cg;

		if (i >= n_levels)
			break;
		/* 0 when the task's cgroup is shallower than that level */
		cg = bpf_get_current_ancestor_cgroup_id(levels[i]);
		if (!cg)
			continue;
		mark = bpf_map_lookup_elem(&cgroup_marks, &cg);
		if (mark)
			return *mark;
	}
	task = bpf_get_current_task_btf();
	id = task->cred->fsuid.val;
	mark = bpf_map_lookup_elem(&uid_marks, &id);
	if (mark)
		return *mark;
	id = task->cred->fsgid.val;
	mark = bpf_map_lookup_elem(&gid_marks, &id);
	return mark ? *mark : 0;
}

SEC("cgroup/sock_create")
int nfc_sock_create(struct bpf_sock *sk)
{
	__u32 mark;

	/* other namespaces (containers, the tests' neighbours) are not ours */
	if (bpf_get_netns_cookie(sk) != netns_cookie)
		return 1;
	/* marked by someone else (another program before us): it chose its
	 * own routing, as the nft chain's "mark 0" test assumes */
	if (sk->mark)
		return 1;
	mark = lookup();
	/* An element without a session part belongs to a shared identity
	 * (a policy's gid or shared cgroup): its routing class follows the
	 * uplinks and nothing could move a socket stamped with an old one,
	 * so the nft path marks it per connection. Being found here still
	 * stops the lookup, as in the nft chain. */
	if (mark & session_mask)
		sk->mark = mark;
	return 1;
}
