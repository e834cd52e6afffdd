// tflite_metadata.h — TFLite model metadata: the "TFLITE_METADATA" buffer
// (a flatbuffer of tflite-support's metadata_schema.fbs, identifier "M001")
// and the ZIP archive of associated files appended to the model.
//
// Extracted: name / description / version / author / license, the input's
// normalisation (NormalizationOptions mean / std) and the output's class
// labels (the first TENSOR_AXIS_LABELS file). A label file that the metadata
// names but the file does not contain intact is an error: the model file is
// truncated or damaged.
#pragma once

#include <vector>

#include "core/status.h"
#include "graph/metadata.h"
#include "import/flatbuffer.h"

namespace qwasm::tflite {

// `model` is the root Model table of `file`; `buffers` its buffer contents.
Status ReadMetadata(fb::Bytes file, const fb::Table& model, const std::vector<fb::Bytes>& buffers,
                    ModelMetadata* out);

}  // namespace qwasm::tflite
