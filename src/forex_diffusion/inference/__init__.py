"""Inference layer: run several forecasters in killable worker processes."""

from forex_diffusion.inference.parallel_inference import (
    InferenceResult,
    ModelExecutor,
    ModelStatus,
    ParallelInferenceEngine,
)

__all__ = ["InferenceResult", "ModelExecutor", "ModelStatus", "ParallelInferenceEngine"]
