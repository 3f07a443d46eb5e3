"""The reference implementation of every graded exercise: the model answers.

One module per topic (``preprocessing``, ``regularization``, ``augmentation``, ``normalization``,
``initialization``, ``transfer``, ``diagnostics``), each exercise with the name and signature the
chapter asks for. The checks compare a learner's answer with these where PyTorch has no function
of the same contract (``autograder/checks/``), and the topic tests compare these with PyTorch.

Every graded answer lives here and nowhere else in ``traintech``: the student edition a graded
class gets (``make student``) is this package without this subpackage. A helper outside it must
not compute a graded answer.
"""
