"""Stop training cleanly on Ctrl-C (SIGINT) or SIGTERM, so an interrupt loses nothing.

The first signal only asks to stop: the step that is running finishes, Keras ends the
`fit` at the next batch boundary, and the trainer writes a checkpoint there. A second
signal stops at once (Python's usual `KeyboardInterrupt`), for a step that hangs.

Example:
    >>> with StopOnSignal() as stop:
    ...     gan.fit(dataset, epochs=100, callbacks=[stop])
    >>> stop.signal_name      # "SIGINT" after Ctrl-C, None otherwise
"""

import signal
import threading

import keras

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignal(keras.callbacks.Callback):
    """A callback that ends training at the next batch boundary after SIGINT or SIGTERM.

    Use it as a context manager: its handlers are installed inside the block only, and
    the previous ones are restored after it. Outside the main thread Python cannot
    install signal handlers; there it does nothing (signals behave as before).
    """

    def __init__(self):
        super().__init__()
        self.signal_name = None
        self._previous = {}

    @property
    def requested(self):
        return self.signal_name is not None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in SIGNALS}
        return self

    def __exit__(self, *exc_info):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def _handle(self, signum, frame):
        if self.requested:  # the second signal: stop now, without a checkpoint
            self.__exit__()
            raise KeyboardInterrupt
        self.signal_name = signal.Signals(signum).name

    def on_train_batch_end(self, batch, logs=None):
        if self.requested:
            self.model.stop_training = True
