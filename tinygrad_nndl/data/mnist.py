"""MNIST and Fashion-MNIST from their IDX gz files (torchvision.datasets names).

Where the files are looked for: ``root`` itself if it holds any of the four
files (``train-images-idx3-ubyte.gz`` ...), otherwise ``root/mnist`` (or
``root/fashion-mnist``). So both ``MNIST("data/mnist")`` and ``MNIST("data")``
read ``data/mnist/*.gz``, and downloads of the two data sets into one
``root`` land in separate folders and never overwrite each other.

SHA-256 sums are checked on download. Files already present are not hashed
again (a re-compressed copy, such as Debian's Fashion-MNIST package, works)
but are parsed strictly: a malformed or inconsistent file raises ``IDXError``
naming it.
"""
import os

import numpy as np

from ..tensor.tensor import Tensor
from .dataset import Dataset, Subset, take_rows
from .download import download_file
from .idx import IDXError, read_idx

MAX_IMAGES = 70_000   # what either data set holds, training and test files together


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images.

    ``.data`` is the uint8 array (N, 28, 28) and ``.targets`` the int64 labels.
    Item i is ``(image, label)`` with the image a float32 Tensor (28, 28)
    scaled to [0, 1] (pixel / 255) and the label an int. With ``download=True``
    missing files are fetched from the public mirrors and checked against the
    SHA-256 sums below before they are written (atomically); no mirror is read
    past the file's known size, and each gets an overall deadline.
    """

    folder = "mnist"
    # Same bytes as Yann LeCun's original distribution (torchvision's mirrors).
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
               "https://storage.googleapis.com/cvdf-datasets/mnist/")
    resources = (
        ("train-images-idx3-ubyte.gz",
         "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        ("train-labels-idx1-ubyte.gz",
         "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        ("t10k-images-idx3-ubyte.gz",
         "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        ("t10k-labels-idx1-ubyte.gz",
         "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    )
    # Each file's length by its SHA-256: a download stops reading there.
    sizes = {"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609": 9912422,
             "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c": 28881,
             "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6": 1648877,
             "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6": 4542}
    classes = ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine")

    def __init__(self, root, train=True, download=False):
        self.root = os.fspath(root)
        self.train = bool(train)
        self.raw_folder = self._locate()
        if download:
            self.download()
        prefix = "train" if self.train else "t10k"
        images = os.path.join(self.raw_folder, f"{prefix}-images-idx3-ubyte.gz")
        labels = os.path.join(self.raw_folder, f"{prefix}-labels-idx1-ubyte.gz")
        for path in (images, labels):
            if not os.path.exists(path):
                raise FileNotFoundError(
                    f"{type(self).__name__}: {path} not found (looked in {self.root} and "
                    f"{os.path.join(self.root, self.folder)}); pass download=True to fetch "
                    f"the files, or copy them there")
        self.data = self._read(images, np.uint8, 3, MAX_IMAGES * 28 * 28)
        if self.data.shape[1:] != (28, 28):
            raise IDXError(f"{images}: expected images of shape (N, 28, 28), got "
                           f"{self.data.shape}")
        targets = self._read(labels, np.uint8, 1, MAX_IMAGES)
        if len(targets) != len(self.data):
            raise IDXError(f"{labels}: {len(targets)} labels for the {len(self.data)} images "
                           f"of {images}")
        if targets.size and targets.max() >= len(self.classes):
            raise IDXError(f"{labels}: label {int(targets.max())} out of range: there are "
                           f"{len(self.classes)} classes")
        self.targets = targets.astype(np.int64)

    @staticmethod
    def _read(path, dtype, ndim, limit):
        array = read_idx(path, limit=limit)
        if array.dtype != dtype or array.ndim != ndim:
            raise IDXError(f"{path}: expected a {ndim}-dimensional IDX array of "
                           f"{np.dtype(dtype)}, got {array.ndim} dimensions of {array.dtype}")
        return array

    def _locate(self):
        if any(os.path.exists(os.path.join(self.root, name)) for name, _ in self.resources):
            return self.root
        return os.path.join(self.root, self.folder)

    def download(self):
        """Fetch every missing file of the data set into ``raw_folder``."""
        for name, sha256 in self.resources:
            path = os.path.join(self.raw_folder, name)
            if not os.path.exists(path):
                download_file([m + name for m in self.mirrors], path, sha256,
                              size=self.sizes.get(sha256))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image = self.data[index].astype(np.float32) / np.float32(255)
        return Tensor._make(image, None), int(self.targets[index])

    def get_batch(self, indices):
        """Images float32 (B, 28, 28) in [0, 1] and labels int64 (B,), by fancy indexing."""
        images, labels = take_rows((self.data, self.targets), indices, type(self).__name__)
        return images.astype(np.float32) / np.float32(255), labels

    def __repr__(self):
        split = "train" if self.train else "test"
        return (f"{type(self).__name__}(root={self.root!r}, split={split}, "
                f"{len(self)} images)")


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: the same format and sizes as MNIST, 10 kinds of article."""

    folder = "fashion-mnist"
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    resources = (
        ("train-images-idx3-ubyte.gz",
         "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
        ("train-labels-idx1-ubyte.gz",
         "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
        ("t10k-images-idx3-ubyte.gz",
         "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        ("t10k-labels-idx1-ubyte.gz",
         "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
    )
    sizes = {"3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84": 26421880,
             "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845": 29515,
             "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073": 4422102,
             "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5": 5148}
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")


def book_split(dataset, train_size=50_000):
    """The book's split of MNIST's 60,000 training images (chapter 1): the first
    50,000 for training and the remaining 10,000 for validation, in file order.
    Returns ``(train, validation)`` Subsets; ``MNIST(root, train=False)`` is the
    book's test set."""
    n = len(dataset)
    if not 0 < train_size < n:
        raise ValueError(f"book_split: train_size {train_size} must be between 0 and the "
                         f"dataset's length {n} (exclusive); the book splits the 60,000 "
                         f"training images, MNIST(root, train=True)")
    return Subset(dataset, np.arange(train_size)), Subset(dataset, np.arange(train_size, n))
