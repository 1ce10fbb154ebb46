// Multi-threaded CPU RoIAlign (average pooling), numerically mmcv's / torchvision's.
//
// mmcv 2.1.0's CPU RoIAlign runs on one thread, gathers every sample channel by channel and
// its backward recomputes the bilinear weights of every sample for every channel. Here the
// samples of every RoI (4 feature offsets and bilinear weights each, out-of-range samples
// dropped) are computed once and shared by all channels. Both directions work on
// channels-last maps (one contiguous row of channels per corner, vectorised over channels)
// and take the RoIs of every pyramid level in one pass: the forward splits the RoIs over
// ATen's threads, the backward the channels, which makes it race-free (each thread owns a
// range of channels of every gradient map). Sample positions, clamping, the division by the sample count and the
// order of every sum follow mmcv's roi_align_cpu.cpp expression by expression, and the
// library is built with -ffp-contract=off (no fused multiply-adds), so outputs and gradients
// are bit-identical to mmcv's.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

template <typename T>
struct RoISamples {
  int64_t batch = 0;
  T count = 1;                    // samples per bin (the divisor of the average)
  std::vector<int64_t> bin_start; // bins + 1 prefix offsets into offsets/weights
  std::vector<int64_t> offsets;   // y * width + x in the input plane, 4 corners per sample
  std::vector<T> weights;         // bilinear weights of those corners
};

template <typename T>
RoISamples<T> roi_samples(const T* roi, int64_t height, int64_t width, int64_t pooled_height,
                          int64_t pooled_width, T spatial_scale, int64_t sampling_ratio,
                          bool aligned) {
  RoISamples<T> s;
  s.batch = static_cast<int64_t>(roi[0]);
  const T offset = aligned ? static_cast<T>(0.5) : static_cast<T>(0.0);
  const T roi_start_w = roi[1] * spatial_scale - offset;
  const T roi_start_h = roi[2] * spatial_scale - offset;
  const T roi_end_w = roi[3] * spatial_scale - offset;
  const T roi_end_h = roi[4] * spatial_scale - offset;
  T roi_width = roi_end_w - roi_start_w;
  T roi_height = roi_end_h - roi_start_h;
  if (aligned) {
    TORCH_CHECK(roi_width >= 0 && roi_height >= 0,
                "roi_align_cpu: RoIs cannot have a negative size when aligned, got ",
                roi_width, " x ", roi_height);
  } else {  // force malformed RoIs to be 1x1
    roi_width = std::max(roi_width, static_cast<T>(1.));
    roi_height = std::max(roi_height, static_cast<T>(1.));
  }
  const T bin_size_h = roi_height / static_cast<T>(pooled_height);
  const T bin_size_w = roi_width / static_cast<T>(pooled_width);
  const int64_t grid_h = sampling_ratio > 0
                             ? sampling_ratio
                             : static_cast<int64_t>(std::ceil(roi_height / pooled_height));
  const int64_t grid_w = sampling_ratio > 0
                             ? sampling_ratio
                             : static_cast<int64_t>(std::ceil(roi_width / pooled_width));
  s.count = std::max(grid_h * grid_w, static_cast<int64_t>(1));

  const int64_t bins = pooled_height * pooled_width;
  s.bin_start.reserve(bins + 1);
  s.offsets.reserve(bins * grid_h * grid_w * 4);
  s.weights.reserve(bins * grid_h * grid_w * 4);
  s.bin_start.push_back(0);
  for (int64_t ph = 0; ph < pooled_height; ++ph) {
    for (int64_t pw = 0; pw < pooled_width; ++pw) {
      for (int64_t iy = 0; iy < grid_h; ++iy) {
        T y = roi_start_h + ph * bin_size_h +
              static_cast<T>(iy + .5f) * bin_size_h / static_cast<T>(grid_h);
        for (int64_t ix = 0; ix < grid_w; ++ix) {
          T x = roi_start_w + pw * bin_size_w +
                static_cast<T>(ix + .5f) * bin_size_w / static_cast<T>(grid_w);
          if (y < -1.0 || y > height || x < -1.0 || x > width) continue;  // empty sample
          T yy = y <= 0 ? static_cast<T>(0) : y;
          T xx = x <= 0 ? static_cast<T>(0) : x;
          int64_t y_low = static_cast<int64_t>(yy);
          int64_t x_low = static_cast<int64_t>(xx);
          int64_t y_high, x_high;
          if (y_low >= height - 1) {
            y_high = y_low = height - 1;
            yy = static_cast<T>(y_low);
          } else {
            y_high = y_low + 1;
          }
          if (x_low >= width - 1) {
            x_high = x_low = width - 1;
            xx = static_cast<T>(x_low);
          } else {
            x_high = x_low + 1;
          }
          const T ly = yy - y_low, lx = xx - x_low;
          const T hy = static_cast<T>(1.) - ly, hx = static_cast<T>(1.) - lx;
          const int64_t corners[4] = {y_low * width + x_low, y_low * width + x_high,
                                      y_high * width + x_low, y_high * width + x_high};
          const T corner_weights[4] = {hy * hx, hy * lx, ly * hx, ly * lx};
          for (int k = 0; k < 4; ++k) {
            s.offsets.push_back(corners[k]);
            s.weights.push_back(corner_weights[k]);
          }
        }
      }
      s.bin_start.push_back(static_cast<int64_t>(s.offsets.size()));
    }
  }
  return s;
}

