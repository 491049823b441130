# COCO train2017 images (labels unused, DenseCL's COCO setting) with their
# hierarchy store, MoCo-v2 augmentations:
#   python tools/build_hierarchy.py \
#       --coco-json data/coco/annotations/instances_train2017.json \
#       --img-root data/coco/train2017 --out data/hier/coco_train2017
_base_ = ['./hiergroup_mocov2_pipeline.py']

train_dataloader = dict(
    dataset=dict(
        data_root='data/coco/',
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img_path='train2017/'),
        store='data/hier/coco_train2017'))
