# PASCAL VOC 2012 train_aug images (labels unused) with their hierarchy store
# (see hiergroup_voc-coco.py for the build command). Elsewhere:
# --cfg-options train_dataloader.dataset.data_root=... train_dataloader.dataset.store=...
_base_ = ['./hiergroup_pipeline.py']

train_dataloader = dict(
    dataset=dict(
        data_root='data/VOCdevkit/VOC2012/',
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(img_path='JPEGImages/'),
        store='data/hier/voc_train_aug'))
