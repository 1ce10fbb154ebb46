"""Loading mmengine checkpoints with torch >= 2.6."""
import os


def trust_mmengine_checkpoints():
    """Let mmengine's ``torch.load`` calls unpickle whole checkpoints again.

    torch 2.6 made ``weights_only=True`` the default; mmengine 0.10 does not pass the
    argument, and the checkpoints it writes hold more than tensors (message hub, optimizer
    and scheduler states, numpy values in ``meta``), so a trained model could not be tested,
    resumed or run. This restores torch's earlier behaviour for loads that do not choose; load
    only checkpoints you trust, as with any pickle.
    """
    os.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