void check_inputs(const at::Tensor& rois, int64_t pooled_height, int64_t pooled_width) {
  TORCH_CHECK(rois.device().is_cpu(), "roi_align_cpu: rois must be a CPU tensor");
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5,
              "roi_align_cpu: rois must be (N, 5) [batch_index, x1, y1, x2, y2], got ",
              rois.sizes());
  TORCH_CHECK(pooled_height > 0 && pooled_width > 0,
              "roi_align_cpu: output size must be positive");
}

// acc[c] += w0 * p0[c] + w1 * p1[c] + w2 * p2[c] + w3 * p3[c] over the channels: one
// sample's 4 corners summed first, as mmcv. Cloned per instruction set; the lanes compute
// exactly the scalar expression (no contraction), so every clone gives the same bits.
#define MMPOSE6D_ACCUMULATE(T)                                                             \
  __attribute__((target_clones("avx512f", "avx2", "default"))) void accumulate_sample(    \
      T* __restrict__ acc, const T* __restrict__ p0, const T* __restrict__ p1,             \
      const T* __restrict__ p2, const T* __restrict__ p3, T w0, T w1, T w2, T w3,          \
      int64_t channels) {                                                                  \
    for (int64_t c = 0; c < channels; ++c) {                                               \
      acc[c] += w0 * p0[c] + w1 * p1[c] + w2 * p2[c] + w3 * p3[c];                         \
    }                                                                                      \
  }
MMPOSE6D_ACCUMULATE(float)
MMPOSE6D_ACCUMULATE(double)
#undef MMPOSE6D_ACCUMULATE

// grad[c] += g[c] * weight / count over a range of channels: mmcv's expression per element.
#define MMPOSE6D_SCATTER(T)                                                                 \
  __attribute__((target_clones("avx512f", "avx2", "default"))) void scatter_sample(        \
      T* __restrict__ grad, const T* __restrict__ g, T weight, T count, int64_t channels) { \
    for (int64_t c = 0; c < channels; ++c) grad[c] += g[c] * weight / count;              \
  }
MMPOSE6D_SCATTER(float)
MMPOSE6D_SCATTER(double)
#undef MMPOSE6D_SCATTER

// The samples of every RoI, each on the map of its level; each batch index checked.
template <typename T>
std::vector<RoISamples<T>> level_samples(const T* roi_data, const int64_t* level_data,
                                         int64_t num_rois, int64_t batch_size,
                                         const std::vector<int64_t>& heights,
                                         const std::vector<int64_t>& widths,
                                         int64_t pooled_height, int64_t pooled_width,
                                         const std::vector<double>& spatial_scales,
                                         int64_t sampling_ratio, bool aligned) {
  std::vector<RoISamples<T>> samples(num_rois);
  at::parallel_for(0, num_rois, 16, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const int64_t level = level_data[n];
      samples[n] = roi_samples<T>(roi_data + n * 5, heights[level], widths[level],
                                  pooled_height, pooled_width,
                                  static_cast<T>(spatial_scales[level]), sampling_ratio,
                                  aligned);
    }
  });
  for (const auto& s : samples) {
    TORCH_CHECK(s.batch >= 0 && s.batch < batch_size, "roi_align_cpu: batch index ", s.batch,
                " out of range for ", batch_size, " images");
  }
  return samples;
}

