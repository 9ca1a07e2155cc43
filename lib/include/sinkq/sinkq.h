/* The C API (C99) over the C++ core, for firmware and applications written in
 * C. Nothing here allocates: the model, session and sampler handles are plain
 * structs the caller places anywhere (static storage, the stack), and the
 * session's working memory is one caller-provided arena whose size
 * sinkq_arena_size() reports first.
 *
 *   static sinkq_model model;
 *   static sinkq_session session;
 *   sinkq_options opt;
 *   size_t need;
 *   sinkq_model_load(&model, bytes, size, 1);     // 64-byte aligned, used in place
 *   sinkq_options_default(&opt);
 *   sinkq_arena_size(&model, &opt, &need, NULL);
 *   sinkq_session_init(&session, &model, &opt, arena, arena_bytes);
 *   sinkq_prefill(&session, ids, n);
 *   sinkq_sample(&sampler, &session, &next);
 *   sinkq_decode(&session, next);
 *
 * Every fallible call returns a sinkq_status (0 is SINKQ_OK); the values are
 * those of sinkq::Status (status.h) and sinkq_status_message() explains them.
 * Handles are checked: a handle that was never successfully loaded or
 * initialized gives SINKQ_NOT_INITIALIZED, a null pointer
 * SINKQ_INVALID_ARGUMENT. The model bytes and the arena must outlive the
 * handles that use them. */
#ifndef SINKQ_SINKQ_H_
#define SINKQ_SINKQ_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t sinkq_status;

/* The values of sinkq::Status (lib/include/sinkq/status.h). */
enum {
  SINKQ_OK = 0,
  SINKQ_INVALID_ARGUMENT = 1,
  SINKQ_UNSUPPORTED = 2,
  SINKQ_MISALIGNED_BUFFER = 3,
  SINKQ_TRUNCATED = 4,
  SINKQ_BAD_MAGIC = 5,
  SINKQ_UNSUPPORTED_VERSION = 6,
  SINKQ_SIZE_MISMATCH = 7,
  SINKQ_CHECKSUM_MISMATCH = 8,
  SINKQ_BAD_HEADER = 9,
  SINKQ_BAD_SECTION_TABLE = 10,
  SINKQ_MISSING_SECTION = 11,
  SINKQ_BAD_CONFIG = 12,
  SINKQ_BAD_TENSOR_TABLE = 13,
  SINKQ_TENSOR_OUT_OF_RANGE = 14,
  SINKQ_TENSOR_OVERLAP = 15,
  SINKQ_TENSOR_MISALIGNED = 16,
  SINKQ_TENSOR_SHAPE_MISMATCH = 17,
  SINKQ_MISSING_TENSOR = 18,
  SINKQ_BAD_VOCAB = 19,
  SINKQ_BAD_QUANT_SECTION = 20,
  SINKQ_BAD_CUSHION = 21,
  SINKQ_BAD_SINK_PREDICTOR = 22,
  SINKQ_ARENA_TOO_SMALL = 23,
  SINKQ_ARENA_MISALIGNED = 24,
  SINKQ_TOKEN_OUT_OF_RANGE = 25,
  SINKQ_CONTEXT_FULL = 26,
  SINKQ_EMPTY_INPUT = 27,
  SINKQ_BUFFER_TOO_SMALL = 28,
  SINKQ_NON_FINITE = 29,
  SINKQ_NOT_INITIALIZED = 30,
  SINKQ_BAD_WEIGHTS = 31,
  SINKQ_IO_ERROR = 32,
  SINKQ_MISSING_QUANTIZATION = 33,
  SINKQ_TOO_LARGE = 34
};

/* A sentence describing the status; never NULL, static storage. */
const char* sinkq_status_message(sinkq_status status);

/* Precision of weights and activations (sinkq::QuantMode). */
enum {
  SINKQ_QUANT_FP32 = 0,
  SINKQ_QUANT_W8A8_STATIC = 1,
  SINKQ_QUANT_W8A8_DYN_TENSOR = 2,
  SINKQ_QUANT_W8A8_DYN_TOKEN = 3
};

/* Which tokens keep full-precision K/V (sinkq::SinkPolicy). */
enum { SINKQ_SINKS_NONE = 0, SINKQ_SINKS_PFN = 1, SINKQ_SINKS_KVSINK = 2 };

/* sinkq::SessionOptions as plain integers; sinkq_options_default() fills the
 * library's defaults (fp32, fp32 KV, no sinks, batch 8, the model's context). */
typedef struct sinkq_options {
  uint32_t context;         /* tokens; 0: the model's max_seq_len */
  uint32_t batch;           /* tokens per forward call in prefill */
  int32_t quant;            /* SINKQ_QUANT_* */
  int32_t classifier_int8;  /* W8A8 modes: nonzero runs the classifier in int8 */
  uint32_t kv_bits;         /* 32, 8, 4, 3 or 2 */
  uint32_t kv_key_block;    /* tokens per per-channel key block */
  uint32_t kv_value_group;  /* channels per value group */
  int32_t kv_key_pre_rope;  /* nonzero: quantize keys before RoPE */
  int32_t sinks;            /* SINKQ_SINKS_* */
  uint32_t preserve_first;  /* N of SINKQ_SINKS_PFN */
  uint32_t sink_slots;      /* full-precision sink-table slots */
  int32_t use_cushion;      /* nonzero: pin the model's prefix cushion, if it has one */
  int32_t rolling;          /* nonzero: rolling window past a full context */
  uint32_t window;          /* rolling window W; 0: the largest that fits */
} sinkq_options;

