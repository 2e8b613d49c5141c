"""Ordinary PyTorch training programs, written as a PyTorch user writes them.

Each program takes the library as its first argument, named ``torch``: the
tests pass PyTorch itself, then ``tinygrad_nndl``, so the same code runs on
both with only the import changed. The only other inputs are the data (numpy
arrays) and ``init``, a function name, shape -> numpy array that gives the
starting weights, loaded with ``model.load_state_dict`` (the two libraries'
random generators differ, so the weights come from outside for the runs to
be comparable step by step). Each program returns its losses, one per step.
"""
import zlib

import numpy as np


def init_weights(name, shape):
    """Deterministic starting weights: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) from a
    generator seeded by the parameter's name."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    bound = 1 / np.sqrt(shape[-1])
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def load_init(torch, model, init):
    model.load_state_dict({k: torch.tensor(init(k, tuple(v.shape)))
                           for k, v in model.state_dict().items()})


def make_classification(n=96, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    w = rng.standard_normal((features, classes))
    return x, (x @ w).argmax(1).astype(np.int64)


def make_sequences(n=64, length=10, vocab=20, seed=1):
    """Padded token sequences; the label says whether token 5 occurs."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, vocab, (n, length))
    lengths = rng.integers(4, length + 1, n)
    tokens[np.arange(length) >= lengths[:, None]] = 0          # padding
    return tokens.astype(np.int64), (tokens == 5).any(1).astype(np.int64)


def make_series(n=48, length=12, seed=2):
    """Noisy sine windows; the target is the next value."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 2 * np.pi, n)
    t = start[:, None] + 0.3 * np.arange(length + 1)
    series = np.sin(t) + 0.05 * rng.standard_normal(t.shape)
    return (series[:, :-1, None].astype(np.float32),
            series[:, -1:].astype(np.float32))


# ----- 1. an MLP: DataLoader, clip_grad_norm_, a scheduler and a checkpoint ----------------
def mlp_program(torch, data, init, checkpoint_path, epochs=3):
    nn = torch.nn
    from_data = torch.utils.data
    device = torch.device("cpu")

    x, y = data
    loader = from_data.DataLoader(from_data.TensorDataset(torch.tensor(x), torch.tensor(y)),
                                  batch_size=16, shuffle=False, num_workers=0)

    def build():
        model = nn.Sequential(
            nn.Linear(8, 32), nn.ReLU(),
            nn.Linear(32, 32), nn.Tanh(),
            nn.Linear(32, 3),
        ).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
        return model, opt, sched

    model, opt, sched = build()
    load_init(torch, model, init)
    criterion = nn.CrossEntropyLoss()

    def train_one_epoch(model, opt):
        model.train()
        losses = []
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            opt.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            opt.step()
            losses.append(loss.item())
        return losses

    losses = []
    for epoch in range(epochs):
        losses += train_one_epoch(model, opt)
        sched.step()
        if epoch == 0:
            torch.save({"epoch": epoch, "model": model.state_dict(),
                        "optimizer": opt.state_dict(), "scheduler": sched.state_dict()},
                       checkpoint_path)

    # resume from the checkpoint into new objects: the next epoch must repeat itself
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
    model2, opt2, sched2 = build()
    model2.load_state_dict(checkpoint["model"])
    opt2.load_state_dict(checkpoint["optimizer"])
    sched2.load_state_dict(checkpoint["scheduler"])
    resumed = train_one_epoch(model2, opt2)

    model.eval()
    with torch.no_grad():
        accuracy = (model(torch.tensor(x)).argmax(dim=1) == torch.tensor(y)).float().mean()
    return {"losses": losses, "resumed": resumed, "accuracy": accuracy.item(),
            "lr": sched.get_last_lr()[0]}


# ----- 2. an LSTM classifier with Embedding and AdamW ----------------------------------------
def lstm_classifier_program(torch, data, init, epochs=4):
    nn = torch.nn

    class Classifier(nn.Module):
        def __init__(self, vocab_size, embed_dim, hidden_dim, num_classes):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
            self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=2, batch_first=True,
                                dropout=0.0)
            self.fc = nn.Linear(hidden_dim, num_classes)

        def forward(self, tokens):
            embedded = self.embedding(tokens)
            output, (h_n, c_n) = self.lstm(embedded)
            return self.fc(h_n[-1])

    tokens, labels = data
    dataset = torch.utils.data.TensorDataset(torch.tensor(tokens), torch.tensor(labels))
    loader = torch.utils.data.DataLoader(dataset, batch_size=16)
    model = Classifier(20, 8, 16, 2)
    load_init(torch, model, init)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    losses = []
    for epoch in range(epochs):
        for batch_tokens, batch_labels in loader:
            optimizer.zero_grad()
            logits = model(batch_tokens)
            loss = torch.nn.functional.cross_entropy(logits, batch_labels, label_smoothing=0.1)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            losses.append(loss.item())
    return {"losses": losses}


# ----- 3. a GRU forecaster -------------------------------------------------------------------
def gru_program(torch, data, init, epochs=5):
    nn = torch.nn

    class Forecaster(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(input_size=1, hidden_size=12, num_layers=2, batch_first=True,
                              bidirectional=True)
            self.head = nn.Sequential(nn.Linear(24, 12), nn.GELU(), nn.Linear(12, 1))

        def forward(self, x):
            out, _ = self.gru(x)
            return self.head(out[:, -1])

    x, y = data
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=12,
        drop_last=True)
    model = Forecaster()
    load_init(torch, model, init)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=5e-3, momentum=0.5)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    loss_fn = nn.MSELoss()
    losses = []
    for epoch in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            nn.utils.clip_grad_value_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    return {"losses": losses}


# ----- 4. a small convolutional network (chapter 6's kind) ------------------------------------
def make_images(n=64, seed=3):
    """8x8 one-channel images of a bright bar, vertical (class 0) or horizontal (1)."""
    rng = np.random.default_rng(seed)
    x = 0.1 * rng.standard_normal((n, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 2, n)
    pos = rng.integers(1, 7, n)
    for i in range(n):
        if y[i]:
            x[i, 0, pos[i], :] += 1.0
        else:
            x[i, 0, :, pos[i]] += 1.0
    return x, y.astype(np.int64)


def conv_program(torch, data, init, epochs=3):
    nn = torch.nn
    F = nn.functional

    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=3, padding=1)
            self.bn = nn.BatchNorm2d(4)
            self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
            self.pool = nn.MaxPool2d(2)
            self.fc = nn.Linear(8 * 2 * 2, 2)

        def forward(self, x):
            x = self.pool(F.relu(self.bn(self.conv1(x))))
            x = F.relu(self.conv2(x))
            return self.fc(torch.flatten(x, 1))

    x, y = data
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=16)
    model = ConvNet()
    state = model.state_dict()
    model.load_state_dict({k: (torch.tensor(init(k, tuple(v.shape)))
                               if k.endswith(("weight", "bias")) else v)
                           for k, v in state.items()})   # BatchNorm's running stats as made
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        accuracy = (model(torch.tensor(x)).argmax(1) == torch.tensor(y)).float().mean().item()
    return {"losses": losses, "eval_accuracy": [accuracy],
            "running_mean": model.bn.running_mean.tolist()}


PROGRAMS = {
    "mlp": lambda torch, path: mlp_program(torch, make_classification(), init_weights, path),
    "lstm_classifier": lambda torch, path: lstm_classifier_program(torch, make_sequences(),
                                                                   init_weights),
    "gru": lambda torch, path: gru_program(torch, make_series(), init_weights),
    "conv": lambda torch, path: conv_program(torch, make_images(), init_weights),
}
