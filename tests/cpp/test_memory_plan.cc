// The activation memory plan: tensors alive at the same time never overlap,
// tensors with disjoint lifetimes share bytes, offsets are aligned, and the
// real MobileNets need far less than one buffer per tensor. InvokePrefix
// (running the first operators only) leaves what a full run leaves.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "api/model.h"
#include "runtime/memory_plan.h"
#include "test_util.h"

using namespace qwasm;
using namespace qwasm::testing;

namespace {

bool Overlap(const BufferLifetime& a, size_t oa, const BufferLifetime& b, size_t ob) {
  const bool alive_together = !(a.last < b.first || b.last < a.first);
  const bool bytes_overlap = oa < ob + b.bytes && ob < oa + a.bytes;
  return alive_together && bytes_overlap && a.bytes > 0 && b.bytes > 0;
}

}  // namespace

TEST_CASE("memory plan: a chain reuses two slots; hand-checked offsets") {
  // in(100) -> op0 -> t1(60) -> op1 -> t2(100) -> op2 -> out(40): a chain
  // needs only the largest producer/consumer pair alive at once.
  const std::vector<BufferLifetime> b = {{100, 0, 0}, {60, 0, 1}, {100, 1, 2}, {40, 2, 3}};
  const MemoryPlan p = PlanMemory(b, 4);
  // Largest first: in at 0; t2 (alive 1..2) does not meet in (0..0): also 0;
  // t1 (0..1) meets both: after them at 100; out (2..3) meets t2: at 100.
  CHECK(p.offsets == std::vector<size_t>{0, 100, 0, 100});
  CHECK(p.arena_bytes == 160);
}

TEST_CASE("memory plan: random lifetimes never overlap, offsets aligned") {
  std::mt19937 rng(3);
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<BufferLifetime> b(1 + rng() % 40);
    size_t sum = 0;
    for (BufferLifetime& x : b) {
      x.bytes = rng() % 5000;
      x.first = static_cast<int>(rng() % 30);
      x.last = x.first + static_cast<int>(rng() % 6);
      sum += (x.bytes + 63) / 64 * 64;
    }
    const MemoryPlan p = PlanMemory(b, 64);
    REQUIRE(p.offsets.size() == b.size());
    CHECK(p.arena_bytes <= sum);
    for (size_t i = 0; i < b.size(); ++i) {
      CHECK(p.offsets[i] % 64 == 0);
      CHECK(p.offsets[i] + b[i].bytes <= p.arena_bytes);
      for (size_t j = i + 1; j < b.size(); ++j) CHECK_FALSE(Overlap(b[i], p.offsets[i], b[j], p.offsets[j]));
    }
  }
}

TEST_CASE("memory plan: MobileNetV2's arena is a fraction of its tensors") {
  Result<std::unique_ptr<Model>> m = Model::Load(ReadFile(SharedPath("models/mobilenet_v2_1.0_224_quant.tflite")));
  REQUIRE(m.ok());
  const Interpreter& it = m.value()->interpreter();
  // 7.0 MB of activations; the plan needs exactly what its largest op
  // needs, the expanded 112x112x96 tensor and the stride-2 depthwise output
  // 56x56x96 made from it: no plan can do better.
  CHECK(it.unplanned_bytes() > 7000000);
  CHECK(it.arena_bytes() == 112 * 112 * 96 + 56 * 56 * 96);
  MESSAGE("MobileNetV2 arena " << it.arena_bytes() << " bytes, one buffer per tensor "
                               << it.unplanned_bytes());
}

TEST_CASE("InvokePrefix: the first ops' tensors hold what a full run gives them") {
  // The quantizer's sequential learned rounding reads a layer's input after
  // running only the operators before it.
  auto bytes = std::make_shared<const std::vector<uint8_t>>(ReadFile(SharedPath("models/mobilenet_v2_1.0_224_quant.tflite")));
  InterpreterOptions o;
  o.share_memory = false;
  o.fuse = false;
  Result<std::unique_ptr<Graph>> g1 = ReadAnyModel(bytes), g2 = ReadAnyModel(bytes);
  REQUIRE(g1.ok());
  REQUIRE(g2.ok());
  Result<std::unique_ptr<Interpreter>> full = Interpreter::Create(g1.take(), o), part = Interpreter::Create(g2.take(), o);
  REQUIRE(full.ok());
  REQUIRE(part.ok());
  for (Interpreter* it : {full.value().get(), part.value().get()}) {
    std::mt19937 same(3);
    for (size_t i = 0; i < it->input_bytes(0); ++i) it->input_buffer(0)[i] = static_cast<uint8_t>(same());
  }
  full.value()->Invoke();
  const size_t ops = 12;
  part.value()->InvokePrefix(ops);
  const Graph& g = part.value()->graph();
  REQUIRE(g.nodes.size() > ops + 1);
  for (size_t i = 0; i < ops; ++i) {
    const int32_t t = g.nodes[i].outputs[0];
    const size_t n = g.tensors[t].num_bytes();
    CHECK(std::memcmp(part.value()->tensor_data(t), full.value()->tensor_data(t), n) == 0);
  }
}
