"""The imaging model of paper Eq. 1: y_k = g(f(B Φ x_k Δt)), one small module per factor."""
