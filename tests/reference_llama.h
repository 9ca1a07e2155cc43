// An independent double-precision LLaMA (plain loops, no code shared with
// lib/), read straight from the llama2.c checkpoint. Optional fake
// quantization turns it into a W8A8 reference: weights replaced by their int8
// values times scale, site inputs rounded to the int8 grid.
#ifndef SINKQ_TESTS_REFERENCE_LLAMA_H_
#define SINKQ_TESTS_REFERENCE_LLAMA_H_

#include <cstdint>
#include <functional>
#include <vector>

namespace sinkq {
namespace test {

struct RefModel {
  int dim, hidden, layers, heads, kv_heads, vocab, seq;
  std::vector<double> emb, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final;
};

bool read_reference(RefModel* m);  // stories260K.bin from the shared directory

// Called with every site input (layer, site index as in quant.h, values); may
// modify them in place (fake quantization). layer == layers: classifier input.
using SiteHook = std::function<void(int layer, int site, std::vector<double>* x)>;

// The keys the token at index `pos` attends to besides itself, as (index of
// the key's token, position its key is rotated to); the query is rotated to
// `pos`. Without one, every earlier token at its own index.
using Attends = std::function<std::vector<std::pair<int, int>>(int pos)>;

// Logits after every token of `tokens`.
std::vector<std::vector<double>> ref_logits(const RefModel& m, const std::vector<int32_t>& tokens,
                                            const SiteHook& hook = nullptr,
                                            const Attends& attends = nullptr);

// Symmetric int8 fake quantization with ties to even, clamped to [-127, 127].
double fake_quant(double x, double scale);

}  // namespace test
}  // namespace sinkq

#endif  // SINKQ_TESTS_REFERENCE_LLAMA_H_
