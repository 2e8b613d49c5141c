"""``torch.cuda``'s questions, answered for a library that runs on numpy: there
is no GPU, so scripts that check ``tinygrad_nndl.cuda.is_available()`` take
their CPU path."""


def is_available():
    return False


def device_count():
    return 0
