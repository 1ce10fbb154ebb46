# The WIDER FACE recipe reading LMDBs written by tools/dataset_converters/img2pose_to_lmdb.py
# (see configs/_base_/datasets/wider_img2pose_lmdb.py for the commands); --train writes the
# pose statistics beside the LMDBs.
_base_ = ['./r18_fpn_wider.py']

lmdb_root = 'data/wider_face/lmdb/'
model = dict(
    roi_head=dict(
        pose_head=dict(
            pose_mean=lmdb_root + 'pose_mean.npy', pose_stddev=lmdb_root + 'pose_stddev.npy')))
train_dataloader = dict(
    dataset=dict(type='Img2PoseLMDBDataset', ann_file='lmdb/WIDER_train.lmdb'))
val_dataloader = dict(
    dataset=dict(type='Img2PoseLMDBDataset', ann_file='lmdb/WIDER_val.lmdb'))
test_dataloader = val_dataloader
