/* Cycle counting. DWT CYCCNT is the Cortex-M55's cycle counter, but QEMU
 * does not implement the DWT (its registers read as zero), so the port checks
 * that CYCCNT moves and otherwise counts with SysTick on the core clock.
 * QEMU's SysTick follows its virtual clock: host time by default, or exactly
 * 2^shift ns per instruction with -icount shift=N (shift 5 = 32 ns, one tick
 * of the 32 MHz clock per instruction). QEMU is not cycle-accurate either
 * way. SysTick's 24 bits wrap every 2^24 cycles; its interrupt extends the
 * count (and the DWT's 32 bits) to 64. */
#include "sinkq/port/mps3_an547.h"

#define REG(addr) (*(volatile uint32_t*)(addr))
#define DEMCR REG(0xE000EDFCu)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CYCCNT REG(0xE0001004u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define SCB_ICSR REG(0xE000ED04u)

#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL_CYCCNTENA 1u
#define ICSR_PENDSTSET (1u << 26)
#define SYSTICK_RELOAD 0x00FFFFFFu

static volatile uint64_t systick_wraps;
static volatile uint32_t dwt_high;
static volatile uint32_t dwt_last;
static int use_dwt;

void SysTick_Handler(void) {
  systick_wraps = systick_wraps + 1;
  if (use_dwt) {
    const uint32_t now = DWT_CYCCNT;
    if (now < dwt_last) dwt_high = dwt_high + 1;
    dwt_last = now;
  }
}

void sinkq_port_cycles_init(void) {
  DEMCR |= DEMCR_TRCENA;
  DWT_CYCCNT = 0;
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
  for (volatile int i = 0; i < 1000; ++i) {
  }
  use_dwt = DWT_CYCCNT != 0;
  dwt_high = 0;
  dwt_last = use_dwt ? DWT_CYCCNT : 0;
  systick_wraps = 0;
  /* Processor clock, interrupt on wrap, enabled. */
  SYST_RVR = SYSTICK_RELOAD;
  SYST_CVR = 0;
  SYST_CSR = 0x7u;
}

uint64_t sinkq_port_cycles(void) {
  uint64_t result;
  __asm__ volatile("cpsid i" ::: "memory");
  if (use_dwt) {
    const uint32_t now = DWT_CYCCNT;
    uint32_t high = dwt_high;
    if (now < dwt_last) ++high;
    result = ((uint64_t)high << 32) | now;
  } else {
    uint32_t v = SYST_CVR;
    uint64_t wraps = systick_wraps;
    /* Wrapped while interrupts were off: count it and read after the wrap. */
    if (SCB_ICSR & ICSR_PENDSTSET) {
      v = SYST_CVR;
      ++wraps;
    }
    result = wraps * (SYSTICK_RELOAD + 1u) + (SYSTICK_RELOAD - v);
  }
  __asm__ volatile("cpsie i" ::: "memory");
  return result;
}

const char* sinkq_port_cycle_source(void) { return use_dwt ? "DWT CYCCNT" : "SysTick"; }
