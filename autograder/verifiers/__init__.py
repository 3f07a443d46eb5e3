"""Each chapter's verifiers (``ch<chapter id>.py``): how every autograded test cell is checked
again outside the learner's kernel. See ``autograder/verify.py``."""
