"""Complete small programs in the style of the tutorials, run on the engine and on PyTorch: a
CNN trained on random 1x28x28 images, an LSTM learning a toy sequence, a char-level model with
an embedding, batch norm and layer norm, a bidirectional LSTM tagger trained with NLLLoss.
Same seed, same data, same printed losses."""

from __future__ import annotations

import pytest
from layers_util import same_output

CNN = """
torch.manual_seed(0)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 6 * 6, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))

net = Net()
print(net)
images, labels = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
opt = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for step in range(4):
    opt.zero_grad()
    loss = loss_fn(net(images), labels)
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}", loss.grad_fn)
print(net(images[:2]).argmax(1), net.conv1.weight.grad.shape)
"""

LSTM = """
torch.manual_seed(0)
t = torch.arange(0, 24, dtype=torch.float32) * 0.3
wave = torch.sin(t)
x, y = wave[:-1].reshape(1, -1, 1), wave[1:].reshape(1, -1, 1)

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 6, batch_first=True)
        self.head = nn.Linear(6, 1)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return self.head(out)

model = Model()
print(model)
opt = optim.Adam(model.parameters(), lr=0.02)
for step in range(6):
    opt.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.5f}")
"""

CHARS = """
torch.manual_seed(42)
vocab, block = 12, 3
data = torch.randint(0, vocab, (40, block + 1))
X, Y = data[:, :block], data[:, block]
model = nn.Sequential(nn.Embedding(vocab, 5), nn.Flatten(), nn.Linear(15, 16, bias=False),
                      nn.BatchNorm1d(16), nn.Tanh(), nn.LayerNorm(16), nn.Linear(16, vocab))
print(model)
opt = optim.SGD(model.parameters(), lr=0.1)
for step in range(5):
    loss = F.cross_entropy(model(X), Y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")
print(model[3].running_mean[:4], model[3].num_batches_tracked)
"""

TAGGER = """
torch.manual_seed(7)
corpus = [("cats chase small mice".split(), [1, 2, 0, 1]),
          ("big dogs eat".split(), [0, 1, 2])]
vocab = {w: i for i, w in enumerate(sorted({w for words, _ in corpus for w in words}))}

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(len(vocab), 5)
        self.rnn = nn.LSTM(5, 4, bidirectional=True)
        self.out = nn.Linear(8, 3)

    def forward(self, ids):
        seq, _ = self.rnn(self.emb(ids).unsqueeze(1))
        return F.log_softmax(self.out(seq.squeeze(1)), dim=1)

tagger = Tagger()
loss_fn = nn.NLLLoss()
opt = optim.SGD(tagger.parameters(), lr=0.2)
for epoch in range(15):
    for words, tags in corpus:
        tagger.zero_grad()
        loss = loss_fn(tagger(torch.tensor([vocab[w] for w in words])), torch.tensor(tags))
        loss.backward()
        opt.step()
    if epoch % 5 == 0:
        print(epoch, f"{loss.item():.4f}")
with torch.no_grad():
    print(tagger(torch.tensor([vocab[w] for w in corpus[0][0]])).argmax(1))
"""


@pytest.mark.torch
@pytest.mark.parametrize("src", [CNN, LSTM, CHARS, TAGGER], ids=["cnn", "lstm", "chars", "tagger"])
def test_program_prints_what_pytorch_prints(src):
    real = pytest.importorskip("torch")
    ours, theirs = same_output(src, real)
    assert "Error" not in ours
    assert ours == theirs
