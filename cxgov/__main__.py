"""`python -m cxgov`: the same command line as `cxgov`."""

from cxgov.cli import console

console()
