"""Reading untrusted files without letting them choose how much memory is
taken: a reader compares the size a header announces with what the file
can hold (its own size, times ``DEFLATE_MAX_RATIO`` when compressed) before
allocating, then fills the array in place with ``read_into``."""
import numpy as np

# deflate (gzip, zip) never inflates n bytes to more than about 1032 n
DEFLATE_MAX_RATIO = 1032


def read_into(f, array):
    """Fill ``array``'s memory (C or Fortran contiguous) from the binary file
    ``f``; return the number of bytes read, short only at the end of ``f``."""
    if not array.nbytes:
        return 0
    view = memoryview(array.reshape(-1, order="A").view(np.uint8))
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    return got
