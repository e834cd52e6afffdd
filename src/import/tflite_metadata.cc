#include "import/tflite_metadata.h"

#include <cmath>

#include "import/zip_reader.h"

namespace qwasm::tflite {
namespace {

using fb::Table;
using fb::Vector;

// Field ids (tflite schema.fbs and tflite-support metadata_schema.fbs).
constexpr int kModelMetadataList = 6;
constexpr int kMetadataName = 0, kMetadataBuffer = 1;
constexpr int kMetaName = 0, kMetaDescription = 1, kMetaVersion = 2, kMetaSubgraphs = 3,
              kMetaAuthor = 4, kMetaLicense = 5;
constexpr int kSubgraphInputs = 2, kSubgraphOutputs = 3;
constexpr int kTensorContent = 3, kTensorProcessUnits = 4, kTensorAssociatedFiles = 6;
constexpr int kContentPropertiesType = 0, kContentProperties = 1;
constexpr uint8_t kImageProperties = 2;
constexpr int kImageColorSpace = 0;
constexpr int8_t kColorRGB = 1, kColorGrayscale = 2;
constexpr int kProcessUnitType = 0, kProcessUnitOptions = 1;
constexpr uint8_t kNormalizationOptions = 1;
constexpr int kNormMean = 0, kNormStd = 1;
constexpr int kFileName = 0, kFileType = 2;
constexpr int8_t kTensorAxisLabels = 2;

#define QW_TRY(var, expr) QW_ASSIGN_OR_RETURN(var, expr, "tflite metadata")

// The first tensor-metadata table of a subgraph's input or output list.
Result<Table> FirstTensor(const Table& subgraph, int field, bool* present) {
  *present = false;
  Result<Vector> list = subgraph.VectorField(field, 4);
  if (!list.ok()) return list.status();
  if (list.value().count == 0) return Table();
  *present = true;
  return Table::TableAt(list.value(), 0);
}

Status ReadNormalization(const Table& tensor, ModelMetadata* out) {
  QW_TRY(units, tensor.VectorField(kTensorProcessUnits, 4));
  for (uint32_t i = 0; i < units.count; ++i) {
    QW_TRY(unit, Table::TableAt(units, i));
    QW_TRY(type, unit.Scalar<uint8_t>(kProcessUnitType, 0));
    if (type != kNormalizationOptions) continue;
    bool present = false;
    QW_TRY(norm, unit.SubTable(kProcessUnitOptions, &present));
    if (!present) continue;
    QW_TRY(mean, norm.VectorField(kNormMean, 4));
    QW_TRY(stdev, norm.VectorField(kNormStd, 4));
    std::vector<float> m, s;
    for (uint32_t k = 0; k < mean.count; ++k) m.push_back(mean.At<float>(k));
    for (uint32_t k = 0; k < stdev.count; ++k) s.push_back(stdev.At<float>(k));
    bool ok = !m.empty() && !s.empty() && m.size() <= 3 && s.size() <= 3;
    for (float v : m) ok = ok && std::isfinite(v);
    for (float v : s) ok = ok && std::isfinite(v) && v > 0;
    if (!ok) {
      out->notes.push_back("ignored invalid input normalisation in the metadata");
      continue;
    }
    out->mean = m;
    out->std = s;
    return Status::Ok();
  }
  return Status::Ok();
}

// The colour space of an image input (Content.content_properties = ImageProperties).
Status ReadImageProperties(const Table& tensor, ModelMetadata* out) {
  bool present = false;
  QW_TRY(content, tensor.SubTable(kTensorContent, &present));
  if (!present) return Status::Ok();
  QW_TRY(type, content.Scalar<uint8_t>(kContentPropertiesType, 0));
  if (type != kImageProperties) return Status::Ok();
  QW_TRY(image, content.SubTable(kContentProperties, &present));
  if (!present) return Status::Ok();
  QW_TRY(color, image.Scalar<int8_t>(kImageColorSpace, 0));
  if (color == kColorRGB) out->color = ColorOrder::kRGB;
  if (color == kColorGrayscale) out->color = ColorOrder::kGray;
  return Status::Ok();
}

// Name of the output's first TENSOR_AXIS_LABELS file, "" if none.
Result<std::string> LabelFileName(const Table& tensor) {
  Result<Vector> files = tensor.VectorField(kTensorAssociatedFiles, 4);
  if (!files.ok()) return files.status();
  for (uint32_t i = 0; i < files.value().count; ++i) {
    Result<Table> f = Table::TableAt(files.value(), i);
    if (!f.ok()) return f.status();
    Result<int8_t> type = f.value().Scalar<int8_t>(kFileType, 0);
    if (!type.ok()) return type.status();
    if (type.value() == kTensorAxisLabels) return f.value().String(kFileName);
  }
  return std::string();
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

Status ReadLabels(fb::Bytes file, const std::string& name, ModelMetadata* out) {
  const std::string missing = "the model's metadata names the label file '" + name + "'";
  if (!zip::HasArchive(file.data, file.size)) {
    return Status::Error(missing + ", but the file holds no archive of associated files (truncated?)");
  }
  Result<std::vector<zip::Entry>> entries = zip::ReadArchive(file.data, file.size);
  if (!entries.ok()) return entries.status();
  for (const zip::Entry& e : entries.value()) {
    if (e.name != name) continue;
    Result<std::string> text = zip::Extract(e);
    if (!text.ok()) {
      if (e.method != 0) {  // intact but unreadable for us: keep going without labels
        out->notes.push_back(text.status().message());
        return Status::Ok();
      }
      return text.status();
    }
    out->labels = SplitLines(text.value());
    return Status::Ok();
  }
  return Status::Error(missing + ", which its archive lacks");
}

}  // namespace

Status ReadMetadata(fb::Bytes file, const Table& model, const std::vector<fb::Bytes>& buffers,
                    ModelMetadata* out) {
  QW_TRY(list, model.VectorField(kModelMetadataList, 4));
  const fb::Bytes* meta = nullptr;
  for (uint32_t i = 0; i < list.count && !meta; ++i) {
    QW_TRY(entry, Table::TableAt(list, i));
    QW_TRY(name, entry.String(kMetadataName));
    if (name != "TFLITE_METADATA") continue;
    QW_TRY(index, entry.Scalar<uint32_t>(kMetadataBuffer, 0));
    if (index >= buffers.size()) return Status::Error("tflite metadata: buffer index out of range");
    meta = &buffers[index];
  }
  if (!meta) return Status::Ok();
  const fb::Bytes m = *meta;
  if (m.size < 8 || std::string(reinterpret_cast<const char*>(m.data) + 4, 4) != "M001") {
    out->notes.push_back("metadata buffer without the M001 identifier was ignored");
    return Status::Ok();
  }
  QW_TRY(root, Table::Root(m));
  QW_TRY(name, root.String(kMetaName));
  QW_TRY(description, root.String(kMetaDescription));
  QW_TRY(version, root.String(kMetaVersion));
  QW_TRY(author, root.String(kMetaAuthor));
  QW_TRY(license, root.String(kMetaLicense));
  out->name = name;
  out->description = description;
  out->version = version;
  out->author = author;
  out->license = license;
  QW_TRY(subgraphs, root.VectorField(kMetaSubgraphs, 4));
  if (subgraphs.count == 0) return Status::Ok();
  QW_TRY(sg, Table::TableAt(subgraphs, 0));
  bool present = false;
  QW_TRY(input, FirstTensor(sg, kSubgraphInputs, &present));
  if (present) {
    QW_RETURN_IF_ERROR(ReadNormalization(input, out));
    QW_RETURN_IF_ERROR(ReadImageProperties(input, out));
  }
  QW_TRY(output, FirstTensor(sg, kSubgraphOutputs, &present));
  if (!present) return Status::Ok();
  QW_TRY(label_file, LabelFileName(output));
  if (!label_file.empty()) QW_RETURN_IF_ERROR(ReadLabels(file, label_file, out));
  return Status::Ok();
}

}  // namespace qwasm::tflite
