"""mmdet's ``tools/model_converters/publish_model.py`` for mmpose6d checkpoints, with its
arguments; run after ``import mmpose6d``, without which its ``torch.load`` (weights only, by
torch's default) refuses the training state every checkpoint holds.

    python tools/model_converters/publish_model.py work_dirs/run/iter_900.pth model.pth \
        [--save-keys meta state_dict]

keeps ``meta`` and ``state_dict`` and writes ``model-<sha256[:8]>.pth``.
"""
import runpy
from pathlib import Path

import mmdet

import mmpose6d  # noqa: F401  (allows the checkpoints' types in torch.load)

if __name__ == '__main__':
    runpy.run_path(str(Path(mmdet.__file__).parent / '.mim' / 'tools' / 'model_converters' /
                       'publish_model.py'), run_name='__main__')
