// The per-channel clamp families (qs8_channel_clamp, f32_channel_clamp) on
// every kernel table: channel counts around the vector widths, rows, upper
// bounds below the lower one, NaN and infinities.
#include "kernels/channel-clamp-tester.h"

using namespace qwasm;
using namespace qwasm::testing;

QWASM_KERNEL_TEST("qs8_channel_clamp: channel counts around 16, rows, bounds at the extremes") {
  for (size_t channels : {1, 3, 4, 15, 16, 17, 31, 32, 33, 96}) {
    for (size_t rows : {1, 2, 7}) {
      QChannelClampTester().rows(rows).channels(channels).seed(static_cast<uint32_t>(channels)).Test(config);
      QChannelClampTester().rows(rows).channels(channels).lo(-128).hi_min(100).Test(config);
      QChannelClampTester().rows(rows).channels(channels).lo(127).Test(config);
    }
  }
}

QWASM_KERNEL_TEST("f32_channel_clamp: channel counts around 4, rows, NaN and infinities") {
  for (size_t channels : {1, 3, 4, 5, 15, 16, 17, 33, 96}) {
    for (size_t rows : {1, 2, 7}) {
      F32ChannelClampTester().rows(rows).channels(channels).seed(static_cast<uint32_t>(channels)).Test(config);
      F32ChannelClampTester().rows(rows).channels(channels).specials(4).lo(0.0f).iterations(2).Test(config);
      F32ChannelClampTester().rows(rows).channels(channels).lo(-std::numeric_limits<float>::infinity())
          .Test(config);
    }
  }
}
