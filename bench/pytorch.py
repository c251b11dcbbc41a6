# Reference figures: the seed network trained and run in PyTorch on the CPU,
# so `npm run bench` can be read against them in the same run (bench.ts runs
# this with Debian's python3 when `import torch` works there). Random inputs:
# the figures depend on the shapes only. Medians over repetitions after one
# warm-up, as in bench.ts. Prints one JSON line.
#   /usr/bin/python3 bench/pytorch.py [--quick] [--threads N]

import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

quick = '--quick' in sys.argv
threads = int(sys.argv[sys.argv.index('--threads') + 1]) if '--threads' in sys.argv else 2
torch.set_num_threads(threads)
torch.manual_seed(0)


class SeedNet(torch.nn.Module):
    """The reference network: three 3x3 convs with untied biases, 3x3/2 max pools padded bottom/right, two dense layers."""

    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.b1 = torch.nn.Parameter(torch.zeros(16, 28, 28))
        self.c2 = torch.nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.b2 = torch.nn.Parameter(torch.zeros(32, 14, 14))
        self.c3 = torch.nn.Conv2d(32, 64, 3, padding=1, bias=False)
        self.b3 = torch.nn.Parameter(torch.zeros(64, 7, 7))
        self.d1 = torch.nn.Linear(3136, 100)
        self.d2 = torch.nn.Linear(100, 10)

    @staticmethod
    def pool(x):
        # Zero padding on the bottom and right, as the reference (after ReLU it equals -inf padding).
        return F.max_pool2d(F.pad(x, (0, 1, 0, 1)), 3, 2)

    def forward(self, x):
        x = self.pool(F.relu(self.c1(x) + self.b1))
        x = self.pool(F.relu(self.c2(x) + self.b2))
        x = F.relu(self.c3(x) + self.b3)
        return self.d2(F.relu(self.d1(x.flatten(1))))


def median_seconds(run, n):
    run()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        run()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


net = SeedNet()
reps = 3 if quick else 5
figures = []
for batch in (1, 64):
    opt = torch.optim.SGD(net.parameters(), lr=1e-3) if batch == 1 else torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(batch, 1, 28, 28)
    y = torch.arange(batch) % 10
    steps = (100 if quick else 400) if batch == 1 else (5 if quick else 20)

    def train():
        for _ in range(steps):
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()

    figures.append({'what': 'train', 'batch': batch, 'imagesPerSecond': steps * batch / median_seconds(train, reps)})
with torch.no_grad():
    for batch in (1, 256):
        x = torch.rand(batch, 1, 28, 28)
        n = 200 if batch == 1 else 4
        figures.append({'what': 'infer', 'batch': batch, 'imagesPerSecond': n * batch / median_seconds(lambda: [net(x) for _ in range(n)], reps)})
print(json.dumps({'torch': torch.__version__, 'threads': threads, 'figures': figures}))
