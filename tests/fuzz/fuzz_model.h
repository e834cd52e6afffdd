// fuzz_model.h — shared body of the model-reader fuzz targets: the bytes go
// through the product's own entry (Model::Load: format detection, reader,
// graph validation, planning), so every check a hostile file meets in the
// browser is exercised here too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "api/model.h"

namespace qwasm::fuzz {

inline void LoadModel(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  auto model = Model::Load(std::move(bytes));
  (void)model;
}

}  // namespace qwasm::fuzz
