#include "service/agendas/agenda_metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace pop::service {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

// A flood of customers costs at most the bound in series: the first ones seen keep theirs,
// every later one is "other".
TEST(AgendaMetrics, PerCustomerSeriesAreBounded) {
  metrics::MetricsRegistry registry;
  AgendaMetrics agenda_metrics(registry, 2);
  for (const char* customer : {"a", "b", "c", "a", "d"}) agenda_metrics.submitted(customer);
  agenda_metrics.leased("default", "c", std::chrono::seconds(1));
  const std::string text = registry.text();
  EXPECT_TRUE(has_line(text, R"(pop_customer_agendas_submitted_total{customer="a"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(pop_customer_agendas_submitted_total{customer="b"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(pop_customer_agendas_submitted_total{customer="other"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(pop_customer_agendas_leased_total{customer="other"} 1)")) << text;
  EXPECT_TRUE(has_line(text, "pop_agendas_submitted_total 5")) << text;
}

TEST(AgendaMetrics, NoPerCustomerSeriesUnlessAsked) {
  metrics::MetricsRegistry registry;
  AgendaMetrics agenda_metrics(registry);
  agenda_metrics.submitted("a");
  EXPECT_EQ(registry.text().find("pop_customer_"), std::string::npos);
}

}  // namespace
}  // namespace pop::service
