BLIND = {
    "standardize": {
        "torch.var(correction=0) + mean": r'''def standardize(x, dim=0, eps=1e-8):
    """Standardize ``x`` along ``dim`` with the population standard deviation (returns a new tensor)."""
    mu = x.mean(dim=dim, keepdim=True)
    sigma = torch.var(x, dim=dim, keepdim=True, correction=0).sqrt()
    return (x - mu) / (sigma + eps)
''',
        "manual sum / n, sqrt": r'''def standardize(x, dim=0, eps=1e-8):
    """Standardize ``x`` along ``dim``: (x - mean) / (std + eps), std with divisor N."""
    if not torch.is_floating_point(x):
        raise TypeError("standardize expects a floating-point tensor")
    n = x.shape[dim]
    mu = torch.sum(x, dim=dim, keepdim=True) / n
    centered = x - mu
    sigma = torch.sqrt(torch.sum(centered * centered, dim=dim, keepdim=True) / n)
    return centered / (sigma + eps)
''',
    },
}
