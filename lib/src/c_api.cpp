// The C API (sinkq.h): the C++ objects live in the caller's handle storage,
// built there with placement new. A magic word marks a handle that was
// successfully loaded or initialized, so an unused or failed handle is
// refused instead of followed.
#include "sinkq/sinkq.h"

#include <float.h>

#include <new>

#include "sinkq/model.h"
#include "sinkq/sampler.h"
#include "sinkq/session.h"
#include "sinkq/status.h"
#include "sinkq/tokenizer.h"

namespace sinkq {
namespace {

constexpr uint32_t kModelMagic = 0x4D514B53u;    // "SKQM"
constexpr uint32_t kSessionMagic = 0x53514B53u;  // "SKQS"
constexpr uint32_t kSamplerMagic = 0x50514B53u;  // "SKQP"

struct ModelHandle {
  uint32_t magic;
  Model model;
  Tokenizer tokenizer;
};

struct SessionHandle {
  uint32_t magic;
  Session session;
};

struct SamplerHandle {
  uint32_t magic;
  Sampler sampler;
};

static_assert(sizeof(ModelHandle) <= SINKQ_MODEL_STORAGE_BYTES, "raise SINKQ_MODEL_STORAGE_BYTES");
static_assert(sizeof(SessionHandle) <= SINKQ_SESSION_STORAGE_BYTES,
              "raise SINKQ_SESSION_STORAGE_BYTES");
static_assert(sizeof(SamplerHandle) <= SINKQ_SAMPLER_STORAGE_BYTES,
              "raise SINKQ_SAMPLER_STORAGE_BYTES");
static_assert(alignof(ModelHandle) <= alignof(sinkq_model) &&
                  alignof(SessionHandle) <= alignof(sinkq_session) &&
                  alignof(SamplerHandle) <= alignof(sinkq_sampler),
              "handle storage alignment");

sinkq_status to_c(Status s) { return static_cast<sinkq_status>(s); }

const ModelHandle* model_of(const sinkq_model* m) {
  if (!m) return nullptr;
  const ModelHandle* h = reinterpret_cast<const ModelHandle*>(m->opaque.bytes);
  return h->magic == kModelMagic ? h : nullptr;
}

SessionHandle* session_of(sinkq_session* s) {
  if (!s) return nullptr;
  SessionHandle* h = reinterpret_cast<SessionHandle*>(s->opaque.bytes);
  return h->magic == kSessionMagic ? h : nullptr;
}

const SessionHandle* session_of(const sinkq_session* s) {
  return session_of(const_cast<sinkq_session*>(s));
}

// Status for a missing or unusable handle.
sinkq_status handle_error(const void* p) {
  return to_c(p ? Status::kNotInitialized : Status::kInvalidArgument);
}

Status to_options(const sinkq_options* o, SessionOptions* out) {
  if (!o) return Status::kInvalidArgument;
  if (o->quant < SINKQ_QUANT_FP32 || o->quant > SINKQ_QUANT_W8A8_DYN_TOKEN)
    return Status::kInvalidArgument;
  if (o->sinks < SINKQ_SINKS_NONE || o->sinks > SINKQ_SINKS_KVSINK) return Status::kInvalidArgument;
  out->context = o->context;
  out->batch = o->batch;
  out->quant = static_cast<QuantMode>(o->quant);
  out->classifier_int8 = o->classifier_int8 != 0;
  out->kv.bits = o->kv_bits;
  out->kv.key_block = o->kv_key_block;
  out->kv.value_group = o->kv_value_group;
  out->kv.key_pre_rope = o->kv_key_pre_rope != 0;
  out->kv.sinks = static_cast<SinkPolicy>(o->sinks);
  out->kv.preserve_first = o->preserve_first;
  out->kv.sink_slots = o->sink_slots;
  out->kv.use_cushion = o->use_cushion != 0;
  out->rolling = o->rolling != 0;
  out->window = o->window;
  return Status::kOk;
}

}  // namespace
}  // namespace sinkq

