"""Member states and territories of the network."""
