# The img2pose ResNet-18 FPN WIDER model (r18_fpn_wider.py's model and pose statistics) on
# AFLW2000-3D, test only, with the settings of img2pose's evaluation notebook: short side 400
# (long side <= 1400), resized the original model's way; RPN test proposals: the top 500 per
# level before NMS, the top 10 after. The protocol, its quirks and their switches are in
# ../_base_/datasets/aflw2000.py.
#
#   python tools/test.py configs/img2pose/r18_fpn_aflw2000.py CHECKPOINT \
#       [--cfg-options test_dataloader.dataset.data_root=data/AFLW2000/ \
#                      test_dataloader.dataset.ann_file=/path/AFLW2000_annotations.txt]
#
# prints aflw2000/yaw, pitch, roll, mae (their mean), h_trans, v_trans, scale, failures.
# The target PnP uses the model's face model (the default one). Another one (e.g. the
# original img2pose's references, with its checkpoints) goes to both:
#   model.roi_head.pose_head.face_model.reference68=REF68.npy
#   model.roi_head.pose_head.face_model.reference5=REF5.npy
#   test_dataloader.dataset.face_model.reference68=REF68.npy
_base_ = ['../_base_/img2pose_head_pose_test.py', '../_base_/datasets/aflw2000.py']
