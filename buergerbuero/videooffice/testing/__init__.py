"""Test helpers of the video office that start real servers (coturn) for browser tests."""
