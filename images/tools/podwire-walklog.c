/*
 * podwire-walklog SINCE [-r FILE] PREFIX...: the kernel log lines of one packet walk.
 *
 * A walk ("Follow a packet") puts iptables' TRACE target and LOG rules in the
 * nodes, sends one probe, and then reads back what the kernel logged about it.
 * This prints the log records stamped at or after SINCE (seconds since boot, as
 * /proc/uptime says it) whose text starts with one of the PREFIXes, the way
 * dmesg prints them:
 *
 *   [  812.345678] TRACE: raw:PREROUTING:policy:2 IN=cni0 OUT= ... SRC=10.244.1.2 DST=10.244.2.2 ...
 *
 * With -r FILE, it also writes to FILE the routes the walk should ask the
 * kernel about, one per line, for the shell to pass to `ip route get`:
 *
 *   route DST              each destination logged (which route matched it?)
 *   routed DST SRC IN      each packet logged on its way in, before routing
 *                          (where did the kernel send it?)
 *
 * `dmesg | grep | awk` does the same with three programs. In an emulated
 * machine each program started costs a tenth of a second or more, and a walk
 * reads every node at once, so this is one small program instead.
 *
 * The log is read from /dev/kmsg (see the kernel's
 * Documentation/ABI/testing/dev-kmsg): each read(2) returns one record,
 * "PRIORITY,SEQUENCE,MICROSECONDS,FLAGS;TEXT\n", then lines of "KEY=VALUE"
 * that start with a space, which we skip. Opened with O_NONBLOCK, a read past
 * the newest record fails with EAGAIN: that is the end.
 *
 * Built like podwire-reseed: freestanding, with its own i386 system calls.
 */

/* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define SYS_exit 1
#define SYS_read 3
#define SYS_write 4
#define SYS_open 5

#define O_RDONLY 0
#define O_WRONLY 1
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_NONBLOCK 04000

#define EPIPE 32 /* the record we were at was overwritten: read on from the oldest kept */

/* A record is at most about 1 KB of text; the kernel refuses a smaller buffer (EINVAL). */
#define RECORD_MAX 8192
/* Enough lookups for any walk; more would only cost time. */
#define MAX_DESTINATIONS 16
#define MAX_ARRIVALS 8
#define ADDRESS_MAX 16 /* "255.255.255.255" and its NUL */
#define NAME_MAX_ 16   /* an interface name (IFNAMSIZ) */

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

static void put(long fd, const char *text, long n) {
  while (n > 0) {
    long written = syscall3(SYS_write, fd, (long)text, n);
    if (written <= 0) return;
    text += written;
    n -= written;
  }
}

static __attribute__((noreturn)) void quit(int code) {
  for (;;) syscall3(SYS_exit, code, 0, 0);
}

static __attribute__((noreturn)) void fail(const char *what) {
  put(2, "podwire-walklog: ", 17);
  put(2, what, length(what));
  put(2, "\n", 1);
  quit(1);
}

static int starts_with(const char *text, long n, const char *prefix) {
  long i = 0;
  for (; prefix[i]; i++) if (i >= n || text[i] != prefix[i]) return 0;
  return 1;
}

static int same(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/*
 * A time as seconds and microseconds. (Kept apart, not as one 64-bit count of
 * microseconds: dividing a 64-bit number on i386 needs gcc's library, which a
 * freestanding program does not have.)
 */
struct stamp { unsigned long seconds, micros; };

static int before(struct stamp a, struct stamp b) {
  return a.seconds < b.seconds || (a.seconds == b.seconds && a.micros < b.micros);
}

/* SINCE: "812.34" is 812 s and 340000 us. */
static struct stamp parse_since(const char *text) {
  struct stamp since = {0, 0};
  unsigned long scale = 100000;
  const char *p = text;
  if (*p < '0' || *p > '9') fail("SINCE must be seconds since boot, like 812.34");
  for (; *p >= '0' && *p <= '9'; p++) since.seconds = since.seconds * 10 + (unsigned long)(*p - '0');
  if (*p == '.') for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) since.micros += (unsigned long)(*p - '0') * scale;
  if (*p) fail("SINCE must be seconds since boot, like 812.34");
  return since;
}

/* A record's time, written in microseconds: all but the last six digits are the seconds. */
static struct stamp parse_micros(const char *digits, long n) {
  struct stamp at = {0, 0};
  for (long i = 0; i < n; i++) {
    if (i < n - 6) at.seconds = at.seconds * 10 + (unsigned long)(digits[i] - '0');
    else at.micros = at.micros * 10 + (unsigned long)(digits[i] - '0');
  }
  return at;
}

/* "123" into text, right-aligned in `width` with `pad`; returns the characters written. */
static long format_number(char *text, unsigned long value, int width, char pad) {
  char digits[24];
  int n = 0;
  do digits[n++] = (char)('0' + value % 10), value /= 10; while (value);
  long at = 0;
  for (int i = n; i < width; i++) text[at++] = pad;
  while (n) text[at++] = digits[--n];
  return at;
}

/*
 * The value of " KEY=" in a logged packet ("DST=10.244.2.2 "), copied into out.
 * Empty when the key is there with no value ("OUT= "); -1 when it is not there.
 */