void sinkq_options_default(sinkq_options* options);

/* Arena bytes by purpose (sinkq::MemoryPlan). */
typedef struct sinkq_memory_plan {
  size_t kv_cache;
  size_t sink_table;
  size_t activations;
  size_t activations_int8;
  size_t logits;
  size_t tables;
  size_t total; /* including alignment padding */
} sinkq_memory_plan;

/* A few fields of the model's configuration. */
typedef struct sinkq_model_info {
  uint32_t dim;
  uint32_t hidden_dim;
  uint32_t n_layers;
  uint32_t n_heads;
  uint32_t n_kv_heads;
  uint32_t vocab_size;
  uint32_t max_seq_len;
  int32_t bos_id;
  int32_t eos_id;
} sinkq_model_info;

/* Opaque handles. The sizes are upper bounds for every target (checked when
 * the library is compiled); the unions give them pointer and 8-byte
 * alignment. */
#define SINKQ_MODEL_STORAGE_BYTES 512
#define SINKQ_SESSION_STORAGE_BYTES 512
#define SINKQ_SAMPLER_STORAGE_BYTES 32

typedef struct sinkq_model {
  union {
    unsigned char bytes[SINKQ_MODEL_STORAGE_BYTES];
    uint64_t align_u64;
    double align_double;
    void* align_ptr;
  } opaque;
} sinkq_model;

typedef struct sinkq_session {
  union {
    unsigned char bytes[SINKQ_SESSION_STORAGE_BYTES];
    uint64_t align_u64;
    double align_double;
    void* align_ptr;
  } opaque;
} sinkq_session;

typedef struct sinkq_sampler {
  union {
    unsigned char bytes[SINKQ_SAMPLER_STORAGE_BYTES];
    uint64_t align_u64;
    double align_double;
    void* align_ptr;
  } opaque;
} sinkq_sampler;

/* Validates a .sqm file in place (64-byte aligned `bytes`, which must stay
 * valid and unchanged) and prepares its tokenizer. verify_checksum = 0 skips
 * the CRC (a board that checked its flash image at boot). On failure the
 * handle is left unusable. */
sinkq_status sinkq_model_load(sinkq_model* model, const void* bytes, size_t size,
                              int verify_checksum);
sinkq_status sinkq_model_get_info(const sinkq_model* model, sinkq_model_info* info);

/* The arena a session with these options needs; `plan` may be NULL. */
sinkq_status sinkq_arena_size(const sinkq_model* model, const sinkq_options* options,
                              size_t* bytes, sinkq_memory_plan* plan);

/* `arena`: 64-byte aligned, at least sinkq_arena_size() bytes. */
sinkq_status sinkq_session_init(sinkq_session* session, const sinkq_model* model,
                                const sinkq_options* options, void* arena, size_t arena_bytes);
/* Appends tokens (prefill) or one token (decode) to the context and runs them;
 * afterwards sinkq_logits() holds the last token's logits. */
sinkq_status sinkq_prefill(sinkq_session* session, const int32_t* tokens, size_t n);
sinkq_status sinkq_decode(sinkq_session* session, int32_t token);
/* The last token's logits (vocab_size floats), or NULL. */
const float* sinkq_logits(const sinkq_session* session);
/* Tokens in the context (0 for an unusable handle). */
uint32_t sinkq_position(const sinkq_session* session);
/* Starts a new sequence in the same arena. */
sinkq_status sinkq_reset(sinkq_session* session);

/* Greedy at temperature 0, otherwise a draw from softmax(logits / T) with
 * llama2.c's xorshift generator seeded by `seed`. */
sinkq_status sinkq_sampler_init(sinkq_sampler* sampler, float temperature, uint64_t seed);
/* Samples the next token from the session's current logits. */
sinkq_status sinkq_sample(sinkq_sampler* sampler, const sinkq_session* session, int32_t* token);

/* Tokenizes `len` bytes of `text` (a leading space piece like llama2.c, BOS
 * and EOS on request) into at most `capacity` ids; *n_tokens receives the
 * count. len + 3 ids always suffice; SINKQ_BUFFER_TOO_SMALL otherwise. */
sinkq_status sinkq_encode(const sinkq_model* model, const char* text, size_t len, int add_bos,
                          int add_eos, int32_t* tokens, size_t capacity, size_t* n_tokens);
/* The bytes `token` stands for after `prev` (not NUL-terminated; points into
 * the model). SINKQ_TOKEN_OUT_OF_RANGE gives an empty piece. */
sinkq_status sinkq_token_piece(const sinkq_model* model, int32_t prev, int32_t token,
                               const char** piece, size_t* len);

/* The kernel family this library was built with ("ref", "avx2", ...). */
const char* sinkq_kernel_family(void);

#ifdef __cplusplus
}
#endif

#endif /* SINKQ_SINKQ_H_ */
