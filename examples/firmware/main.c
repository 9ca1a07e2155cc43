/* Firmware demo: a story from stories260K on a Cortex-M55 with no OS and no
 * heap. The model is a const array in flash (model.S), the session's memory
 * one static arena checked against sinkq_arena_size() before anything runs.
 * W8A8 with static per-tensor activation scales, a 4-bit KV cache and KVSink
 * sinks in an 8-slot table, greedy sampling: the configuration of
 *   sinkq generate --quant w8a8-static --kv-bits 4 --sinks kvsink --sink-slots 8 --temp 0
 * which prints the same text (scripts/firmware.sh checks it). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sinkq/port/mps3_an547.h"
#include "sinkq/sinkq.h"

extern const unsigned char sinkq_model_image[];
extern const unsigned char sinkq_model_image_end[];

static unsigned char arena[SINKQ_FIRMWARE_ARENA_BYTES] __attribute__((aligned(64)));
static sinkq_model model;
static sinkq_session session;
static sinkq_sampler sampler;
static int32_t prompt_ids[sizeof(SINKQ_FIRMWARE_PROMPT) + 3];
/* The story is kept and printed after generation, so that the cycle counts
 * hold the model's work only. */
static char story[8192];
static size_t story_len;

static void put(const char* s) { sinkq_port_puts(s); }
static void put_u(uint64_t v) { sinkq_port_put_u64(v); }

static int failed(const char* what, sinkq_status st) {
  put("error: ");
  put(what);
  put(": ");
  put(sinkq_status_message(st));
  put("\n");
  return 1;
}

static void append(const char* piece, size_t len) {
  if (len > sizeof story - story_len) len = sizeof story - story_len;
  memcpy(story + story_len, piece, len);
  story_len += len;
}

/* value * 10^decimals / divisor, printed with `decimals` digits after the point. */
static void put_ratio(uint64_t value, uint64_t divisor, int decimals) {
  uint64_t scale = 1, q;
  int i;
  for (i = 0; i < decimals; ++i) scale *= 10;
  q = divisor ? (value * scale + divisor / 2) / divisor : 0;
  put_u(q / scale);
  if (decimals > 0) {
    char frac[8];
    uint64_t f = q % scale;
    for (i = decimals - 1; i >= 0; --i, f /= 10) frac[i] = (char)('0' + f % 10);
    sinkq_port_write(".", 1);
    sinkq_port_write(frac, (size_t)decimals);
  }
}

int main(void) {
  const size_t model_size = (size_t)(sinkq_model_image_end - sinkq_model_image);
  sinkq_options opt;
  sinkq_model_info info;
  sinkq_memory_plan plan;
  sinkq_status st;
  size_t need = 0, n = 0, i;
  int32_t prev, next;
  int generated = 0;
  uint64_t t0, t1, t2;

  sinkq_port_cycles_init();
  put("sinkq firmware: MPS3 AN547 (Cortex-M55), ");
  put(sinkq_kernel_family());
  put(" kernels, cycles from ");
  put(sinkq_port_cycle_source());
  put("\nmodel: ");
  put_u(model_size);
  put(" bytes in flash at 0x28000000\n");

  st = sinkq_model_load(&model, sinkq_model_image, model_size, 1);
  if (st != SINKQ_OK) return failed("model", st);
  sinkq_model_get_info(&model, &info);

  sinkq_options_default(&opt);
  opt.quant = SINKQ_QUANT_W8A8_STATIC;
  opt.kv_bits = 4;
  opt.sinks = SINKQ_SINKS_KVSINK;
  opt.sink_slots = 8;
  st = sinkq_arena_size(&model, &opt, &need, &plan);
  if (st != SINKQ_OK) return failed("options", st);
  put("arena: ");
  put_u(need);
  put(" of ");
  put_u(sizeof arena);
  put(" bytes (kv cache ");
  put_u(plan.kv_cache);
  put(", sink table ");
  put_u(plan.sink_table);
  put(", activations ");
  put_u(plan.activations + plan.activations_int8);
  put(", logits ");
  put_u(plan.logits);
  put(", tables ");
  put_u(plan.tables);
  put("), context ");
  put_u(info.max_seq_len);
  put("\n");
  if (need > sizeof arena) {
    put("error: the arena is too small; build with -DSINKQ_FIRMWARE_ARENA_BYTES=");
    put_u(need);
    put("\n");
    return 2;
  }

  st = sinkq_encode(&model, SINKQ_FIRMWARE_PROMPT, sizeof(SINKQ_FIRMWARE_PROMPT) - 1, 1, 0,
                    prompt_ids, sizeof prompt_ids / sizeof prompt_ids[0], &n);
  if (st != SINKQ_OK) return failed("prompt", st);
  st = sinkq_session_init(&session, &model, &opt, arena, sizeof arena);
  if (st != SINKQ_OK) return failed("session", st);
  sinkq_sampler_init(&sampler, 0.f, 0);

  /* The prompt as the tokenizer sees it, like `sinkq generate`. */
  for (i = 1; i < n; ++i) {
    const char* piece;
    size_t len;
    sinkq_token_piece(&model, prompt_ids[i - 1], prompt_ids[i], &piece, &len);
    append(piece, len);
  }
  t0 = sinkq_port_cycles();
  st = sinkq_prefill(&session, prompt_ids, n);
  if (st != SINKQ_OK) return failed("prefill", st);
  t1 = sinkq_port_cycles();
  prev = prompt_ids[n - 1];
  while (generated < SINKQ_FIRMWARE_STEPS) {
    const char* piece;
    size_t len;
    sinkq_sample(&sampler, &session, &next);
    if (next == info.bos_id || next == info.eos_id) break;
    sinkq_token_piece(&model, prev, next, &piece, &len);
    append(piece, len);
    prev = next;
    ++generated;
    if (generated == SINKQ_FIRMWARE_STEPS) break;
    st = sinkq_decode(&session, next);
    if (st == SINKQ_CONTEXT_FULL) break;
    if (st != SINKQ_OK) return failed("decode", st);
  }
  t2 = sinkq_port_cycles();

  put("--- story\n");
  sinkq_port_write(story, story_len);
  put("\n--- end\n");
  put("prompt ");
  put_u(n);
  put(" tokens: ");
  put_u(t1 - t0);
  put(" cycles; generated ");
  put_u((uint64_t)generated);
  put(" tokens: ");
  put_u(t2 - t1);
  put(" cycles, ");
  put_u(generated ? (t2 - t1) / (uint64_t)generated : 0);
  put(" cycles/token, ");
  put_ratio((uint64_t)generated * SINKQ_PORT_CORE_CLOCK_HZ, t2 - t1, 2);
  put(" tokens/s at 32 MHz\nstack: ");
  put_u(sinkq_port_stack_used());
  put(" of ");
  put_u(sinkq_port_stack_size());
  put(" bytes used\n");
  return 0;
}
