"""Chapter 1, Regularization: dropout, Dropout, l2_penalty, sgd_step, param_groups_for_weight_decay, EarlyStopping and six augmentations."""
