# The WIDER model (r18_fpn_wider.py's model and pose statistics) tested on a head-pose
# benchmark with the settings of img2pose's evaluation notebooks: the RPN keeps the top 500
# proposals per level before NMS and the top 10 after. Shared by r18_fpn_aflw2000.py and
# r18_fpn_biwi.py, which add their benchmark's dataset base.
_base_ = ['./models/img2pose_r18_fpn.py', './default_runtime.py']

wider_root = 'data/wider_face/'

model = dict(
    backbone=dict(init_cfg=None),  # the checkpoint gives every weight
    roi_head=dict(
        # the statistics the WIDER model was trained with (r18_fpn_wider.py)
        pose_head=dict(pose_coder=dict(pose_mean=wider_root + 'pose_mean.npy',
                                       pose_stddev=wider_root + 'pose_stddev.npy'))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=10)))

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
