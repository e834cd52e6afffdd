#include "graph/op_registry.h"

namespace qwasm {

#define QWASM_OP_DECLARE(Name) extern const OpDef kOp##Name;
QWASM_OPERATORS(QWASM_OP_DECLARE)
#undef QWASM_OP_DECLARE

namespace {

// Indexed by OpType: the X-macro lists the definitions in enum order.
const OpDef* const kOps[] = {
#define QWASM_OP_ENTRY(Name) &kOp##Name,
    QWASM_OPERATORS(QWASM_OP_ENTRY)
#undef QWASM_OP_ENTRY
};

}  // namespace

const OpDef* FindOpDef(OpType op) {
  const size_t i = static_cast<size_t>(op);
  return i < kOpTypeCount ? kOps[i] : nullptr;
}

const OpDef* FindOpDefByFileId(uint32_t file_id) {
  for (const OpDef* d : kOps) {
    if (d->file_id == file_id) return d;
  }
  return nullptr;
}

const char* OpTypeName(OpType op) {
  const OpDef* d = FindOpDef(op);
  return d ? d->name : "?";
}

}  // namespace qwasm
