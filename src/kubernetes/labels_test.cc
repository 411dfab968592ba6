#include "kubernetes/labels.h"

#include <gtest/gtest.h>

namespace pop::kubernetes {
namespace {

TEST(Labels, ValidValuesStayAsTheyAre) {
  for (const char* value : {"", "a", "default", "agenda-123_x.y", "0A"}) {
    EXPECT_TRUE(is_valid_label_value(value)) << value;
    EXPECT_EQ(label_value(value), value);
  }
}

TEST(Labels, AnyTextBecomesAValidDistinctValue) {
  const std::string long_id(100, 'a');
  for (const std::string& value :
       {std::string("Customer A"), std::string("-leading"), std::string("ü/ß"),
        std::string("trailing."), long_id, std::string("___")}) {
    const std::string label = label_value(value);
    EXPECT_TRUE(is_valid_label_value(label)) << value << " -> " << label;
    EXPECT_LE(label.size(), kMaxLabelValueBytes);
  }
  EXPECT_EQ(label_value("Customer A").substr(0, 11), "Customer_A-");
  // Values that clean up to the same text still differ.
  EXPECT_NE(label_value("a b"), label_value("a/b"));
  EXPECT_NE(label_value(long_id), label_value(long_id + "b"));
  EXPECT_EQ(label_value("a b"), label_value("a b"));
}

TEST(Labels, DnsLabelParts) {
  EXPECT_EQ(dns_label_part("Build Image #2", 63), "build-image-2");
  EXPECT_EQ(dns_label_part("--x--", 63), "x");
  EXPECT_EQ(dns_label_part("ÄÖÜ", 63), "");
  EXPECT_EQ(dns_label_part("abc def", 4), "abc");  // no dash at the cut
  EXPECT_EQ(dns_label_part(std::string(100, 'z'), 10), std::string(10, 'z'));
}

TEST(Labels, Selector) {
  EXPECT_EQ(selector({{"a", "1"}, {"app.kubernetes.io/managed-by", "pop"}}),
            "a=1,app.kubernetes.io/managed-by=pop");
}

}  // namespace
}  // namespace pop::kubernetes
