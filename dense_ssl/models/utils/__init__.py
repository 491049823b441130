"""Small helpers of the algorithms: matching, queue, shuffle-BN, scope."""
from .correspondence import gather_positions, match_max_sim, match_random, pool_to_grid
from .distributed import batch_shuffle_ddp, batch_unshuffle_ddp, concat_all_gather
from .queue import check_queue_len, enqueue_, new_queue
from .scope import init_selfsup_model
from .validation import (
    backbone_out_channels,
    check_loss_lambda,
    check_neck_channels,
    check_neck_matches_backbone,
    check_num_grid,
)

__all__ = [
    'match_max_sim', 'match_random', 'gather_positions', 'pool_to_grid',
    'batch_shuffle_ddp', 'batch_unshuffle_ddp', 'concat_all_gather',
    'check_queue_len', 'enqueue_', 'new_queue', 'init_selfsup_model',
    'backbone_out_channels', 'check_loss_lambda', 'check_neck_channels',
    'check_num_grid', 'check_neck_matches_backbone'
]
