/* The C API (sinkq.h) from C99, compiled with -std=c99 -pedantic. Each
 * function returns 0 on success or the source line of the first failed check
 * (with a description in `why`); tests/c_api_test.cpp runs them under
 * GoogleTest with the stories260K model and a caller-owned arena. */
#include "c_api_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sinkq/sinkq.h"

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      snprintf(why, why_size, "%s", #cond);                          \
      return __LINE__;                                               \
    }                                                                \
  } while (0)

#define CHECK_STATUS(call, expect)                                                          \
  do {                                                                                      \
    sinkq_status got_ = (call);                                                             \
    if (got_ != (expect)) {                                                                 \
      snprintf(why, why_size, "%s returned %d (%s), expected %d", #call, (int)got_,         \
               sinkq_status_message(got_), (int)(expect));                                  \
      return __LINE__;                                                                      \
    }                                                                                       \
  } while (0)

int c_api_generate(const void* model_bytes, size_t model_size, void* arena, size_t arena_size,
                   const char* prompt, float temperature, uint64_t seed, int steps, char* text,
                   size_t text_size, char* why, size_t why_size) {
  sinkq_model model;
  sinkq_session session;
  sinkq_sampler sampler;
  sinkq_options opt;
  sinkq_model_info info;
  sinkq_memory_plan plan;
  int32_t ids[64];
  size_t n = 0, need = 0, used = 0;
  int32_t prev, next;
  int i;

  CHECK_STATUS(sinkq_model_load(&model, model_bytes, model_size, 1), SINKQ_OK);
  CHECK_STATUS(sinkq_model_get_info(&model, &info), SINKQ_OK);
  CHECK(info.vocab_size == 512 && info.n_layers == 5 && info.bos_id == 1);
  sinkq_options_default(&opt);
  opt.context = 64;
  CHECK_STATUS(sinkq_arena_size(&model, &opt, &need, &plan), SINKQ_OK);
  CHECK(need == plan.total && plan.kv_cache > 0 && plan.activations > 0 && need <= arena_size);
  CHECK_STATUS(sinkq_encode(&model, prompt, strlen(prompt), 1, 0, ids, 64, &n), SINKQ_OK);
  CHECK(n >= 2 && ids[0] == info.bos_id);
  CHECK_STATUS(sinkq_session_init(&session, &model, &opt, arena, need), SINKQ_OK);
  CHECK(sinkq_logits(&session) == NULL);
  CHECK_STATUS(sinkq_prefill(&session, ids, n), SINKQ_OK);
  CHECK(sinkq_position(&session) == (uint32_t)n && sinkq_logits(&session) != NULL);
  CHECK_STATUS(sinkq_sampler_init(&sampler, temperature, seed), SINKQ_OK);
  prev = ids[n - 1];
  for (i = 0; i < steps; ++i) {
    const char* piece;
    size_t len;
    CHECK_STATUS(sinkq_sample(&sampler, &session, &next), SINKQ_OK);
    CHECK(next >= 0 && (uint32_t)next < info.vocab_size);
    if (next == info.bos_id || next == info.eos_id) break;
    CHECK_STATUS(sinkq_token_piece(&model, prev, next, &piece, &len), SINKQ_OK);
    CHECK(used + len < text_size);
    memcpy(text + used, piece, len);
    used += len;
    prev = next;
    CHECK_STATUS(sinkq_decode(&session, next), SINKQ_OK);
  }
  text[used] = '\0';
  return 0;
}

