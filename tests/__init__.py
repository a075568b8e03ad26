"""Tests for broadcast."""
