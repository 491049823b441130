"""Grouping primitive: edges -> OWT-UCM -> region hierarchy (no OpenMMLab needed)."""
