"""Video classification: decoding and frame sampling, the synthetic motion classes, CNN+RNN models."""
