# The WIDER FACE recipe reading LMDBs written by
#   python tools/dataset_converters/img2pose_to_lmdb.py \
#       data/wider_face/annotations/WIDER_train_annotations.txt \
#       data/wider_face/WIDER_train/images data/wider_face/lmdb/WIDER_train.lmdb --train
#   python tools/dataset_converters/img2pose_to_lmdb.py \
#       data/wider_face/annotations/WIDER_val_annotations.txt \
#       data/wider_face/WIDER_val/images data/wider_face/lmdb/WIDER_val.lmdb
# (--train also writes the pose statistics beside the LMDBs). The pipelines are those of
# the WIDER recipe: LoadPoseImage decodes the bytes the LMDB dataset puts into `img_bytes`.
_base_ = ['./r18_fpn_wider.py']

lmdb_root = 'data/wider_face/lmdb/'
model = dict(
    roi_head=dict(pose_head=dict(pose_coder=dict(pose_mean=lmdb_root + 'pose_mean.npy',
                                                 pose_stddev=lmdb_root + 'pose_stddev.npy'))))
train_dataloader = dict(
    dataset=dict(type='Img2PoseLMDBDataset', ann_file='lmdb/WIDER_train.lmdb'))
val_dataloader = dict(
    dataset=dict(type='Img2PoseLMDBDataset', ann_file='lmdb/WIDER_val.lmdb'))
test_dataloader = val_dataloader
