"""Meta-labeling: a calibrated probability that a candidate reaches its target first.

A candidate (a forecast's or a pattern's trade plan after the gate's scoring) is described by
its six quality dimensions and composite, what the forecast paths said of its plan
(``forecast_expectancy``, ``p_target`` and its logit, ``p_stop``), its source, pattern key and
family, the regime, the session hour, the spread over the ATR and the plan's reward over its
risk and its log (:func:`candidate_features`; the logit and the log let a linear model reach
the long shots, whose small probabilities decide their edge). The label is 1 when the realized
bars reached the target before the stop and before the plan's expiry (``target_first`` of
:func:`forex_diffusion.intelligence.outcomes.signal_outcomes`), else 0: the "meta label" of
López de Prado, which says whether to act on a primary signal.

:class:`MetaModel` fits a scikit-learn classifier (a logistic regression on standardized
numbers and one-hot categories, or a histogram gradient boosting) and calibrates it on
out-of-fold predictions. The folds are time-ordered and *purged and embargoed*
(:func:`purged_folds`): a training row whose label interval (decision bar to expiry) overlaps
the test fold's span, or that starts within ``embargo`` after it, is left out, so no fold
learns from a bar of the rows it is scored on. The calibrator (isotonic regression with enough
rows, else Platt scaling) is fitted on all out-of-fold predictions and applied to the final
classifier, fitted on every row. Per fold, :attr:`MetaModel.folds` holds the Brier score of
the calibrated out-of-fold probabilities (calibrated by a calibrator fitted on the *other*
folds), the Brier score of the training base rate, the log loss and a reliability curve.
"""

from __future__ import annotations

import hashlib
import math
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from forex_diffusion.core.errors import ConfigError
from forex_diffusion.core.events import FusedSignal
from forex_diffusion.core.names import DIMENSIONS

__all__ = [
    "CATEGORICAL",
    "NUMERIC",
    "FoldMetrics",
    "MetaModel",
    "candidate_features",
    "purged_folds",
    "reliability",
]

NUMERIC = (
    *DIMENSIONS,
    "composite",
    "forecast_expectancy",
    "p_target",
    "p_stop",
    "logit_p_target",
    "spread_atr",
    "reward_risk",
    "log_reward_risk",
    "hour_sin",
    "hour_cos",
)
"""Numeric features (NaN where unknown: a candidate valued without a forecast)."""

CATEGORICAL = ("source", "family", "pattern", "regime", "direction")
"""Categorical features (one-hot; a value not seen in training counts as none)."""

Kind = Literal["logistic", "hist_gbm"]

ISOTONIC_ROWS = 200
"""Out-of-fold rows from which the calibrator is isotonic (fewer: Platt scaling)."""


def candidate_features(
    signal: FusedSignal, *, atr: float, spread: float, close_time: pd.Timestamp
) -> dict[str, Any]:
    """The meta-model's inputs for one scored candidate (``atr``, ``spread``: price
    differences on its bar; ``close_time``: when the bar closed, for the session hour)."""
    meta = signal.metadata
    risk = abs(signal.entry_price - signal.stop_price)
    reward_risk = abs(signal.target_price - signal.entry_price) / risk if risk > 0 else 0.0
    p_target = float(meta.get("p_target", math.nan))
    clipped = min(max(p_target, 1e-3), 1 - 1e-3)
    hour = close_time.hour + close_time.minute / 60
    row: dict[str, Any] = {
        k: float(signal.quality.get(k, math.nan)) for k in (*DIMENSIONS, "composite")
    }
    row.update(
        forecast_expectancy=float(meta.get("forecast_expectancy", math.nan)),
        p_target=p_target,
        p_stop=float(meta.get("p_stop", math.nan)),
        logit_p_target=math.log(clipped / (1 - clipped)) if p_target == p_target else math.nan,
        spread_atr=spread / atr if atr > 0 else math.nan,
        reward_risk=reward_risk,
        log_reward_risk=math.log(reward_risk) if reward_risk > 0 else math.nan,
        hour_sin=math.sin(2 * math.pi * hour / 24),
        hour_cos=math.cos(2 * math.pi * hour / 24),
        source=signal.source,
        family=str(meta.get("family", signal.source)),
        pattern=str(meta.get("detail", signal.source)),
        regime=signal.regime or "none",
        direction=signal.direction,
    )
    return row


