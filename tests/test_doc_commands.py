"""Every shell command in README.md and docs/*.md is checked against the code.

A documented command must (1) still be accepted as written: a tool's argument
parser takes its options, a config loads with its ``--cfg-options``, a make
target exists; and (2) be run by a test or by ``make demo``: the tool or config
it names appears in a test (or in ``tools/demo.py``). Commands for data these
machines do not have (COCO, VOC, DAVIS) are thus checked in form, and their
code path is run on the tiny sets the tests build.
"""
import importlib.util
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / 'README.md'] + sorted((ROOT / 'docs').glob('*.md'))
# Commands that only install packages or start a launcher around a command
# that is checked in its own line.
PLACEHOLDERS = {'SLURM_ARRAY_TASK_ID': '0', 'B': 'configs/benchmarks'}
# (tensorboard: the viewer of the event files tests/e2e/test_tensorboard.py reads.)
NOT_OURS = ('pip ', 'torchrun ', 'CKPT=', 'cd ', 'export ', 'nvidia-smi', 'tensorboard ')


def doc_commands():
    """(doc file, command) for every line of every bash block."""
    out = []
    for doc in DOCS:
        text = doc.read_text()
        for block in re.findall(r'```(?:bash|sh|shell|console)\n(.*?)```', text,
                                re.S):
            block = block.replace('\\\n', ' ')
            for line in block.split('\n'):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                line = re.sub(r'\s+#\s.*$', '', line)   # trailing comment
                out.append((doc.relative_to(ROOT).as_posix(),
                            re.sub(r'\s+', ' ', line)))
    return out


def _corpus():
    """Text of every test and of the demo: where commands are run."""
    files = list((ROOT / 'tests').rglob('*.py')) + [ROOT / 'tools' / 'demo.py',
                                                    ROOT / 'Makefile']
    files = [f for f in files if f.name != Path(__file__).name]
    return '\n'.join(f.read_text() for f in files)


CORPUS = _corpus()


def _split(cmd):
    cmd = re.sub(r'\$\([^)]*\)', 'X', cmd)          # $(python -c ...)
    # $VAR -> a value of the right kind ($SLURM_ARRAY_TASK_ID is a number)
    cmd = re.sub(r'\$\{?([A-Za-z_]+)\}?',
                 lambda m: PLACEHOLDERS.get(m.group(1), m.group(1)), cmd)
    words = shlex.split(cmd)
    while words and re.match(r'^[A-Z_]+=', words[0]):  # env assignments
        words.pop(0)
    return words


def _load_tool(path):
    spec = importlib.util.spec_from_file_location(
        'doc_tool_' + path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _check_tool(tool, args):
    path = ROOT / tool
    assert path.is_file(), f'{tool} does not exist'
    name = path.stem
    assert re.search(rf'\b{re.escape(name)}\b', CORPUS), (
        f'no test (or make demo) runs {tool}')
    if path.suffix == '.py':
        mod = _load_tool(path)
        assert hasattr(mod, 'parse_args'), f'{tool} has no parse_args(argv)'
        try:
            mod.parse_args(args)
        except SystemExit as e:  # argparse rejected the documented options
            pytest.fail(f'{tool} rejects the documented arguments {args}: '
                        f'exit {e.code}')
    else:
        for word in args:
            if word.endswith('.py'):
                _check_config(word, [])


def _check_config(config, cfg_options):
    from mmengine.config import Config, DictAction
    path = ROOT / config
    assert path.is_file(), f'{config} does not exist'
    cfg = Config.fromfile(str(path))
    if cfg_options:
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(p.parse_args(['--cfg-options'] +
                                         cfg_options).cfg_options)
    stem = Path(config).stem
    # A config is run by a test when a test names it, or names a config that
    # inherits it (the shipped configs are trained 2 iterations by the tests).
    assert stem in CORPUS or Path(config).name in CORPUS, (
        f'no test trains or loads {config}')


def check(cmd):
    words = _split(cmd)
    assert words, cmd
    if words[0] == 'make':
        targets = re.findall(r'^([\w-]+):', (ROOT / 'Makefile').read_text(),
                             re.M)
        for t in words[1:]:
            if '=' not in t:
                assert t in targets, f'make {t}: no such target'
        return
    if words[0].endswith('python') or words[0].endswith('python3'):
        words = words[1:]
    if words[0] == 'mim':
        assert words[1] == 'train', cmd
        config = words[3]
        opts = []
        if '--cfg-options' in words:
            i = words.index('--cfg-options') + 1
            while i < len(words) and not words[i].startswith('--'):
                opts.append(words[i])
                i += 1
        _check_config(config, opts)
        return
    if words[0].startswith('tools/') or words[0].startswith('./tools/'):
        _check_tool(words[0].lstrip('./'), words[1:])
        return
    pytest.fail(f'unrecognised documented command: {cmd}')


COMMANDS = [(d, c) for d, c in doc_commands() if not c.startswith(NOT_OURS)]


def test_docs_have_commands():
    # The README's quick start: exactly the two commands.
    readme = [c for d, c in doc_commands() if d == 'README.md']
    assert readme == ['make demo', 'make test']
    assert len(COMMANDS) > 10


@pytest.mark.parametrize('doc,cmd', COMMANDS,
                         ids=[f'{d}:{i}' for i, (d, _) in enumerate(COMMANDS)])
def test_doc_command(doc, cmd, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv('PYTHONPATH', str(ROOT))
    check(cmd)


def test_checker_catches_a_wrong_option():
    with pytest.raises(pytest.fail.Exception, match='rejects'):
        check('python tools/build_hierarchy.py data/x --out y --no-such-flag')
    with pytest.raises(AssertionError, match='no such target'):
        check('make no-such-target')
    with pytest.raises(AssertionError, match='does not exist'):
        check('mim train mmselfsup configs/no_such_config.py')