static int field(const char *text, long n, const char *key, char *out, long out_size) {
  long key_length = length(key);
  for (long i = 0; i + key_length <= n; i++) {
    if ((i == 0 || text[i - 1] == ' ') && starts_with(text + i, n - i, key)) {
      long at = 0;
      for (long j = i + key_length; j < n && text[j] != ' ' && at < out_size - 1; j++) out[at++] = text[j];
      out[at] = 0;
      return (int)at;
    }
  }
  return -1;
}

static char destinations[MAX_DESTINATIONS][ADDRESS_MAX];
static int destination_count;
static char arrivals[MAX_ARRIVALS][ADDRESS_MAX * 2 + NAME_MAX_ + 2];
static int arrival_count;

/* Remember what this packet line asks of the routing table, once each. */
static void note_lookups(const char *text, long n) {
  char dst[ADDRESS_MAX], src[ADDRESS_MAX], in[NAME_MAX_], out[NAME_MAX_];
  if (field(text, n, "DST=", dst, sizeof dst) <= 0) return;
  int known = 0;
  for (int i = 0; i < destination_count; i++) known |= same(destinations[i], dst);
  if (!known && destination_count < MAX_DESTINATIONS) {
    char *slot = destinations[destination_count++];
    for (int i = 0; (slot[i] = dst[i]); i++) {}
  }
  /* On its way in and not yet routed: IN= names a device, OUT= names none. */
  if (field(text, n, "SRC=", src, sizeof src) <= 0 || field(text, n, "IN=", in, sizeof in) <= 0 || field(text, n, "OUT=", out, sizeof out) != 0) return;
  char line[sizeof arrivals[0]];
  long at = 0;
  for (const char *part[] = {dst, " ", src, " ", in, 0}, **p = part; *p; p++) for (const char *c = *p; *c; c++) line[at++] = *c;
  line[at] = 0;
  for (int i = 0; i < arrival_count; i++) if (same(arrivals[i], line)) return;
  if (arrival_count < MAX_ARRIVALS) {
    char *slot = arrivals[arrival_count++];
    for (int i = 0; (slot[i] = line[i]); i++) {}
  }
}

static char record[RECORD_MAX];
static char line[RECORD_MAX + 32];

static int walklog(int argc, char **argv) {
  if (argc < 3) fail("usage: podwire-walklog SINCE [-r FILE] PREFIX... (SINCE: seconds since boot, as in /proc/uptime)");
  struct stamp since = parse_since(argv[1]);
  const char *routes_file = 0;
  int first_prefix = 2;
  if (same(argv[2], "-r")) {
    if (argc < 5) fail("-r needs a FILE and at least one PREFIX");
    routes_file = argv[3];
    first_prefix = 4;
  }

  long kmsg = syscall3(SYS_open, (long)"/dev/kmsg", O_RDONLY | O_NONBLOCK, 0);
  if (kmsg < 0) fail("cannot open /dev/kmsg");
  for (;;) {
    long n = syscall3(SYS_read, kmsg, (long)record, sizeof record);
    if (n == -EPIPE) continue;
    if (n <= 0) break; /* EAGAIN: no newer record */
    /* "6,1234,812345678,-;TEXT\n": the third field is the time, the text follows ';'. */
    long semicolon = 0, comma = 0, time_at = 0, time_length = 0;
    while (semicolon < n && record[semicolon] != ';') semicolon++;
    for (long i = 0; i < semicolon; i++) {
      if (record[i] == ',') { if (++comma == 2) time_at = i + 1; }
      else if (comma == 2 && record[i] >= '0' && record[i] <= '9') time_length++;
    }
    if (semicolon >= n || time_length == 0) continue;
    struct stamp logged = parse_micros(record + time_at, time_length);
    if (before(logged, since)) continue;
    const char *text = record + semicolon + 1;
    long text_length = 0;
    while (semicolon + 1 + text_length < n && text[text_length] != '\n') text_length++;
    int wanted = 0;
    for (int p = first_prefix; p < argc && !wanted; p++) wanted = starts_with(text, text_length, argv[p]);
    if (!wanted) continue;
    /* As dmesg prints it: "[  812.345678] TEXT". */
    long at = 0;
    line[at++] = '[';
    at += format_number(line + at, logged.seconds, 5, ' ');
    line[at++] = '.';
    at += format_number(line + at, logged.micros, 6, '0');
    line[at++] = ']';
    line[at++] = ' ';
    for (long i = 0; i < text_length; i++) line[at++] = text[i];
    line[at++] = '\n';
    put(1, line, at);
    note_lookups(text, text_length);
  }

  if (routes_file) {
    long out = syscall3(SYS_open, (long)routes_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0) fail("cannot write the routes FILE");
    for (int i = 0; i < destination_count; i++) {
      put(out, "route ", 6);
      put(out, destinations[i], length(destinations[i]));
      put(out, "\n", 1);
    }
    for (int i = 0; i < arrival_count; i++) {
      put(out, "routed ", 7);
      put(out, arrivals[i], length(arrivals[i]));
      put(out, "\n", 1);
    }
  }
  return 0;
}

/* Where the kernel starts us: the stack holds argc, then the argv pointers. */
__attribute__((noreturn)) void start(long *stack) {
  quit(walklog((int)stack[0], (char **)(stack + 1)));
}
__asm__(".globl _start\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov %esp, %eax\n"
        "  and $-16, %esp\n"
        "  sub $12, %esp\n"
        "  push %eax\n"
        "  call start\n");
