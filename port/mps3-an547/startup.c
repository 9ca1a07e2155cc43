/* Reset and exception vectors of the Cortex-M55 on the AN547: the vector
 * table sits at 0x00000000 (ITCM), where the SSE-300 boots (VTOR's reset
 * value). Reset enables the FPU and Helium, copies .data from its load
 * address, clears .bss and calls main(); main's return value becomes the
 * semihosting exit code. Faults print their name and exit with code 3. */
#include <stdint.h>

#include "sinkq/port/mps3_an547.h"

int main(void);
void SysTick_Handler(void);
void Reset_Handler(void);

/* Linker script symbols (an547.ld). */
extern uint32_t __stack_bottom[], __stack_top[];
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

#define CPACR (*(volatile uint32_t*)0xE000ED88u)

static void fault(const char* what) {
  sinkq_port_puts("\nfault: ");
  sinkq_port_puts(what);
  sinkq_port_puts("\n");
  sinkq_port_exit(3);
}

static void NMI_Handler(void) { fault("NMI"); }
static void HardFault_Handler(void) { fault("HardFault"); }
static void MemManage_Handler(void) { fault("MemManage"); }
static void BusFault_Handler(void) { fault("BusFault"); }
static void UsageFault_Handler(void) { fault("UsageFault"); }
static void SecureFault_Handler(void) { fault("SecureFault"); }
static void Default_Handler(void) { fault("unexpected exception"); }

__attribute__((used, section(".vectors"))) static void (*const vectors[16])(void) = {
    (void (*)(void))__stack_top,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    SecureFault_Handler,
    0,
    0,
    0,
    Default_Handler, /* SVCall */
    Default_Handler, /* DebugMonitor */
    0,
    Default_Handler, /* PendSV */
    SysTick_Handler,
};

#define STACK_PAINT 0x5AC5AC5Au

__attribute__((noreturn, used)) static void reset_c(void) {
  uint32_t* dst = __data_start;
  const uint32_t* src = __data_load;
  volatile uint32_t here = 0;
  while (dst < __data_end) *dst++ = *src++;
  for (dst = __bss_start; dst < __bss_end;) *dst++ = 0;
  /* Paint the stack below this frame, for sinkq_port_stack_used(). */
  for (dst = __stack_bottom; (uintptr_t)dst < (uintptr_t)&here - 64;) *dst++ = STACK_PAINT;
  sinkq_port_exit(main());
}

size_t sinkq_port_stack_used(void) {
  const uint32_t* p = __stack_bottom;
  while (p < __stack_top && *p == STACK_PAINT) ++p;
  return (size_t)((const char*)__stack_top - (const char*)p);
}

size_t sinkq_port_stack_size(void) {
  return (size_t)((const char*)__stack_top - (const char*)__stack_bottom);
}

/* Naked: nothing may touch a floating-point or vector register before CP10
 * and CP11 (the FPU and MVE) are enabled. */
__attribute__((naked, noreturn)) void Reset_Handler(void) {
  __asm__ volatile(
      "ldr r0, =0xE000ED88\n"
      "ldr r1, [r0]\n"
      "orr r1, r1, #(0xF << 20)\n"
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
      "b reset_c\n");
}
