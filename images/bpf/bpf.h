/* The few lines of libbpf's bpf_helpers.h and bpf_endian.h that lxc.c and policy.c use,
 * written out so that nothing is hidden: a helper is a numbered kernel function
 * (enum bpf_func_id in linux/bpf.h) that the program calls through a constant address,
 * and a map is a struct in the ".maps" section whose fields only describe it (libbpf
 * reads their types from the object's BTF and creates the map before loading). */
#ifndef PODWIRE_BPF_H
#define PODWIRE_BPF_H
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
/* Not linux/icmp.h: it pulls in the C library's headers, which a BPF program has none of. */
struct icmphdr_echo { __u8 type; __u8 code; __sum16 checksum; __be16 id; __be16 sequence; };
#define ICMP_ECHO 8

/* A BPF function takes at most 5 arguments: inline the longer ones into their caller. */
#undef __always_inline
#define __always_inline inline __attribute__((always_inline))
#define offsetof(type, field) __builtin_offsetof(type, field)

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

/* Maps pinned by name live in tc's folder, /sys/fs/bpf/tc/globals/NAME: every program
 * that tc loads from these objects, on any veth, finds the same map there. */
#define PIN_BY_NAME 1

/* Network byte order is big-endian; the node (x86) is little-endian. */
#define bpf_htons(x) ((__be16)__builtin_bswap16(x))
#define bpf_htonl(x) ((__be32)__builtin_bswap32(x))

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)BPF_FUNC_map_update_elem;
static long (*bpf_skb_store_bytes)(struct __sk_buff *skb, __u32 offset, const void *from, __u32 len, __u64 flags) = (void *)BPF_FUNC_skb_store_bytes;
static long (*bpf_l3_csum_replace)(struct __sk_buff *skb, __u32 offset, __u64 from, __u64 to, __u64 size) = (void *)BPF_FUNC_l3_csum_replace;
static long (*bpf_l4_csum_replace)(struct __sk_buff *skb, __u32 offset, __u64 from, __u64 to, __u64 flags) = (void *)BPF_FUNC_l4_csum_replace;

char LICENSE[] SEC("license") = "GPL";
#endif
