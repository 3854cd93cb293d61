/* lxc.c: a ClusterIP Service without iptables, the way Cilium's bpf_lxc.c does it.
 *
 * Attach it at tc ingress of each pod's host-side veth: "ingress" is seen from the host,
 * so it runs on every packet the pod sends, before the bridge or routing sees it.
 *  - A packet to a Service (VIP:port in lb4_services) gets its destination rewritten
 *    to one of the Service's backends, and the connection is written in lb4_reverse_nat.
 *  - A packet that answers such a connection (a backend's reply, found in
 *    lb4_reverse_nat) gets its source put back to VIP:port, so that the client sees
 *    the address it called.
 * IPv4, TCP and UDP only, and IP headers without options; everything else passes as it is. */
#include "bpf.h"

/* A Service's frontend. Slot 0 holds the number of backends (in the value's count);
 * slots 1..count hold the backends. Like Cilium's lb4_key, the address and the port are
 * in network byte order (as in the packet) and the slot in the node's own order. */
struct lb4_key {
	__be32 vip;
	__be16 port;
	__u16 slot;
};

struct lb4_backend {
	__be32 ip;     /* the backend pod's address; 0 in slot 0 */
	__be16 port;   /* its port; 0 in slot 0 */
	__u16 count;   /* in slot 0: how many backends; 0 in the others */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct lb4_key);
	__type(value, struct lb4_backend);
	__uint(pinning, PIN_BY_NAME);
} lb4_services SEC(".maps");

/* One connection that was sent to a backend, seen as its answers look:
 * from backend ip:port to client ip:port. Cilium's conntrack map does this job. */
struct revnat_key {
	__be32 backend_ip;
	__be32 client_ip;
	__be16 backend_port;
	__be16 client_port;
};

struct revnat_value {
	__be32 vip;
	__be16 port;
	__u16 pad;
};

/* LRU: when it is full, the oldest connections are forgotten, as a conntrack table's are. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct revnat_key);
	__type(value, struct revnat_value);
	__uint(pinning, PIN_BY_NAME);
} lb4_reverse_nat SEC(".maps");

/* Byte offsets in an Ethernet frame with a 20-byte IPv4 header. */
#define IP_OFF        ETH_HLEN
#define IP_CSUM_OFF   (IP_OFF + offsetof(struct iphdr, check))
#define IP_SRC_OFF    (IP_OFF + offsetof(struct iphdr, saddr))
#define IP_DST_OFF    (IP_OFF + offsetof(struct iphdr, daddr))
#define L4_OFF        (IP_OFF + sizeof(struct iphdr))
#define SPORT_OFF     L4_OFF       /* TCP and UDP both start with the source port, */
#define DPORT_OFF     (L4_OFF + 2) /* then the destination port */

/* Rewrite 4 bytes of address and 2 of port at the given offsets, and fix both checksums:
 * the IP header's (it covers the address) and TCP's or UDP's (it covers the port and,
 * through the "pseudo header", the addresses too). The helpers patch a checksum from the
 * old and new values (RFC 1624) instead of summing the whole packet again. */
static __always_inline void rewrite(struct __sk_buff *skb, __u32 ip_off, __be32 old_ip, __be32 new_ip,
				    __u32 port_off, __be16 old_port, __be16 new_port, __u32 l4_csum_off, __u64 l4_flags)
{
	bpf_l4_csum_replace(skb, l4_csum_off, old_ip, new_ip, l4_flags | BPF_F_PSEUDO_HDR | sizeof(new_ip));
	bpf_l4_csum_replace(skb, l4_csum_off, old_port, new_port, l4_flags | sizeof(new_port));
	bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_ip, new_ip, sizeof(new_ip));
	bpf_skb_store_bytes(skb, ip_off, &new_ip, sizeof(new_ip), 0);
	bpf_skb_store_bytes(skb, port_off, &new_port, sizeof(new_port), 0);
}

SEC("tc")
int from_container(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + IP_OFF;
	__be16 *ports = data + L4_OFF;

	/* The verifier refuses any read it cannot prove is inside the packet. */
	if ((void *)(ports + 2) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return TC_ACT_OK;

	__u32 l4_csum_off;
	__u64 l4_flags = 0;
	if (ip->protocol == IPPROTO_TCP) {
		l4_csum_off = L4_OFF + offsetof(struct tcphdr, check);
	} else if (ip->protocol == IPPROTO_UDP) {
		l4_csum_off = L4_OFF + offsetof(struct udphdr, check);
		l4_flags = BPF_F_MARK_MANGLED_0; /* a UDP checksum of 0 means "none": keep it so */
	} else {
		return TC_ACT_OK;
	}

	/* Copy what we need: after the first write into the packet, these pointers are stale. */
	__be32 saddr = ip->saddr, daddr = ip->daddr;
	__be16 sport = ports[0], dport = ports[1];

	/* An answer from a backend? Put the Service's address back as its source. */
	struct revnat_key rkey = { .backend_ip = saddr, .client_ip = daddr, .backend_port = sport, .client_port = dport };
	struct revnat_value *front = bpf_map_lookup_elem(&lb4_reverse_nat, &rkey);
	if (front) {
		rewrite(skb, IP_SRC_OFF, saddr, front->vip, SPORT_OFF, sport, front->port, l4_csum_off, l4_flags);
		return TC_ACT_OK;
	}

	/* To a Service? Slot 0 says how many backends it has. */
	struct lb4_key key = { .vip = daddr, .port = dport, .slot = 0 };
	struct lb4_backend *svc = bpf_map_lookup_elem(&lb4_services, &key);
	if (!svc || svc->count == 0)
		return TC_ACT_OK;

	/* Pick a backend from a hash of the client's address and port: every packet of one
	 * connection has the same, so it goes to the same backend without a table. Not the port
	 * alone: Linux gives connect() even source ports (since 4.2), so "port % 2" would send
	 * every connection to one backend. Multiplying by a large odd constant and keeping the
	 * high bits mixes all of them in. (Cilium keeps the choice in its conntrack map, so that
	 * adding a backend does not move connections that are open.) */
	__u32 hash = (saddr ^ sport) * 2654435761u;
	key.slot = 1 + (hash >> 16) % svc->count;
	struct lb4_backend *backend = bpf_map_lookup_elem(&lb4_services, &key);
	if (!backend)
		return TC_ACT_OK;

	/* Remember the connection before rewriting it, as its answers will look. */
	struct revnat_key answer = { .backend_ip = backend->ip, .client_ip = saddr, .backend_port = backend->port, .client_port = sport };
	struct revnat_value vip = { .vip = daddr, .port = dport };
	bpf_map_update_elem(&lb4_reverse_nat, &answer, &vip, BPF_ANY);

	rewrite(skb, IP_DST_OFF, daddr, backend->ip, DPORT_OFF, dport, backend->port, l4_csum_off, l4_flags);
	return TC_ACT_OK;
}
