// Reading llama2.c checkpoints and tokenizers (layouts in
// ../shared/models/SOURCES.md) and converting them to .sqm.
#ifndef SINKQ_TOOLS_LLAMA2C_H_
#define SINKQ_TOOLS_LLAMA2C_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sqm_writer.h"

namespace sinkq {
namespace host {

struct Llama2cModel {
  ModelConfig config;
  // fp32 tensors, per layer split, in the .sqm kinds.
  std::vector<Tensor> tensors;
};

struct Llama2cVocab {
  std::vector<std::string> pieces;
  std::vector<float> scores;
};

// Returns an empty string on success, else a message.
std::string read_llama2c_checkpoint(const std::vector<uint8_t>& file, Llama2cModel* out);
std::string read_llama2c_tokenizer(const std::vector<uint8_t>& file, uint32_t vocab_size,
                                   Llama2cVocab* out);

// Assembles a complete fp32 .sqm file.
std::vector<uint8_t> build_sqm(const Llama2cModel& model, const Llama2cVocab& vocab);

}  // namespace host
}  // namespace sinkq

#endif  // SINKQ_TOOLS_LLAMA2C_H_
