"""Sphinx configuration of the symdyn documentation (``make docs``: HTML in docs/_build/html)."""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))
import symdyn  # noqa: E402

project = "symdyn"
author = "The symdyn developers"
copyright = "2026, the symdyn developers"
release = version = symdyn.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.mathjax", "sphinx.ext.viewcode",
              "sphinx.ext.doctest", "numpydoc", "sphinx_gallery.gen_gallery"]
autosummary_generate = True
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
numpydoc_show_class_members = False
numpydoc_validation_checks = set()  # docstrings state the mathematics in prose; sections are not enforced here
sphinx_gallery_conf = {
    "examples_dirs": "gallery",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # every example runs when the site is built
    "download_all_examples": False,
    "remove_config_comments": True,
}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"description": "Symbolic-numeric analysis of learning dynamics", "fixed_sidebar": True}
# "ref.python": a type hint such as Kernel resolves to both symdyn.Kernel and symdyn.kernels.Kernel (the top-level
# re-export of the same class); either target is right
suppress_warnings = ["autosummary.import_cycle", "ref.python"]
exclude_patterns += ["gallery"]  # the gallery's sources; sphinx-gallery renders them into auto_examples


def _escape_bars(app, what, name, obj, options, lines):
    """Docstrings write norms and absolute values as |x| (plain text, as in the code); in reStructuredText a bar
    starts a substitution, so escape them (outside literal blocks and doctest lines)."""
    literal = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">>>") or stripped.startswith("..."):
            continue
        if literal and stripped and not line.startswith(" "):
            literal = False
        if stripped.endswith("::"):
            literal = True
        if not literal:
            lines[i] = line.replace("|", r"\|")


def setup(app):
    app.connect("autodoc-process-docstring", _escape_bars)
