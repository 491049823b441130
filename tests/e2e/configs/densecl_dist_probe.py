# DenseCL COCO config plus a test hook that saves every rank's queues.
_base_ = ['../../../configs/densecl_r50_coco.py']
custom_imports = dict(
    imports=['dense_ssl', 'dist_probe'], allow_failed_imports=False)
custom_hooks = [dict(type='TestQueueDumpHook')]
