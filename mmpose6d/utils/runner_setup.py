"""What tools/train.py and tools/test.py share: the common arguments and config set-up."""
import os
import os.path as osp

from mmengine.config import Config, DictAction

from .checkpoint import TRUST_CHECKPOINT_HELP
from .dist import setup_cpu_distributed


def add_common_args(parser):
    """--work-dir, --cfg-options, --launcher and --local-rank, as mmdet's tools have them,
    and --trust-checkpoint."""
    parser.add_argument('--work-dir', help='the dir to save logs, models and metrics')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--trust-checkpoint', action='store_true', help=TRUST_CHECKPOINT_HELP)
    return parser


def load_config(args):
    """The config of ``args.config`` with the common arguments applied; also prepares
    torchrun on CPU machines."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    setup_cpu_distributed(cfg)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg
