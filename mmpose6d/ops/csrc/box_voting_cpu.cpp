// The greedy grouping of box voting (img2pose's test-time augmentation merge) on the CPU.
//
// The boxes come in voting order (descending score). The first box not yet grouped leads a
// group of every ungrouped box whose IoU with it (pixel areas, +1) is >= iou_threshold; a
// box that does not group even with itself (empty or NaN) is dropped. The ungrouped boxes
// are kept compacted in structure-of-arrays form, so each group costs one vectorised pass
// over them (built with -ffp-contract=off: the IoU bits of the scalar expression).
#include <ATen/core/Tensor.h>
#include <ATen/ops/full.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <vector>

namespace {

// iou[j] = IoU(box, j) of x1y1x2y2 boxes with pixel areas (x2 - x1 + 1) * (y2 - y1 + 1),
// 0 where they do not overlap.
__attribute__((target_clones("avx512f", "avx2", "default"))) void ious_plus_one(
    double ax1, double ay1, double ax2, double ay2, const double* __restrict__ x1,
    const double* __restrict__ y1, const double* __restrict__ x2,
    const double* __restrict__ y2, double* __restrict__ iou, int64_t count) {
  const double area_a = (ax2 - ax1 + 1.0) * (ay2 - ay1 + 1.0);
  for (int64_t j = 0; j < count; ++j) {
    const double iw = std::min(ax2, x2[j]) - std::max(ax1, x1[j]) + 1.0;
    const double ih = std::min(ay2, y2[j]) - std::max(ay1, y1[j]) + 1.0;
    const double area_b = (x2[j] - x1[j] + 1.0) * (y2[j] - y1[j] + 1.0);
    const bool overlap = iw > 0 && ih > 0;
    const double inter = overlap ? iw * ih : 0.0;
    const double value = inter / (area_a + area_b - inter);
    iou[j] = overlap ? value : 0.0;
  }
}

}  // namespace

std::vector<at::Tensor> box_voting_groups(const at::Tensor& boxes, double iou_threshold) {
  TORCH_CHECK(boxes.device().is_cpu() && boxes.scalar_type() == at::kDouble &&
                  boxes.dim() == 2 && boxes.size(1) == 4,
              "box_voting_cpu: boxes must be an (N, 4) float64 CPU tensor, got ",
              boxes.sizes());
  const at::Tensor b = boxes.contiguous();
  const int64_t num = b.size(0);
  at::Tensor group = at::full({num}, -1, b.options().dtype(at::kLong));
  at::Tensor iou = at::zeros({num}, b.options());
  int64_t* group_data = group.data_ptr<int64_t>();
  double* iou_data = iou.data_ptr<double>();
  const double* box = b.data_ptr<double>();
  // the ungrouped boxes, compacted in voting order
  std::vector<int64_t> index(num);
  std::vector<double> x1(num), y1(num), x2(num), y2(num), overlap(num);
  for (int64_t i = 0; i < num; ++i) {
    index[i] = i;
    x1[i] = box[i * 4];
    y1[i] = box[i * 4 + 1];
    x2[i] = box[i * 4 + 2];
    y2[i] = box[i * 4 + 3];
  }
  int64_t alive = num, groups = 0;
  while (alive > 0) {
    ious_plus_one(x1[0], y1[0], x2[0], y2[0], x1.data(), y1.data(), x2.data(), y2.data(),
                  overlap.data(), alive);
    // a leader that does not group with itself (empty, NaN) groups nothing: dropped
    const bool grouped = overlap[0] >= iou_threshold;
    int64_t kept = 0;
    for (int64_t k = 0; k < alive; ++k) {
      if (grouped && overlap[k] >= iou_threshold) {
        group_data[index[k]] = groups;
        iou_data[index[k]] = overlap[k];
      } else if (k > 0) {
        index[kept] = index[k];
        x1[kept] = x1[k];
        y1[kept] = y1[k];
        x2[kept] = x2[k];
        y2[kept] = y2[k];
        ++kept;
      }
    }
    groups += grouped;
    alive = kept;
  }
  return {group, iou};
}
