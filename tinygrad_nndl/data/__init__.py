"""Data: datasets, mini-batch loading, and the book's data sets (torch.utils.data
and torchvision.datasets names).

- ``DataLoader``, ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split``
  and the samplers: mini-batches by fancy indexing, no per-sample Python loop.
  This package is also ``tinygrad_nndl.utils.data`` (PyTorch's path).
- ``load_digits`` / ``digits_split``: scikit-learn's 8x8 digits, the embedded default.
- ``MNIST``, ``FashionMNIST``, ``book_split``: the IDX gz files, optionally
  downloaded (SHA-256 checked, bounded in time and size, atomic writes); the
  book's 50,000 / 10,000 split.
- ``load_mnist_pkl``: the book's ``mnist.pkl.gz`` through a restricted unpickler.
- ``mixup``, ``add_input_noise``, ``shift_rotate``, ``augment_digits``,
  ``expand_by_shifts``: chapter 3's data augmentation.
"""
from .augment import add_input_noise, augment_digits, expand_by_shifts, mixup, shift_rotate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .digits import digits_split, load_digits
from .download import DownloadError, download_file
from .idx import IDXError, read_idx
from .loader import DataLoader, default_collate, get_worker_info
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)
from .mnist import MNIST, FashionMNIST, book_split
from .pickle_safe import ArrayUnpickler, load_mnist_pkl

__all__ = ["Dataset", "ConcatDataset", "get_worker_info", "Subset", "TensorDataset", "random_split",
           "DataLoader",
           "default_collate", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "load_digits",
           "digits_split", "MNIST", "FashionMNIST", "book_split", "read_idx", "IDXError",
           "download_file", "DownloadError",
           "load_mnist_pkl", "ArrayUnpickler", "mixup", "add_input_noise", "shift_rotate",
           "augment_digits", "expand_by_shifts"]
