"""The built-in task families, one folder each: its family class, its generators, its grader notebook
(``grade.ipynb``), its errors, services and kernel environment. Each is a plug-in like any other, found through
the ``medgym_nb.families`` entry point; nothing in the core imports this package."""
