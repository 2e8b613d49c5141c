"""The engine: reverse-mode backward, grad mode, gradient checks and the
functional API (jacobian, hessian, hvp)."""
from . import functional
from .api import backward, grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .grad_mode import (detect_anomaly, enable_grad, inference_mode,
                        is_anomaly_check_nan_enabled, is_anomaly_enabled, is_grad_enabled,
                        no_grad, set_detect_anomaly, set_grad_enabled)

__all__ = ["backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "functional",
           "no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "is_grad_enabled",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]
