"""Variable-length sequences: padding, truncation, masking, packing, bucketing; static vs dynamic unrolling."""
