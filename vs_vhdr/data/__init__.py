"""Training samples (paper §4): shot specs, the ``[data]`` config, simulated and fixed sets, the
step sampler."""
