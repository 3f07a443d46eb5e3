"""nbgrader configuration of the course. The nbgrader course directory is the repository.

solutions/  nbgrader's source directory (notebooks with solutions and hidden tests)
chapters/   nbgrader's release directory (generated; never edited by hand)
autograder/ submitted/, autograded/, feedback/ and the gradebook (all git-ignored)

nbgrader finds this file through ../nbgrader_config.py, which loads it, so every nbgrader
command run at the repository root (and JupyterLab's nbgrader extensions) uses it.
"""
import os

c = get_config()  # noqa: F821 - injected by traitlets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = "training-techniques"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "chapters"
c.CourseDirectory.submitted_directory = os.path.join("autograder", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("autograder", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("autograder", "feedback")
c.CourseDirectory.solution_directory = os.path.join("autograder", "solution")
c.CourseDirectory.source_with_tests_directory = os.path.join("autograder", "source_with_tests")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "autograder", "gradebook.db")

# Execution limits for validating and autograding: a cell that runs longer than this is
# interrupted and counts as failed; outputs are truncated so a flood cannot swamp feedback.
c.Execute.timeout = 120
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# Autograding (autograder/preprocessors.py): a kernel that dies fails the cell that killed it
# and the cells after it, not the whole notebook; after executing, stderr chatter becomes
# stdout (nbgrader would score the cell 0), and each cell's outputs are capped in bytes.
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, DeduplicateIds, IgnorePattern, LimitOutput, OverwriteCells,
    OverwriteKernelspec, SaveAutoGrades,
)

c.Autograde.autograde_preprocessors = [
    "autograder.preprocessors.VerifiedExecute", IgnorePattern, ClearMetadataPreprocessor,
    "autograder.preprocessors.StderrToStdout", LimitOutput, "autograder.preprocessors.LimitOutputBytes",
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
c.LimitOutputBytes.max_bytes = 200_000
# The chapter's experiment cells (tagged `experiment` in solutions/) earn no points: they are not
# run when grading, and keep the learner's own outputs (autograder/experiments.py). To run them:
# --Experiments.mode=run (`python -m autograder grade --experiments run`).
c.Experiments.mode = "skip"
c.Autograde.sanitize_preprocessors = [
    "autograder.preprocessors.KeepExperimentOutputs", DeduplicateIds, OverwriteKernelspec,
    "autograder.preprocessors.RestoreHiddenTests", OverwriteCells,
    CheckCellMetadata,
]
# RestoreHiddenTests gives the test cells their hidden tests back before OverwriteCells compares their
# checksums, so that its "Attribute 'checksum' ... has changed" warnings are about real changes only.
# A test cell a submission deleted (or whose metadata it stripped) is put back from the
# gradebook, like an edited one: tests are graded from the source, never from the submission.
c.OverwriteCells.add_missing_cells = True

# nbgrader scores a test cell 0 when anything is printed on stderr. A warning from PyTorch
# or NumPy (deprecations, "UserWarning: ...") is not a wrong answer, so the kernels that
# validate and grade load an IPython extension that prints warnings on stdout (traintech/kernel.py).
c.Execute.extra_arguments = [
    "--HistoryManager.hist_file=:memory:",
    "--InteractiveShellApp.extensions=traintech.kernel",
]
