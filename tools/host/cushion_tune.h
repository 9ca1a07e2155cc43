// CushionCache prefix-KV tuning (Son et al., 2024, arXiv 2406.12016, step
// 2): the cushion's per-layer K and V are free parameters, initialized from
// the searched prefix, and minimize on calibration text
//
//   L = LM loss of the tokens after the prefix + lambda * L_q,
//
// with the gradient taken through every layer by a hand-written backward pass
// of the LLaMA forward (activations only; the weights stay fixed). Double
// precision on the host, no autograd.
//
// L_q is a smooth stand-in for the per-tensor static quantization error of
// the activations at the quantization sites (quant.h: the four linear-layer
// inputs of every block and the classifier input). Rounding to a grid of step
// s = max|x| / 127 adds noise of variance s^2 / 12, so the relative squared
// error of a site is about max|x|^2 / (12 * 127^2 * mean x^2). The max has a
// gradient at one element only, so it is replaced by the power mean
// M_p = (mean |x|^p)^(1/p), which is dominated by the largest values but
// differentiable everywhere:
//
//   L_q = sum over sites of M_p(x)^2 / (12 * 127^2 * mean x^2)
//
// over the site's values for all tokens of a calibration sample. With p = 0
// M is the max itself (its subgradient reaches only the largest element):
// exactly the error estimate above. A single outlier among N values weighs
// only N^(-1/p) in M_p (1/3.5 for p = 8 over 128 tokens x 172 channels), so
// the default is the max.
#ifndef SINKQ_TOOLS_CUSHION_TUNE_H_
#define SINKQ_TOOLS_CUSHION_TUNE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cushion.h"
#include "sinkq/model.h"

namespace sinkq {
namespace host {

// The fp32 weights of a model, in double.
struct HostLlama {
  ModelConfig c;
  struct Layer {
    std::vector<double> rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3;
  };
  std::vector<Layer> layers;
  std::vector<double> emb, rms_final, wcls;  // wcls == emb when shared
  std::vector<double> freq;                  // [head_size / 2] RoPE frequencies
};
// Needs the fp32 weights in the file.
std::string host_llama(const Model& model, HostLlama* out);

// Prefix K (after RoPE) and V, [n_layers][length][kv_dim] each.
struct PrefixKv {
  uint32_t length = 0;
  std::vector<double> k, v;
};

struct PrefixLoss {
  double lm = 0;     // mean negative log-likelihood of the targets
  double quant = 0;  // L_q
  double total = 0;  // lm + lambda * quant
};


// One sample: `input` runs at positions prefix.length .. +n-1 after the
// prefix; `targets[t]` is the token predicted after input[t]. Fills `loss`;
// with `grad` non-null, adds dL/dK and dL/dV of the prefix to grad->k, ->v
// (sized like prefix). With `logits` non-null, stores the logits [n][vocab].
void prefix_loss(const HostLlama& m, const PrefixKv& prefix, const std::vector<int32_t>& input,
                 const std::vector<int32_t>& targets, double lambda, PrefixLoss* loss,
                 PrefixKv* grad, std::vector<double>* logits = nullptr, double power = 0);

struct TuneOptions {
  uint32_t steps = 200;
  double lr = 1e-2;       // Adam, beta1 0.9, beta2 0.999, eps 1e-8
  double lambda = 100.0;  // weight of L_q
  double power = 0;       // p of the power mean in L_q; 0: the max
  uint32_t threads = 2;   // samples are split over threads
  // Called every step: (step, loss averaged over the samples).
  std::function<void(uint32_t, const PrefixLoss&)> progress;
};

// Tunes `kv` (from the searched prefix) in place on `samples` (each run as
// [BOS, tokens] scoring every token); returns "" or an error.
std::string tune_cushion(const Model& model, const std::vector<std::vector<int32_t>>& samples,
                         const TuneOptions& o, CushionKv* kv, PrefixLoss* first, PrefixLoss* last);

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_CUSHION_TUNE_H_
