// mmpose6d._ext: the CPU operators of roi_align_cpu.cpp, nms_cpu.cpp and box_voting_cpu.cpp.
#include <torch/extension.h>

#include <vector>

at::Tensor roi_align_forward(const std::vector<at::Tensor>& inputs, const at::Tensor& rois,
                             const at::Tensor& levels, int64_t pooled_height,
                             int64_t pooled_width, const std::vector<double>& spatial_scales,
                             int64_t sampling_ratio, bool aligned);
std::vector<at::Tensor> roi_align_backward(const at::Tensor& grad_output,
                                           const at::Tensor& rois, const at::Tensor& levels,
                                           const std::vector<std::vector<int64_t>>& shapes,
                                           const std::vector<double>& spatial_scales,
                                           int64_t sampling_ratio, bool aligned);
at::Tensor nms_groups(const at::Tensor& boxes, const at::Tensor& scores,
                      const at::Tensor& groups, double iou_threshold);
std::vector<at::Tensor> box_voting_groups(const at::Tensor& boxes, double iou_threshold);

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("roi_align_forward", &roi_align_forward,
        "RoIAlign forward, average pooling: every RoI (N, 5) pooled from the feature map of "
        "its level (levels: N int64), multi-threaded over RoIs (CPU)",
        py::arg("inputs"), py::arg("rois"), py::arg("levels"), py::arg("pooled_height"),
        py::arg("pooled_width"), py::arg("spatial_scales"), py::arg("sampling_ratio"),
        py::arg("aligned"), py::call_guard<py::gil_scoped_release>());
  m.def("roi_align_backward", &roi_align_backward,
        "RoIAlign backward: the gradient of every feature map (shapes: B, C, H, W each), "
        "channels-last (B, H, W, C), multi-threaded over channels (CPU)",
        py::arg("grad_output"), py::arg("rois"), py::arg("levels"), py::arg("shapes"),
        py::arg("spatial_scales"), py::arg("sampling_ratio"), py::arg("aligned"),
        py::call_guard<py::gil_scoped_release>());
  m.def("nms_groups", &nms_groups,
        "Greedy NMS within each group of boxes (N, 4) x1y1x2y2: a bool keep mask (CPU)",
        py::arg("boxes"), py::arg("scores"), py::arg("groups"), py::arg("iou_threshold"),
        py::call_guard<py::gil_scoped_release>());
  m.def("box_voting_groups", &box_voting_groups,
        "Box voting's greedy groups of float64 boxes (N, 4) in voting order: each box's "
        "group (-1: dropped) and its IoU with the group's leader (CPU)",
        py::arg("boxes"), py::arg("iou_threshold"), py::call_guard<py::gil_scoped_release>());
}
