# HG's pre-training images (paper, sec. 4.1): PASCAL VOC 2012 train_aug
# (10582) + COCO train2014 (~83k), labels unused, each with the hierarchy
# store tools/build_hierarchy.py made from the same list:
#   python tools/build_hierarchy.py \
#       --voc-list data/VOCdevkit/VOC2012/ImageSets/Segmentation/train_aug.txt \
#       --img-root data/VOCdevkit/VOC2012/JPEGImages --out data/hier/voc_train_aug
#   python tools/build_hierarchy.py \
#       --coco-json data/coco/annotations/instances_train2014.json \
#       --img-root data/coco/train2014 --out data/hier/coco_train2014
# Elsewhere: --cfg-options train_dataloader.dataset.datasets.0.data_root=...
# train_dataloader.dataset.datasets.0.store=... (1 = COCO).
_base_ = ['./hiergroup_pipeline.py']

voc = dict(
    type='HierarchyDataset',
    data_root='data/VOCdevkit/VOC2012/',
    ann_file='ImageSets/Segmentation/train_aug.txt',
    data_prefix=dict(img_path='JPEGImages/'),
    store='data/hier/voc_train_aug',
    pipeline={{_base_.train_pipeline}})
coco = dict(
    type='HierarchyDataset',
    data_root='data/coco/',
    ann_file='annotations/instances_train2014.json',
    data_prefix=dict(img_path='train2014/'),
    store='data/hier/coco_train2014',
    pipeline={{_base_.train_pipeline}})
train_dataloader = dict(
    dataset=dict(_delete_=True, type='ConcatDataset', datasets=[voc, coco]))