using sinkq::ModelHandle;
using sinkq::SamplerHandle;
using sinkq::SessionHandle;
using sinkq::Status;

extern "C" {

const char* sinkq_status_message(sinkq_status status) {
  return sinkq::status_message(static_cast<Status>(status));
}

void sinkq_options_default(sinkq_options* o) {
  if (!o) return;
  const sinkq::SessionOptions d;
  o->context = d.context;
  o->batch = d.batch;
  o->quant = static_cast<int32_t>(d.quant);
  o->classifier_int8 = d.classifier_int8 ? 1 : 0;
  o->kv_bits = d.kv.bits;
  o->kv_key_block = d.kv.key_block;
  o->kv_value_group = d.kv.value_group;
  o->kv_key_pre_rope = d.kv.key_pre_rope ? 1 : 0;
  o->sinks = static_cast<int32_t>(d.kv.sinks);
  o->preserve_first = d.kv.preserve_first;
  o->sink_slots = d.kv.sink_slots;
  o->use_cushion = d.kv.use_cushion;
  o->rolling = d.rolling;
  o->window = d.window;
}

sinkq_status sinkq_model_load(sinkq_model* model, const void* bytes, size_t size,
                              int verify_checksum) {
  if (!model) return sinkq::to_c(Status::kInvalidArgument);
  ModelHandle* h = new (model->opaque.bytes) ModelHandle();
  h->magic = 0;
  sinkq::LoadOptions lo;
  lo.verify_checksum = verify_checksum != 0;
  Status st = sinkq::Model::load(bytes, size, &h->model, lo);
  if (st == Status::kOk) st = h->tokenizer.init(h->model);
  if (st == Status::kOk) h->magic = sinkq::kModelMagic;
  return sinkq::to_c(st);
}

sinkq_status sinkq_model_get_info(const sinkq_model* model, sinkq_model_info* info) {
  const ModelHandle* h = sinkq::model_of(model);
  if (!h) return sinkq::handle_error(model);
  if (!info) return sinkq::to_c(Status::kInvalidArgument);
  const sinkq::ModelConfig& c = h->model.config();
  info->dim = c.dim;
  info->hidden_dim = c.hidden_dim;
  info->n_layers = c.n_layers;
  info->n_heads = c.n_heads;
  info->n_kv_heads = c.n_kv_heads;
  info->vocab_size = c.vocab_size;
  info->max_seq_len = c.max_seq_len;
  info->bos_id = c.bos_id;
  info->eos_id = c.eos_id;
  return SINKQ_OK;
}

sinkq_status sinkq_arena_size(const sinkq_model* model, const sinkq_options* options,
                              size_t* bytes, sinkq_memory_plan* plan) {
  const ModelHandle* h = sinkq::model_of(model);
  if (!h) return sinkq::handle_error(model);
  if (!bytes) return sinkq::to_c(Status::kInvalidArgument);
  sinkq::SessionOptions opt;
  Status st = sinkq::to_options(options, &opt);
  if (st != Status::kOk) return sinkq::to_c(st);
  sinkq::MemoryPlan p;
  st = sinkq::Session::required_bytes(h->model, opt, bytes, &p);
  if (st == Status::kOk && plan) {
    plan->kv_cache = p.kv_cache;
    plan->sink_table = p.sink_table;
    plan->activations = p.activations;
    plan->activations_int8 = p.activations_int8;
    plan->logits = p.logits;
    plan->tables = p.tables;
    plan->total = p.total;
  }
  return sinkq::to_c(st);
}

sinkq_status sinkq_session_init(sinkq_session* session, const sinkq_model* model,
                                const sinkq_options* options, void* arena, size_t arena_bytes) {
  if (!session) return sinkq::to_c(Status::kInvalidArgument);
  SessionHandle* s = new (session->opaque.bytes) SessionHandle();
  s->magic = 0;
  const ModelHandle* h = sinkq::model_of(model);
  if (!h) return sinkq::handle_error(model);
  sinkq::SessionOptions opt;
  Status st = sinkq::to_options(options, &opt);
  if (st == Status::kOk) st = s->session.init(h->model, opt, arena, arena_bytes);
  if (st == Status::kOk) s->magic = sinkq::kSessionMagic;
  return sinkq::to_c(st);
}

sinkq_status sinkq_prefill(sinkq_session* session, const int32_t* tokens, size_t n) {
  SessionHandle* s = sinkq::session_of(session);
  if (!s) return sinkq::handle_error(session);
  return sinkq::to_c(s->session.prefill(tokens, n));
}

sinkq_status sinkq_decode(sinkq_session* session, int32_t token) {
  SessionHandle* s = sinkq::session_of(session);
  if (!s) return sinkq::handle_error(session);
  return sinkq::to_c(s->session.decode(token));
}

const float* sinkq_logits(const sinkq_session* session) {
  const SessionHandle* s = sinkq::session_of(session);
  return s ? s->session.logits() : nullptr;
}

uint32_t sinkq_position(const sinkq_session* session) {
  const SessionHandle* s = sinkq::session_of(session);
  return s ? s->session.position() : 0;
}

sinkq_status sinkq_reset(sinkq_session* session) {
  SessionHandle* s = sinkq::session_of(session);
  if (!s) return sinkq::handle_error(session);
  s->session.reset();
  return SINKQ_OK;
}

sinkq_status sinkq_sampler_init(sinkq_sampler* sampler, float temperature, uint64_t seed) {
  if (!sampler) return sinkq::to_c(Status::kInvalidArgument);
  SamplerHandle* h = new (sampler->opaque.bytes) SamplerHandle{0, sinkq::Sampler(0.f, seed)};
  // Finite and not negative (NaN fails both comparisons).
  if (!(temperature >= 0.f) || !(temperature <= FLT_MAX)) return sinkq::to_c(Status::kInvalidArgument);
  h->sampler = sinkq::Sampler(temperature, seed);
  h->magic = sinkq::kSamplerMagic;
  return SINKQ_OK;
}

sinkq_status sinkq_sample(sinkq_sampler* sampler, const sinkq_session* session, int32_t* token) {
  if (!sampler || !token) return sinkq::to_c(Status::kInvalidArgument);
  SamplerHandle* p = reinterpret_cast<SamplerHandle*>(sampler->opaque.bytes);
  if (p->magic != sinkq::kSamplerMagic) return sinkq::to_c(Status::kNotInitialized);
  const SessionHandle* s = sinkq::session_of(session);
  if (!s) return sinkq::handle_error(session);
  const float* logits = s->session.logits();
  // No logits yet (nothing run, or the last call failed).
  if (!logits) return sinkq::to_c(Status::kEmptyInput);
  *token = p->sampler.sample(logits, s->session.vocab_size());
  return SINKQ_OK;
}

sinkq_status sinkq_encode(const sinkq_model* model, const char* text, size_t len, int add_bos,
                          int add_eos, int32_t* tokens, size_t capacity, size_t* n_tokens) {
  const ModelHandle* h = sinkq::model_of(model);
  if (!h) return sinkq::handle_error(model);
  if ((!text && len) || !tokens || !n_tokens) return sinkq::to_c(Status::kInvalidArgument);
  return sinkq::to_c(h->tokenizer.encode(text ? text : "", len, add_bos != 0, add_eos != 0, tokens,
                                         capacity, n_tokens));
}

sinkq_status sinkq_token_piece(const sinkq_model* model, int32_t prev, int32_t token,
                               const char** piece, size_t* len) {
  const ModelHandle* h = sinkq::model_of(model);
  if (!h) return sinkq::handle_error(model);
  if (!piece || !len) return sinkq::to_c(Status::kInvalidArgument);
  sinkq::Piece p = {"", 0};
  const Status st = h->tokenizer.decode(prev, token, &p);
  *piece = p.data;
  *len = p.size;
  return sinkq::to_c(st);
}

const char* sinkq_kernel_family(void) { return SINKQ_KERNEL_FAMILY_NAME; }

}  // extern "C"
