"""One model in one process: ``ModelExecutor`` and the worker loop that keeps them cached."""

from __future__ import annotations

import gc
import signal
from collections import OrderedDict
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path

import pandas as pd

from forex_diffusion.core.errors import ModelError
from forex_diffusion.core.events import Forecast
from forex_diffusion.forecast.base import Predictor

__all__ = ["ModelExecutor", "ModelRef", "model_key", "worker_main"]

ModelRef = Predictor | str | Path


def model_key(model: ModelRef) -> str:
    """Cache key: the checkpoint's path and modification time, or the predictor's model id."""
    if isinstance(model, str | Path):
        path = Path(model).resolve()
        stamp = path.stat().st_mtime_ns if path.exists() else 0
        return f"file:{path}:{stamp}"
    return f"obj:{type(model).__name__}:{getattr(model, 'model_id', id(model))}"


class ModelExecutor:
    """One model, loaded once and used for many forecasts (a context manager).

    Parameters
    ----------
    model
        A predictor object, or the path of a diffusion checkpoint.
    """

    def __init__(self, model: ModelRef) -> None:
        self.model = model
        self.predictor: Predictor | None = None

    def load_model(self) -> Predictor:
        """Load the model (a checkpoint is read from disk once)."""
        if self.predictor is None:
            if isinstance(self.model, str | Path):
                from forex_diffusion.forecast.diffusion import DiffusionPredictor

                self.predictor = DiffusionPredictor.load(self.model)
            else:
                self.predictor = self.model
        return self.predictor

    def unload_model(self) -> None:
        """Drop the model and free its memory (the CUDA cache too, on a GPU)."""
        self.predictor = None
        gc.collect()
        import torch  # a hard dependency; imported here to keep light callers light

        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def predict(
        self,
        candles: pd.DataFrame,
        horizons: Sequence[int] | None = None,
        *,
        num_samples: int = 100,
        seed: int | None = 0,
    ) -> Forecast:
        """Forecast from the last bar of ``candles`` (only ``horizons`` if given)."""
        forecast = self.load_model().predict(candles, num_samples=num_samples, seed=seed)
        if horizons is None or not isinstance(forecast, Forecast):
            return forecast
        missing = sorted(set(horizons) - set(forecast.horizons))
        if missing:
            raise ModelError(f"{forecast.model_id} does not forecast horizons {missing}")
        rows = [forecast.horizons.index(h) for h in sorted(horizons)]
        return Forecast(
            symbol=forecast.symbol,
            timeframe=forecast.timeframe,
            origin_ts=forecast.origin_ts,
            origin_price=forecast.origin_price,
            horizons=tuple(sorted(horizons)),
            quantile_levels=forecast.quantile_levels,
            quantiles=forecast.quantiles[rows],
            model_id=forecast.model_id,
            samples=None if forecast.samples is None else forecast.samples[:, rows],
        )

    def validation_crps(self) -> float | None:
        """The model's validation CRPS, when its metadata has one."""
        meta = getattr(self.predictor, "meta", None)
        value = meta.get("val_crps") if isinstance(meta, dict) else None
        return float(value) if isinstance(value, int | float) else None

    def __enter__(self) -> ModelExecutor:
        self.load_model()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unload_model()


def worker_main(conn: Connection, cache_size: int) -> None:
    """A worker: run tasks in order, keeping up to ``cache_size`` executors loaded."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the engine decides when workers stop
    cache: OrderedDict[str, ModelExecutor] = OrderedDict()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        task_id, key, model, candles, horizons, num_samples, seed = message
        conn.send(("start", task_id))
        try:
            executor = cache.get(key)
            if executor is None:
                if model is None:
                    raise ModelError("model not in this worker's cache and not sent")
                executor = ModelExecutor(model)
                executor.load_model()
                cache[key] = executor
                while len(cache) > cache_size:
                    _, evicted = cache.popitem(last=False)
                    evicted.unload_model()
            cache.move_to_end(key)
            result = executor.predict(candles, horizons, num_samples=num_samples, seed=seed)
            reply: tuple[object, ...] = (
                "done",
                task_id,
                "ok",
                result,
                executor.validation_crps(),
                list(cache),
            )
        except Exception as exc:
            reply = ("done", task_id, "error", f"{type(exc).__name__}: {exc}", None, list(cache))
        try:
            conn.send(reply)
        except Exception as exc:  # the result itself cannot be pickled
            conn.send(("done", task_id, "error", f"unsendable result: {exc}", None, list(cache)))
