"""The decisions register: what the network agreed at its meetings, how, and what followed."""