int c_api_rejects_corrupt_model(void* model_copy, size_t model_size, char* why, size_t why_size) {
  sinkq_model model;
  sinkq_options opt;
  sinkq_model_info info;
  unsigned char* bytes = (unsigned char*)model_copy;
  size_t need = 0, n = 0;
  int32_t ids[8];

  /* A flipped byte after the 64-byte header: the checksum catches it. */
  bytes[model_size / 2] ^= 0x40;
  CHECK_STATUS(sinkq_model_load(&model, bytes, model_size, 1), SINKQ_CHECKSUM_MISMATCH);
  /* The failed handle refuses every use. */
  sinkq_options_default(&opt);
  CHECK_STATUS(sinkq_model_get_info(&model, &info), SINKQ_NOT_INITIALIZED);
  CHECK_STATUS(sinkq_arena_size(&model, &opt, &need, NULL), SINKQ_NOT_INITIALIZED);
  CHECK_STATUS(sinkq_encode(&model, "a", 1, 1, 0, ids, 8, &n), SINKQ_NOT_INITIALIZED);
  bytes[model_size / 2] ^= 0x40;

  CHECK_STATUS(sinkq_model_load(&model, bytes, model_size - 1, 1), SINKQ_TRUNCATED);
  CHECK_STATUS(sinkq_model_load(&model, bytes, 10, 1), SINKQ_TRUNCATED);
  CHECK_STATUS(sinkq_model_load(&model, bytes + 1, model_size - 1, 1), SINKQ_MISALIGNED_BUFFER);
  bytes[0] = 'X';
  CHECK_STATUS(sinkq_model_load(&model, bytes, model_size, 1), SINKQ_BAD_MAGIC);
  CHECK_STATUS(sinkq_model_load(&model, NULL, model_size, 1), SINKQ_INVALID_ARGUMENT);
  CHECK_STATUS(sinkq_model_load(NULL, bytes, model_size, 1), SINKQ_INVALID_ARGUMENT);
  CHECK(strstr(sinkq_status_message(SINKQ_CHECKSUM_MISMATCH), "checksum") != NULL);
  CHECK(sinkq_status_message(12345) != NULL);
  return 0;
}

int c_api_rejects_small_arena(const void* model_bytes, size_t model_size, void* arena,
                              size_t arena_size, char* why, size_t why_size) {
  sinkq_model model;
  sinkq_session session;
  sinkq_options opt;
  size_t need = 0;
  int32_t bos = 1;

  CHECK_STATUS(sinkq_model_load(&model, model_bytes, model_size, 0), SINKQ_OK);
  sinkq_options_default(&opt);
  opt.context = 32;
  CHECK_STATUS(sinkq_arena_size(&model, &opt, &need, NULL), SINKQ_OK);
  CHECK(need + 64 <= arena_size);
  CHECK_STATUS(sinkq_session_init(&session, &model, &opt, arena, need - 1), SINKQ_ARENA_TOO_SMALL);
  /* The refused session cannot run. */
  CHECK_STATUS(sinkq_decode(&session, bos), SINKQ_NOT_INITIALIZED);
  CHECK_STATUS(sinkq_prefill(&session, &bos, 1), SINKQ_NOT_INITIALIZED);
  CHECK_STATUS(sinkq_reset(&session), SINKQ_NOT_INITIALIZED);
  CHECK(sinkq_logits(&session) == NULL && sinkq_position(&session) == 0);
  CHECK_STATUS(sinkq_session_init(&session, &model, &opt, (char*)arena + 1, need),
               SINKQ_ARENA_MISALIGNED);
  CHECK_STATUS(sinkq_session_init(&session, &model, &opt, NULL, need), SINKQ_INVALID_ARGUMENT);
  CHECK_STATUS(sinkq_session_init(&session, &model, NULL, arena, need), SINKQ_INVALID_ARGUMENT);
  opt.quant = 7;
  CHECK_STATUS(sinkq_arena_size(&model, &opt, &need, NULL), SINKQ_INVALID_ARGUMENT);
  opt.quant = SINKQ_QUANT_FP32;
  opt.kv_bits = 5;
  CHECK_STATUS(sinkq_arena_size(&model, &opt, &need, NULL), SINKQ_INVALID_ARGUMENT);
  return 0;
}

