"""The repository's scripts (``tools/``), imported as modules so that tests call their
``main``."""
import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_tool(relative_path):
    """The script at ``tools/<relative_path>`` as a module."""
    path = REPO / 'tools' / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
