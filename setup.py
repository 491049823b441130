from setuptools import find_packages, setup

setup(
    name='dense_ssl',
    version='0.1.0',
    description='Dense self-supervised pre-training (DenseCL, hierarchical grouping) '
    'as an MMSelfSup 1.x plugin',
    packages=find_packages(include=['dense_ssl', 'dense_ssl.*']),
    python_requires='>=3.8',
    install_requires=[
        'mmselfsup>=1.0.0,<1.1.0', 'mmengine>=0.10.0', 'mmcv>=2.0.0,<2.1.0'
    ],
)