def purged_folds(
    start: pd.DatetimeIndex,
    end: pd.DatetimeIndex,
    *,
    folds: int,
    embargo: pd.Timedelta,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Time-ordered folds of rows whose labels span ``[start, end]``: ``(train, test)`` row
    positions per fold, the test rows contiguous in ``start`` order, the training rows those
    whose label ends before the test span begins, or that start more than ``embargo`` after
    it ends."""
    start, end = pd.DatetimeIndex(start), pd.DatetimeIndex(end)
    if len(start) != len(end):
        raise ConfigError("purged_folds: start and end must have one time per row")
    if folds < 2:
        raise ConfigError(f"purged_folds needs at least 2 folds, got {folds}")
    order = np.argsort(start.asi8, kind="stable")
    out = []
    for test in np.array_split(order, folds):
        if len(test) == 0:
            continue
        t0, t1 = start[test].min(), end[test].max()
        keep = (end < t0) | (start > t1 + embargo)
        keep[test] = False
        out.append((np.flatnonzero(keep), np.sort(test)))
    return out


def reliability(prob: np.ndarray, label: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """The reliability curve: per probability bin with rows, the mean prediction, the
    observed frequency and the count."""
    prob, label = np.asarray(prob, float), np.asarray(label, float)
    which = np.minimum((prob * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            out.append(
                {
                    "predicted": float(prob[inside].mean()),
                    "observed": float(label[inside].mean()),
                    "count": int(inside.sum()),
                }
            )
    return out


@dataclass(frozen=True, slots=True)
class FoldMetrics:
    """How the calibrated out-of-fold probabilities of one fold scored."""

    fold: int
    rows: int
    train_rows: int
    base_rate: float
    """The training rows' share of targets first (the base-rate forecast)."""
    brier: float
    brier_base: float
    """Brier score of always predicting :attr:`base_rate`."""
    log_loss: float
    test_start: str
    test_end: str
    reliability: list[dict[str, float]] = field(default_factory=list)


def _log_loss(prob: np.ndarray, label: np.ndarray) -> float:
    p = np.clip(prob, 1e-6, 1 - 1e-6)
    return float(-np.mean(label * np.log(p) + (1 - label) * np.log(1 - p)))


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)), float)


class _Calibrator:
    """Isotonic regression (enough rows) or Platt scaling of raw probabilities."""

    def __init__(self, raw: np.ndarray, label: np.ndarray) -> None:
        from sklearn.isotonic import IsotonicRegression
        from sklearn.linear_model import LogisticRegression

        self.kind = "isotonic" if len(raw) >= ISOTONIC_ROWS else "platt"
        if self.kind == "isotonic":
            self.model: Any = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            self.model.fit(raw, label)
        else:
            self.model = LogisticRegression().fit(_logit(raw)[:, None], label)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        if self.kind == "isotonic":
            return np.asarray(self.model.predict(raw), float)
        return np.asarray(self.model.predict_proba(_logit(raw)[:, None])[:, 1], float)


def _classifier(kind: Kind, seed: int) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()
    )
    columns = ColumnTransformer(
        [
            ("numeric", numeric, list(NUMERIC)),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL)),
        ],
        sparse_threshold=0.0,
    )
    if kind == "logistic":
        model: Any = LogisticRegression(C=0.5, max_iter=2000)
    elif kind == "hist_gbm":
        model = HistGradientBoostingClassifier(
            max_depth=3, max_iter=150, learning_rate=0.05, l2_regularization=1.0, random_state=seed
        )
    else:
        raise ConfigError(f"meta-model kind must be logistic or hist_gbm, got {kind!r}")
    return Pipeline([("columns", columns), ("model", model)])


def data_hash(rows: pd.DataFrame, label: np.ndarray) -> str:
    """SHA-256 of the training rows and labels (what a registered model was fitted on)."""
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    digest.update(np.asarray(label, float).tobytes())
    return digest.hexdigest()