// The levels (N,) as a pointer after checking them against num_levels.
const int64_t* checked_levels(const at::Tensor& levels, int64_t num_rois, int64_t num_levels) {
  TORCH_CHECK(levels.scalar_type() == at::kLong && levels.dim() == 1 &&
                  levels.size(0) == num_rois && levels.is_contiguous(),
              "roi_align_cpu: levels must be a contiguous int64 tensor with one entry per RoI");
  const int64_t* level_data = levels.data_ptr<int64_t>();
  for (int64_t n = 0; n < num_rois; ++n) {
    TORCH_CHECK(level_data[n] >= 0 && level_data[n] < num_levels, "roi_align_cpu: level ",
                level_data[n], " out of range for ", num_levels, " feature maps");
  }
  return level_data;
}

}  // namespace

at::Tensor roi_align_forward(const std::vector<at::Tensor>& inputs, const at::Tensor& rois,
                             const at::Tensor& levels, int64_t pooled_height,
                             int64_t pooled_width, const std::vector<double>& spatial_scales,
                             int64_t sampling_ratio, bool aligned) {
  TORCH_CHECK(!inputs.empty() && inputs.size() == spatial_scales.size(),
              "roi_align_cpu: one spatial scale per feature map");
  const auto dtype = inputs[0].scalar_type();
  const int64_t batch_size = inputs[0].size(0), channels = inputs[0].size(1);
  for (const auto& input : inputs) {
    TORCH_CHECK(input.device().is_cpu() && input.dim() == 4,
                "roi_align_cpu: inputs must be (B, C, H, W) CPU tensors, got ", input.sizes());
    TORCH_CHECK(input.scalar_type() == dtype && input.size(0) == batch_size &&
                    input.size(1) == channels,
                "roi_align_cpu: feature maps must share dtype, batch and channels");
  }
  TORCH_CHECK(rois.scalar_type() == dtype,
              "roi_align_cpu: inputs and rois must have the same dtype");
  check_inputs(rois, pooled_height, pooled_width);
  const int64_t num_rois = rois.size(0);
  const at::Tensor r = rois.contiguous();
  const at::Tensor lv = levels.contiguous();
  const int64_t num_levels = static_cast<int64_t>(inputs.size());
  const int64_t* level_data = checked_levels(lv, num_rois, num_levels);
  std::vector<bool> used(num_levels, false);
  for (int64_t n = 0; n < num_rois; ++n) used[level_data[n]] = true;
  // channels-last copies of the levels that have RoIs (none for channels-last features)
  std::vector<at::Tensor> nhwc(num_levels);
  for (int64_t l = 0; l < num_levels; ++l) {
    if (used[l]) nhwc[l] = inputs[l].permute({0, 2, 3, 1}).contiguous();
  }
  const int64_t bins = pooled_height * pooled_width;
  // every element is written below: no zero fill
  at::Tensor output = at::empty({num_rois, channels, pooled_height, pooled_width},
                                inputs[0].options().memory_format(at::MemoryFormat::Contiguous));
  if (num_rois == 0 || output.numel() == 0) return output;

  AT_DISPATCH_FLOATING_TYPES(dtype, "roi_align_forward_cpu", [&] {
    const scalar_t* roi_data = r.data_ptr<scalar_t>();
    scalar_t* out_data = output.data_ptr<scalar_t>();
    at::parallel_for(0, num_rois, 4, [&](int64_t begin, int64_t end) {
      std::vector<scalar_t> acc(channels);
      for (int64_t n = begin; n < end; ++n) {
        const int64_t level = level_data[n];
        const at::Tensor& feat = nhwc[level];
        const int64_t height = feat.size(1), width = feat.size(2);
        const auto s = roi_samples<scalar_t>(
            roi_data + n * 5, height, width, pooled_height, pooled_width,
            static_cast<scalar_t>(spatial_scales[level]), sampling_ratio, aligned);
        TORCH_CHECK(s.batch >= 0 && s.batch < batch_size, "roi_align_cpu: batch index ",
                    s.batch, " out of range for ", batch_size, " images");
        const scalar_t* image = feat.data_ptr<scalar_t>() + s.batch * height * width * channels;
        scalar_t* out = out_data + n * channels * bins;
        for (int64_t bin = 0; bin < bins; ++bin) {
          std::fill(acc.begin(), acc.end(), static_cast<scalar_t>(0));
          for (int64_t k = s.bin_start[bin]; k < s.bin_start[bin + 1]; k += 4) {
            accumulate_sample(acc.data(), image + s.offsets[k] * channels,
                              image + s.offsets[k + 1] * channels,
                              image + s.offsets[k + 2] * channels,
                              image + s.offsets[k + 3] * channels, s.weights[k],
                              s.weights[k + 1], s.weights[k + 2], s.weights[k + 3], channels);
          }
          for (int64_t c = 0; c < channels; ++c) out[c * bins + bin] = acc[c] / s.count;
        }
      }
    });
  });
  return output;
}