int c_api_rejects_bad_tokens(const void* model_bytes, size_t model_size, void* arena,
                             size_t arena_size, char* why, size_t why_size) {
  sinkq_model model;
  sinkq_session session;
  sinkq_sampler sampler;
  sinkq_options opt;
  size_t need = 0, len = 99, n = 0;
  const char* piece = NULL;
  int32_t ids[4] = {1, 200, 512, 7};
  int32_t token = -5, small[2];

  CHECK_STATUS(sinkq_model_load(&model, model_bytes, model_size, 0), SINKQ_OK);
  sinkq_options_default(&opt);
  opt.context = 4;
  CHECK_STATUS(sinkq_arena_size(&model, &opt, &need, NULL), SINKQ_OK);
  CHECK(need <= arena_size);
  CHECK_STATUS(sinkq_session_init(&session, &model, &opt, arena, need), SINKQ_OK);
  CHECK_STATUS(sinkq_sampler_init(&sampler, 0.f, 1), SINKQ_OK);
  /* Nothing run yet: no logits to sample from. */
  CHECK_STATUS(sinkq_sample(&sampler, &session, &token), SINKQ_EMPTY_INPUT);
  CHECK_STATUS(sinkq_decode(&session, 512), SINKQ_TOKEN_OUT_OF_RANGE);
  CHECK_STATUS(sinkq_decode(&session, -1), SINKQ_TOKEN_OUT_OF_RANGE);
  /* A rejected prefill appends nothing. */
  CHECK_STATUS(sinkq_prefill(&session, ids, 4), SINKQ_TOKEN_OUT_OF_RANGE);
  CHECK(sinkq_position(&session) == 0);
  CHECK_STATUS(sinkq_prefill(&session, ids, 0), SINKQ_EMPTY_INPUT);
  CHECK_STATUS(sinkq_prefill(&session, NULL, 2), SINKQ_INVALID_ARGUMENT);
  CHECK_STATUS(sinkq_prefill(&session, ids, 2), SINKQ_OK);
  CHECK_STATUS(sinkq_sample(&sampler, &session, &token), SINKQ_OK);
  CHECK(token >= 0 && token < 512);
  CHECK_STATUS(sinkq_decode(&session, token), SINKQ_OK);
  CHECK_STATUS(sinkq_decode(&session, token), SINKQ_OK);
  /* The context of 4 is full now. */
  CHECK_STATUS(sinkq_decode(&session, token), SINKQ_CONTEXT_FULL);
  CHECK_STATUS(sinkq_reset(&session), SINKQ_OK);
  CHECK(sinkq_position(&session) == 0);

  CHECK_STATUS(sinkq_token_piece(&model, 1, 512, &piece, &len), SINKQ_TOKEN_OUT_OF_RANGE);
  CHECK(piece != NULL && len == 0);
  CHECK_STATUS(sinkq_token_piece(&model, 1, 0, NULL, &len), SINKQ_INVALID_ARGUMENT);
  CHECK_STATUS(sinkq_encode(&model, "Once upon a time", 16, 1, 0, small, 2, &n),
               SINKQ_BUFFER_TOO_SMALL);
  CHECK_STATUS(sinkq_sampler_init(&sampler, NAN, 1), SINKQ_INVALID_ARGUMENT);
  CHECK_STATUS(sinkq_sample(&sampler, &session, &token), SINKQ_NOT_INITIALIZED);
  CHECK_STATUS(sinkq_sampler_init(&sampler, -1.f, 1), SINKQ_INVALID_ARGUMENT);
  CHECK_STATUS(sinkq_sample(NULL, &session, &token), SINKQ_INVALID_ARGUMENT);
  CHECK(sinkq_kernel_family()[0] != '\0');
  return 0;
}

int c_api_rolls_past_the_context(const void* model_bytes, size_t model_size, void* arena,
                                 size_t arena_size, char* why, size_t why_size) {
  sinkq_model model;
  sinkq_session session;
  sinkq_options opt;
  size_t need = 0, fixed = 0;
  int32_t token = 1;
  int i;

  CHECK_STATUS(sinkq_model_load(&model, model_bytes, model_size, 0), SINKQ_OK);
  sinkq_options_default(&opt);
  CHECK(opt.use_cushion != 0 && opt.rolling == 0 && opt.window == 0);
  opt.context = 16;
  opt.batch = 1;
  opt.kv_bits = 4;
  opt.kv_key_block = 8;
  opt.sinks = SINKQ_SINKS_PFN;
  opt.preserve_first = 2;
  opt.sink_slots = 2;
  CHECK_STATUS(sinkq_arena_size(&model, &opt, &fixed, NULL), SINKQ_OK);
  opt.rolling = 1;
  CHECK_STATUS(sinkq_arena_size(&model, &opt, &need, NULL), SINKQ_OK);
  CHECK(need == fixed && need <= arena_size);
  opt.window = 15; /* 16 - 2 sink slots is the largest */
  CHECK_STATUS(sinkq_arena_size(&model, &opt, &need, NULL), SINKQ_INVALID_ARGUMENT);
  opt.window = 0;
  CHECK_STATUS(sinkq_session_init(&session, &model, &opt, arena, need), SINKQ_OK);
  /* Ten contexts in the same arena. */
  for (i = 0; i < 160; ++i) {
    CHECK_STATUS(sinkq_decode(&session, token), SINKQ_OK);
    token = 13 + i % 400;
  }
  CHECK(sinkq_position(&session) == 160);
  return 0;
}
