"""The grouping modules import each other without a cycle (issue 10: edges <-> hed)."""
import ast
import os.path as osp

import dense_ssl.grouping as grouping

GROUPING_DIR = osp.dirname(grouping.__file__)


def _local_imports(module: str):
    """Sibling modules that ``module`` imports (``from .x import``), lazy ones included."""
    with open(osp.join(GROUPING_DIR, module + '.py')) as f:
        tree = ast.parse(f.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module.split('.')[0])
    return found


def test_hed_does_not_import_edges():
    assert 'edges' not in _local_imports('hed')
    assert 'hed' in _local_imports('edges')  # the registry's lazy import stays one-way


def test_grouping_import_graph_is_acyclic():
    import glob
    modules = [osp.basename(p)[:-3] for p in glob.glob(osp.join(GROUPING_DIR, '*.py'))
               if not p.endswith('__init__.py')]
    graph = {m: _local_imports(m) & set(modules) for m in modules}
    state = {}

    def visit(m, path):
        if state.get(m) == 'open':
            raise AssertionError('import cycle: ' + ' -> '.join(path + [m]))
        if state.get(m) == 'done':
            return
        state[m] = 'open'
        for n in sorted(graph[m]):
            visit(n, path + [m])
        state[m] = 'done'

    for m in sorted(modules):
        visit(m, [])
