"""xai_helpers.models: the MNIST CNN, training, checkpoints with SHA-256, the ImageNet model."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch

from xai_helpers import checkpoints, models, train
from xai_helpers.data import imagenet_preprocess, lighting, load_photo


def test_mnist_cnn_shape_and_layers():
    m = models.MnistCNN()
    assert m(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert m.conv2.out_channels >= 16
    assert sum(p.numel() for p in m.parameters()) < 200_000


def test_shipped_checkpoint_accuracy(mnist, mnist_cnn):
    acc = models.accuracy(mnist_cnn, mnist.X_test, mnist.y_test)
    assert acc >= 0.97
    with pytest.raises(ValueError, match="one label per sample"):
        models.accuracy(
            mnist_cnn, mnist.X_test, mnist.y_test[:, None]
        )  # would broadcast to (N, N) unchecked
    # recorded on the machine that trained it: another CPU or thread count may round a near-tie the
    # other way, so allow one of the 1000 test digits (1e-3) plus float slack
    assert checkpoints.checkpoint_meta("mnist_cnn")["test_accuracy"] == pytest.approx(
        acc, abs=1.5e-3
    )
    assert not mnist_cnn.training


def test_checkpoint_roundtrip_and_sha_refusal(tmp_path):
    m = models.MnistCNN(c1=4, c2=8, hidden=8)
    checkpoints.save_checkpoint(
        m, "tiny", kwargs={"c1": 4, "c2": 8, "hidden": 8}, meta={"note": "test"}, directory=tmp_path
    )
    loaded = models.load_pretrained("tiny", directory=tmp_path)
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(
        loaded(x), m.eval()(x)
    )  # the same weights on the same batch: the same computation, bit for bit
    assert checkpoints.checkpoint_meta("tiny", directory=tmp_path) == {"note": "test"}
    # tamper with one byte: refused, with a message saying what to do
    path = tmp_path / "tiny.pt"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(checkpoints.ChecksumError, match="SHA-256.*git checkout"):
        models.load_pretrained("tiny", directory=tmp_path)


def test_checkpoint_without_recorded_hash_is_refused(tmp_path):
    (tmp_path / "mnist_cnn.pt").write_bytes(
        (checkpoints.CHECKPOINT_DIR / "mnist_cnn.pt").read_bytes()
    )
    with pytest.raises(checkpoints.ChecksumError, match="no SHA-256"):
        models.load_pretrained("mnist_cnn", directory=tmp_path)
    with pytest.raises(FileNotFoundError, match="available: mnist_cnn"):
        models.load_pretrained("nope", directory=tmp_path)


def test_every_shipped_checkpoint_matches_its_hash_and_is_small():
    sums = (checkpoints.CHECKPOINT_DIR / "SHA256SUMS").read_text().split()
    recorded = dict(zip(sums[1::2], sums[0::2]))
    files = [f"{name}.pt" for name in checkpoints.checkpoint_names()]
    assert files and set(files) == set(recorded)
    for name in files:
        raw = (checkpoints.CHECKPOINT_DIR / name).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == recorded[name]
        assert len(raw) < 5 * 2**20, f"{name} is over 5 MB: shrink the model"


def test_every_checkpoint_has_a_recipe():
    from xai_helpers.train import RECIPES

    for name in checkpoints.checkpoint_names():
        assert name in RECIPES, f"{name}.pt has no recipe in xai_helpers.train.RECIPES"


def test_save_checkpoint_refuses_foreign_architecture(tmp_path):
    with pytest.raises(ValueError, match="xai_helpers"):
        checkpoints.save_checkpoint(torch.nn.Linear(2, 2), "x", directory=tmp_path)


def test_imagenet_model_recognises_the_cat():
    model = models.imagenet_model()
    top = models.predict_topk(model, imagenet_preprocess(load_photo("chelsea")), k=3)[0]
    assert top[0][0] in {"tabby", "tiger cat", "Egyptian cat"}
    assert sum(p for _, p in top) > 0.8
    assert models.imagenet_classes()[285] == "Egyptian cat"


def test_untrained_imagenet_model_is_the_same_architecture_with_seeded_random_weights():
    trained = models.imagenet_model()
    torch.manual_seed(0)
    a = models.imagenet_model(pretrained=False)
    torch.manual_seed(0)
    b = models.imagenet_model(pretrained=False)
    sa, sb, st = a.state_dict(), b.state_dict(), trained.state_dict()
    assert list(sa) == list(st) and all(sa[k].shape == st[k].shape for k in sa)
    assert all(torch.equal(sa[k], sb[k]) for k in sa)  # seeded: the same random network
    assert not torch.equal(sa["conv_stem.weight"], st["conv_stem.weight"])
    p = models.predict_proba(a, imagenet_preprocess(load_photo("chelsea")))[0]
    assert (
        p[281:286].sum() < 0.05
    )  # no cat class (the trained network gives them most of its probability)
    with pytest.raises(TypeError, match="pretrained"):
        models.imagenet_model(pretrained="no")


def test_predict_topk_and_proba(mnist_cnn, digits):
    x, y = digits
    p = models.predict_proba(mnist_cnn, x)
    assert torch.allclose(p.sum(1), torch.ones(len(x)), atol=1e-5)
    top = models.predict_topk(mnist_cnn, x, k=3)
    assert [int(t[0][0]) for t in top] == p.argmax(1).tolist()
    assert all(t[0][1] >= t[1][1] >= t[2][1] for t in top)
    with pytest.raises(ValueError, match="exceeds"):
        models.predict_topk(mnist_cnn, x, k=11)
    with pytest.raises(ValueError, match="class_names"):
        models.predict_topk(mnist_cnn, x, k=1, class_names=["a"])


def test_monster_cnn_architecture():
    net = models.MonsterCNN()
    assert [n for n, m in net.named_children() if isinstance(m, torch.nn.Conv2d)] == [
        f"conv{i}" for i in range(1, 7)
    ]
    assert net(torch.rand(2, 3, 48, 48)).shape == (2, 2)
    lecture = models.MonsterCNN((32, 32, 64, 64, 256, 256), 1024, 120)
    assert [m.out_channels for m in lecture if isinstance(m, torch.nn.Conv2d)] == [
        32,
        32,
        64,
        64,
        256,
        256,
    ]
    assert lecture.fc1.out_features == 1024 and lecture.fc1.in_features == 256 * 13 * 13
    with pytest.raises(ValueError, match="widths"):
        models.MonsterCNN(widths=(8, 8))


@pytest.mark.parametrize("name", ["monsters_leaky", "monsters_fixed"])
def test_monster_checkpoints_load(name):
    net = models.load_pretrained(name)
    assert isinstance(net, models.MonsterCNN)
    meta = checkpoints.checkpoint_meta(name)
    assert meta["loader"] == name.split("_")[1] and 0.5 < meta["test_accuracy"] <= 1.0


def test_dcgan_shapes_and_range():
    G, D = models.DCGANGenerator(latent_dim=8, width=16), models.DCGANDiscriminator(width=16)
    x = G(torch.randn(5, 8))
    assert x.shape == (5, 1, 28, 28) and x.min() >= 0 and x.max() <= 1
    assert D(x).shape == (5, 1)
    with pytest.raises(ValueError, match=r"z must have shape \(N, 8\)"):
        G(torch.randn(5, 9))
    with pytest.raises(ValueError, match="latent_dim must be >= 1"):
        models.DCGANGenerator(latent_dim=0)


def test_shipped_parabola_nets():
    from xai_helpers.data import make_parabola

    nets = models.load_pretrained("parabola_nets")
    meta = checkpoints.checkpoint_meta("parabola_nets")
    X, y = make_parabola(1000, noise=0.0, seed=1)
    for name in ("plain", "treereg"):
        pred = getattr(nets, name)(torch.as_tensor(X)).argmax(1).numpy()
        # recorded where the nets were trained: allow one of the 1000 points to round the other way
        # (1e-3) plus float slack
        assert float((pred == y).mean()) == pytest.approx(meta[f"{name}_test_accuracy"], abs=1.5e-3)
    assert meta["treereg_apl"] < meta["plain_apl"]


def test_every_shipped_checkpoint_records_its_current_class_path():
    """A checkpoint names its architecture by where the class lives now: no table of old names."""
    for name in checkpoints.checkpoint_names():
        module, cls = checkpoints.load_checkpoint(name)["arch"].split(":")
        assert module == "xai_helpers.models" and isinstance(
            models.load_pretrained(name), getattr(models, cls)
        ), name


def test_elephant_rejects_bad_input():
    with pytest.raises(ValueError, match="trunk length"):
        models.ElephantScore()(torch.rand(2, 3))
    with pytest.raises(TypeError, match="torch.Tensor"):
        models.ElephantScore()([[1.0, 0.5]])


def test_null_decoders_are_matched_draws_of_the_untrained_network(mnist, mnist_cnn):
    from xai_helpers import representations as R
    from xai_helpers.evaluation import untrained_copy
    from xai_helpers.train import NULL_DECODER_SEEDS

    dec = models.load_pretrained("mnist_null_decoders")
    assert dec.layers == ("relu3", "fc2")
    assert dec.networks == tuple(f"untrained{s}" for s in NULL_DECODER_SEEDS)
    x = lighting.add_lighting(mnist.X_test[:200], lighting.assign_writers(200, seed=5))
    for net, seed in zip(dec.networks, NULL_DECODER_SEEDS):
        reps = R.collect_representations(untrained_copy(mnist_cnn, seed=seed), x, ["relu3"])
        img = dec.decode(torch.as_tensor(reps["relu3"]), "relu3", net)
        assert img.shape == (200, 1, 28, 28)
        assert ((img - x) ** 2).mean() < ((x.mean(0) - x) ** 2).mean()  # better than the mean
    with pytest.raises(ValueError, match="network must be one of"):
        dec.decode(torch.zeros(2, 10), "fc2", "trained")


def test_layer_decoders_shapes_and_shipped_quality(mnist, mnist_cnn):
    from xai_helpers import representations as R
    from xai_helpers.evaluation import untrained_copy

    dec = models.load_pretrained("mnist_layer_decoders")
    assert dec.layers == ("pool1", "pool2", "relu3", "fc2")
    writer = lighting.assign_writers(200, seed=5)
    x = lighting.add_lighting(mnist.X_test[:200], writer)
    reps = R.collect_representations(mnist_cnn, x, layers=dec.layers)
    null = R.collect_representations(
        untrained_copy(mnist_cnn, seed=dec.untrained_seed), x, layers=dec.layers
    )
    img = dec.decode(torch.as_tensor(reps["pool1"]), "pool1")
    assert img.shape == (200, 1, 28, 28) and 0 <= img.min() and img.max() <= 1
    assert ((img - x) ** 2).mean() < 0.01  # pool1 keeps nearly everything
    y = mnist.y_test[:200]
    trained = models.accuracy(mnist_cnn, dec.decode(torch.as_tensor(reps["relu3"]), "relu3"), y)
    untrained = models.accuracy(
        mnist_cnn, dec.decode(torch.as_tensor(null["relu3"]), "relu3", "untrained"), y
    )
    assert trained > untrained + 0.2
    with pytest.raises(ValueError, match="no decoder"):
        dec.decode(torch.zeros(1, 64), "conv1")
    with pytest.raises(ValueError, match="network"):
        dec.decode(torch.zeros(1, 64), "relu3", "random")


def test_mnist_cnn_lit_reads_lit_digits_and_records_its_recipe(mnist, mnist_cnn):

    lit = models.load_pretrained("mnist_cnn_lit")
    meta = checkpoints.checkpoint_meta("mnist_cnn_lit")
    assert {"lit_test_accuracy", "test_accuracy", "amplitude", "writer_seed"} <= set(meta)
    x = lighting.add_lighting(
        mnist.X_test,
        lighting.assign_writers(len(mnist.X_test), seed=0),
        amplitude=meta["amplitude"],
    )
    acc = models.accuracy(lit, x, mnist.y_test)
    assert abs(acc - meta["lit_test_accuracy"]) < 1e-3  # the record is what this file measures
    assert (
        acc > models.accuracy(mnist_cnn, x, mnist.y_test) + 0.03
    )  # trained on lamps, it reads lit digits better


def test_untrained_network_is_seeded_and_leaves_the_global_rng_alone():
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    a = models.untrained_monster_cnn(2)
    assert torch.rand(1) == before
    assert torch.equal(a.conv1.weight, models.untrained_monster_cnn(2).conv1.weight)
    assert not torch.equal(a.conv1.weight, models.untrained_monster_cnn(3).conv1.weight)


def test_the_shipped_table_is_checked_and_a_changed_copy_refused(tmp_path):
    table = checkpoints.load_seed_table()
    assert sorted(table) == list(train.MONSTER_SEEDS)
    raw = (checkpoints.CHECKPOINT_DIR / checkpoints.SEED_TABLE).read_bytes()
    (tmp_path / checkpoints.SEED_TABLE).write_bytes(raw)
    (tmp_path / (checkpoints.SEED_TABLE + ".sha256")).write_text(
        f"{hashlib.sha256(raw).hexdigest()}  {checkpoints.SEED_TABLE}\n"
    )
    assert checkpoints.load_seed_table(tmp_path) == table
    doc = json.loads(raw)
    doc["seeds"]["0"]["acc_leaky"] = 0.5
    (tmp_path / checkpoints.SEED_TABLE).write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="SHA-256"):
        checkpoints.load_seed_table(tmp_path)
    with pytest.raises(ValueError, match="no monsters_seeds.json"):
        checkpoints.load_seed_table(tmp_path / "missing")


def test_the_tree_data_table_is_checked_and_a_changed_copy_refused(tmp_path):
    table = checkpoints.load_tree_data_table()
    assert sorted(table["seeds"]) == list(train.TREE_DATA_SEEDS)
    name = checkpoints.TREE_DATA_TABLE
    raw = (checkpoints.CHECKPOINT_DIR / name).read_bytes()
    (tmp_path / name).write_bytes(raw)
    (tmp_path / (name + ".sha256")).write_text(f"{hashlib.sha256(raw).hexdigest()}  {name}\n")
    assert checkpoints.load_tree_data_table(tmp_path) == table
    doc = json.loads(raw)
    doc["seeds"]["0"]["fidelity_cnn_labels_more"] = 0.99
    (tmp_path / name).write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="SHA-256"):
        checkpoints.load_tree_data_table(tmp_path)
    with pytest.raises(ValueError, match="no mnist_tree_data.json"):
        checkpoints.load_tree_data_table(tmp_path / "missing")


def test_the_tree_data_recipe_writes_a_table_the_loader_reads(tmp_path):
    # a small run (one seed, two copies, depth 2): the recipe's table is read back, its SEED row
    # for the 4,000 digits is the fidelity curve's tree of the same depth and seed
    from xai_helpers import trees
    from xai_helpers.data import load_mnist

    train.train_mnist_tree_data(directory=tmp_path, seeds=(1,), depth=2, copies=2)
    row = checkpoints.load_tree_data_table(tmp_path)["seeds"][1]
    assert row["n_more"] == 8000
    mnist, cnn = load_mnist(), models.load_pretrained("mnist_cnn")
    pool = lambda A: (
        torch.nn.functional.avg_pool2d(  # noqa: E731
            torch.as_tensor(A, dtype=torch.float32).reshape(-1, 1, 28, 28), 2
        )
        .reshape(len(A), -1)
        .numpy()
    )
    says = lambda A: models.predict_proba(  # noqa: E731
        cnn, torch.as_tensor(A, dtype=torch.float32).reshape(-1, 1, 28, 28)
    ).numpy()
    flat = lambda X: X.reshape(len(X), -1).numpy()  # noqa: E731
    curve = trees.fidelity_curve(
        says, flat(mnist.X_train), flat(mnist.X_test), [2], seed=1, features=pool
    )
    assert abs(row["fidelity_cnn_labels"] - curve["fidelity"][0]) <= 1e-4  # rounded to 4 places


def test_inference_copy_matches_the_model_at_any_batch_size():
    from xai_helpers.models import inference_copy

    gen = torch.Generator().manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten()
    ).eval()
    with torch.no_grad():  # batch-norm statistics that are not the identity
        net[1].running_mean.uniform_(-1, 1, generator=gen)
        net[1].running_var.uniform_(0.5, 2, generator=gen)
    x = torch.rand(7, 3, 8, 8, generator=gen)
    fast = inference_copy(net, x[:1])
    with torch.no_grad():
        assert torch.allclose(fast(x), net(x), atol=1e-5)  # float32, fused kernels: 1e-5
        assert not torch.allclose(fast(x), net(x + 0.1), atol=1e-3)
    with pytest.raises(TypeError):
        inference_copy(lambda z: z, x[:1])
    with pytest.raises(TypeError):
        inference_copy(net, x[:1].numpy())


def test_group_vs_rest_is_the_summed_softmax_as_two_classes():
    from xai_helpers.models import GroupVsRest

    net = torch.nn.Linear(5, 6)
    two = GroupVsRest(net, [0, 4])
    x = torch.randn(3, 5)
    p = net(x).softmax(1)[:, [0, 4]].sum(1)
    assert torch.allclose(two(x).softmax(1)[:, 1], p, atol=1e-6)
    with pytest.raises(ValueError):
        GroupVsRest(net, [])


def test_the_l2_table_is_checked_and_a_changed_copy_refused(tmp_path):
    runs = checkpoints.load_l2_table()
    assert sorted({r["decay"] for r in runs}) == sorted(train.L2_DECAYS)
    name = checkpoints.L2_TABLE
    raw = (checkpoints.CHECKPOINT_DIR / name).read_bytes()
    (tmp_path / name).write_bytes(raw)
    (tmp_path / (name + ".sha256")).write_text(f"{hashlib.sha256(raw).hexdigest()}  {name}\n")
    assert checkpoints.load_l2_table(tmp_path) == runs
    doc = json.loads(raw)
    doc["runs"][0]["apl"] = 0.5
    (tmp_path / name).write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="SHA-256"):
        checkpoints.load_l2_table(tmp_path)
    with pytest.raises(ValueError, match="no parabola_l2.json"):
        checkpoints.load_l2_table(tmp_path / "missing")


def test_the_l2_recipe_reproduces_a_shipped_row(tmp_path):
    # one network of the shipped table, retrained: the same accuracy and O(T)
    from xai_helpers.data import make_parabola
    from xai_helpers.trees import tree_complexity

    row = checkpoints.load_l2_table()[0]
    X, y = make_parabola(500, noise=0.1, seed=0)
    X_te, y_te = make_parabola(1000, noise=0.0, seed=1)
    net = train.train_weight_decayed(X, y, row["decay"], seed=row["seed"])
    with torch.no_grad():
        acc = (net(torch.as_tensor(X_te, dtype=torch.float32)).argmax(1).numpy() == y_te).mean()
    assert acc == pytest.approx(row["test_accuracy"], abs=0.01)
    assert tree_complexity(net, X) == pytest.approx(row["apl"], abs=0.3)


def test_last_index_max_pool_copy_same_outputs_other_tie_rule():
    from xai_helpers.models import last_index_max_pool_copy

    z = torch.tensor([[[[1.0, 1.0], [0.0, 1.0]]]], requires_grad=True)  # a tie: entries 0, 1, 3
    net = torch.nn.Sequential(torch.nn.MaxPool2d(2))
    other = last_index_max_pool_copy(net)
    assert torch.equal(net(z), other(z))
    first = torch.autograd.grad(net(z).sum(), z)[0].flatten().tolist()
    last = torch.autograd.grad(other(z).sum(), z)[0].flatten().tolist()
    assert first == [1.0, 0.0, 0.0, 0.0] and last == [0.0, 0.0, 0.0, 1.0]
    assert isinstance(net[0], torch.nn.MaxPool2d)  # the original is not changed
    with pytest.raises(ValueError):
        last_index_max_pool_copy(torch.nn.Sequential(torch.nn.MaxPool2d(3, stride=1)))
    with pytest.raises(ValueError):
        other(torch.zeros(1, 1, 3, 3))
    with pytest.raises(TypeError):
        last_index_max_pool_copy("net")
