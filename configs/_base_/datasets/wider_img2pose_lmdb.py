# WIDER FACE img2pose annotations read from LMDBs written by
#   python tools/dataset_converters/img2pose_to_lmdb.py \
#       data/wider_face/annotations/WIDER_train_annotations.txt \
#       data/wider_face/WIDER_train/images data/wider_face/lmdb/WIDER_train.lmdb --train
#   python tools/dataset_converters/img2pose_to_lmdb.py \
#       data/wider_face/annotations/WIDER_val_annotations.txt \
#       data/wider_face/WIDER_val/images data/wider_face/lmdb/WIDER_val.lmdb
# (--train also writes data/wider_face/lmdb/pose_mean.npy and pose_stddev.npy). The
# pipelines are those of wider_img2pose.py: LoadPoseImage decodes the bytes the LMDB dataset
# puts into `img_bytes`.
_base_ = './wider_img2pose.py'

dataset_type = 'Img2PoseLMDBDataset'

train_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file='lmdb/WIDER_train.lmdb'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, ann_file='lmdb/WIDER_val.lmdb'))
test_dataloader = val_dataloader
