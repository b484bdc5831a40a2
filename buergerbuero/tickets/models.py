"""The walk-in queue: service groups, counters, tickets."""
