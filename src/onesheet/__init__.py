"""OneSheet (一表通): a value enters once; every later form reads it from the sheet."""

__version__ = "0.1.0"
