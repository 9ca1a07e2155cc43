/* Bare-metal port for Arm's MPS3 board with the AN547 FPGA image (Cortex-M55,
 * SSE-300), as QEMU models it (qemu-system-arm -M mps3-an547). The only code
 * of a firmware that touches the board: console output and exit through
 * semihosting (the debugger or QEMU with -semihosting), and a cycle counter.
 * C99, usable from C and C++. */
#ifndef SINKQ_PORT_MPS3_AN547_H_
#define SINKQ_PORT_MPS3_AN547_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The AN547 core clock (32 MHz on the FPGA, and QEMU's SysTick clock). */
#define SINKQ_PORT_CORE_CLOCK_HZ 32000000u

/* Writes bytes to the host's standard output (semihosting SYS_WRITE). */
void sinkq_port_write(const char* data, size_t n);
void sinkq_port_puts(const char* s); /* no newline added */
void sinkq_port_put_u64(uint64_t v);
/* Ends the program with an exit code (semihosting SYS_EXIT_EXTENDED);
 * without a semihosting host it stops in a breakpoint loop. */
void sinkq_port_exit(int code) __attribute__((noreturn));

/* The deepest the stack has been since reset (painted at reset), and its size. */
size_t sinkq_port_stack_used(void);
size_t sinkq_port_stack_size(void);

/* Starts the cycle counter: DWT CYCCNT if the core counts with it, otherwise
 * SysTick on the core clock (24 bits, extended to 64 in its interrupt). */
void sinkq_port_cycles_init(void);
/* Core cycles since sinkq_port_cycles_init(). */
uint64_t sinkq_port_cycles(void);
/* "DWT CYCCNT" or "SysTick": which counter sinkq_port_cycles() reads. */
const char* sinkq_port_cycle_source(void);

#ifdef __cplusplus
}
#endif

#endif /* SINKQ_PORT_MPS3_AN547_H_ */
