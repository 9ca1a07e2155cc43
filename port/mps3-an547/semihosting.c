/* Console and exit through Arm semihosting: `bkpt 0xab` with the operation
 * in r0 and its argument in r1 (Arm's "Semihosting for AArch32 and AArch64"
 * specification). QEMU serves it with -semihosting; a debug probe does on
 * hardware. */
#include "sinkq/port/mps3_an547.h"

enum {
  kSysOpen = 0x01,
  kSysWrite = 0x05,
  kSysExitExtended = 0x20,
  kAdpStoppedApplicationExit = 0x20026,
};

static int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* ":tt" opened for writing is the host's standard output. */
static int stdout_handle = -1;

void sinkq_port_write(const char* data, size_t n) {
  if (stdout_handle < 0) {
    const uint32_t args[3] = {(uint32_t)(uintptr_t)":tt", 4 /* "w" */, 3};
    stdout_handle = semihost(kSysOpen, args);
  }
  while (n > 0) {
    const uint32_t args[3] = {(uint32_t)stdout_handle, (uint32_t)(uintptr_t)data, (uint32_t)n};
    /* Returns the number of bytes NOT written. */
    const int left = semihost(kSysWrite, args);
    if (left < 0 || (size_t)left >= n) return;
    data += n - (size_t)left;
    n = (size_t)left;
  }
}

void sinkq_port_puts(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  sinkq_port_write(s, n);
}

void sinkq_port_put_u64(uint64_t v) {
  char buf[20];
  size_t i = sizeof buf;
  do {
    buf[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  sinkq_port_write(buf + i, sizeof buf - i);
}

void sinkq_port_exit(int code) {
  const uint32_t args[2] = {kAdpStoppedApplicationExit, (uint32_t)code};
  semihost(kSysExitExtended, args);
  for (;;) __asm__ volatile("bkpt 0");
}
