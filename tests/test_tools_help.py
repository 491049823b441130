"""Every command-line tool under tools/ answers ``--help`` and only parses
arguments and calls the library: no ``sys.path`` edits, no imports of another
tool's module (shared code lives in ``dense_ssl``)."""
import ast
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOLS_DIR = osp.join(ROOT, 'tools')
SOURCES = sorted(glob.glob(osp.join(TOOLS_DIR, '**', '*.py'), recursive=True))
# module names a tool could reach only through tools/ being on sys.path
TOOL_MODULES = {osp.splitext(osp.basename(p))[0] for p in SOURCES} | {
    d for d in os.listdir(TOOLS_DIR) if osp.isdir(osp.join(TOOLS_DIR, d))}


def _rel(path):
    return osp.relpath(path, ROOT)


def _has_main(path):
    with open(path) as f:
        return "if __name__ == '__main__':" in f.read()


CLIS = [p for p in SOURCES if _has_main(p)]


def test_every_tool_file_is_a_command_line_tool():
    # a helper module in tools/ is what other tools would import: it belongs
    # in dense_ssl instead
    assert [_rel(p) for p in SOURCES if p not in CLIS] == []
    assert len(CLIS) >= 12  # tools/ held 12 CLIs when this test was written


@pytest.mark.parametrize('path', SOURCES, ids=_rel)
def test_tool_neither_edits_sys_path_nor_imports_a_tool(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    offences = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == 'path' and \
                isinstance(node.value, ast.Name) and node.value.id == 'sys':
            offences.append(f'line {node.lineno}: sys.path')
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.ImportFrom):
            offences.append(f'line {node.lineno}: relative import')
        offences += [f'line {node.lineno}: imports {n}' for n in names
                     if n.split('.')[0] in TOOL_MODULES]
    assert offences == [], _rel(path)


@pytest.mark.parametrize('path', CLIS, ids=_rel)
def test_tool_help_exits_0(path, tmp_path):
    # from another folder, as a user would call it: nothing may rely on the
    # current directory being the repository
    proc = subprocess.run([sys.executable, path, '--help'], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith(f'usage: {osp.basename(path)}'), \
        proc.stdout[:500]
    assert os.listdir(tmp_path) == []  # --help writes nothing