std::vector<at::Tensor> roi_align_backward(const at::Tensor& grad_output,
                                           const at::Tensor& rois, const at::Tensor& levels,
                                           const std::vector<std::vector<int64_t>>& shapes,
                                           const std::vector<double>& spatial_scales,
                                           int64_t sampling_ratio, bool aligned) {
  TORCH_CHECK(!shapes.empty() && shapes.size() == spatial_scales.size(),
              "roi_align_cpu: one spatial scale per feature map");
  const int64_t batch_size = shapes[0][0], channels = shapes[0][1];
  std::vector<int64_t> heights, widths;
  for (const auto& shape : shapes) {
    TORCH_CHECK(shape.size() == 4 && shape[0] == batch_size && shape[1] == channels,
                "roi_align_cpu: feature maps must be (B, C, H, W) of one B and C");
    heights.push_back(shape[2]);
    widths.push_back(shape[3]);
  }
  TORCH_CHECK(grad_output.device().is_cpu() && grad_output.dim() == 4 &&
                  grad_output.size(0) == rois.size(0) && grad_output.size(1) == channels,
              "roi_align_cpu: grad_output must be (N, C, PH, PW) for N rois and C channels");
  TORCH_CHECK(rois.scalar_type() == grad_output.scalar_type(),
              "roi_align_cpu: grad_output and rois must have the same dtype");
  const int64_t pooled_height = grad_output.size(2), pooled_width = grad_output.size(3);
  check_inputs(rois, pooled_height, pooled_width);
  const int64_t num_rois = rois.size(0), num_levels = static_cast<int64_t>(shapes.size());
  const int64_t bins = pooled_height * pooled_width;
  const at::Tensor r = rois.contiguous();
  const at::Tensor lv = levels.contiguous();
  const int64_t* level_data = checked_levels(lv, num_rois, num_levels);
  // the gradient of each RoI bin as a row of channels; the inputs' gradients channels-last
  const at::Tensor grad =
      grad_output.reshape({num_rois, channels, bins}).transpose(1, 2).contiguous();
  std::vector<at::Tensor> grad_inputs;
  for (int64_t l = 0; l < num_levels; ++l) {
    grad_inputs.push_back(at::zeros({batch_size, heights[l], widths[l], channels},
                                    grad.options()));
  }
  if (num_rois == 0 || channels == 0) return grad_inputs;

  AT_DISPATCH_FLOATING_TYPES(grad.scalar_type(), "roi_align_backward_cpu", [&] {
    const auto samples = level_samples<scalar_t>(
        r.data_ptr<scalar_t>(), level_data, num_rois, batch_size, heights, widths,
        pooled_height, pooled_width, spatial_scales, sampling_ratio, aligned);
    const scalar_t* grad_data = grad.data_ptr<scalar_t>();
    // each thread owns a range of channels of every map: race-free, and every element
    // accumulates in mmcv's order (RoI, bin, sample, corner)
    at::parallel_for(0, channels, 16, [&](int64_t c_begin, int64_t c_end) {
      for (int64_t n = 0; n < num_rois; ++n) {
        const auto& s = samples[n];
        const int64_t level = level_data[n];
        scalar_t* image = grad_inputs[level].data_ptr<scalar_t>() +
                          s.batch * heights[level] * widths[level] * channels + c_begin;
        const scalar_t* g = grad_data + n * bins * channels + c_begin;
        for (int64_t bin = 0; bin < bins; ++bin) {
          for (int64_t k = s.bin_start[bin]; k < s.bin_start[bin + 1]; ++k) {
            scatter_sample(image + s.offsets[k] * channels, g + bin * channels, s.weights[k],
                           s.count, c_end - c_begin);
          }
        }
      }
    });
  });
  return grad_inputs;
}
