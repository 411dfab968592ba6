// An ordered map that also answers "how many keys are smaller" (order_of_key) and "which
// is the k-th key" (find_by_order) in O(log n). explain() needs ranks to report exact
// positions; a std::map would have to walk the backlog to count.
//
// This is libstdc++'s policy-based red-black tree with order statistics (node-based:
// elements never move while held). It stays behind this alias so that any other
// order-statistic tree can replace it.
#pragma once

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>
#include <functional>

namespace pop::scheduler {

template <typename Key, typename Value, typename Less = std::less<Key>>
using RankedMap = __gnu_pbds::tree<Key, Value, Less, __gnu_pbds::rb_tree_tag,
                                   __gnu_pbds::tree_order_statistics_node_update>;

}  // namespace pop::scheduler
