// Runs the library end to end (load, tokenizer, session, generation) with an
// arena from static storage while malloc, free and operator new abort. glibc
// lets an executable interpose malloc; before and after the armed window the
// calls go to glibc's own allocator.
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "host/io.h"
#include "host/llama2c.h"
#include "sinkq/sampler.h"
#include "sinkq/session.h"
#include "sinkq/tokenizer.h"

extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);
extern "C" void __libc_free(void*);
extern "C" void* __libc_memalign(size_t, size_t);

static volatile bool g_armed = false;

static void trap(const char* what) {
  if (g_armed) {
    static const char msg[] = "heap use inside the library: ";
    fwrite(msg, 1, sizeof msg - 1, stderr);
    fputs(what, stderr);
    fputc('\n', stderr);
    std::_Exit(3);
  }
}

extern "C" void* malloc(size_t n) { trap("malloc"); return __libc_malloc(n); }
extern "C" void* calloc(size_t a, size_t b) { trap("calloc"); return __libc_calloc(a, b); }
extern "C" void* realloc(void* p, size_t n) { trap("realloc"); return __libc_realloc(p, n); }
extern "C" void free(void* p) { trap("free"); __libc_free(p); }
extern "C" void* aligned_alloc(size_t a, size_t n) { trap("aligned_alloc"); return __libc_memalign(a, n); }
void* operator new(size_t n) { trap("operator new"); return __libc_malloc(n ? n : 1); }
void* operator new[](size_t n) { trap("operator new[]"); return __libc_malloc(n ? n : 1); }
void operator delete(void* p) noexcept { trap("operator delete"); __libc_free(p); }
void operator delete[](void* p) noexcept { trap("operator delete[]"); __libc_free(p); }
void operator delete(void* p, size_t) noexcept { trap("operator delete"); __libc_free(p); }
void operator delete[](void* p, size_t) noexcept { trap("operator delete[]"); __libc_free(p); }

alignas(64) static uint8_t g_arena[1 << 20];

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::vector<uint8_t> ck, tk;
  sinkq::host::Llama2cModel m;
  sinkq::host::Llama2cVocab v;
  if (!sinkq::host::read_file(argv[1], &ck) || !sinkq::host::read_file(argv[2], &tk) ||
      !sinkq::host::read_llama2c_checkpoint(ck, &m).empty() ||
      !sinkq::host::read_llama2c_tokenizer(tk, m.config.vocab_size, &v).empty()) {
    std::fprintf(stderr, "cannot read the stories260K checkpoint\n");
    return 1;
  }
  sinkq::host::AlignedBuffer file(sinkq::host::build_sqm(m, v));

  g_armed = true;  // from here on, only library code runs
  sinkq::Model model;
  sinkq::Session s;
  sinkq::Tokenizer tok;
  sinkq::SessionOptions opt;
  opt.context = 128;
  size_t need = 0;
  int32_t ids[64];
  size_t n = 0;
  static const char prompt[] = "Once upon a time";
  bool ok = sinkq::Model::load(file.data(), file.size(), &model) == sinkq::Status::kOk &&
            tok.init(model) == sinkq::Status::kOk &&
            tok.encode(prompt, sizeof prompt - 1, true, false, ids, 64, &n) == sinkq::Status::kOk &&
            sinkq::Session::required_bytes(model, opt, &need) == sinkq::Status::kOk &&
            need <= sizeof g_arena &&
            s.init(model, opt, g_arena, sizeof g_arena) == sinkq::Status::kOk &&
            s.prefill(ids, n) == sinkq::Status::kOk;
  sinkq::Sampler sampler(0.8f, 7);
  for (int i = 0; ok && i < 32; ++i) ok = s.decode(sampler.sample(s.logits(), 512)) == sinkq::Status::kOk;
  // Again with a 3-bit KV cache and a sink table.
  opt.kv.bits = 3;
  opt.kv.key_block = 16;
  opt.kv.sinks = sinkq::SinkPolicy::kPreserveFirstN;
  opt.kv.preserve_first = 1;
  opt.kv.sink_slots = 2;
  ok = ok && s.init(model, opt, g_arena, sizeof g_arena) == sinkq::Status::kOk &&
       s.prefill(ids, n) == sinkq::Status::kOk;
  for (int i = 0; ok && i < 32; ++i) ok = s.decode(sampler.sample(s.logits(), 512)) == sinkq::Status::kOk;
  // And rolling through three contexts of 64 (the ring, RoPE rows beyond the
  // context, the sinks' back-rotation).
  opt.context = 64;
  opt.rolling = true;
  ok = ok && s.init(model, opt, g_arena, sizeof g_arena) == sinkq::Status::kOk &&
       s.prefill(ids, n) == sinkq::Status::kOk;
  for (int i = 0; ok && i < 192; ++i) ok = s.decode(sampler.sample(s.logits(), 512)) == sinkq::Status::kOk;
  g_armed = false;

  if (!ok) {
    std::fprintf(stderr, "library run failed\n");
    return 1;
  }
  std::printf("library ran %u tokens with no heap use (arena %zu bytes)\n", s.position(), need);
  return 0;
}
