"""The network's governance: the four options of the study, chosen in configuration."""
