"""Chapter 1, Regularization: dropout, Dropout, l2_penalty, sgd_step, EarlyStopping and four augmentations."""
