import threading

import pytest
import torch

from core.errors import UserError
from core.training import Callback, TrainConfig, Trainer, to_device, training_device
from tests.unit.toy_models import BoundedConfig, ToyLinear


def regression_batches(epoch):
    g = torch.Generator().manual_seed(epoch)
    for _ in range(10):
        x = torch.randn(16, 4, generator=g)
        yield x, x.sum(1, keepdim=True)


def mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x), y)


class Recorder(Callback):
    def __init__(self):
        self.steps, self.epochs = [], []

    def on_step(self, progress):
        self.steps.append(progress)

    def on_epoch(self, progress):
        self.epochs.append(progress)


def train(epochs=5, **kw):
    torch.manual_seed(0)
    model = ToyLinear(BoundedConfig(width=4))
    recorder = Recorder()
    history = Trainer(model, TrainConfig(epochs=epochs, lr=0.05, **kw), recorder).fit(
        regression_batches,
        mse,
        evaluate=lambda m: {"val_loss": mse(m, next(regression_batches(99))).item()},
        steps_per_epoch=10,
    )
    return model, history, recorder


def test_loss_falls_callbacks_fire_and_model_ends_in_eval():
    model, history, recorder = train()
    assert history.epochs[-1]["loss"] < history.epochs[0]["loss"] / 5
    assert len(recorder.steps) == 50 and len(recorder.epochs) == 5
    assert recorder.epochs[-1].metrics["val_loss"] < 0.1
    assert recorder.steps[-1].fraction == 1.0
    assert not model.training


def test_same_seed_same_weights():
    a, _, _ = train(epochs=2)
    b, _, _ = train(epochs=2)
    assert torch.equal(a.linear.weight, b.linear.weight)


def test_cancel_stops_at_the_next_step():
    cancel = threading.Event()

    class CancelAfterThree(Callback):
        def on_step(self, progress):
            if progress.step == 3:
                cancel.set()

    model = ToyLinear(BoundedConfig())
    history = Trainer(model, TrainConfig(epochs=5), CancelAfterThree(), cancel).fit(regression_batches, mse)
    assert history.cancelled
    assert len(history.epochs) == 1


def test_training_device_names_are_checked_before_any_work():
    with pytest.raises(UserError, match="unknown torch device"):
        with training_device("gpu0"):
            pass
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="no CUDA GPU"):
            with training_device("cuda"):
                pass


def test_training_device_applies_inside_only_and_batches_move_whole():
    with training_device("meta"):  # a device no step can run on: proves the Trainer picked it up
        with pytest.raises((NotImplementedError, RuntimeError)):
            train(epochs=1)
    model, history, _ = train(epochs=1)  # outside: the CPU again
    assert history.epochs and next(model.parameters()).device.type == "cpu"
    batch = to_device({"x": torch.ones(2), "pair": (torch.zeros(1), None), "flag": True}, torch.device("cpu"))
    assert batch["flag"] is True and batch["pair"][1] is None and torch.equal(batch["x"], torch.ones(2))


def test_keep_best_ends_with_the_weights_of_the_best_epoch():
    """A validation score that is best at epoch 2 and worse after: the model must end with epoch 2's weights."""
    torch.manual_seed(0)
    model = ToyLinear(BoundedConfig(width=4))
    scores, snapshots = iter([3.0, 1.0, 2.0, 5.0]), []

    def evaluate(m):
        snapshots.append(m.linear.weight.clone())
        return {"val_loss": next(scores)}

    config = TrainConfig(epochs=4, lr=0.05, keep_best="val_loss")
    history = Trainer(model, config).fit(regression_batches, mse, evaluate, steps_per_epoch=10)
    assert history.best_epoch == 2
    assert torch.equal(model.linear.weight, snapshots[1])
    assert not torch.equal(snapshots[1], snapshots[3])
