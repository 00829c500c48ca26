"""Tests of the pure domain functions (collectctl.domain)."""
