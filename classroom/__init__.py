"""The one-machine classroom: JupyterHub, Linux accounts from a roster, nbgrader's exchange (README.md)."""
