/* The C99 checks of the C API (c_api_test.c), called from c_api_test.cpp. */
#ifndef SINKQ_TESTS_C_API_TEST_H_
#define SINKQ_TESTS_C_API_TEST_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Greedy (temperature 0) or seeded sampling of up to `steps` tokens after
 * `prompt` through the C API, in a context of 64 tokens; the generated text
 * (without the prompt) goes to `text`. */
int c_api_generate(const void* model_bytes, size_t model_size, void* arena, size_t arena_size,
                   const char* prompt, float temperature, uint64_t seed, int steps, char* text,
                   size_t text_size, char* why, size_t why_size);
/* `model_copy` is modified and restored except for its first byte. */
int c_api_rejects_corrupt_model(void* model_copy, size_t model_size, char* why, size_t why_size);
int c_api_rejects_small_arena(const void* model_bytes, size_t model_size, void* arena,
                              size_t arena_size, char* why, size_t why_size);
int c_api_rejects_bad_tokens(const void* model_bytes, size_t model_size, void* arena,
                             size_t arena_size, char* why, size_t why_size);
/* Ten contexts of decoding in the arena of one, with a rolling window. */
int c_api_rolls_past_the_context(const void* model_bytes, size_t model_size, void* arena,
                                 size_t arena_size, char* why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif /* SINKQ_TESTS_C_API_TEST_H_ */
