"""Tests of the exercise notes (chapters 1-5); a package so that the test
modules can import the shared numpy references from conftest.py."""
