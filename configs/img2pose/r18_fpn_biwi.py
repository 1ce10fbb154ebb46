# The img2pose ResNet-18 FPN WIDER model (r18_fpn_wider.py's model and pose statistics) on
# BIWI, test only, with the settings of img2pose's evaluation notebook: short side 700 (long
# side <= 1400), resized the original model's way; RPN test proposals: the top 500 per level
# before NMS, the top 10 after. The protocol, its quirk and its switches are in
# ../_base_/datasets/biwi.py.
#
#   python tools/test.py configs/img2pose/r18_fpn_biwi.py CHECKPOINT \
#       [--cfg-options test_dataloader.dataset.data_root=data/BIWI/hpdb/ \
#                      test_dataloader.dataset.ann_file=/path/BIWI_annotations.txt]
#
# prints biwi/yaw, pitch, roll, mae (their mean), failures. Without ann_file every frame of
# the database is evaluated; the paper's 13,219 frames are those of BIWI_annotations.txt.
_base_ = ['../_base_/img2pose_head_pose_test.py', '../_base_/datasets/biwi.py']
