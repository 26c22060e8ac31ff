"""How many threads the model's forward pass may use in this process."""


def limit_threads(count: int) -> None:
    """Intra-op threads of torch for this process (the serving processes set it once, at start).

    torch defaults to one thread per core; on a box whose cores the database and the API's
    event loop share, a forward pass on every core stalls both. torch is imported here, not at
    the API's import time.
    """
    import torch

    if torch.get_num_threads() != count:
        torch.set_num_threads(count)
