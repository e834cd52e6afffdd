// moved out of test_lowbit_weights.cc for the expand family tester
TEST_CASE("weight expansion: lut4 / int4 and lut8 SIMD equal the reference at every size and offset") {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<uint8_t> packed(1200);
  for (uint8_t& b : packed) b = static_cast<uint8_t>(byte(rng));
  int8_t table16[16], table256[256];
  for (int8_t& t : table16) t = static_cast<int8_t>(byte(rng));
  for (int8_t& t : table256) t = static_cast<int8_t>(byte(rng));
  table16[0] = -128, table16[15] = 127, table256[0] = -128, table256[255] = 127;
  for (const int8_t* t16 : {static_cast<const int8_t*>(table16), kInt4Table}) {
    for (size_t first : {0, 1, 2, 3, 31, 32, 33}) {
      for (size_t n = 0; n < 140; ++n) {
        std::vector<int8_t> ref(n + 1, 5), fast(n + 1, 5);
        qs8_expand_lut4__ref(packed.data(), first, n, t16, ref.data());
        qs8_expand_lut4__wasmsimd(packed.data(), first, n, t16, fast.data());
        REQUIRE(ref == fast);  // the guard element stays untouched too
        if (n > 0) CHECK(ref[0] == t16[first % 2 ? packed[first / 2] >> 4 : packed[first / 2] & 15]);
      }
    }
    // Long runs ending exactly at the buffer's last byte.
    std::vector<int8_t> ref(2 * packed.size() - 1), fast(ref.size());
    qs8_expand_lut4__ref(packed.data(), 1, ref.size(), t16, ref.data());
    qs8_expand_lut4__wasmsimd(packed.data(), 1, ref.size(), t16, fast.data());
    CHECK(ref == fast);
  }
  CHECK(kInt4Table[0x8] == -8);
  CHECK(kInt4Table[0xF] == -1);
  for (size_t first : {0, 1, 7}) {
    for (size_t n = 0; n < 100; ++n) {
      std::vector<int8_t> ref(n + 1, 5), fast(n + 1, 5);
      qs8_expand_lut8__ref(packed.data() + first, n, table256, ref.data());
      qs8_expand_lut8__wasmsimd(packed.data() + first, n, table256, fast.data());
      REQUIRE(ref == fast);
    }
  }
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(255 - i);
  std::vector<int8_t> out(256);
  qs8_expand_lut8__wasmsimd(all.data(), 256, table256, out.data());
  for (int i = 0; i < 256; ++i) REQUIRE(out[i] == table256[255 - i]);
}

