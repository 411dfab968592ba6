#include "util/quantity.h"

#include <gtest/gtest.h>

namespace pop {
using Json = nlohmann::json;

namespace {

TEST(Quantity, MemoryForms) {
  EXPECT_EQ(*memory_bytes_from(Json(1024)), 1024);
  EXPECT_EQ(*memory_bytes_from(Json("256Mi")), 256LL << 20);
  EXPECT_EQ(*memory_bytes_from(Json("1.5Gi")), 3LL << 29);
  EXPECT_EQ(*memory_bytes_from(Json("2G")), 2000000000);
  EXPECT_EQ(*memory_bytes_from(Json("64k")), 64000);
  EXPECT_EQ(*memory_bytes_from(Json("12345")), 12345);
}

TEST(Quantity, MemoryRefusals) {
  for (const Json& bad :
       {Json("0"), Json(0), Json(-5), Json("1.5"), Json("Mi"), Json("12 Mi"), Json("-1Mi"),
        Json("1e3"), Json("0x10"), Json("5Xi"), Json(true), Json("9999999Pi"), Json(1.5)}) {
    auto bytes = memory_bytes_from(bad);
    EXPECT_FALSE(bytes.has_value()) << bad.dump();
    if (!bytes) {
      EXPECT_NE(bytes.error().message.find("memory quantity"), std::string::npos);
    }
  }
}

TEST(Quantity, CpuForms) {
  EXPECT_DOUBLE_EQ(*cpu_cores_from(Json(2)), 2);
  EXPECT_DOUBLE_EQ(*cpu_cores_from(Json(0.5)), 0.5);
  EXPECT_DOUBLE_EQ(*cpu_cores_from(Json("500m")), 0.5);
  EXPECT_DOUBLE_EQ(*cpu_cores_from(Json("1.25")), 1.25);
  EXPECT_EQ(cpu_quantity(0.5), "500m");
  EXPECT_EQ(cpu_quantity(2), "2000m");
  EXPECT_EQ(memory_quantity(1024), "1024");
}

TEST(Quantity, CpuRefusals) {
  for (const Json& bad : {Json(0), Json("0m"), Json("0.1m"), Json(-1), Json("m"), Json("1 m"),
                          Json("2cores"), Json(nullptr)}) {
    auto cores = cpu_cores_from(bad);
    EXPECT_FALSE(cores.has_value()) << bad.dump();
    if (!cores) {
      EXPECT_NE(cores.error().message.find("cpu quantity"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace pop
