"""The DataLoader's PyTorch arguments and the samplers (torch.utils.data);
the order and lengths are checked against PyTorch in the torch group."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_nndl as tg
from tinygrad_nndl.utils.data import (BatchSampler, DataLoader, Dataset, RandomSampler,
                                      SequentialSampler, Subset, SubsetRandomSampler,
                                      TensorDataset, WeightedRandomSampler, random_split)


def _labels(loader):
    return [y.tolist() for _, y in loader]


def test_utils_data_is_the_data_package_under_its_pytorch_name():
    import tinygrad_nndl.utils.data as ud
    assert ud is tg.data and tg.utils.data is tg.data
    assert ud.DataLoader is tg.data.DataLoader


def test_pytorch_call_with_workers_and_pinning_runs_in_order():
    ds = TensorDataset(np.arange(10.0), np.arange(10))
    loader = DataLoader(ds, batch_size=4, shuffle=False, num_workers=2, pin_memory=True,
                        drop_last=False, timeout=0, persistent_workers=True,
                        prefetch_factor=2)
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(loader) == 3


def test_worker_init_fn_is_called_once_per_epoch_as_worker_zero():
    calls = []
    loader = DataLoader(TensorDataset(np.arange(4)), batch_size=2, num_workers=1,
                        worker_init_fn=calls.append)
    list(loader), list(loader)
    assert calls == [0, 0]
    list(DataLoader(TensorDataset(np.arange(4)), worker_init_fn=calls.append))
    assert calls == [0, 0]   # no workers: never called, as in PyTorch


def test_generator_decides_the_shuffle():
    ds = TensorDataset(np.arange(50))
    a = [x.tolist() for (x,) in DataLoader(ds, 7, shuffle=True,
                                            generator=np.random.default_rng(3))]
    b = [x.tolist() for (x,) in DataLoader(ds, 7, shuffle=True,
                                            generator=np.random.default_rng(3))]
    assert a == b and sorted(sum(a, [])) == list(range(50)) and sum(a, []) != list(range(50))


def test_sampler_and_batch_sampler():
    ds = TensorDataset(np.arange(10))
    got = [x.tolist() for (x,) in DataLoader(ds, batch_size=3,
                                              sampler=SubsetRandomSampler([1, 4, 7, 9]))]
    assert sorted(sum(got, [])) == [1, 4, 7, 9] and [len(g) for g in got] == [3, 1]
    bs = BatchSampler(SequentialSampler(ds), 4, drop_last=True)
    assert list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(bs) == 2
    assert [x.tolist() for (x,) in DataLoader(ds, batch_sampler=bs)] == list(bs)
    # a batch sampler of plain lists
    assert [x.tolist() for (x,) in DataLoader(ds, batch_sampler=[[5, 0], [2]])] == [[5, 0], [2]]


def test_batch_size_none_yields_single_samples_as_tensors():
    ds = TensorDataset(np.arange(3.0), np.arange(3))
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == 3 and items[2][1].item() == 2 and isinstance(items[2][0], tg.Tensor)


class _Squares(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "y": i * i}


def test_dict_samples_and_custom_collate():
    batch = next(iter(DataLoader(_Squares(), batch_size=5)))
    assert batch["x"].shape == (5, 2) and batch["y"].tolist() == [0, 1, 4, 9, 16]
    assert batch["y"].dtype == np.int64
    lists = list(DataLoader(_Squares(), batch_size=2, collate_fn=lambda s: [d["y"] for d in s]))
    assert lists == [[0, 1], [4, 9], [16]]


@given(n=st.integers(1, 40), k=st.integers(1, 60), seed=st.integers(0, 100))
def test_random_sampler_without_replacement_takes_whole_permutations(n, k, seed):
    s = RandomSampler(range(n), num_samples=k, generator=np.random.default_rng(seed))
    idx = list(s)
    assert len(idx) == len(s) == k
    for start in range(0, k - k % n, n):
        assert sorted(idx[start:start + n]) == list(range(n))
    assert len(set(idx[k - k % n:])) == k % n


def test_weighted_sampler_never_draws_a_zero_weight():
    s = WeightedRandomSampler([0.0, 1.0, 3.0, 0.0], num_samples=200,
                              generator=np.random.default_rng(0))
    idx = np.array(list(s))
    assert set(idx.tolist()) == {1, 2} and 0.6 < np.mean(idx == 2) < 0.9
    with pytest.raises(ValueError, match="without replacement from 2 non-zero weights"):
        WeightedRandomSampler([0.0, 1.0, 3.0], 3, replacement=False)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sampler=SequentialSampler(range(3)), shuffle=True), "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None"),
    (dict(num_workers=-1), "num_workers must be a non-negative integer"),
    (dict(timeout=-1), "timeout must be non-negative"),
    (dict(persistent_workers=True), "persistent_workers=True needs num_workers > 0"),
    (dict(prefetch_factor=2), "prefetch_factor"),
])
def test_conflicting_arguments_raise_as_in_pytorch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(TensorDataset(np.arange(3)), **kwargs)


def test_generator_must_be_numpys():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(TensorDataset(np.arange(3)), shuffle=True, generator=5)


@pytest.mark.torch
def test_order_lengths_and_splits_match_pytorch():
    torch = pytest.importorskip("torch")
    tud = torch.utils.data
    x = np.arange(23)
    for bs in (1, 4, 23, 30):
        for drop in (False, True):
            ours = DataLoader(TensorDataset(x), batch_size=bs, drop_last=drop)
            theirs = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x)), batch_size=bs,
                                    drop_last=drop, num_workers=0)
            assert len(ours) == len(theirs)
            assert [b.tolist() for (b,) in ours] == [b.tolist() for (b,) in theirs]
    assert len(BatchSampler(SequentialSampler(x), 5, False)) == \
        len(tud.BatchSampler(tud.SequentialSampler(x), 5, False))
    assert [len(p) for p in random_split(TensorDataset(x), [0.5, 0.3, 0.2])] == \
        [len(p) for p in tud.random_split(tud.TensorDataset(torch.from_numpy(x)),
                                          [0.5, 0.3, 0.2])]
    assert Subset(TensorDataset(x), [3, 1])[1][0].item() == \
        tud.Subset(tud.TensorDataset(torch.from_numpy(x)), [3, 1])[1][0].item()


def test_concat_dataset_and_random_split_with_a_generator():
    from tinygrad_nndl.utils.data import ConcatDataset, get_worker_info
    ds = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(10, 12))])
    assert len(ds) == 5 and ds[3][0].item() == 10 and ds[-1][0].item() == 11
    assert [x.tolist() for (x,) in DataLoader(ds, batch_size=2)] == [[0, 1], [2, 10], [11]]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        ds[5]
    a = random_split(TensorDataset(np.arange(10)), [7, 3], generator=np.random.default_rng(4))
    b = random_split(TensorDataset(np.arange(10)), [7, 3], generator=np.random.default_rng(4))
    assert a[1].indices.tolist() == b[1].indices.tolist()
    assert get_worker_info() is None
