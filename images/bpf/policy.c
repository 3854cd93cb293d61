/* policy.c: network policy by identity, the way Cilium enforces it at a pod.
 *
 * Attach it at tc egress of a pod's host-side veth: "egress" is seen from the host, so it
 * runs on every packet on its way into the pod. A pod's address says nothing durable
 * about it (addresses are reused), so, like Cilium, policy is written between identities:
 * numbers given to sets of pods (Cilium derives them from the pods' labels).
 *  - ipcache:  pod IP -> identity (an address that is not there is "world", identity 2)
 *  - policy:   (source identity, destination identity) -> allowed
 * Only the first packet of a connection is judged (a TCP SYN, an ICMP echo request, any UDP
 * datagram); answers and the rest of an allowed connection pass. Cilium tells them apart
 * with its conntrack map; the SYN flag is enough for TCP here. */
#include "bpf.h"

#define IDENTITY_WORLD 2 /* Cilium's reserved identity for addresses outside the cluster */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __be32);   /* the pod's IPv4 address, in network byte order */
	__type(value, __u32);  /* its identity, in the node's byte order */
	__uint(pinning, PIN_BY_NAME);
} ipcache SEC(".maps");

struct policy_key {
	__u32 src_identity;
	__u32 dst_identity;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct policy_key);
	__type(value, __u8);   /* 1: allowed; a pair that is not there is denied */
	__uint(pinning, PIN_BY_NAME);
} policy SEC(".maps");

#define L4_OFF (ETH_HLEN + sizeof(struct iphdr))

SEC("tc")
int to_container(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + ETH_HLEN;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK; /* ARP and IPv6 pass: this lab's policy is about IPv4 */
	if (ip->ihl != 5)
		return TC_ACT_SHOT; /* IP options would move the L4 header: refuse rather than misread */

	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = data + L4_OFF;
		if ((void *)(tcp + 1) > data_end)
			return TC_ACT_SHOT;
		if (!tcp->syn || tcp->ack)
			return TC_ACT_OK; /* not the start of a connection */
	} else if (ip->protocol == IPPROTO_ICMP) {
		struct icmphdr_echo *icmp = data + L4_OFF;
		if ((void *)(icmp + 1) > data_end)
			return TC_ACT_SHOT;
		if (icmp->type != ICMP_ECHO)
			return TC_ACT_OK; /* echo replies and errors */
	}

	__be32 saddr = ip->saddr, daddr = ip->daddr;
	__u32 *src = bpf_map_lookup_elem(&ipcache, &saddr);
	__u32 *dst = bpf_map_lookup_elem(&ipcache, &daddr);
	if (!dst)
		return TC_ACT_SHOT; /* the pod itself has no identity yet: default deny */

	struct policy_key key = { .src_identity = src ? *src : IDENTITY_WORLD, .dst_identity = *dst };
	if (!bpf_map_lookup_elem(&policy, &key))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}
