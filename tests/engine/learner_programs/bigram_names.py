import torch
import torch.nn.functional as F

# a small made-up name list: the bigram table is built from these
words = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "luna", "ella", "nora",
         "zoe", "lily", "aria", "kai", "leo", "max", "jack", "owen", "ivy", "ezra", "noah"]
chars = sorted(set("".join(words)))
stoi = {ch: i + 1 for i, ch in enumerate(chars)}
stoi["."] = 0
itos = {i: ch for ch, i in stoi.items()}
V = len(stoi)

N = torch.zeros((V, V), dtype=torch.int32)
for w in words:
    seq = ["."] + list(w) + ["."]
    for a, b in zip(seq, seq[1:]):
        N[stoi[a], stoi[b]] += 1
print(N.shape, N.dtype, N.sum().item())

P = (N + 1).float()
P /= P.sum(1, keepdims=True)
print(P[0, :5])

g = torch.Generator().manual_seed(2147483647)
for _ in range(6):
    out, ix = [], 0
    while True:
        ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
        if ix == 0:
            break
        out.append(itos[ix])
    print("".join(out))

nll, n = 0.0, 0
for w in words:
    seq = ["."] + list(w) + ["."]
    for a, b in zip(seq, seq[1:]):
        nll -= torch.log(P[stoi[a], stoi[b]]).item()
        n += 1
print(f"average nll {nll / n:.4f}")

# the same model as a one-layer net trained by gradient descent
xs, ys = [], []
for w in words:
    seq = ["."] + list(w) + ["."]
    for a, b in zip(seq, seq[1:]):
        xs.append(stoi[a])
        ys.append(stoi[b])
xs, ys = torch.tensor(xs), torch.tensor(ys)
g = torch.Generator().manual_seed(2147483647)
W = torch.randn((V, V), generator=g, requires_grad=True)
for step in range(30):
    xenc = F.one_hot(xs, num_classes=V).float()
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(len(xs)), ys].log().mean() + 0.01 * (W ** 2).mean()
    W.grad = None
    loss.backward()
    W.data += -10 * W.grad
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.4f}")

g = torch.Generator().manual_seed(2147483647)
for _ in range(4):
    out, ix = [], 0
    while True:
        xenc = F.one_hot(torch.tensor([ix]), num_classes=V).float()
        p = (xenc @ W).exp()
        p = p / p.sum(1, keepdims=True)
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        if ix == 0:
            break
        out.append(itos[ix])
    print("".join(out))
samples = torch.multinomial(P[0], 8, replacement=False, generator=g)
print(samples, samples.dtype)
