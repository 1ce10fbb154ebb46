// Greedy NMS of many box groups on the CPU, numerically torchvision's nms per group.
//
// torchvision's CPU nms (and mmcv's) compares each kept box with the later boxes one by one
// on one thread. Here every group (an RPN level) runs on its own thread, the largest first,
// and a kept box is compared with all later boxes of its group at once over structure-of-
// arrays copies, vectorised (built with -ffp-contract=off: the same IoU bits as the scalar
// expression). Which boxes are kept is exactly torchvision's: boxes ordered by descending
// score (stable), a box is kept unless a kept box of its group overlaps it with IoU >
// iou_threshold, IoU = inter / (area_i + area_j - inter) in the boxes' dtype.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <vector>

namespace {

// suppressed[j] |= IoU(box, j) > threshold for j in [0, count): the scalar comparison
// "float IoU > double threshold" is the comparison with the largest float not above it.
#define MMPOSE6D_SUPPRESS(T)                                                                \
  __attribute__((target_clones("avx512f", "avx2", "default"))) void suppress_overlaps(     \
      T ix1, T iy1, T ix2, T iy2, T iarea, const T* __restrict__ x1,                        \
      const T* __restrict__ y1, const T* __restrict__ x2, const T* __restrict__ y2,         \
      const T* __restrict__ area, uint8_t* __restrict__ suppressed, int64_t count,          \
      T threshold) {                                                                        \
    for (int64_t j = 0; j < count; ++j) {                                                   \
      const T xx1 = std::max(ix1, x1[j]), yy1 = std::max(iy1, y1[j]);                      \
      const T xx2 = std::min(ix2, x2[j]), yy2 = std::min(iy2, y2[j]);                      \
      const T w = std::max(static_cast<T>(0), xx2 - xx1);                                  \
      const T h = std::max(static_cast<T>(0), yy2 - yy1);                                  \
      const T inter = w * h;                                                                \
      const T ovr = inter / (iarea + area[j] - inter);                                      \
      suppressed[j] |= static_cast<uint8_t>(ovr > threshold);                               \
    }                                                                                       \
  }
MMPOSE6D_SUPPRESS(float)
MMPOSE6D_SUPPRESS(double)
#undef MMPOSE6D_SUPPRESS

// The largest T not above threshold: for T x, x > threshold <=> x > below(threshold).
template <typename T>
T largest_not_above(double threshold) {
  T t = static_cast<T>(threshold);
  if (static_cast<double>(t) > threshold) t = std::nextafter(t, -INFINITY);
  return t;
}

// Marks the kept boxes of one group (indices into boxes, in input order) in keep.
template <typename T>
void nms_group(const T* boxes, const T* scores, std::vector<int64_t> members,
               double iou_threshold, bool* keep) {
  std::stable_sort(members.begin(), members.end(),
                   [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  const int64_t count = static_cast<int64_t>(members.size());
  std::vector<T> x1(count), y1(count), x2(count), y2(count), area(count);
  for (int64_t i = 0; i < count; ++i) {
    const T* box = boxes + members[i] * 4;
    x1[i] = box[0];
    y1[i] = box[1];
    x2[i] = box[2];
    y2[i] = box[3];
    area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
  }
  const T threshold = largest_not_above<T>(iou_threshold);
  std::vector<uint8_t> suppressed(count, 0);
  for (int64_t i = 0; i < count; ++i) {
    if (suppressed[i]) continue;
    keep[members[i]] = true;
    const int64_t next = i + 1;
    suppress_overlaps(x1[i], y1[i], x2[i], y2[i], area[i], x1.data() + next,
                      y1.data() + next, x2.data() + next, y2.data() + next,
                      area.data() + next, suppressed.data() + next, count - next, threshold);
  }
}

}  // namespace

at::Tensor nms_groups(const at::Tensor& boxes, const at::Tensor& scores,
                      const at::Tensor& groups, double iou_threshold) {
  TORCH_CHECK(boxes.device().is_cpu() && boxes.dim() == 2 && boxes.size(1) == 4,
              "nms_cpu: boxes must be an (N, 4) CPU tensor, got ", boxes.sizes());
  const int64_t num = boxes.size(0);
  TORCH_CHECK(scores.scalar_type() == boxes.scalar_type() && scores.dim() == 1 &&
                  scores.size(0) == num,
              "nms_cpu: scores must be (N,) in the boxes' dtype");
  TORCH_CHECK(groups.scalar_type() == at::kLong && groups.dim() == 1 && groups.size(0) == num,
              "nms_cpu: groups must be an int64 tensor with one entry per box");
  at::Tensor keep = at::zeros({num}, boxes.options().dtype(at::kBool));
  if (num == 0) return keep;
  const at::Tensor b = boxes.contiguous(), s = scores.contiguous(), g = groups.contiguous();
  const int64_t* group_data = g.data_ptr<int64_t>();
  // members of each group in input order, groups by first appearance, largest first
  std::vector<std::vector<int64_t>> members;
  {
    std::vector<int64_t> ids(group_data, group_data + num);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    members.resize(ids.size());
    for (int64_t i = 0; i < num; ++i) {
      const auto slot = std::lower_bound(ids.begin(), ids.end(), group_data[i]) - ids.begin();
      members[slot].push_back(i);
    }
    std::stable_sort(members.begin(), members.end(),
                     [](const auto& a, const auto& b) { return a.size() > b.size(); });
  }
  bool* keep_data = keep.data_ptr<bool>();
  AT_DISPATCH_FLOATING_TYPES(b.scalar_type(), "nms_cpu", [&] {
    const scalar_t* box_data = b.data_ptr<scalar_t>();
    const scalar_t* score_data = s.data_ptr<scalar_t>();
    std::atomic<int64_t> next_group{0};
    const int64_t workers =
        std::min<int64_t>(at::get_num_threads(), static_cast<int64_t>(members.size()));
    // each worker takes the next unprocessed group; groups write disjoint keep entries
    at::parallel_for(0, workers, 1, [&](int64_t begin, int64_t end) {
      for (int64_t w = begin; w < end; ++w) {
        for (int64_t k = next_group++; k < static_cast<int64_t>(members.size());
             k = next_group++) {
          nms_group<scalar_t>(box_data, score_data, members[k], iou_threshold, keep_data);
        }
      }
    });
  });
  return keep;
}
