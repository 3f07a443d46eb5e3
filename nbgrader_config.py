# nbgrader looks for its configuration in the directory it is run from: the course's lives
# in autograder/nbgrader_config.py.
c = get_config()  # noqa: F821 - injected by traitlets
load_subconfig("autograder/nbgrader_config.py")  # noqa: F821
