"""The engine's switches: grad recording and anomaly detection, per thread as
in PyTorch, each a context manager and a decorator."""
import functools
import inspect
import threading


GRAD, ANOMALY, CHECK_NAN = 1, 2, 4   # the bits of ``mode.state``


class _Mode(threading.local):
    """Per-thread switches, kept in one int (``state``) so that an op reads
    them with a single lookup; new threads start with grad on, anomaly off."""

    state = GRAD

    @property
    def grad_enabled(self):
        return bool(self.state & GRAD)

    @grad_enabled.setter
    def grad_enabled(self, on):
        self.state = self.state | GRAD if on else self.state & ~GRAD

    @property
    def anomaly(self):
        return bool(self.state & ANOMALY)

    @anomaly.setter
    def anomaly(self, on):
        self.state = self.state | ANOMALY if on else self.state & ~ANOMALY


mode = _Mode()
_switches = mode   # the same, for code whose argument is named mode (PyTorch's name)


def is_grad_enabled():
    return mode.grad_enabled


def _wrap(switch_factory, fn):
    """``fn`` run under a fresh switch each call; a generator function gets it
    around each resumption, not only its creation (as torch's decorators do)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with switch_factory():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with switch_factory():
                            gen.close()
                        raise
                    except BaseException as e:   # thrown in: pass it on, under the switch
                        with switch_factory():
                            response = gen.throw(e)
                    else:
                        with switch_factory():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value
        return generator

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with switch_factory():
            return fn(*args, **kwargs)
    return wrapper


class _GradSwitch:
    """Context manager and decorator that sets grad recording on or off."""

    enabled = True

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and cls in (no_grad, enable_grad, inference_mode):
            return _wrap(cls, args[0])   # @no_grad without parentheses, as PyTorch 2 allows
        return super().__new__(cls)

    def __enter__(self):
        self._prev = mode.grad_enabled
        mode.grad_enabled = self.enabled
        return self

    def __exit__(self, *exc):
        mode.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        return _wrap(self._clone, fn)

    def _clone(self):
        return type(self)()


class no_grad(_GradSwitch):
    """Ops inside record nothing: outputs have ``requires_grad=False`` (torch.no_grad)."""

    enabled = False


class inference_mode(_GradSwitch):
    """torch.inference_mode: here grad mode off, as no_grad (tensors made
    inside are ordinary tensors that recorded nothing, where PyTorch's are
    inference tensors, and an enable_grad inside records again);
    ``inference_mode(False)`` turns grad mode on, as PyTorch's guard does."""

    def __init__(self, mode=True):
        self.inference = bool(mode)
        self.enabled = not self.inference

    def _clone(self):
        return type(self)(self.inference)


class enable_grad(_GradSwitch):
    """Turns recording back on inside a ``no_grad`` block (torch.enable_grad)."""

    enabled = True


class set_grad_enabled(_GradSwitch):
    """Sets grad recording on construction, as torch's does, so that it works
    as a plain call (``set_grad_enabled(False)``), a context manager (restoring
    the previous mode on exit) and a decorator."""

    def __init__(self, mode):
        self.enabled = bool(mode)
        self._prev = _switches.grad_enabled
        _switches.grad_enabled = self.enabled

    def __enter__(self):
        return self

    def __call__(self, fn):
        mode.grad_enabled = self._prev   # as a decorator it changes nothing until called
        return _wrap(self._clone, fn)

    def _clone(self):
        return _Scoped(self.enabled)


class _Scoped(_GradSwitch):
    def __init__(self, enabled):
        self.enabled = enabled


def _anomaly_bits(on, check_nan):
    return (ANOMALY if on else 0) | (CHECK_NAN if on and check_nan else 0)


class detect_anomaly:
    """Under this context each op records the line of user code that created
    it, and (``check_nan``, the default) a NaN or inf made by any op, in
    forward or backward, raises a RuntimeError naming the op and that line.

    Stricter than PyTorch's, which checks backward only. Per thread.
    """

    def __init__(self, check_nan=True):
        self.bits = _anomaly_bits(True, check_nan)

    def __enter__(self):
        self._prev = mode.state
        mode.state = mode.state & ~(ANOMALY | CHECK_NAN) | self.bits
        return self

    def __exit__(self, *exc):
        mode.state = mode.state & ~(ANOMALY | CHECK_NAN) | self._prev & (ANOMALY | CHECK_NAN)
        return False

    def __call__(self, fn):
        return _wrap(lambda: _Anomaly(self.bits), fn)


class _Anomaly(detect_anomaly):
    def __init__(self, bits):
        self.bits = bits


class set_detect_anomaly(detect_anomaly):
    """Anomaly mode on or off, as a call, a context manager (restoring the
    previous mode on exit) or a decorator (torch.autograd.set_detect_anomaly)."""

    def __init__(self, mode, check_nan=True):
        self.bits = _anomaly_bits(mode, check_nan)
        detect_anomaly.__enter__(self)   # the call itself switches

    def __enter__(self):
        return self

    def __call__(self, fn):
        self.__exit__()   # as a decorator it changes nothing until called
        return _wrap(lambda: _Anomaly(self.bits), fn)


def is_anomaly_enabled():
    return mode.anomaly


def is_anomaly_check_nan_enabled():
    """The check_nan setting: True unless anomaly mode is on with check_nan=False
    (PyTorch's default, True, while anomaly mode is off)."""
    return not mode.state & ANOMALY or bool(mode.state & CHECK_NAN)
