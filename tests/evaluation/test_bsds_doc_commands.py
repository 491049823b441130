"""Every command shown in docs/bsds.md parses against its tool's parse_args."""
import importlib.util
import os.path as osp
import re
import shlex

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = ('tools/eval_bsds.py', 'tools/benchmarks/bench_bsds.py')


def load_tool(path):
    spec = importlib.util.spec_from_file_location(osp.basename(path)[:-3], osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def doc_commands():
    with open(osp.join(REPO, 'docs', 'bsds.md')) as f:
        text = f.read()
    for block in re.findall(r'```bash\n(.*?)```', text, re.S):
        for line in block.replace('\\\n', ' ').splitlines():
            if line.strip():
                yield shlex.split(line)


def test_doc_commands_parse():
    tools = {path: load_tool(path) for path in TOOLS}
    commands = list(doc_commands())
    assert len(commands) >= 2
    for argv in commands:
        assert argv[0] == 'python' and argv[1] in tools, argv
        tools[argv[1]].parse_args(argv[2:])