class MetaModel:
    """A calibrated P(target first) for candidates (see the module docstring)."""

    def __init__(
        self,
        kind: Kind = "logistic",
        *,
        folds: int = 5,
        embargo: pd.Timedelta | None = None,
        min_rows: int = 100,
        seed: int = 0,
    ) -> None:
        self.kind: Kind = kind
        self.n_folds = folds
        self.embargo = pd.Timedelta(embargo or 0)
        self.min_rows = min_rows
        self.seed = seed
        self.classifier: Any = None
        self.calibrator: _Calibrator | None = None
        self.folds: list[FoldMetrics] = []
        self.rows = 0
        self.oof: np.ndarray = np.empty(0)
        """Per fitted row, its out-of-fold probability calibrated on the other folds (NaN
        where its fold was not scored): what the model would have said before seeing it."""
        self.base_rate = math.nan
        self.data_hash = ""
        self.data_start: pd.Timestamp | None = None
        self.data_end: pd.Timestamp | None = None

    @property
    def fitted(self) -> bool:
        return self.classifier is not None and self.calibrator is not None

    def fit(
        self,
        rows: pd.DataFrame,
        label: Sequence[float] | np.ndarray,
        *,
        start: pd.DatetimeIndex,
        end: pd.DatetimeIndex,
    ) -> MetaModel:
        """Fit on ``rows`` (:func:`candidate_features` columns) and their 0/1 ``label``,
        whose label intervals are ``[start, end]``; a ``ConfigError`` when there are fewer
        than ``min_rows`` rows or a single class."""
        y = np.asarray(label, float)
        missing = [c for c in (*NUMERIC, *CATEGORICAL) if c not in rows.columns]
        if missing:
            raise ConfigError(f"meta-model rows lack the columns {missing}")
        if len(rows) != len(y):
            raise ConfigError("meta-model: one label per row")
        if len(y) < self.min_rows or len(np.unique(y)) < 2:
            raise ConfigError(
                f"meta-model needs at least {self.min_rows} labelled candidates of both "
                f"outcomes, got {len(y)} ({int(y.sum())} targets first)"
            )
        frame = rows.reset_index(drop=True)
        start, end = pd.DatetimeIndex(start), pd.DatetimeIndex(end)
        oof = np.full(len(y), np.nan)
        splits = purged_folds(start, end, folds=self.n_folds, embargo=self.embargo)
        scored: list[tuple[int, np.ndarray, np.ndarray]] = []
        for k, (train, test) in enumerate(splits):
            if len(train) < self.min_rows // 2 or len(np.unique(y[train])) < 2:
                continue
            model = _classifier(self.kind, self.seed).fit(frame.iloc[train], y[train])
            oof[test] = model.predict_proba(frame.iloc[test])[:, 1]
            scored.append((k, train, test))
        done = ~np.isnan(oof)
        if done.sum() < self.min_rows // 2 or len(np.unique(y[done])) < 2:
            raise ConfigError(
                f"meta-model: too few out-of-fold predictions to calibrate ({int(done.sum())})"
            )
        self.folds = []
        self.oof = np.full(len(y), np.nan)
        for k, train, test in scored:
            others = done.copy()
            others[test] = False
            if others.sum() < 10 or len(np.unique(y[others])) < 2:
                continue
            cal = _Calibrator(oof[others], y[others])(oof[test])
            self.oof[test] = cal
            base = float(y[train].mean())
            self.folds.append(
                FoldMetrics(
                    fold=k,
                    rows=len(test),
                    train_rows=len(train),
                    base_rate=base,
                    brier=float(np.mean((cal - y[test]) ** 2)),
                    brier_base=float(np.mean((base - y[test]) ** 2)),
                    log_loss=_log_loss(cal, y[test]),
                    test_start=str(start[test].min()),
                    test_end=str(end[test].max()),
                    reliability=reliability(cal, y[test]),
                )
            )
        self.calibrator = _Calibrator(oof[done], y[done])
        self.classifier = _classifier(self.kind, self.seed).fit(frame, y)
        self.rows, self.base_rate = len(y), float(y.mean())
        self.data_hash = data_hash(frame[[*NUMERIC, *CATEGORICAL]], y)
        self.data_start, self.data_end = start.min(), end.max()
        return self

    @property
    def skilful(self) -> bool:
        """Whether the calibrated out-of-fold probabilities beat the base rate (mean Brier
        score over the folds)."""
        if not self.folds:
            return False
        brier = np.mean([f.brier for f in self.folds])
        return bool(brier < np.mean([f.brier_base for f in self.folds]))

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities that each row's target comes first."""
        if self.classifier is None or self.calibrator is None:
            raise ConfigError("the meta-model is not fitted")
        raw = self.classifier.predict_proba(rows.reset_index(drop=True))[:, 1]
        return self.calibrator(np.asarray(raw, float))

    def summary(self) -> dict[str, Any]:
        """What the model was fitted on and how its folds scored (stored with the run)."""
        folds = [asdict(f) for f in self.folds]
        brier = [f.brier for f in self.folds]
        base = [f.brier_base for f in self.folds]
        return {
            "kind": self.kind,
            "calibration": self.calibrator.kind if self.calibrator else None,
            "rows": self.rows,
            "base_rate": self.base_rate,
            "data_hash": self.data_hash,
            "data_start": str(self.data_start),
            "data_end": str(self.data_end),
            "embargo": str(self.embargo),
            "brier": float(np.mean(brier)) if brier else None,
            "brier_base": float(np.mean(base)) if base else None,
            "log_loss": float(np.mean([f.log_loss for f in self.folds])) if folds else None,
            "folds": folds,
        }

    def save(self, path: Path) -> Path:
        """Write the fitted model (joblib) to ``path``."""
        import joblib

        if not self.fitted:
            raise ConfigError("the meta-model is not fitted: nothing to save")
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)
        return path

    @classmethod
    def load(cls, path: Path) -> MetaModel:
        """A model written by :meth:`save`; a ``ConfigError`` names a file that is not one.
        Like any pickle, load only files this project wrote."""
        import joblib

        try:
            model = joblib.load(path)
        except (OSError, EOFError, ValueError, KeyError, pickle.UnpicklingError) as exc:
            raise ConfigError(f"{path}: not a meta-model file ({exc})") from None
        if not isinstance(model, cls):
            raise ConfigError(f"{path}: not a meta-model file")
        return model

    def info(self) -> Mapping[str, Any]:
        """Registry fields: the model id (from the data hash), the data span, metrics."""
        return {
            "model_id": f"meta-{self.kind}-{self.data_hash[:12]}",
            "data_hash": self.data_hash,
            "data_start": self.data_start,
            "data_end": self.data_end,
            "metrics": {k: v for k, v in self.summary().items() if k not in ("folds", "data_hash")},
        }
