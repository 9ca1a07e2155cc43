/* Greedy story through the installed C API: reads a .sqm file into a
 * 64-byte aligned buffer and prints the prompt and up to STEPS tokens the way
 * `sinkq generate --temp 0` does. usage: package_test MODEL PROMPT STEPS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinkq/sinkq.h"

static unsigned char* align64(unsigned char* p) {
  return p + ((64 - (uintptr_t)p % 64) % 64);
}

int main(int argc, char** argv) {
  static sinkq_model model;
  static sinkq_session session;
  static sinkq_sampler sampler;
  sinkq_options opt;
  sinkq_model_info info;
  unsigned char *file_mem, *bytes, *arena_mem;
  long size;
  size_t need, n, i, len;
  int32_t ids[256], prev, next;
  const char* piece;
  long steps, generated;
  sinkq_status st;
  FILE* f;

  if (argc != 4) {
    fprintf(stderr, "usage: %s MODEL PROMPT STEPS\n", argv[0]);
    return 2;
  }
  f = fopen(argv[1], "rb");
  if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  file_mem = malloc((size_t)size + 64);
  bytes = align64(file_mem);
  if (fread(bytes, 1, (size_t)size, f) != (size_t)size) return 1;
  fclose(f);

  st = sinkq_model_load(&model, bytes, (size_t)size, 1);
  if (st != SINKQ_OK) {
    fprintf(stderr, "model: %s\n", sinkq_status_message(st));
    return 1;
  }
  sinkq_model_get_info(&model, &info);
  sinkq_options_default(&opt);
  st = sinkq_arena_size(&model, &opt, &need, NULL);
  if (st != SINKQ_OK) return 1;
  arena_mem = malloc(need + 64);
  st = sinkq_encode(&model, argv[2], strlen(argv[2]), 1, 0, ids, 256, &n);
  if (st == SINKQ_OK) st = sinkq_session_init(&session, &model, &opt, align64(arena_mem), need);
  if (st == SINKQ_OK) st = sinkq_prefill(&session, ids, n);
  if (st == SINKQ_OK) st = sinkq_sampler_init(&sampler, 0.f, 42);
  if (st != SINKQ_OK) {
    fprintf(stderr, "%s\n", sinkq_status_message(st));
    return 1;
  }
  for (i = 1; i < n; ++i) {
    sinkq_token_piece(&model, ids[i - 1], ids[i], &piece, &len);
    fwrite(piece, 1, len, stdout);
  }
  steps = strtol(argv[3], NULL, 10);
  prev = ids[n - 1];
  for (generated = 0; generated < steps; ++generated) {
    sinkq_sample(&sampler, &session, &next);
    if (next == info.bos_id || next == info.eos_id) break;
    sinkq_token_piece(&model, prev, next, &piece, &len);
    fwrite(piece, 1, len, stdout);
    prev = next;
    if (generated + 1 < steps && sinkq_decode(&session, next) != SINKQ_OK) break;
  }
  printf("\n");
  fprintf(stderr, "sinkq %s kernels, arena %zu bytes\n", sinkq_kernel_family(), need);
  free(arena_mem);
  free(file_mem);
  return 0;
}
