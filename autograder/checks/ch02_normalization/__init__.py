"""Chapter 2, Normalization: batch_norm, BatchNorm, batch_norm_backward, layer_norm, instance_norm, group_norm, WeightNormLinear."""
