#include "kubernetes/object_fields.h"

#include <gtest/gtest.h>

namespace pop::kubernetes {
using Json = nlohmann::json;

namespace {

TEST(ObjectFields, ReadsWhatIsThere) {
  const Json pod = Json::parse(R"({"metadata": {"name": "p", "namespace": "ns",
      "labels": {"pop.role": "executor"}, "annotations": {"pop.insightId": "fast"}}})");
  EXPECT_EQ(metadata_text(pod, "name"), "p");
  EXPECT_EQ(metadata_text(pod, "namespace"), "ns");
  EXPECT_EQ(metadata_entry(pod, "labels", "pop.role"), "executor");
  EXPECT_EQ(metadata_entry(pod, "annotations", "pop.insightId"), "fast");
  EXPECT_EQ(text(pod["metadata"], "name"), "p");
}

// What a broken or hostile answer may hold must read as empty, never throw.
TEST(ObjectFields, MissingNullAndMistypedFieldsReadAsEmpty) {
  for (const char* odd :
       {R"(null)", R"([])", R"({})", R"({"metadata": null})", R"({"metadata": []})",
        R"({"metadata": {"name": 5, "labels": null, "annotations": "x"}})",
        R"({"metadata": {"labels": {"pop.role": {"nested": 1}}}})"}) {
    const Json pod = Json::parse(odd);
    EXPECT_EQ(metadata_text(pod, "name"), "") << odd;
    EXPECT_EQ(metadata_entry(pod, "labels", "pop.role"), "") << odd;
    EXPECT_EQ(metadata_entry(pod, "annotations", "pop.insightId"), "") << odd;
    EXPECT_TRUE(field(pod, "metadata").is_null() || field(pod, "metadata").is_object() ||
                field(pod, "metadata").is_array())
        << odd;
  }
}

}  // namespace
}  // namespace pop::kubernetes
