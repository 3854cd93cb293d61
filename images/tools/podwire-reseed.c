/*
 * podwire-reseed HEX [EPOCH]: give this node a random state and a clock of its own.
 *
 * A node restored from a saved state wakes up exactly as it was saved. The
 * harness runs this first thing after every start and restore, with random
 * bytes from the host and the host's time, before anything else.
 *
 * The random state. Every node is restored from one saved snapshot, and the
 * snapshot holds the kernel's random number generator too. Left alone, every
 * node would draw the same "random" numbers: the same MAC for a new vxlan,
 * bridge or veth device, the same boot_id, the same source ports.
 * Two requests to /dev/urandom make the nodes differ again (see random(4)),
 * both as root:
 *   RNDADDENTROPY   mixes the bytes into the kernel's input pool;
 *   RNDRESEEDCRNG   makes the generator reseed from that pool now, instead of
 *                   at its next scheduled reseed, up to a minute later.
 * Writing the bytes into /dev/urandom would mix them in, but not reseed.
 *
 * The clock. The saved clock stopped when the state was saved. EPOCH is the
 * host's time, seconds since 1970 with up to nine decimals; clock_settime(2)
 * sets it, so that tcpdump and logs show when things happened. (`date -s` does
 * the same, but one program doing both costs half as much in an emulated node:
 * every program started there costs tens of milliseconds.)
 *
 * A shell cannot make an ioctl(2), and the node has no C library headers or
 * compiler, so this small program talks to the kernel directly: it is built
 * on the build host with `gcc -m32 -ffreestanding -nostdlib -static` and makes
 * its system calls with the i386 instruction for them, `int $0x80`.
 */

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define SYS_exit 1
#define SYS_write 4
#define SYS_open 5
#define SYS_ioctl 54
/* The 64-bit time call, so the clock is right after 2038 too. */
#define SYS_clock_settime64 404

#define CLOCK_REALTIME 0

#define O_WRONLY 1

/* From <linux/random.h>: _IOW('R', 0x03, int[2]) and _IO('R', 0x07). */
#define RNDADDENTROPY 0x40085203
#define RNDRESEEDCRNG 0x5207

/* Enough for any seed: the kernel's input pool holds 256 bits. */
#define MAX_BYTES 256

static long syscall3(long number, long a, long b, long c) {
  long result;
  __asm__ volatile("int $0x80" : "=a"(result) : "a"(number), "b"(a), "c"(b), "d"(c) : "memory");
  return result; /* -errno on failure */
}

static long length(const char *text) {
  long n = 0;
  while (text[n]) n++;
  return n;
}

static void say(const char *text) {
  syscall3(SYS_write, 2, (long)text, length(text));
}

static __attribute__((noreturn)) void quit(int code) {
  for (;;) syscall3(SYS_exit, code, 0, 0);
}

static __attribute__((noreturn)) void fail(const char *what) {
  say("podwire-reseed: ");
  say(what);
  say("\n");
  quit(1);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* What RNDADDENTROPY takes: how many bits of entropy, how many bytes, the bytes. */
static struct {
  int entropy_bits;
  int size;
  unsigned char bytes[MAX_BYTES];
} seed;

/* What clock_settime64 takes (struct __kernel_timespec). */
static struct {
  long long seconds;
  long long nanoseconds;
} now;

/* "1733212345.123" into seconds and nanoseconds; 0 if it is not such a number. */
static int parse_epoch(const char *text) {
  long i = 0;
  if (!text[0]) return 0;
  for (; text[i] >= '0' && text[i] <= '9'; i++) now.seconds = now.seconds * 10 + (text[i] - '0');
  if (i == 0 || i > 12) return 0;
  if (text[i] == '.') {
    long scale = 100000000; /* 32 bits: a 64-bit division would need libgcc */
    for (i++; text[i] >= '0' && text[i] <= '9' && scale > 0; i++, scale /= 10) now.nanoseconds += (text[i] - '0') * scale;
  }
  return text[i] == 0;
}

static int reseed(int argc, char **argv) {
  if (argc != 2 && argc != 3) fail("usage: podwire-reseed HEX [EPOCH] (random bytes from the host, in hex; the host's time)");
  const char *hex = argv[1];
  long digits = length(hex);
  if (digits < 32 || digits % 2 != 0 || digits / 2 > MAX_BYTES) fail("expected 16 to 256 bytes, in hex");
  for (long i = 0; i < digits / 2; i++) {
    int high = hex_digit(hex[2 * i]), low = hex_digit(hex[2 * i + 1]);
    if (high < 0 || low < 0) fail("the seed is not hex");
    seed.bytes[i] = (unsigned char)(high * 16 + low);
  }
  seed.size = (int)(digits / 2);
  seed.entropy_bits = seed.size * 8;
  if (argc == 3 && !parse_epoch(argv[2])) fail("the time is not seconds since 1970 (like 1733212345.123)");

  long fd = syscall3(SYS_open, (long)"/dev/urandom", O_WRONLY, 0);
  if (fd < 0) fail("cannot open /dev/urandom");
  if (syscall3(SYS_ioctl, fd, RNDADDENTROPY, (long)&seed) < 0) fail("RNDADDENTROPY was refused (root only)");
  if (syscall3(SYS_ioctl, fd, RNDRESEEDCRNG, 0) < 0) fail("RNDRESEEDCRNG was refused");
  if (argc == 3 && syscall3(SYS_clock_settime64, CLOCK_REALTIME, (long)&now, 0) < 0) fail("clock_settime was refused (root only)");
  return 0;
}

/* Where the kernel starts us: the stack holds argc, then the argv pointers. */
__attribute__((noreturn)) void start(long *stack) {
  quit(reseed((int)stack[0], (char **)(stack + 1)));
}
__asm__(".globl _start\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov %esp, %eax\n"
        "  and $-16, %esp\n"
        "  sub $12, %esp\n"
        "  push %eax\n"
        "  call start\n");
