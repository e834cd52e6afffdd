#include "format/qwm_format.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "graph/op.h"
#include "graph/validate.h"

namespace qwasm::qwm {

std::string SectionName(uint32_t type) {
  const char c[4] = {char(type), char(type >> 8), char(type >> 16), char(type >> 24)};
  bool printable = true;
  for (char ch : c) printable = printable && ch >= 0x20 && ch < 0x7F;
  if (printable) return std::string(c, 4);
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08X", static_cast<unsigned>(type));
  return hex;
}

bool LooksLikeQwm(const uint8_t* data, size_t size) {
  if (size == 0) return false;
  return std::memcmp(data, kMagic, size < sizeof kMagic ? size : sizeof kMagic) == 0;
}

namespace {

// Offset of the first byte that is not well-formed UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF included), or npos.
size_t InvalidUtf8At(const std::string& s) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
    else return i;
    if (n - i < len) return i;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return i;
      cp = cp << 6 | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string::npos;
}

Status CheckFloat(float v, const char* what) {
  if (std::isnan(v)) return Status::Error(std::string(what) + " is NaN");
  return Status::Ok();
}

}  // namespace

std::string QuotedName(const std::string& name) {
  return CheckString(name).ok() ? " '" + name + "'" : "";
}

std::string FloatString(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

Status CheckString(const std::string& s) {
  if (s.size() > kMaxStringBytes) {
    return Status::Error("string of " + std::to_string(s.size()) + " bytes is over the limit of " +
                         std::to_string(kMaxStringBytes));
  }
  const size_t bad = InvalidUtf8At(s);
  if (bad != std::string::npos) return Status::Error("string is not valid UTF-8 at byte " + std::to_string(bad));
  return Status::Ok();
}

Status CheckTensor(const Tensor& t) {
  QW_RETURN_IF_ERROR(CheckString(t.name).With("name"));
  if (!FindByValue(kDTypeIds, t.dtype)) return Status::Error("dtype has no .qwm id");
  if (t.shape.size() > kMaxRank) {
    return Status::Error("rank " + std::to_string(t.shape.size()) + " is over the limit of " +
                         std::to_string(kMaxRank));
  }
  int64_t elements = 1;
  for (int32_t d : t.shape) {
    if (d < 1) return Status::Error("shape " + ShapeString(t.shape) + " has a dimension < 1");
    elements *= d;
    if (elements > kMaxTensorElements) {
      return Status::Error("shape " + ShapeString(t.shape) + " has over " + std::to_string(kMaxTensorElements) +
                           " elements");
    }
  }
  const size_t bytes = DTypeBytes(t.dtype, static_cast<size_t>(elements));
  if (t.is_constant() && t.data_bytes != bytes) {
    return Status::Error("holds " + std::to_string(t.data_bytes) + " bytes of data, but shape " + ShapeString(t.shape) +
                         " of " + DTypeName(t.dtype) + " needs " + std::to_string(bytes));
  }
  const QuantInfo& q = t.quant;
  if (q.scale.size() != q.zero_point.size()) {
    return Status::Error("quantization has " + std::to_string(q.scale.size()) + " scales but " +
                         std::to_string(q.zero_point.size()) + " zero points");
  }
  if (q.scale.size() > 1) {
    if (q.axis < 0 || q.axis >= static_cast<int>(t.shape.size()) ||
        static_cast<size_t>(t.shape[q.axis]) != q.scale.size()) {
      return Status::Error("quantization has " + std::to_string(q.scale.size()) + " scales for axis " +
                           std::to_string(q.axis) + " of shape " + ShapeString(t.shape));
    }
  } else if (q.axis < 0 || q.axis >= static_cast<int>(kMaxRank)) {
    return Status::Error("quantization axis " + std::to_string(q.axis) + " is out of range");
  }
  for (float s : q.scale) {
    if (!(s > 0.0f) || !std::isfinite(s)) {
      return Status::Error("quantization scale " + FloatString(s) + " is not positive and finite");
    }
  }
  if (t.was_uint8 && (t.dtype != DType::kInt8 || !q.quantized())) {
    return Status::Error("is marked as converted from uint8 but is not a quantized int8 tensor");
  }
  if (t.codebook_groups() > kMaxCodebookGroups) {
    return Status::Error("has " + std::to_string(t.codebook_groups()) + " codebook groups, over the limit of " +
                         std::to_string(kMaxCodebookGroups));
  }
  return CheckPackedWeights(t);
}

Status CheckAttrs(const OpAttrs& a) {
  if (!FindByValue(kPaddingIds, a.padding)) return Status::Error("padding has no .qwm id");
  if (!FindByValue(kActivationIds, a.activation)) return Status::Error("activation has no .qwm id");
  QW_RETURN_IF_ERROR(CheckFloat(a.beta, "beta"));
  QW_RETURN_IF_ERROR(CheckFloat(a.pad_value, "pad_value"));
  QW_RETURN_IF_ERROR(CheckFloat(a.clamp_min, "clamp_min"));
  QW_RETURN_IF_ERROR(CheckFloat(a.clamp_max, "clamp_max"));
  QW_RETURN_IF_ERROR(CheckFloat(a.hard_alpha, "hard_alpha"));
  QW_RETURN_IF_ERROR(CheckFloat(a.hard_beta, "hard_beta"));
  if (a.perm.size() > kMaxRank) {
    return Status::Error("perm has " + std::to_string(a.perm.size()) + " entries, over the rank limit " +
                         std::to_string(kMaxRank));
  }
  if (a.paddings.size() > 2 * kMaxRank) {
    return Status::Error("paddings has " + std::to_string(a.paddings.size()) + " entries, over the limit of " +
                         std::to_string(2 * kMaxRank));
  }
  return Status::Ok();
}

Status CheckNode(const Node& n, size_t num_tensors) {
  if (!FindOpDef(n.op)) return Status::Error("op type has no .qwm id");
  QW_RETURN_IF_ERROR(CheckString(n.name).With("name"));
  if (n.inputs.size() > kMaxNodeTensors || n.outputs.size() > kMaxNodeTensors) {
    return Status::Error("has over " + std::to_string(kMaxNodeTensors) + " inputs or outputs");
  }
  const std::string tensors = " (" + std::to_string(num_tensors) + " tensors)";
  for (int32_t id : n.inputs) {
    if (id < -1 || (id >= 0 && static_cast<size_t>(id) >= num_tensors)) {
      return Status::Error("input index " + std::to_string(id) + " out of range" + tensors);
    }
  }
  for (int32_t id : n.outputs) {
    if (id < 0 || static_cast<size_t>(id) >= num_tensors) {
      return Status::Error("output index " + std::to_string(id) + " out of range" + tensors);
    }
  }
  return CheckAttrs(n.attrs);
}

Status CheckMetadata(const ModelMetadata& m) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"name", &m.name}, {"description", &m.description}, {"version", &m.version},
      {"author", &m.author}, {"license", &m.license}, {"producer", &m.producer}};
  for (const auto& f : fields) QW_RETURN_IF_ERROR(CheckString(*f.second).With(f.first));
  if (m.labels.size() > kMaxLabels) return Status::Error("over " + std::to_string(kMaxLabels) + " labels");
  for (size_t i = 0; i < m.labels.size(); ++i) {
    QW_RETURN_IF_ERROR(CheckString(m.labels[i]).With("label " + std::to_string(i)));
  }
  if (m.notes.size() > kMaxNotes) return Status::Error("over " + std::to_string(kMaxNotes) + " notes");
  for (size_t i = 0; i < m.notes.size(); ++i) {
    QW_RETURN_IF_ERROR(CheckString(m.notes[i]).With("note " + std::to_string(i)));
  }
  if (!FindByValue(kLayoutIds, m.layout)) return Status::Error("input layout has no .qwm id");
  if (!FindByValue(kColorIds, m.color)) return Status::Error("colour order has no .qwm id");
  if (m.input_height < 0 || m.input_width < 0 || m.input_channels < 0) {
    return Status::Error("input size " + std::to_string(m.input_height) + "x" + std::to_string(m.input_width) + "x" +
                         std::to_string(m.input_channels) + " is negative");
  }
  if (!(m.crop_fraction >= 0.0f && m.crop_fraction <= 1.0f)) {
    return Status::Error("crop fraction " + FloatString(m.crop_fraction) + " is outside [0, 1]");
  }
  // Model::Load reads std[c] whenever mean is present: both or neither.
  if (m.mean.size() > kMaxNormChannels || m.std.size() > kMaxNormChannels || m.mean.empty() != m.std.empty()) {
    return Status::Error("input normalisation has " + std::to_string(m.mean.size()) + " means and " +
                         std::to_string(m.std.size()) + " standard deviations (0 or 1.." +
                         std::to_string(kMaxNormChannels) + " of each)");
  }
  for (float v : m.mean) {
    if (!std::isfinite(v)) return Status::Error("input mean " + FloatString(v) + " is not finite");
  }
  for (float v : m.std) {
    if (!(v > 0.0f) || !std::isfinite(v)) {
      return Status::Error("input standard deviation " + FloatString(v) + " is not positive and finite");
    }
  }
  return Status::Ok();
}

}  // namespace qwasm::qwm
