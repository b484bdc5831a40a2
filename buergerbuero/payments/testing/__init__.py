"""Test doubles of the payments app's outside parties (never imported by the product)."""
